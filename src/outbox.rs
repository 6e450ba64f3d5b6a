//! Deliveries to other systems: workflow events, customer tickets and agents' replies are
//! written to the store's outbox first, then a background thread delivers
//! them — a JSON POST to a webhook, or an email for `mailto:` destinations —
//! retrying with backoff until the receiver accepts. Enqueueing is one
//! insert, so a slow or failing receiver never blocks a request. With a
//! secret configured, each webhook request carries
//! `X-Deflect-Signature: sha256=<hex HMAC of the body>`.

use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::SmtpSecurity;
use crate::store::{Lease, OutboxItem, Store};

/// Queues and delivers notifications and tickets.
#[derive(Clone)]
pub struct Notifier {
    store: Arc<Store>,
    webhooks: Vec<String>,
    secret: String,
    ticket_secret: String,
    smtp: Option<Arc<crate::config::TicketsConfig>>,
    wake: Arc<Mutex<Option<Sender<()>>>>,
}

/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claimed message is left to its worker, for one attempt: a
/// webhook's is bounded by [`TIMEOUT`] as a whole; an email's by
/// [`TIMEOUT`] for each SMTP step (connect, TLS, greeting, each command),
/// a dozen at most. A replica killed mid-attempt leaves its message to be
/// retried by another when the lease ends.
const LEASE: Lease = Lease {
    webhook: Duration::from_secs(30),
    email: Duration::from_secs(300),
};
/// Messages tried per round before the worker checks for a wake-up again.
const BATCH: usize = 50;

impl Notifier {
    pub fn new(store: Arc<Store>, webhooks: Vec<String>, secret: String) -> Notifier {
        Notifier {
            store,
            webhooks,
            secret,
            ticket_secret: String::new(),
            smtp: None,
            wake: Arc::new(Mutex::new(None)),
        }
    }

    /// Also delivers tickets, signed with the tickets' secret and, for
    /// `mailto:` destinations, through the configured SMTP server.
    pub fn with_tickets(mut self, tickets: &crate::config::TicketsConfig) -> Notifier {
        self.ticket_secret = tickets.secret.clone();
        self.smtp = (!tickets.smtp_host.is_empty()).then(|| Arc::new(tickets.clone()));
        self
    }

    /// Wakes the delivery thread (after something was queued).
    pub fn wake(&self) {
        if let Some(wake) = self.wake.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            let _ = wake.send(());
        }
    }

    /// Stores an event for every webhook and wakes the delivery thread. A
    /// failure to store is logged, never returned: notifications must not
    /// fail the action they report.
    pub fn send(&self, kind: &str, payload: serde_json::Value) {
        if self.webhooks.is_empty() {
            return;
        }
        let body = serde_json::json!({ "event": kind, "at": crate::store::now(), "data": payload })
            .to_string();
        if let Err(e) = self.store.enqueue(kind, &self.webhooks, &body) {
            tracing::error!("notification `{kind}` not queued: {e}");
            return;
        }
        self.wake();
    }

    /// Starts the delivery thread; it runs until the process ends.
    pub fn spawn(&self) -> std::thread::JoinHandle<()> {
        let (tx, rx) = channel();
        *self.wake.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx);
        let this = self.clone();
        std::thread::Builder::new()
            .name("deflect-outbox".into())
            .spawn(move || this.run(rx))
            .unwrap_or_else(|e| panic!("cannot start the outbox thread: {e}"))
    }

    fn run(&self, wake: Receiver<()>) {
        loop {
            if let Err(e) = self.deliver_due() {
                tracing::error!("outbox: {e}");
            }
            match wake.recv_timeout(Duration::from_secs(1)) {
                Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    /// Tries every due message once; returns how many were delivered.
    /// Each is claimed just before its attempt, for longer than an attempt
    /// can take, so replicas sharing the outbox do not send one at the same
    /// time, and a replica killed mid-delivery leaves its claim to expire
    /// and another to retry it. Delivery is at least once: a replica killed
    /// after the receiver took a message but before it was recorded leaves
    /// it to be sent again, so each carries its outbox id for the receiver
    /// to drop a repeat (`X-Deflect-Delivery`, an email's `Message-ID`).
    pub fn deliver_due(&self) -> crate::store::Result<usize> {
        let mut delivered = 0;
        for _ in 0..BATCH {
            let Some(item) = self.store.claim_due(1, LEASE)?.pop() else {
                break;
            };
            let recorded = match self.deliver(&item) {
                Ok(()) => {
                    delivered += 1;
                    self.store.delivered(&item)?
                }
                Err(e) => {
                    let wait = backoff(item.attempts as u32);
                    tracing::warn!(
                        id = item.id,
                        attempts = item.attempts + 1,
                        "delivery to {} failed: {e}; retrying in {}s",
                        item.destination,
                        wait.as_secs()
                    );
                    self.store.failed(&item, &e, wait)?
                }
            };
            if !recorded {
                tracing::warn!(
                    id = item.id,
                    "delivery to {} outlasted its claim; another worker may send it again",
                    item.destination
                );
            }
        }
        Ok(delivered)
    }

    fn deliver(&self, item: &OutboxItem) -> Result<(), String> {
        if let Some(to) = item.destination.strip_prefix("mailto:") {
            return self.email(to, item);
        }
        let secret = if item.kind == "ticket" {
            &self.ticket_secret
        } else {
            &self.secret
        };
        let mut req = ureq::post(&item.destination)
            .timeout(TIMEOUT)
            .set("Content-Type", "application/json")
            .set("X-Deflect-Event", &item.kind)
            .set("X-Deflect-Delivery", &item.id.to_string());
        if !secret.is_empty() {
            req = req.set(
                "X-Deflect-Signature",
                &sign(secret, item.payload.as_bytes()),
            );
        }
        req.send_string(&item.payload)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Sends a ticket by email through the configured SMTP server.
    fn email(&self, to: &str, item: &OutboxItem) -> Result<(), String> {
        use lettre::message::{header::ContentType, Mailbox};
        use lettre::transport::smtp::authentication::Credentials;
        use lettre::{SmtpTransport, Transport};
        let smtp = self
            .smtp
            .as_ref()
            .ok_or("no smtp_host is configured for email delivery")?;
        let ticket: serde_json::Value =
            serde_json::from_str(&item.payload).map_err(|e| e.to_string())?;
        let field = |k: &str| {
            ticket
                .get(k)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        let id = ticket.get("id").and_then(|v| v.as_i64()).unwrap_or(0);
        let mailbox = |a: &str| a.parse::<Mailbox>().map_err(|e| format!("`{a}`: {e}"));
        let from = mailbox(&smtp.smtp_from)?;
        // The outbox id, for a receiver to drop a repeated delivery.
        let message_id = format!("<deflect-delivery-{}@{}>", item.id, from.email.domain());
        let message = lettre::Message::builder()
            .message_id(Some(message_id))
            .from(from)
            .to(mailbox(to)?)
            .header(ContentType::TEXT_PLAIN);
        // An agent's reply from the inbox goes to the customer; a new ticket
        // goes to the team, answerable straight to the customer.
        let (message, body) = if item.kind == "reply" {
            let subject = format!("Re: [Ticket #{id}] {}", field("subject"));
            (message.subject(subject), field("body"))
        } else {
            let mut message = message.subject(format!("[Ticket #{id}] {}", field("subject")));
            if let Ok(reply) = mailbox(&field("email")) {
                message = message.reply_to(reply);
            }
            let body = format!(
                "{}\n\n--\nFrom: {}\nCategory: {}\nArticle: {}\nLocale: {}\nSource: {}\nTicket: #{id}\n",
                field("description"),
                field("email"),
                field("category"),
                field("article"),
                field("locale"),
                field("source"),
            );
            (message, body)
        };
        let email = message.body(body).map_err(|e| e.to_string())?;
        let builder = match smtp.smtp_security {
            SmtpSecurity::None => SmtpTransport::builder_dangerous(&smtp.smtp_host),
            SmtpSecurity::Tls => {
                SmtpTransport::relay(&smtp.smtp_host).map_err(|e| e.to_string())?
            }
            SmtpSecurity::Starttls => {
                SmtpTransport::starttls_relay(&smtp.smtp_host).map_err(|e| e.to_string())?
            }
        };
        let mut builder = builder.port(smtp.smtp_port).timeout(Some(TIMEOUT));
        if !smtp.smtp_username.is_empty() {
            builder = builder.credentials(Credentials::new(
                smtp.smtp_username.clone(),
                smtp.smtp_password.clone(),
            ));
        }
        builder
            .build()
            .send(&email)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// `sha256=<hex>` HMAC of `body` under `secret`, as receivers verify it.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// 5 s, 10 s, 20 s ... up to an hour.
fn backoff(attempts: u32) -> Duration {
    Duration::from_secs(5u64.saturating_mul(1 << attempts.min(16))).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(0), Duration::from_secs(5));
        assert_eq!(backoff(3), Duration::from_secs(40));
        assert_eq!(backoff(30), MAX_BACKOFF);
    }

    #[test]
    fn signature_is_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
