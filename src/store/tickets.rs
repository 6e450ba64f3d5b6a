//! Tickets from the contact form, the widget and the API. A ticket and its
//! deliveries (one outbox row per destination) are stored in one transaction
//! before anything else is tried, so a failing destination or a crash never
//! loses a ticket. The inbox reads them back here: filtered pages, status
//! changes, assignment and replies (each reply queued as an email in the
//! same transaction), every change audited.

use super::sql::{params, OptionalExt, Row, Value};
use serde::Serialize;

use super::{now, Error, Result, Store};

/// What a customer submitted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewTicket {
    pub subject: String,
    pub description: String,
    pub email: String,
    pub category: Option<String>,
    pub locale: String,
    /// The anonymous analytics session, when there is one.
    pub session: Option<String>,
    /// `web`, `widget` or `api`.
    pub source: String,
    /// The article the customer came from, if any.
    pub article: Option<String>,
}

/// Where a ticket stands in the inbox: `new` until an agent replies (or
/// opens it by assigning), `open` while someone works on it, `solved` when
/// done (and then mined by `deflect mine --from-store`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    New,
    Open,
    Solved,
}

impl TicketStatus {
    /// Every status, in the order a ticket goes through them.
    pub const ALL: [TicketStatus; 3] =
        [TicketStatus::New, TicketStatus::Open, TicketStatus::Solved];

    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::New => "new",
            TicketStatus::Open => "open",
            TicketStatus::Solved => "solved",
        }
    }

    /// The status named `s`, if any.
    pub fn parse(s: &str) -> Option<TicketStatus> {
        TicketStatus::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// A stored ticket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ticket {
    pub id: i64,
    pub created_at: String,
    #[serde(flatten)]
    pub fields: NewTicket,
    pub status: TicketStatus,
    pub assignee_id: Option<i64>,
    /// The assignee's account name.
    pub assignee: Option<String>,
    pub solved_at: Option<String>,
}

fn ticket(r: &Row) -> super::sql::Result<Ticket> {
    let status: String = r.get(10)?;
    Ok(Ticket {
        id: r.get(0)?,
        created_at: r.get(1)?,
        fields: NewTicket {
            subject: r.get(2)?,
            description: r.get(3)?,
            email: r.get(4)?,
            category: r.get(5)?,
            locale: r.get(6)?,
            session: r.get(7)?,
            source: r.get(8)?,
            article: r.get(9)?,
        },
        // The column's CHECK allows only these three.
        status: TicketStatus::parse(&status).unwrap_or(TicketStatus::New),
        assignee_id: r.get(11)?,
        assignee: r.get(12)?,
        solved_at: r.get(13)?,
    })
}

/// The columns [`ticket`] reads, over `tickets t LEFT JOIN accounts a`.
const SELECT: &str = "SELECT t.id, t.created_at, t.subject, t.description, t.email, t.category, t.locale, t.session, t.source, t.article,
        t.status, t.assignee_id, a.name, t.solved_at
     FROM tickets t LEFT JOIN accounts a ON a.id = t.assignee_id";

/// Which tickets the inbox lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketQuery {
    pub status: Option<TicketStatus>,
    pub assignee: Option<AssigneeFilter>,
    pub category: Option<String>,
    /// Words found in the subject, description or email (case-insensitive).
    pub text: Option<String>,
    pub limit: usize,
    pub offset: usize,
}

/// Tickets of one agent, or those nobody has.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AssigneeFilter {
    Nobody,
    Account(i64),
}

/// A reply an agent writes in the inbox, and the outbox row that emails it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReply<'a> {
    pub ticket_id: i64,
    pub author_id: i64,
    pub body: &'a str,
    /// `mailto:` the customer.
    pub destination: &'a str,
    /// The JSON the email is built from.
    pub payload: &'a str,
}

/// A reply an agent sent from the inbox, with its delivery.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketReply {
    pub id: i64,
    pub author: String,
    pub body: String,
    pub created_at: String,
    pub delivered_at: Option<String>,
    pub last_error: Option<String>,
}

/// `%`, `_` and `\` taken literally in a `LIKE ... ESCAPE '\'` pattern.
fn like_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl Store {
    /// The ticket an idempotency key made, if any.
    pub fn ticket_by_idempotency_key(&self, key: &str) -> Result<Option<Ticket>> {
        self.read(|c| {
            Ok(c.query_row(
                &format!("{SELECT} WHERE t.idempotency_key = ?1"),
                [key],
                ticket,
            )
            .optional()?)
        })
    }

    /// Stores a ticket and queues it for every destination, atomically.
    /// `payload` builds the JSON each destination receives. With an
    /// idempotency key already used, nothing is stored and that key's ticket
    /// comes back with `false`; the unique column makes this hold however
    /// many requests race with one key.
    pub fn create_ticket(
        &self,
        new: &NewTicket,
        idempotency_key: Option<&str>,
        destinations: &[String],
        payload: impl Fn(&Ticket) -> String,
    ) -> Result<(Ticket, bool)> {
        let inserted = self.write(|tx| {
            let at = now();
            let id = tx
                .insert(
                    "INSERT INTO tickets (created_at, subject, description, email, category, locale, session, source, article, idempotency_key)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (idempotency_key) DO NOTHING",
                    params![at, new.subject, new.description, new.email, new.category, new.locale, new.session, new.source, new.article, idempotency_key],
                )
                .optional()?;
            // No row: the key made a ticket already.
            let Some(id) = id else {
                return Ok(None);
            };
            let t = Ticket {
                id,
                created_at: at.clone(),
                fields: new.clone(),
                status: TicketStatus::New,
                assignee_id: None,
                assignee: None,
                solved_at: None,
            };
            let body = payload(&t);
            for d in destinations {
                tx.execute(
                    "INSERT INTO outbox (kind, destination, payload, next_attempt_at, created_at, ticket_id) VALUES ('ticket', ?1, ?2, ?3, ?3, ?4)",
                    params![d, body, at, t.id],
                )?;
            }
            Ok(Some(t))
        })?;
        match (inserted, idempotency_key) {
            (Some(t), _) => Ok((t, true)),
            (None, Some(key)) => self
                .ticket_by_idempotency_key(key)?
                .map(|t| (t, false))
                .ok_or_else(|| Error::NotFound(format!("ticket with idempotency key {key}"))),
            (None, None) => Err(Error::Invalid("the ticket was not stored".into())),
        }
    }

    /// A ticket by id.
    pub fn ticket(&self, id: i64) -> Result<Option<Ticket>> {
        self.read(|c| {
            Ok(
                c.query_row(&format!("{SELECT} WHERE t.id = ?1"), [id], ticket)
                    .optional()?,
            )
        })
    }

    /// One page of the tickets `q` selects, newest first, and how many it
    /// selects in all.
    pub fn tickets(&self, q: &TicketQuery) -> Result<(Vec<Ticket>, i64)> {
        let mut clauses = Vec::new();
        let mut args: Vec<Value> = Vec::new();
        if let Some(s) = q.status {
            args.push(Value::Text(s.as_str().to_string()));
            clauses.push(format!("t.status = ?{}", args.len()));
        }
        match q.assignee {
            Some(AssigneeFilter::Nobody) => clauses.push("t.assignee_id IS NULL".into()),
            Some(AssigneeFilter::Account(id)) => {
                args.push(Value::Int(id));
                clauses.push(format!("t.assignee_id = ?{}", args.len()));
            }
            None => {}
        }
        if let Some(c) = &q.category {
            args.push(Value::Text(c.clone()));
            clauses.push(format!("t.category = ?{}", args.len()));
        }
        if let Some(text) = q.text.as_deref().filter(|t| !t.trim().is_empty()) {
            args.push(Value::Text(like_pattern(text.trim())));
            let n = args.len();
            clauses.push(format!(
                "(lower(t.subject) LIKE lower(?{n}) ESCAPE '\\' OR lower(t.description) LIKE lower(?{n}) ESCAPE '\\' OR lower(t.email) LIKE lower(?{n}) ESCAPE '\\')"
            ));
        }
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        self.read(|c| {
            let total: i64 = c.query_row(
                &format!("SELECT COUNT(*) FROM tickets t{filter}"),
                args.as_slice(),
                |r| r.get(0),
            )?;
            let mut page_args = args.clone();
            page_args.push(Value::Int(q.limit as i64));
            page_args.push(Value::Int(q.offset as i64));
            let n = page_args.len();
            let rows = c.query_map(
                &format!(
                    "{SELECT}{filter} ORDER BY t.id DESC LIMIT ?{} OFFSET ?{n}",
                    n - 1
                ),
                page_args.as_slice(),
                ticket,
            )?;
            Ok((rows, total))
        })
    }

    /// Tickets in `status`.
    pub fn ticket_count_in(&self, status: TicketStatus) -> Result<i64> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM tickets WHERE status = ?1",
                [status.as_str()],
                |r| r.get(0),
            )?)
        })
    }

    /// Solved tickets created at or after `since` (RFC 3339), oldest first:
    /// what `deflect mine --from-store` reads.
    pub fn solved_tickets_since(&self, since: &str) -> Result<Vec<Ticket>> {
        self.read(|c| {
            let rows = c.query_map(
                &format!("{SELECT} WHERE t.status = 'solved' AND t.created_at >= ?1 ORDER BY t.id"),
                [since],
                ticket,
            )?;
            Ok(rows)
        })
    }

    /// Moves a ticket to `status` (audited). Solving a solved ticket or
    /// reopening one that is not solved is a conflict, so a stale page
    /// cannot undo someone else's action.
    pub fn set_ticket_status(&self, id: i64, status: TicketStatus, actor: i64) -> Result<()> {
        self.write(|tx| {
            let current: Option<String> = tx
                .query_row("SELECT status FROM tickets WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?;
            let current = current.ok_or_else(|| Error::NotFound(format!("ticket #{id}")))?;
            let allowed = match status {
                TicketStatus::Solved => current != "solved",
                TicketStatus::Open => current == "solved",
                TicketStatus::New => false,
            };
            if !allowed {
                return Err(Error::Conflict(format!(
                    "Ticket #{id} is {current}: it cannot become {}.",
                    status.as_str()
                )));
            }
            let solved_at = (status == TicketStatus::Solved).then(now);
            tx.execute(
                "UPDATE tickets SET status = ?2, solved_at = ?3 WHERE id = ?1",
                params![id, status.as_str(), solved_at],
            )?;
            Store::audit(
                tx,
                Some(actor),
                &format!("ticket_{}", status.as_str()),
                &format!("ticket #{id}"),
                "",
            )
        })
    }

    /// Gives a ticket to an agent (or to nobody), audited. A new ticket
    /// someone takes becomes open.
    pub fn assign_ticket(&self, id: i64, assignee: Option<i64>, actor: i64) -> Result<()> {
        self.write(|tx| {
            let name: Option<String> = match assignee {
                Some(a) => Some(
                    tx.query_row(
                        "SELECT name FROM accounts WHERE id = ?1 AND disabled = 0",
                        [a],
                        |r| r.get(0),
                    )
                    .optional()?
                    .ok_or_else(|| Error::Invalid("Choose an active agent.".into()))?,
                ),
                None => None,
            };
            let n = tx.execute(
                "UPDATE tickets SET assignee_id = ?2,
                   status = CASE WHEN status = 'new' AND CAST(?2 AS BIGINT) IS NOT NULL THEN 'open' ELSE status END
                 WHERE id = ?1",
                params![id, assignee],
            )?;
            if n == 0 {
                return Err(Error::NotFound(format!("ticket #{id}")));
            }
            Store::audit(
                tx,
                Some(actor),
                "ticket_assigned",
                &format!("ticket #{id}"),
                name.as_deref().unwrap_or("nobody"),
            )
        })
    }

    /// Stores an agent's reply, queues its email to `destination` and marks
    /// the ticket open, in one transaction (audited).
    pub fn reply_to_ticket(&self, reply: &NewReply) -> Result<i64> {
        let NewReply {
            ticket_id: id,
            author_id: author,
            body,
            destination,
            payload,
        } = *reply;
        self.write(|tx| {
            let at = now();
            let n = tx.execute(
                "UPDATE tickets SET status = 'open', solved_at = NULL WHERE id = ?1",
                [id],
            )?;
            if n == 0 {
                return Err(Error::NotFound(format!("ticket #{id}")));
            }
            let outbox = tx.insert(
                "INSERT INTO outbox (kind, destination, payload, next_attempt_at, created_at, ticket_id) VALUES ('reply', ?1, ?2, ?3, ?3, ?4)",
                params![destination, payload, at, id],
            )?;
            let reply = tx.insert(
                "INSERT INTO ticket_replies (ticket_id, author_id, body, created_at, outbox_id) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, author, body, at, outbox],
            )?;
            Store::audit(tx, Some(author), "ticket_replied", &format!("ticket #{id}"), &format!("reply {reply}"))?;
            Ok(reply)
        })
    }

    /// A ticket's replies, oldest first.
    pub fn ticket_replies(&self, id: i64) -> Result<Vec<TicketReply>> {
        self.read(|c| {
            let rows = c.query_map(
                "SELECT r.id, a.name, r.body, r.created_at, o.delivered_at, o.last_error
                 FROM ticket_replies r JOIN accounts a ON a.id = r.author_id
                 LEFT JOIN outbox o ON o.id = r.outbox_id
                 WHERE r.ticket_id = ?1 ORDER BY r.id",
                [id],
                |r| {
                    Ok(TicketReply {
                        id: r.get(0)?,
                        author: r.get(1)?,
                        body: r.get(2)?,
                        created_at: r.get(3)?,
                        delivered_at: r.get(4)?,
                        last_error: r.get(5)?,
                    })
                },
            )?;
            Ok(rows)
        })
    }

    /// Number of tickets stored.
    pub fn ticket_count(&self) -> Result<i64> {
        self.read(|c| Ok(c.query_row("SELECT COUNT(*) FROM tickets", (), |r| r.get(0))?))
    }

    /// Tickets with a delivery still pending, with its attempts and last error.
    pub fn undelivered_tickets(&self) -> Result<Vec<(Ticket, super::OutboxItem)>> {
        let items: Vec<(i64, super::OutboxItem)> = self.read(|c| {
            let rows = c.query_map("SELECT ticket_id, id, kind, destination, payload, attempts, next_attempt_at, delivered_at, last_error
                 FROM outbox WHERE kind = 'ticket' AND delivered_at IS NULL ORDER BY id", (), |r| {
                    Ok((
                        r.get(0)?,
                        super::OutboxItem {
                            id: r.get(1)?,
                            kind: r.get(2)?,
                            destination: r.get(3)?,
                            payload: r.get(4)?,
                            attempts: r.get(5)?,
                            next_attempt_at: r.get(6)?,
                            delivered_at: r.get(7)?,
                            last_error: r.get(8)?,
                        },
                    ))
                })?;
            Ok(rows)
        })?;
        let mut out = Vec::new();
        for (id, item) in items {
            if let Some(t) = self.ticket(id)? {
                out.push((t, item));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_take_wildcards_literally() {
        for (text, pattern) in [
            ("refund", "%refund%"),
            ("100%", "%100\\%%"),
            ("a_b", "%a\\_b%"),
            ("c:\\x", "%c:\\\\x%"),
        ] {
            assert_eq!(like_pattern(text), pattern, "{text}");
        }
    }

    #[test]
    fn statuses_round_trip() {
        for s in TicketStatus::ALL {
            assert_eq!(TicketStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(TicketStatus::parse("closed"), None);
    }
}
