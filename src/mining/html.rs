//! `report.html`: the report for a support lead, one self-contained file
//! (inline CSS, trend sparklines as inline SVG, no script, no external
//! asset) that reads the same from disk, a mail attachment or a server.
//! The page is the template `reports/mining.html` (built in, overridable
//! from the templates folder like every page), rendered with autoescaping;
//! only the SVG built here goes in raw.

use serde::Serialize;
use tera::Context;

use super::output::write_atomic;
use super::{ArticleMatch, BadRow, Error, Report, Sample, Summary, Topic, Unclustered};
use crate::templates::Templates;

/// The output file name.
pub const REPORT_HTML: &str = "report.html";

const TEMPLATE: &str = "reports/mining.html";
/// Sparkline size in pixels, and the most recent weeks it shows.
const SPARK: (f64, f64) = (96.0, 22.0);
const SPARK_WEEKS: usize = 26;
/// Skipped rows listed on the page.
const BAD_ROWS_SHOWN: usize = 50;

#[derive(Serialize)]
struct TopicView<'a> {
    id: i32,
    rank: usize,
    title: &'a str,
    terms: String,
    tags: String,
    tickets: u64,
    share_pct: String,
    verdict: &'static str,
    verdict_class: String,
    coverage_pct: String,
    article: Option<&'a ArticleMatch>,
    confident: bool,
    linked: u64,
    sparkline: String,
    direction: &'static str,
    trend_text: String,
    samples: &'a [Sample],
}

/// The page for `report`.
///
/// `base` is put before the help center's own links (articles, the
/// workspace): empty for the page the server shows, the help center's
/// address for a file opened from disk, where `/articles/…` would lead
/// nowhere.
pub fn render(
    templates: &Templates,
    report: &Report,
    site_name: &str,
    base: &str,
) -> Result<String, Error> {
    let base = base.trim_end_matches('/');
    let topics: Vec<TopicView> = report.topics.iter().map(view).collect();
    let s: &Summary = &report.summary;
    let mut ctx = Context::new();
    ctx.insert("site_name", site_name);
    ctx.insert("base", base);
    ctx.insert("workspace_url", &format!("{base}/agent/mining"));
    ctx.insert("summary", s);
    ctx.insert("files", &files(&s.files));
    ctx.insert("topics", &topics);
    ctx.insert("not_covered", &report.not_covered().count());
    ctx.insert(
        "partly_covered",
        &report
            .topics
            .iter()
            .filter(|t| t.coverage.verdict == super::Verdict::PartlyCovered)
            .count(),
    );
    let u: &Unclustered = &report.unclustered;
    ctx.insert("unclustered", u);
    ctx.insert("unclustered_pct", &crate::templates::percent(u.share));
    let shown: Vec<&BadRow> = s.bad_rows.iter().take(BAD_ROWS_SHOWN).collect();
    ctx.insert(
        "bad_rows_more",
        &(s.skipped.saturating_sub(shown.len() as u64)),
    );
    ctx.insert("bad_rows", &shown);
    templates.render(TEMPLATE, &ctx).map_err(Error::Template)
}

/// Writes `report.html` into `dir`, its links to the help center at `base`.
pub fn write(
    dir: &std::path::Path,
    templates: &Templates,
    report: &Report,
    site_name: &str,
    base: &str,
) -> Result<std::path::PathBuf, Error> {
    let page = render(templates, report, site_name, base)?;
    write_atomic(&dir.join(REPORT_HTML), |w| {
        std::io::Write::write_all(w, page.as_bytes())
    })
}

fn view(t: &Topic) -> TopicView<'_> {
    let c = &t.coverage;
    TopicView {
        id: t.id,
        rank: t.rank,
        title: &t.title,
        terms: t
            .terms
            .iter()
            .map(|x| x.text.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        tags: t
            .tags
            .iter()
            .map(|x| x.tag.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        tickets: t.tickets,
        share_pct: crate::templates::percent(t.share),
        verdict: c.verdict.as_str(),
        verdict_class: c.verdict.as_str().replace(' ', "_"),
        coverage_pct: crate::templates::percent(c.score),
        article: c.article.as_ref(),
        confident: c.confident,
        linked: c.linked,
        sparkline: sparkline(&t.trend.weekly),
        direction: t.trend.direction.as_str(),
        trend_text: match (t.trend.direction, t.trend.change) {
            (super::Direction::Unknown, _) => String::new(),
            (d, Some(change)) => format!("{} {:+.0}%", d.as_str(), change * 100.0),
            (d, None) => format!("{} (new)", d.as_str()),
        },
        samples: &t.samples,
    }
}

fn files(files: &[String]) -> String {
    let names: Vec<&str> = files
        .iter()
        .map(|f| f.rsplit(['/', '\\']).next().unwrap_or(f))
        .collect();
    names.join(", ")
}

/// An inline SVG line of the last [`SPARK_WEEKS`] weekly counts (empty
/// without dates).
pub fn sparkline(weekly: &[u32]) -> String {
    let weeks = &weekly[weekly.len().saturating_sub(SPARK_WEEKS)..];
    if weeks.len() < 2 {
        return String::new();
    }
    let max = f64::from(weeks.iter().copied().max().unwrap_or(0).max(1));
    let (w, h) = SPARK;
    let step = w / (weeks.len() - 1) as f64;
    let points: Vec<String> = weeks
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            format!(
                "{:.1},{:.1}",
                i as f64 * step,
                h - 1.0 - (f64::from(n) / max) * (h - 2.0)
            )
        })
        .collect();
    format!(
        "<svg class=\"spark\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"tickets per week\"><polyline fill=\"none\" stroke=\"currentColor\" stroke-width=\"1.5\" points=\"{}\"/></svg>",
        points.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_are_inline_svg_scaled_to_the_peak() {
        assert_eq!(sparkline(&[3]), "");
        let svg = sparkline(&[0, 5, 10]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(
            svg.contains("points=\"0.0,21.0 48.0,11.0 96.0,1.0\""),
            "{svg}"
        );
        let long: Vec<u32> = (0..60).collect();
        assert_eq!(sparkline(&long).matches(',').count(), SPARK_WEEKS);
    }
}
