//! Deflection analytics: the events of ARCHITECTURE.md ("Deflection"), how
//! they are captured without slowing a request ([`capture`]), and the metrics
//! and reports built from them ([`metrics`], [`report`]).

pub mod capture;
pub mod metrics;
pub mod report;

use serde::{Deserialize, Serialize};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A search (query, result count, locale).
    Search,
    /// A search result opened (query, rank, slug).
    Click,
    /// An article read (slug; query when it came from a search).
    View,
    /// "Was this helpful?" (slug, helpful, reason).
    Vote,
    /// The contact form opened.
    ContactOpen,
    /// The contact form showed suggestions (query, result count).
    SuggestionShown,
    /// A contact-form suggestion opened (query, rank, slug).
    SuggestionClick,
    /// A ticket submitted.
    TicketSubmit,
    /// "This answered my question" (slug).
    Deflected,
}

impl EventKind {
    pub const ALL: [EventKind; 9] = [
        EventKind::Search,
        EventKind::Click,
        EventKind::View,
        EventKind::Vote,
        EventKind::ContactOpen,
        EventKind::SuggestionShown,
        EventKind::SuggestionClick,
        EventKind::TicketSubmit,
        EventKind::Deflected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Search => "search",
            EventKind::Click => "click",
            EventKind::View => "view",
            EventKind::Vote => "vote",
            EventKind::ContactOpen => "contact_open",
            EventKind::SuggestionShown => "suggestion_shown",
            EventKind::SuggestionClick => "suggestion_click",
            EventKind::TicketSubmit => "ticket_submit",
            EventKind::Deflected => "deflected",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The help center's pages.
    #[default]
    Web,
    /// The JSON API.
    Api,
    /// The embeddable widget.
    Widget,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Web => "web",
            Source::Api => "api",
            Source::Widget => "widget",
        }
    }

    pub fn parse(s: &str) -> Source {
        match s {
            "api" => Source::Api,
            "widget" => Source::Widget,
            _ => Source::Web,
        }
    }
}

/// One event. `session` is an anonymous random id, never personal data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Milliseconds since the Unix epoch, UTC.
    pub at: i64,
    pub session: String,
    pub kind: EventKind,
    #[serde(default)]
    pub source: Source,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helpful: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Event {
    /// An event of `kind` now, with no details.
    pub fn new(kind: EventKind, session: &str, source: Source) -> Event {
        Event {
            at: chrono::Utc::now().timestamp_millis(),
            session: session.to_string(),
            kind,
            source,
            query: None,
            slug: None,
            rank: None,
            results: None,
            locale: None,
            helpful: None,
            reason: None,
        }
    }
}

/// A query as reports group it: lowercased, words in order, punctuation
/// and extra spaces gone.
pub fn normalize_query(q: &str) -> String {
    q.split(|c: char| !c.is_alphanumeric() && c != '[' && c != ']')
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ")
}
