//! The report's three renderings. JSON is the [`Report`] as serde writes it.
//! CSV is one file with one section per table: a `# <table>` line, a header
//! row, the rows, a blank line (every table of the JSON, same names). HTML
//! goes through the tera templates — `reports/body.html` is shared by the
//! standalone file (`reports/report.html`, with the help center's CSS
//! inlined: no external assets) and the `/agent/reports` page, so both show
//! the same content — with trend charts drawn here as inline SVG.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Map, Value};
use tera::Context;

use super::{Rate, Report, ReportError};
use crate::templates::escape_html;
use crate::templates::{Strings, Templates};

/// The report as pretty JSON.
pub fn render_json(report: &Report) -> Result<String, ReportError> {
    serde_json::to_string_pretty(report).map_err(|e| ReportError::Render(e.to_string()))
}

/// One CSV section.
fn section(
    out: &mut String,
    name: &str,
    header: &[&str],
    rows: Vec<Vec<String>>,
) -> Result<(), ReportError> {
    let err = |e: csv::Error| ReportError::Render(e.to_string());
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record(header).map_err(err)?;
    for row in rows {
        w.write_record(&row).map_err(err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ReportError::Render(e.to_string()))?;
    let _ = writeln!(out, "# {name}");
    out.push_str(&String::from_utf8_lossy(&bytes));
    out.push('\n');
    Ok(())
}

/// A cell of text someone typed (a query, a title), guarded against CSV
/// injection by [`crate::csv_guard`].
pub fn text(s: &str) -> String {
    crate::csv_guard::neutralize(s).into_owned()
}

fn opt(x: Option<f64>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

fn action_url(actions: &[super::Action], kind: super::ActionKind) -> String {
    actions
        .iter()
        .find(|a| a.kind == kind)
        .map(|a| a.url.clone())
        .unwrap_or_default()
}

type Rows = Vec<Vec<String>>;

/// The report as CSV: one section per table (see the module docs).
pub fn render_csv(report: &Report) -> Result<String, ReportError> {
    let mut out = String::new();
    section(
        &mut out,
        "period",
        &["period", "since", "until", "days"],
        period_rows(report),
    )?;
    section(
        &mut out,
        "summary",
        &["metric", "current", "previous", "change"],
        summary_rows(report),
    )?;
    section(
        &mut out,
        "totals",
        &["count", "current", "previous"],
        totals_rows(report),
    )?;
    section(
        &mut out,
        "top_searches",
        SEARCH_COLUMNS,
        search_rows(&report.top_searches),
    )?;
    for (name, rows) in [
        ("no_result_searches", Some(&report.no_result_searches)),
        (
            "meaning_only_searches",
            report.meaning_only_searches.as_ref(),
        ),
        ("no_click_searches", Some(&report.no_click_searches)),
    ] {
        let Some(rows) = rows else {
            continue;
        };
        section(
            &mut out,
            name,
            FAILED_SEARCH_COLUMNS,
            failed_search_rows(rows),
        )?;
    }
    for (name, rows) in [
        ("articles_by_views", &report.articles_by_views),
        ("articles_by_failures", &report.articles_by_failures),
        ("articles_by_no_votes", &report.articles_by_no_votes),
    ] {
        section(&mut out, name, ARTICLE_COLUMNS, article_rows(rows))?;
    }
    if let Some(stale) = &report.stale_articles {
        section(&mut out, "stale_articles", STALE_COLUMNS, stale_rows(stale))?;
    }
    if let Some(unreviewed) = &report.unreviewed_articles {
        section(
            &mut out,
            "unreviewed_articles",
            UNREVIEWED_COLUMNS,
            unreviewed_rows(unreviewed),
        )?;
    }
    section(
        &mut out,
        "customer_comments",
        COMMENT_COLUMNS,
        comment_rows(&report.customer_comments),
    )?;
    section(
        &mut out,
        "daily",
        &["date", "searches", "tickets", "deflections"],
        daily_rows(report),
    )?;
    Ok(out)
}

const SEARCH_COLUMNS: &[&str] = &[
    "query",
    "searches",
    "clicks",
    "no_results",
    "no_clicks",
    "success_rate",
    "last_seen",
];
const FAILED_SEARCH_COLUMNS: &[&str] = &[
    "query",
    "count",
    "searches",
    "last_seen",
    "write_article_url",
    "add_synonym_url",
];
const ARTICLE_COLUMNS: &[&str] = &[
    "slug",
    "locale",
    "title",
    "views",
    "view_sessions",
    "yes",
    "no",
    "helpfulness",
    "failures",
    "failure_rate",
    "no_outdated",
    "no_unclear",
    "no_didnt_answer",
    "no_other",
    "no_unspecified",
    "edit_url",
];
const STALE_COLUMNS: &[&str] = &[
    "slug",
    "locale",
    "title",
    "owner",
    "days_overdue",
    "edit_url",
];
const UNREVIEWED_COLUMNS: &[&str] = &["slug", "locale", "title", "owner", "edit_url"];
const COMMENT_COLUMNS: &[&str] = &[
    "at", "slug", "locale", "title", "reason", "comment", "edit_url",
];

fn period_rows(report: &Report) -> Rows {
    [
        ("current", &report.period),
        ("previous", &report.previous_period),
    ]
    .into_iter()
    .map(|(name, p)| {
        vec![
            name.into(),
            p.since.clone(),
            p.until.clone(),
            p.days.to_string(),
        ]
    })
    .collect()
}

fn summary_rows(report: &Report) -> Rows {
    let s = &report.summary;
    [
        ("self_service_score", &s.self_service_score),
        ("contact_deflection_rate", &s.contact_deflection_rate),
        ("search_success_rate", &s.search_success_rate),
    ]
    .into_iter()
    .map(|(name, r): (&str, &Rate)| {
        vec![
            name.to_string(),
            opt(r.current),
            opt(r.previous),
            opt(r.change),
        ]
    })
    .collect()
}

/// Every count of the totals, current and previous, by its JSON name.
fn totals_rows(report: &Report) -> Rows {
    let (cur, prev) = (
        serde_json::to_value(report.totals.current).unwrap_or_default(),
        serde_json::to_value(report.totals.previous).unwrap_or_default(),
    );
    cur.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let before = prev.get(k).map(|p| p.to_string()).unwrap_or_default();
                    vec![k.clone(), v.to_string(), before]
                })
                .collect()
        })
        .unwrap_or_default()
}

fn search_rows(rows: &[super::SearchRow]) -> Rows {
    rows.iter()
        .map(|r| {
            vec![
                text(&r.query),
                r.searches.to_string(),
                r.clicks.to_string(),
                r.no_results.to_string(),
                r.no_clicks.to_string(),
                opt(r.success_rate),
                r.last_seen.clone(),
            ]
        })
        .collect()
}

fn failed_search_rows(rows: &[super::GapRow]) -> Rows {
    use super::ActionKind::*;
    rows.iter()
        .map(|r| {
            vec![
                text(&r.query),
                r.count.to_string(),
                r.searches.to_string(),
                r.last_seen.clone(),
                action_url(&r.actions, WriteArticle),
                action_url(&r.actions, AddSynonym),
            ]
        })
        .collect()
}

fn article_rows(rows: &[super::ArticleRow]) -> Rows {
    rows.iter()
        .map(|r| {
            vec![
                r.slug.clone(),
                r.locale.clone(),
                text(&r.title),
                r.views.to_string(),
                r.view_sessions.to_string(),
                r.yes.to_string(),
                r.no.to_string(),
                opt(r.helpfulness),
                r.failures.to_string(),
                opt(r.failure_rate),
                r.reasons.outdated.to_string(),
                r.reasons.unclear.to_string(),
                r.reasons.didnt_answer.to_string(),
                r.reasons.other.to_string(),
                r.reasons.unspecified.to_string(),
                action_url(&r.actions, super::ActionKind::EditArticle),
            ]
        })
        .collect()
}

fn stale_rows(rows: &[super::StaleArticle]) -> Rows {
    rows.iter()
        .map(|r| {
            vec![
                r.slug.clone(),
                r.locale.clone(),
                text(&r.title),
                text(r.owner.as_deref().unwrap_or_default()),
                r.days_overdue.to_string(),
                action_url(&r.actions, super::ActionKind::EditArticle),
            ]
        })
        .collect()
}

fn unreviewed_rows(rows: &[super::UnreviewedArticle]) -> Rows {
    rows.iter()
        .map(|r| {
            vec![
                r.slug.clone(),
                r.locale.clone(),
                text(&r.title),
                text(r.owner.as_deref().unwrap_or_default()),
                action_url(&r.actions, super::ActionKind::EditArticle),
            ]
        })
        .collect()
}

fn comment_rows(rows: &[super::CommentRow]) -> Rows {
    rows.iter()
        .map(|r| {
            vec![
                r.at.clone(),
                r.slug.clone(),
                r.locale.clone(),
                text(&r.title),
                r.reason.clone().unwrap_or_default(),
                text(&r.comment),
                action_url(&r.actions, super::ActionKind::EditArticle),
            ]
        })
        .collect()
}

fn daily_rows(report: &Report) -> Rows {
    report
        .daily
        .iter()
        .map(|d| {
            vec![
                d.date.clone(),
                d.searches.to_string(),
                d.tickets.to_string(),
                d.deflections.to_string(),
            ]
        })
        .collect()
}

/// How the standalone HTML file is made.
pub struct HtmlOptions<'a> {
    /// Locale of the UI strings.
    pub locale: &'a str,
    /// The help center's name, in the title.
    pub site_name: &'a str,
    /// Prefix of the action links (the help center's public address), so
    /// they work from a file; empty keeps them relative.
    pub link_base: &'a str,
}

/// The report as one standalone HTML file.
pub fn render_html(
    report: &Report,
    templates: &Templates,
    opts: &HtmlOptions,
) -> Result<String, ReportError> {
    let strings = templates.strings(opts.locale);
    let mut ctx = Context::new();
    ctx.insert("lang", opts.locale);
    ctx.insert("site_name", opts.site_name);
    let mut css = String::new();
    for name in ["app.css", "agent.css"] {
        if let Some((_, bytes)) = templates.asset(name) {
            css.push_str(&String::from_utf8_lossy(&bytes));
            css.push('\n');
        }
    }
    // `</style>` inside the CSS would end the element early.
    ctx.insert("css", &css.replace("</", "<\\/"));
    insert_context(&mut ctx, report, &strings, opts.link_base);
    templates
        .render("reports/report.html", &ctx)
        .map_err(ReportError::Render)
}

/// Adds what `reports/body.html` needs to `ctx`: `report` (with display
/// strings beside the numbers), `cards`, `charts`, `link_base` and `t`.
pub fn insert_context(ctx: &mut Context, report: &Report, strings: &Strings, link_base: &str) {
    ctx.insert("report", &display(report));
    ctx.insert("cards", &cards(report, strings));
    ctx.insert("charts", &charts(report, strings));
    ctx.insert("link_base", link_base.trim_end_matches('/'));
    ctx.insert("t", strings);
}

/// The report as JSON with display strings added: `<key>_pct` beside every
/// rate (and cosine similarity), `<key>_short` beside every timestamp. Tera's arithmetic is no place
/// for number formatting.
fn display(report: &Report) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                let mut extra = Map::new();
                for (k, x) in map.iter_mut() {
                    if matches!(
                        k.as_str(),
                        "success_rate" | "helpfulness" | "failure_rate" | "similarity"
                    ) {
                        extra.insert(format!("{k}_pct"), Value::String(percent(x.as_f64())));
                    } else if k == "last_seen" {
                        let s = x.as_str().unwrap_or_default();
                        extra.insert(
                            "last_seen_short".into(),
                            Value::String(s.get(..16).unwrap_or(s).replace('T', " ")),
                        );
                    }
                    walk(x);
                }
                map.extend(extra);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(report).unwrap_or_default();
    walk(&mut v);
    // Lists the template loops over (tera has no literal of pairs).
    if let Value::Object(map) = &mut v {
        let list = |map: &Map<String, Value>, pairs: &[(&str, &str)]| {
            Value::Array(
                pairs
                    .iter()
                    .filter(|(_, key)| map.contains_key(*key))
                    .map(|(kind, key)| serde_json::json!({"kind": kind, "rows": map.get(*key)}))
                    .collect(),
            )
        };
        let gaps = list(
            map,
            &[
                ("no_result", "no_result_searches"),
                ("meaning_only", "meaning_only_searches"),
                ("no_click", "no_click_searches"),
            ],
        );
        let articles = list(
            map,
            &[
                ("views", "articles_by_views"),
                ("failures", "articles_by_failures"),
                ("no_votes", "articles_by_no_votes"),
            ],
        );
        map.insert("search_gaps".into(), gaps);
        map.insert("article_lists".into(), articles);
    }
    v
}

/// `0.4567` → `45.7%`; none → `—`.
fn percent(x: Option<f64>) -> String {
    x.map(crate::templates::percent)
        .unwrap_or_else(|| "—".into())
}

/// A headline number for the template.
#[derive(Debug, Serialize)]
struct Card {
    key: &'static str,
    label: String,
    hint: String,
    current: String,
    previous: String,
    change: String,
    /// `up`, `down`, `flat`, or `none` when there is nothing to compare.
    trend: &'static str,
}

fn cards(report: &Report, t: &Strings) -> Vec<Card> {
    let s = &report.summary;
    let label = |k: &str| t.get(k).cloned().unwrap_or_else(|| k.to_string());
    let card = |key: &'static str, r: &Rate, score: bool| {
        let fmt = |x: Option<f64>| match x {
            None => "—".to_string(),
            Some(v) if score => format!("{v:.2}"),
            Some(v) => format!("{:.1}%", v * 100.0),
        };
        let change = match r.change {
            None => String::new(),
            Some(c) if score => format!("{c:+.2}"),
            Some(c) => format!("{:+.1} pt", c * 100.0),
        };
        Card {
            key,
            label: label(&format!("report_{key}")),
            hint: label(&format!("report_{key}_hint")),
            current: fmt(r.current),
            previous: fmt(r.previous),
            change,
            trend: match r.change {
                None => "none",
                Some(c) if c > 0.0 => "up",
                Some(c) if c < 0.0 => "down",
                Some(_) => "flat",
            },
        }
    };
    vec![
        card("self_service_score", &s.self_service_score, true),
        card("contact_deflection_rate", &s.contact_deflection_rate, false),
        card("search_success_rate", &s.search_success_rate, false),
    ]
}

/// A daily trend chart for the template.
#[derive(Debug, Serialize)]
struct Chart {
    key: &'static str,
    label: String,
    total: u64,
    svg: String,
}

/// One series of the daily rows.
type DayValue = fn(&super::DayRow) -> u64;

fn charts(report: &Report, t: &Strings) -> Vec<Chart> {
    let series: [(&'static str, DayValue); 3] = [
        ("searches", |d| d.searches),
        ("tickets", |d| d.tickets),
        ("deflections", |d| d.deflections),
    ];
    series
        .into_iter()
        .map(|(key, value)| {
            let label = t
                .get(&format!("report_chart_{key}"))
                .cloned()
                .unwrap_or_else(|| key.to_string());
            let points: Vec<(&str, u64)> = report
                .daily
                .iter()
                .map(|d| (d.date.as_str(), value(d)))
                .collect();
            Chart {
                key,
                total: points.iter().map(|p| p.1).sum(),
                svg: trend_chart(&label, &points),
                label,
            }
        })
        .collect()
}

/// The top of the axis: the smallest of 2, 4, 6, 10 × 10ⁿ at or above `n`.
/// All are even, so the middle grid line is a whole number (a maximum of 3
/// gives 0 / 2 / 4, never 0 / 2 / 5 with the middle line at 2.5).
fn nice_ceiling(n: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [2, 4, 6, 10] {
            if step.saturating_mul(m) >= n {
                return step.saturating_mul(m);
            }
        }
        step = step.saturating_mul(10);
    }
}

/// An axis label: `950`, `20k`, `1.5M`.
fn compact(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{}k", n / 1000),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// A bar chart of one value per day as inline SVG: a bar per day (its
/// `<title>` is the tooltip), three grid lines, the first and last dates.
/// Colours come from CSS classes, with attributes as fallbacks.
pub fn trend_chart(label: &str, points: &[(&str, u64)]) -> String {
    const W: f64 = 480.0;
    const H: f64 = 170.0;
    const LEFT: f64 = 44.0;
    const RIGHT: f64 = 6.0;
    const TOP: f64 = 8.0;
    const BOTTOM: f64 = 24.0;
    let max = nice_ceiling(points.iter().map(|p| p.1).max().unwrap_or(0).max(1));
    let (plot_w, plot_h) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let slot = plot_w / points.len().max(1) as f64;
    let bar = (slot * 0.78).max(1.0);
    let label = escape_html(label);
    let mut svg = format!(
        "<svg class=\"trend-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" \
         width=\"100%\" role=\"img\" aria-label=\"{label}\"><title>{label}</title>"
    );
    for (i, v) in [0, max / 2, max].into_iter().enumerate() {
        let y = TOP + plot_h - plot_h * (i as f64 / 2.0);
        let _ = write!(
            svg,
            "<line class=\"trend-chart__grid\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#8c95a3\" stroke-opacity=\"0.35\"/>\
             <text class=\"trend-chart__label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"13\" fill=\"#6b7280\">{}</text>",
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            compact(v)
        );
    }
    for (i, (day, v)) in points.iter().enumerate() {
        let h = plot_h * (*v as f64 / max as f64);
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let _ = write!(
            svg,
            "<rect class=\"trend-chart__bar\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\" fill=\"#3347d6\"><title>{}: {v}</title></rect>",
            TOP + plot_h - h,
            escape_html(day)
        );
    }
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        let y = H - 6.0;
        let _ = write!(
            svg,
            "<text class=\"trend-chart__label\" x=\"{LEFT}\" y=\"{y}\" font-size=\"13\" fill=\"#6b7280\">{}</text>",
            escape_html(first.0)
        );
        if points.len() > 1 {
            let _ = write!(
                svg,
                "<text class=\"trend-chart__label\" x=\"{:.1}\" y=\"{y}\" text-anchor=\"end\" font-size=\"13\" fill=\"#6b7280\">{}</text>",
                W - RIGHT,
                escape_html(last.0)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ceilings() {
        let cases = [
            (0, 2),
            (1, 2),
            (2, 2),
            (3, 4),
            (5, 6),
            (7, 10),
            (11, 20),
            (49, 60),
            (61, 100),
            (1234, 2000),
        ];
        for (n, want) in cases {
            assert_eq!(nice_ceiling(n), want, "{n}");
            assert_eq!(nice_ceiling(n) % 2, 0, "{n}: the middle line is whole");
        }
    }

    #[test]
    fn trend_chart_draws_a_bar_per_day_with_tooltips() {
        let svg = trend_chart(
            "Searches <per day>",
            &[("2026-01-01", 4), ("2026-01-02", 0), ("2026-01-03", 10)],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("<title>2026-01-03: 10</title>"));
        assert!(svg.contains("aria-label=\"Searches &lt;per day&gt;\""));
        // The tallest bar fills the plot (max 10 → scale 10).
        assert!(svg.contains("height=\"138.0\""), "{svg}");
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn axis_labels_are_compact() {
        for (n, want) in [
            (0, "0"),
            (950, "950"),
            (9_999, "9999"),
            (20_000, "20k"),
            (1_500_000, "1.5M"),
        ] {
            assert_eq!(compact(n), want);
        }
    }

    #[test]
    fn csv_cells_never_start_a_formula() {
        for (typed, cell) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+1 refund", "'+1 refund"),
            ("-x", "'-x"),
            ("@sum", "'@sum"),
            ("refund", "refund"),
        ] {
            assert_eq!(text(typed), cell);
        }
    }

    #[test]
    fn percent_formats_rates() {
        assert_eq!(percent(Some(0.4567)), "45.7%");
        assert_eq!(percent(Some(1.0)), "100.0%");
        assert_eq!(percent(None), "—");
    }
}
