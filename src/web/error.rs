//! HTTP errors. A handler returns [`AppError`]; pages turn it into an HTML
//! error page (rendered by the `error_pages` middleware, which has the
//! templates), the API into `{"error": {"code", "message"}}`. Client errors
//! carry a message for the user; anything else is a generic 500 whose cause is
//! logged, never shown.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Why a request failed.
#[derive(Debug)]
pub enum AppError {
    /// 400: the request is malformed; the message says how to fix it.
    BadRequest(String),
    /// 400 about one field of a form: (field, message).
    Field(&'static str, String),
    /// 403: signed out, wrong role, or a form without a valid CSRF token.
    Forbidden(String),
    /// 404: nothing here.
    NotFound(String),
    /// 409: the action conflicts with the current state.
    Conflict(String),
    /// 429: too many attempts; try later.
    TooMany(String),
    /// 500: our fault; the cause is logged.
    Internal(String),
    /// 503: the database cannot be reached; search and articles still work.
    Unavailable(String),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) | AppError::Field(..) => StatusCode::BAD_REQUEST,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) | AppError::Field(..) => "bad_request",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::TooMany(_) => "too_many_requests",
            AppError::Internal(_) => "internal",
            AppError::Unavailable(_) => "unavailable",
        }
    }

    /// What the user is told.
    pub fn public_message(&self) -> String {
        match self {
            AppError::BadRequest(m)
            | AppError::Field(_, m)
            | AppError::Forbidden(m)
            | AppError::NotFound(m)
            | AppError::Conflict(m)
            | AppError::TooMany(m) => m.clone(),
            AppError::Internal(_) => "Something went wrong on our side. Please try again.".into(),
            AppError::Unavailable(_) => {
                "Our database cannot be reached just now, so this request could not be completed. \
                 Searching and reading articles still work; please try again in a minute."
                    .into()
            }
        }
    }

    fn log(&self) {
        match self {
            AppError::Internal(cause) => tracing::error!(cause = %cause, "request failed"),
            AppError::Unavailable(cause) => tracing::warn!(cause = %cause, "store unavailable"),
            _ => {}
        }
    }
}

impl<E: Into<crate::Error>> From<E> for AppError {
    fn from(e: E) -> Self {
        match e.into() {
            crate::Error::Store(crate::store::Error::Unavailable(m)) => AppError::Unavailable(m),
            e => AppError::Internal(e.to_string()),
        }
    }
}

impl AppError {
    /// A store error as the user meets it: a conflict, a refused value or a
    /// missing record is theirs to fix (4xx); anything else is a 500. (The
    /// blanket conversion above cannot tell them apart.)
    pub fn from_store(e: crate::store::Error) -> AppError {
        use crate::store::Error as E;
        match e {
            E::Conflict(m) => AppError::Conflict(m),
            E::Invalid(m) => AppError::BadRequest(m),
            E::NotFound(m) => AppError::NotFound(format!("There is no {m}.")),
            other => other.into(),
        }
    }
}

impl From<crate::review::WorkflowError> for AppError {
    fn from(e: crate::review::WorkflowError) -> Self {
        use crate::review::WorkflowError as W;
        match e {
            W::Transition(t) => AppError::Conflict(t.to_string()),
            W::Conflict(_) => AppError::Conflict(e.to_string()),
            W::Invalid(m) => AppError::BadRequest(m),
            W::NotFound(m) => AppError::NotFound(m),
            W::Store(e) => AppError::from_store(e),
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// Marks a response as an error page for the `error_pages` middleware.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let page = ErrorPage {
            status: self.status(),
            message: self.public_message(),
        };
        let mut res = (self.status(), page.message.clone()).into_response();
        res.extensions_mut().insert(page);
        res
    }
}

/// An [`AppError`] answered as JSON, for the API.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        let mut body =
            json!({ "error": { "code": self.0.code(), "message": self.0.public_message() } });
        if let AppError::Field(field, _) = &self.0 {
            body["error"]["field"] = json!(field);
        }
        (self.0.status(), Json(body)).into_response()
    }
}
