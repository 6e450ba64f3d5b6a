//! Static assets (CSS, the suggestion script), served by deflect itself: no
//! CDN, no outside request from any page. Only names on the built-in list are
//! served, so no URL can reach another file.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::web::{AppError, AppState};

/// `GET /static/{file}`
pub async fn asset(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    let (content_type, bytes) = state
        .templates
        .asset(&file)
        .ok_or_else(|| AppError::NotFound(format!("No asset named {file}.")))?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /widget.js` — the embeddable help widget (one `<script>` tag on any site).
pub async fn widget(State(state): State<AppState>) -> Result<Response, AppError> {
    asset(State(state), Path("widget.js".to_string())).await
}
