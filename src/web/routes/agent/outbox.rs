//! Undelivered tickets, for leads: what the outbox still holds, how often it
//! tried and why it failed, so a broken webhook or mail server is noticed.
//! With no delivery channel configured it says where tickets are instead:
//! the inbox.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{context, render, short_time, LeadRole, SignedIn};
use crate::web::AppState;

/// `GET /agent/outbox`
pub async fn page(
    State(state): State<AppState>,
    SignedIn(session, _): SignedIn<LeadRole>,
) -> Response {
    state
        .run(move |s| {
            let items: Vec<_> = s
                .store
                .undelivered_tickets()?
                .into_iter()
                .map(|(t, item)| {
                    json!({
                        "id": t.id, "subject": t.fields.subject, "email": t.fields.email,
                        "created_at": short_time(&t.created_at), "destination": item.destination,
                        "attempts": item.attempts, "next_attempt_at": short_time(&item.next_attempt_at),
                        "last_error": item.last_error,
                    })
                })
                .collect();
            let mut ctx = context(s, Some(&session), None);
            ctx.insert("items", &items);
            // With nowhere to send tickets, "all delivered" would be a lie:
            // they are in the inbox.
            ctx.insert("no_channel", &s.config.tickets.destinations().is_empty());
            render(s, "agent/outbox.html", &ctx)
        })
        .await
        .into_response()
}
