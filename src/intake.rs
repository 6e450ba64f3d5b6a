//! Ticket intake: the one way a ticket enters deflect, whether a customer
//! sends the contact form or the widget or another client calls the API.
//! A ticket is checked, then stored with its deliveries in one transaction
//! before anything else is tried (nothing after that can lose it); only then
//! is the submission counted and the outbox woken. The web layer keeps what
//! is about HTTP: rate limits, CSRF, idempotency headers and the answer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::analytics::capture::EventSink;
use crate::articles::is_valid_slug;
use crate::config::Config;
use crate::index::Audience;
use crate::library::Library;
use crate::outbox::Notifier;
use crate::store::{Event, EventKind, NewTicket, Source, Store, Ticket};

/// What the customer typed.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct TicketForm {
    pub subject: String,
    pub description: String,
    pub email: String,
    pub category: String,
    pub article: String,
    /// The honeypot: people never see it, bots fill it in.
    pub website: String,
    pub session: String,
    pub source: String,
    pub locale: String,
}

impl TicketForm {
    /// Whether a bot sent it: people never see the honeypot field. Callers
    /// ask first, before a rate-limit slot or an idempotency key is spent.
    pub fn is_bot(&self) -> bool {
        !self.website.is_empty()
    }

    /// Field → message for everything wrong; `categories` are the topics a
    /// customer may choose.
    pub fn validate(&self, categories: &[String]) -> BTreeMap<&'static str, String> {
        let mut errors = BTreeMap::new();
        let chars = |s: &str| s.trim().chars().count();
        if chars(&self.subject) < 3 {
            errors.insert(
                "subject",
                "Add a short subject (at least 3 characters).".to_string(),
            );
        } else if chars(&self.subject) > 200 {
            errors.insert(
                "subject",
                "Keep the subject under 200 characters.".to_string(),
            );
        }
        if chars(&self.description) < 10 {
            errors.insert(
                "description",
                "Tell us a little more (at least 10 characters).".to_string(),
            );
        } else if chars(&self.description) > 5000 {
            errors.insert(
                "description",
                "Keep the description under 5,000 characters.".to_string(),
            );
        }
        if !is_email(self.email.trim()) {
            errors.insert(
                "email",
                "Enter the email address we should reply to, like name@example.com.".to_string(),
            );
        }
        if !self.category.is_empty() && !categories.contains(&self.category) {
            errors.insert("category", "Choose one of the listed topics.".to_string());
        }
        if !self.article.is_empty() && !is_valid_slug(&self.article) {
            errors.insert(
                "form",
                "The article this request is about is not valid.".to_string(),
            );
        }
        errors
    }
}

/// A plausible address: one `@`, a dot in the domain, no spaces.
pub fn is_email(s: &str) -> bool {
    let Some((user, domain)) = s.split_once('@') else {
        return false;
    };
    !user.is_empty()
        && s.len() <= 254
        && !s.contains(char::is_whitespace)
        && !domain.contains('@')
        && domain.split('.').count() >= 2
        && domain.split('.').all(|p| !p.is_empty())
}

/// Why a ticket was not taken.
#[derive(Debug)]
pub enum Refused {
    /// The honeypot was filled in: dropped, with nothing stored.
    Bot,
    /// Field → message: the customer fixes these and sends again.
    Invalid(BTreeMap<&'static str, String>),
    /// The index or the store failed; nothing was stored.
    Failed(crate::Error),
}

impl From<crate::Error> for Refused {
    fn from(e: crate::Error) -> Self {
        Refused::Failed(e)
    }
}

impl From<crate::store::Error> for Refused {
    fn from(e: crate::store::Error) -> Self {
        Refused::Failed(e.into())
    }
}

/// A submission: who sent it, from where, and the key a retry repeats.
pub struct Submission<'a> {
    pub form: &'a TicketForm,
    pub locale: &'a str,
    /// The analytics session; `None` records nothing.
    pub session: Option<&'a str>,
    pub source: Source,
    pub idempotency_key: Option<&'a str>,
}

/// What the intake needs, borrowed from the running app.
pub struct Intake<'a> {
    pub config: &'a Config,
    pub library: &'a Library,
    pub store: &'a Store,
    pub events: &'a EventSink,
    pub notifier: &'a Notifier,
}

impl Intake<'_> {
    /// The topics a customer may file a ticket under in `locale`.
    pub fn categories(&self, locale: &str) -> Result<Vec<String>, crate::Error> {
        Ok(self
            .library
            .index()
            .categories(locale, Audience::Public)?
            .into_iter()
            .map(|c| c.category)
            .collect())
    }

    /// Checks, stores and announces a ticket. With an idempotency key
    /// already used, that key's ticket comes back with `false` and nothing
    /// else happens.
    pub fn submit(&self, sub: &Submission) -> Result<(Ticket, bool), Refused> {
        if sub.form.is_bot() {
            return Err(Refused::Bot);
        }
        let errors = sub.form.validate(&self.categories(sub.locale)?);
        if !errors.is_empty() {
            return Err(Refused::Invalid(errors));
        }
        let t = sub.form;
        let new = NewTicket {
            subject: t.subject.trim().to_string(),
            description: t.description.trim().to_string(),
            email: t.email.trim().to_string(),
            category: Some(t.category.clone()).filter(|c| !c.is_empty()),
            locale: sub.locale.to_string(),
            session: sub.session.map(String::from),
            source: sub.source.as_str().to_string(),
            article: Some(t.article.clone()).filter(|a| !a.is_empty()),
        };
        let destinations = self.config.tickets.destinations();
        let (ticket, created) =
            self.store
                .create_ticket(&new, sub.idempotency_key, &destinations, payload)?;
        if !created {
            return Ok((ticket, false));
        }
        if let Some(session) = sub.session {
            let mut event = Event::new(EventKind::TicketSubmit, session, sub.source);
            event.slug = ticket.fields.article.clone();
            event.locale = Some(sub.locale.to_string());
            self.events.record(event);
        }
        self.notifier.wake();
        Ok((ticket, true))
    }
}

/// The JSON every destination receives.
fn payload(t: &Ticket) -> String {
    json!({
        "event": "ticket", "id": t.id, "created_at": t.created_at, "subject": t.fields.subject,
        "description": t.fields.description, "email": t.fields.email, "category": t.fields.category,
        "locale": t.fields.locale, "source": t.fields.source, "article": t.fields.article,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_validation_names_each_field() {
        let good = TicketForm {
            subject: "Refund".into(),
            description: "I was charged twice this month.".into(),
            email: "ana@example.com".into(),
            ..TicketForm::default()
        };
        assert!(good.validate(&[]).is_empty());
        let bad = TicketForm {
            subject: "a".into(),
            description: "short".into(),
            email: "not an email".into(),
            category: "nope".into(),
            ..good.clone()
        };
        let errors = bad.validate(&["billing".into()]);
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            ["category", "description", "email", "subject"]
        );
        for (email, ok) in [
            ("a@b.co", true),
            ("a@b", false),
            ("@b.co", false),
            ("a b@c.de", false),
            ("a@b..c", false),
        ] {
            assert_eq!(is_email(email), ok, "{email}");
        }
    }

    #[test]
    fn a_filled_honeypot_is_a_bot() {
        let person = TicketForm::default();
        assert!(!person.is_bot());
        let bot = TicketForm {
            website: "http://spam.example".into(),
            ..TicketForm::default()
        };
        assert!(bot.is_bot());
    }
}
