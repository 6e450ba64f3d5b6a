//! Tickets from the contact form. A ticket and its deliveries (one outbox row
//! per destination) are stored in one transaction before anything else is
//! tried, so a failing destination or a crash never loses a ticket.

use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use super::{now, Result, Store};

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

/// A stored ticket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ticket {
    pub id: i64,
    pub created_at: String,
    #[serde(flatten)]
    pub fields: NewTicket,
}

fn ticket(r: &Row) -> rusqlite::Result<Ticket> {
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
    })
}

const COLUMNS: &str =
    "id, created_at, subject, description, email, category, locale, session, source, article";

impl Store {
    /// Stores a ticket and queues it for every destination, atomically.
    /// `payload` builds the JSON each destination receives.
    pub fn create_ticket(
        &self,
        new: &NewTicket,
        destinations: &[String],
        payload: impl Fn(&Ticket) -> String,
    ) -> Result<Ticket> {
        self.write(|tx| {
            let at = now();
            tx.execute(
                "INSERT INTO tickets (created_at, subject, description, email, category, locale, session, source, article)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![at, new.subject, new.description, new.email, new.category, new.locale, new.session, new.source, new.article],
            )?;
            let t = Ticket { id: tx.last_insert_rowid(), created_at: at.clone(), fields: new.clone() };
            let body = payload(&t);
            for d in destinations {
                tx.execute(
                    "INSERT INTO outbox (kind, destination, payload, next_attempt_at, created_at, ticket_id) VALUES ('ticket', ?1, ?2, ?3, ?3, ?4)",
                    params![d, body, at, t.id],
                )?;
            }
            Ok(t)
        })
    }

    /// A ticket by id.
    pub fn ticket(&self, id: i64) -> Result<Option<Ticket>> {
        self.read(|c| {
            Ok(c.query_row(
                &format!("SELECT {COLUMNS} FROM tickets WHERE id = ?1"),
                [id],
                ticket,
            )
            .optional()?)
        })
    }

    /// Number of tickets stored.
    pub fn ticket_count(&self) -> Result<i64> {
        self.read(|c| Ok(c.query_row("SELECT COUNT(*) FROM tickets", [], |r| r.get(0))?))
    }

    /// Tickets with a delivery still pending, with its attempts and last error.
    pub fn undelivered_tickets(&self) -> Result<Vec<(Ticket, super::OutboxItem)>> {
        let items: Vec<(i64, super::OutboxItem)> = self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT ticket_id, id, kind, destination, payload, attempts, next_attempt_at, delivered_at, last_error
                 FROM outbox WHERE kind = 'ticket' AND delivered_at IS NULL ORDER BY id",
            )?;
            let rows = stmt
                .query_map([], |r| {
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
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
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
