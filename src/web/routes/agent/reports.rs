//! `/agent/reports`: the support leads' report (leads and admins) for the
//! last 7, 30 or 90 days beside the period before, built from the store's
//! events on the request's own read connection (a long scan never holds the
//! store's shared connection), the index (titles) and the review data (stale
//! and unreviewed articles). `?format=html|csv|json` downloads the same
//! report as `deflect report` writes it.

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::{context, render, LeadRole, SignedIn};
use crate::analytics::report::{
    self, articles_needing_attention, default_review_interval, HtmlOptions, Period, Report,
    ReportOptions, DEFAULT_ROWS,
};
use crate::web::params::Params;
use crate::web::{AppError, AppState};

/// The periods a lead can pick, in days.
const PERIODS: [(&str, i64); 3] = [("7d", 7), ("30d", 30), ("90d", 90)];

#[derive(Serialize)]
struct PeriodChoice {
    key: &'static str,
    days: i64,
}

/// `GET /agent/reports?period=7d|30d|90d&format=html|csv|json`
pub async fn page(
    State(state): State<AppState>,
    SignedIn(session, _): SignedIn<LeadRole>,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = Params::parse(raw.as_deref());
    let key = params.text("period").unwrap_or("30d").to_string();
    let Some((key, days)) = PERIODS.iter().copied().find(|(k, _)| *k == key) else {
        return AppError::BadRequest(format!("`period` must be 7d, 30d or 90d (got `{key}`)."))
            .into_response();
    };
    let format = params.text("format").unwrap_or("page").to_string();
    if !matches!(format.as_str(), "page" | "html" | "csv" | "json") {
        return AppError::BadRequest(format!(
            "`format` must be html, csv or json (got `{format}`)."
        ))
        .into_response();
    }
    state
        .run(move |s| {
            let report = build_report(s, Period::last_days(days, chrono::Utc::now()))?;
            let name = format!(
                "deflect-report-{}-{}",
                report.period.first_day, report.period.last_day
            );
            let download = |content_type: &'static str, ext: &str, body: String| {
                (
                    [
                        (header::CONTENT_TYPE, content_type.to_string()),
                        (
                            header::CONTENT_DISPOSITION,
                            format!("attachment; filename=\"{name}.{ext}\""),
                        ),
                    ],
                    body,
                )
                    .into_response()
            };
            let rendered = |e: report::ReportError| AppError::Internal(e.to_string());
            match format.as_str() {
                "json" => Ok(download(
                    "application/json",
                    "json",
                    report::render_json(&report).map_err(rendered)?,
                )),
                "csv" => Ok(download(
                    "text/csv; charset=utf-8",
                    "csv",
                    report::render_csv(&report).map_err(rendered)?,
                )),
                "html" => {
                    let html = report::render_html(
                        &report,
                        &s.templates,
                        &HtmlOptions {
                            locale: &s.config.default_locale,
                            site_name: &s.config.site_name,
                            link_base: &s.config.public_url,
                        },
                    )
                    .map_err(rendered)?;
                    Ok(download("text/html; charset=utf-8", "html", html))
                }
                _ => {
                    let mut ctx = context(s, Some(&session), None);
                    let strings = s.templates.strings(&s.config.default_locale);
                    report::render::insert_context(&mut ctx, &report, &strings, "");
                    ctx.insert("period", key);
                    ctx.insert(
                        "periods",
                        &PERIODS
                            .iter()
                            .map(|(key, days)| PeriodChoice { key, days: *days })
                            .collect::<Vec<_>>(),
                    );
                    Ok(render(s, "agent/reports.html", &ctx)?.into_response())
                }
            }
        })
        .await
        .into_response()
}

/// The report of `period` with everything the server knows.
fn build_report(s: &AppState, period: Period) -> Result<Report, AppError> {
    // A store that cannot be reached is the 503 every store-backed page
    // gives; anything else failing here is ours.
    let internal = |e: report::ReportError| match e {
        report::ReportError::Store(e) => AppError::from(e),
        e => AppError::Internal(e.to_string()),
    };
    let index = s.library.index();
    let attention = articles_needing_attention(
        index,
        &s.store,
        default_review_interval(&s.config),
        chrono::Utc::now(),
    )
    .map_err(internal)?;
    let conn = s.store.event_reader().map_err(|e| internal(e.into()))?;
    report::build(
        &conn,
        ReportOptions {
            period,
            default_locale: &s.config.default_locale,
            rows: DEFAULT_ROWS,
            index: Some(index),
            attention: Some(attention),
        },
    )
    .map_err(internal)
}
