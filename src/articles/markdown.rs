//! Markdown rendering: the one place that sets pulldown-cmark's options. Turns an
//! article body into sanitized HTML plus what search and navigation need from
//! it: plain text, headings (for the table of contents and a search field of
//! their own), the first paragraph (the default summary) and links between
//! articles (rewritten to help-center URLs, and checked by `deflect check`).
//!
//! Nesting is capped at [`MAX_NESTING`] before the sanitizer sees the HTML:
//! html5ever (under ammonia) spends time proportional to the depth of open
//! elements on every element it adds, so 64 KB of `>` (32,000 nested
//! quotes) took seconds and 1 MB minutes. Past the cap, Markdown blocks and
//! raw HTML tags are flattened into their deepest kept parent: their text
//! stays, the extra levels go.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use pulldown_cmark::{BlockQuoteKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// What rendering an article body produces.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    /// Sanitized HTML, safe to put in a page as is.
    pub html: String,
    /// Plain text of the body (code included, markup dropped), for indexing.
    pub text: String,
    /// Every heading, in order, with the id its anchor uses.
    pub headings: Vec<Heading>,
    /// Text of the first top-level paragraph.
    pub first_paragraph: String,
    /// Links that point at another article file.
    pub links: Vec<ArticleLink>,
}

/// A heading and its anchor id.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub text: String,
}

/// A relative link to another article file (`../billing/refunds.md#fees`).
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleLink {
    /// The link as written.
    pub dest: String,
    /// 1-based line in the file.
    pub line: usize,
    /// Path of the target under `articles/`, or `None` when the link climbs
    /// out of `articles/`.
    pub target: Option<String>,
}

/// Maps the path of an article file (relative to `articles/`) to its URL.
pub trait LinkResolver: Sync {
    /// The help-center URL of the article stored at `path`.
    fn url_for(&self, path: &str) -> Option<String>;
}

impl<F: Fn(&str) -> Option<String> + Sync> LinkResolver for F {
    fn url_for(&self, path: &str) -> Option<String> {
        self(path)
    }
}

/// The Markdown dialect: CommonMark plus GitHub's extensions.
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM
}

/// The deepest nesting of blocks and HTML elements an article keeps; no
/// real article comes near it (a table in a list in a callout is ~10).
pub const MAX_NESTING: usize = 64;

/// Renders `body`, the Markdown of the article at `path` whose first line is
/// line `first_line` of its file.
pub fn render(body: &str, first_line: usize, path: &str, resolver: &dyn LinkResolver) -> Rendered {
    let mut r = Renderer {
        line_starts: std::iter::once(0)
            .chain(body.match_indices('\n').map(|(i, _)| i + 1))
            .collect(),
        first_line,
        path,
        resolver,
        out: Rendered::default(),
        events: Vec::new(),
        ids: HeadingIds::default(),
        heading: None,
        depth: 0,
        first_para: None,
        in_first_para: false,
    };
    let parsed = Parser::new_ext(body, options()).into_offset_iter();
    for (event, range) in flatten_deep(parsed, MAX_NESTING) {
        r.push(event, range.start);
    }
    let mut out = r.out;
    out.first_paragraph = r.first_para.unwrap_or_default().trim().to_string();
    let mut html = String::with_capacity(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, r.events.into_iter());
    out.html = sanitize(&cap_html_nesting(&html, MAX_NESTING));
    out
}

/// One rendering in progress: the events to write, and what is learnt on
/// the way (headings and their ids, article links, plain text, the first
/// paragraph).
struct Renderer<'a, 'r> {
    line_starts: Vec<usize>,
    first_line: usize,
    path: &'r str,
    resolver: &'r dyn LinkResolver,
    out: Rendered,
    events: Vec<Event<'a>>,
    ids: HeadingIds,
    /// The heading being read: where its start event goes, and its text.
    heading: Option<(usize, HeadingLevel, Option<CowStr<'a>>, String)>,
    /// Block nesting, to find the first top-level paragraph.
    depth: usize,
    first_para: Option<String>,
    in_first_para: bool,
}

impl<'a> Renderer<'a, '_> {
    /// The line of the article file a byte offset of the body is on.
    fn line_of(&self, offset: usize) -> usize {
        self.first_line + self.line_starts.partition_point(|&s| s <= offset) - 1
    }

    fn text(&mut self, t: &str) {
        push_text(&mut self.out, &mut self.heading, self.in_first_para, t);
    }

    fn push(&mut self, event: Event<'a>, offset: usize) {
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                self.heading = Some((self.events.len(), level, id, String::new()));
                self.events.push(Event::Text(CowStr::Borrowed(""))); // replaced at the end tag
            }
            Event::End(TagEnd::Heading(level)) => self.end_heading(level),
            Event::Start(Tag::BlockQuote(Some(kind))) => {
                self.depth += 1;
                let (class, label) = callout(kind);
                self.events.push(Event::Html(
                    format!("<div class=\"callout callout-{class}\"><p class=\"callout-title\">{label}</p>\n").into(),
                ));
            }
            Event::End(TagEnd::BlockQuote(Some(_))) => {
                self.depth -= 1;
                self.events.push(Event::Html("</div>\n".into()));
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest_url = self.link(dest_url, offset);
                self.events.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
            }
            Event::Start(Tag::Paragraph) => {
                if self.depth == 0 && self.first_para.is_none() {
                    self.in_first_para = true;
                }
                self.events.push(Event::Start(Tag::Paragraph));
            }
            Event::End(TagEnd::Paragraph) => {
                if self.in_first_para {
                    self.in_first_para = false;
                    self.first_para = Some(std::mem::take(&mut self.out.first_paragraph));
                }
                self.events.push(Event::End(TagEnd::Paragraph));
                self.out.text.push('\n');
            }
            Event::Text(ref t) | Event::Code(ref t) => {
                self.text(t);
                self.events.push(event);
            }
            // `<Placeholder>` in prose is text the author meant literally, not
            // markup: show it rather than let the sanitizer swallow it.
            Event::InlineHtml(ref h) | Event::Html(ref h) if is_unknown_tag(h) => {
                self.text(h);
                self.events.push(Event::Text(h.clone()));
            }
            Event::SoftBreak | Event::HardBreak => {
                self.text(" ");
                self.events.push(event);
            }
            Event::Start(ref tag) => {
                if is_block(tag) {
                    self.depth += 1;
                }
                self.events.push(event);
            }
            Event::End(ref tag) => {
                if is_block_end(tag) {
                    self.depth = self.depth.saturating_sub(1);
                    // A cell ends with a mark, so that snippets can show
                    // cells apart ("Monthly plan · No refund"); the space
                    // keeps the words apart for tokenizers.
                    match tag {
                        TagEnd::TableCell => self.out.text.push_str(CELL_END),
                        _ => self.out.text.push('\n'),
                    }
                }
                self.events.push(event);
            }
            other => self.events.push(other),
        }
    }

    /// Gives the heading its unique id (its own, or one made from its text).
    fn end_heading(&mut self, level: HeadingLevel) {
        if let Some((at, _, id, text)) = self.heading.take() {
            let text = text.trim().to_string();
            let id = self
                .ids
                .unique(id.map_or_else(|| slugify(&text), |i| i.to_string()));
            self.events[at] = Event::Start(Tag::Heading {
                level,
                id: Some(id.clone().into()),
                classes: vec![],
                attrs: vec![],
            });
            self.out.headings.push(Heading {
                level: level as u8,
                id,
                text,
            });
        }
        self.events.push(Event::End(TagEnd::Heading(level)));
        self.out.text.push('\n');
    }

    /// A link's destination, with a link to another article (by file path)
    /// recorded and turned into that article's URL.
    fn link(&mut self, dest_url: CowStr<'a>, offset: usize) -> CowStr<'a> {
        let Some((target, fragment)) = article_target(&dest_url, self.path) else {
            return dest_url;
        };
        self.out.links.push(ArticleLink {
            dest: dest_url.to_string(),
            line: self.line_of(offset),
            target: target.clone(),
        });
        match target.and_then(|t| self.resolver.url_for(&t)) {
            Some(url) => format!("{url}{fragment}").into(),
            None => dest_url,
        }
    }
}

/// `events` with every start and end tag nested deeper than `max` dropped:
/// what they held goes on in the deepest kept block.
fn flatten_deep<'a, I>(events: I, max: usize) -> impl Iterator<Item = I::Item> + use<'a, I>
where
    I: Iterator<Item = (Event<'a>, std::ops::Range<usize>)>,
{
    // Whether each open tag was kept, innermost last.
    let mut open: Vec<bool> = Vec::new();
    let mut kept_depth = 0usize;
    events.filter(move |(event, _)| match event {
        Event::Start(_) => {
            let keep = kept_depth < max;
            kept_depth += usize::from(keep);
            open.push(keep);
            keep
        }
        Event::End(_) => {
            let keep = open.pop().unwrap_or(true);
            kept_depth -= usize::from(keep && kept_depth > 0);
            keep
        }
        _ => true,
    })
}

/// Elements that never hold others, so they open no level.
const VOID_ELEMENTS: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// `html` with every tag that would open or close an element nested deeper
/// than `max` removed. A scan of `<…>` runs, not a parser: it only has to
/// bound depth before the sanitizer, which parses properly and decides what
/// is safe; text between the tags stays.
fn cap_html_nesting(html: &str, max: usize) -> Cow<'_, str> {
    let mut depth = 0usize;
    let mut out: Option<String> = None;
    let mut copied = 0usize; // bytes of `html` already in `out`
    let mut rest = 0usize;
    while let Some(found) = html[rest..].find('<') {
        let at = rest + found;
        let Some(len) = html[at..].find('>') else {
            break;
        };
        let tag = &html[at + 1..at + len];
        if let Some(inner) = tag.rfind('<') {
            // `a < b <div>`: the tag is the last `<` before the `>`.
            rest = at + 1 + inner;
            continue;
        }
        rest = at + len + 1;
        let (closing, name_at) = match tag.strip_prefix('/') {
            Some(t) => (true, t),
            None => (false, tag),
        };
        let name: String = name_at
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if name.is_empty() || VOID_ELEMENTS.contains(&name.as_str()) || tag.ends_with('/') {
            continue;
        }
        let drop = if closing {
            let drop = depth > max;
            depth = depth.saturating_sub(1);
            drop
        } else {
            depth += 1;
            depth > max
        };
        if drop {
            let buf = out.get_or_insert_with(|| String::with_capacity(html.len()));
            buf.push_str(&html[copied..at]);
            copied = rest;
        }
    }
    match out {
        Some(mut buf) => {
            buf.push_str(&html[copied..]);
            Cow::Owned(buf)
        }
        None => Cow::Borrowed(html),
    }
}

/// What ends a table cell in an article's plain text: a space and U+001F
/// (the ASCII unit separator, never in prose; tokenizers skip it).
pub const CELL_END: &str = " \u{1f}";

fn push_text(
    out: &mut Rendered,
    heading: &mut Option<(usize, HeadingLevel, Option<CowStr>, String)>,
    first: bool,
    t: &str,
) {
    out.text.push_str(t);
    if let Some((_, _, _, text)) = heading {
        text.push_str(t);
    }
    if first {
        out.first_paragraph.push_str(t);
    }
}

fn is_block(tag: &Tag) -> bool {
    matches!(
        tag,
        Tag::BlockQuote(_)
            | Tag::List(_)
            | Tag::Item
            | Tag::CodeBlock(_)
            | Tag::Table(_)
            | Tag::FootnoteDefinition(_)
    )
}

fn is_block_end(tag: &TagEnd) -> bool {
    matches!(
        tag,
        TagEnd::BlockQuote(_)
            | TagEnd::List(_)
            | TagEnd::Item
            | TagEnd::CodeBlock
            | TagEnd::Table
            | TagEnd::FootnoteDefinition
    ) || matches!(tag, TagEnd::TableCell | TagEnd::TableRow)
}

fn callout(kind: BlockQuoteKind) -> (&'static str, &'static str) {
    match kind {
        BlockQuoteKind::Note => ("note", "Note"),
        BlockQuoteKind::Tip => ("tip", "Tip"),
        BlockQuoteKind::Important => ("important", "Important"),
        BlockQuoteKind::Warning => ("warning", "Warning"),
        BlockQuoteKind::Caution => ("caution", "Caution"),
    }
}

/// Callout labels in the languages deflect ships UI strings or common
/// support languages for, in the order note, tip, important, warning, caution.
const CALLOUT_LABELS: &[(&str, [&str; 5])] = &[
    (
        "fr",
        [
            "Remarque",
            "Conseil",
            "Important",
            "Avertissement",
            "Attention",
        ],
    ),
    ("de", ["Hinweis", "Tipp", "Wichtig", "Warnung", "Vorsicht"]),
    (
        "es",
        ["Nota", "Consejo", "Importante", "Advertencia", "Precaución"],
    ),
    (
        "it",
        ["Nota", "Suggerimento", "Importante", "Avviso", "Attenzione"],
    ),
    ("pt", ["Nota", "Dica", "Importante", "Aviso", "Cuidado"]),
    (
        "nl",
        ["Opmerking", "Tip", "Belangrijk", "Waarschuwing", "Let op"],
    ),
];

/// Translates callout labels of rendered `html` into `locale`'s language
/// (English labels stay when there is no translation).
pub fn localize_callouts(html: String, locale: &str) -> String {
    let language = locale.split('-').next().unwrap_or(locale);
    let Some((_, labels)) = CALLOUT_LABELS.iter().find(|(l, _)| *l == language) else {
        return html;
    };
    if !html.contains("class=\"callout-title\"") {
        return html;
    }
    let english = ["Note", "Tip", "Important", "Warning", "Caution"];
    english.iter().zip(labels).fold(html, |html, (en, local)| {
        html.replace(
            &format!("<p class=\"callout-title\">{en}</p>"),
            &format!("<p class=\"callout-title\">{local}</p>"),
        )
    })
}

/// GitHub-style anchor id: lowercase, spaces to `-`, punctuation dropped.
pub fn slugify(text: &str) -> String {
    let mut id = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if c.is_alphanumeric() || c == '-' || c == '_' {
            id.extend(c.to_lowercase());
        } else if c.is_whitespace() {
            id.push('-');
        }
    }
    if id.is_empty() {
        id.push_str("section");
    }
    id
}

/// Heading anchor ids handed out so far.
#[derive(Default)]
struct HeadingIds {
    seen: HashSet<String>,
    /// Per base id, the next suffix to try: a thousand headings with one
    /// title cost a thousand steps, not half a million.
    next: HashMap<String, usize>,
}

impl HeadingIds {
    /// `base`, or `base-1`, `base-2`… when it was taken.
    fn unique(&mut self, base: String) -> String {
        if self.seen.insert(base.clone()) {
            return base;
        }
        let n = self.next.entry(base.clone()).or_insert(1);
        loop {
            let id = format!("{base}-{n}");
            *n += 1;
            if self.seen.insert(id.clone()) {
                return id;
            }
        }
    }
}

/// When `dest` is a relative link to a Markdown file, the target's path under
/// `articles/` (`None` if it climbs out) and the `#fragment` to keep.
fn article_target(dest: &str, from: &str) -> Option<(Option<String>, String)> {
    if dest.starts_with('/')
        || dest.starts_with('#')
        || dest.contains("://")
        || dest.starts_with("mailto:")
    {
        return None;
    }
    let (file, fragment) = match dest.find(['#', '?']) {
        Some(i) => (&dest[..i], dest[i..].to_string()),
        None => (dest, String::new()),
    };
    let lower = file.to_ascii_lowercase();
    if !(lower.ends_with(".md") || lower.ends_with(".markdown")) {
        return None;
    }
    let fragment = if fragment.starts_with('#') {
        fragment
    } else {
        String::new()
    };
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop(); // the article's own file name
    for segment in file.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Some((None, fragment));
                }
            }
            s => parts.push(s),
        }
    }
    Some((Some(parts.join("/")), fragment))
}

/// Elements the sanitizer knows: anything else in `<...>` is prose.
const HTML_ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "address",
    "area",
    "article",
    "aside",
    "audio",
    "b",
    "base",
    "bdi",
    "bdo",
    "blockquote",
    "body",
    "br",
    "button",
    "canvas",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "data",
    "dd",
    "del",
    "details",
    "dfn",
    "dialog",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "fieldset",
    "figcaption",
    "figure",
    "font",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "i",
    "iframe",
    "img",
    "input",
    "ins",
    "kbd",
    "label",
    "legend",
    "li",
    "link",
    "main",
    "map",
    "mark",
    "meta",
    "meter",
    "nav",
    "noscript",
    "object",
    "ol",
    "optgroup",
    "option",
    "output",
    "p",
    "param",
    "picture",
    "pre",
    "progress",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "script",
    "section",
    "select",
    "small",
    "source",
    "span",
    "strike",
    "strong",
    "style",
    "sub",
    "summary",
    "sup",
    "svg",
    "table",
    "tbody",
    "td",
    "template",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "time",
    "title",
    "tr",
    "track",
    "tt",
    "u",
    "ul",
    "var",
    "video",
    "wbr",
    "math",
];

fn is_unknown_tag(html: &str) -> bool {
    let t = html.trim();
    let Some(inner) = t.strip_prefix('<').and_then(|t| t.strip_suffix('>')) else {
        return false;
    };
    let inner = inner.strip_prefix('/').unwrap_or(inner);
    let name: String = inner
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    if name.is_empty() || inner.starts_with('!') || t[1..t.len() - 1].contains(['<', '>']) {
        return false;
    }
    !HTML_ELEMENTS.contains(&name.to_ascii_lowercase().as_str())
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.add_tags([
        "input",
        "div",
        "span",
        "sup",
        "mark",
        "kbd",
        "details",
        "summary",
        "figure",
        "figcaption",
    ])
    .add_tag_attributes("input", ["type", "checked", "disabled"])
    .add_tag_attributes("div", ["class", "id"])
    .add_tag_attributes("p", ["class"])
    .add_tag_attributes("span", ["class"])
    .add_tag_attributes("sup", ["class", "id"])
    .add_tag_attributes("code", ["class"])
    .add_tag_attributes("li", ["id"])
    .url_schemes(["http", "https", "mailto", "tel"].into())
    .link_rel(Some("noopener noreferrer"))
    .attribute_filter(|element, attribute, value| {
        // Task-list checkboxes are the only inputs an article may hold.
        if element == "input" && attribute == "type" && value != "checkbox" {
            return None;
        }
        Some(value.into())
    });
    for h in ["h1", "h2", "h3", "h4", "h5", "h6"] {
        b.add_tag_attributes(h, ["id"]);
    }
    b
});

/// Removes everything outside the allow-list: scripts, event handlers,
/// `javascript:` URLs, styles, forms.
pub fn sanitize(html: &str) -> String {
    SANITIZER.clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver(path: &str) -> Option<String> {
        Some(format!("/articles/{}", path.trim_end_matches(".md")))
    }

    fn html(md: &str) -> String {
        render(md, 1, "billing/fees.md", &resolver).html
    }

    #[test]
    fn renders_gfm_features() {
        insta::assert_snapshot!(html(
            "## Plans & prices\n\n| Plan | Price |\n|---|---:|\n| Pro | ~~$12~~ $10 |\n\n- [x] done\n- [ ] todo\n\nA note[^1].\n\n[^1]: The footnote.\n"
        ));
    }

    #[test]
    fn alerts_become_callouts() {
        let out = html("> [!WARNING]\n> Deleting is final.\n\n> plain quote\n");
        assert!(
            out.contains(
                "<div class=\"callout callout-warning\"><p class=\"callout-title\">Warning</p>"
            ),
            "{out}"
        );
        assert!(out.contains("<blockquote>"), "{out}");
    }

    #[test]
    fn sanitizer_removes_active_content() {
        let cases = [
            ("<script>alert(1)</script>ok", "alert"),
            ("[x](javascript:alert(1))", "javascript"),
            ("<img src=x onerror=alert(1)>", "onerror"),
            ("<a href=\"#\" onclick=\"steal()\">x</a>", "onclick"),
            ("<iframe src=\"https://evil.example\"></iframe>", "iframe"),
            ("<div style=\"position:fixed\">x</div>", "style"),
            ("<input type=\"text\" value=\"x\">", "text"),
        ];
        for (md, banned) in cases {
            let out = html(md);
            assert!(!out.contains(banned), "{md:?} rendered {out:?}");
        }
    }

    #[test]
    fn relative_article_links_are_rewritten() {
        let out = render("See [refunds](refunds.md#fees), [login](../account/login.md) and [x](https://a.example/b.md).", 3, "billing/fees.md", &resolver);
        assert!(
            out.html.contains("href=\"/articles/billing/refunds#fees\""),
            "{}",
            out.html
        );
        assert!(
            out.html.contains("href=\"/articles/account/login\""),
            "{}",
            out.html
        );
        assert!(
            out.html.contains("href=\"https://a.example/b.md\""),
            "{}",
            out.html
        );
        let targets: Vec<_> = out
            .links
            .iter()
            .map(|l| (l.target.clone(), l.line))
            .collect();
        assert_eq!(
            targets,
            vec![
                (Some("billing/refunds.md".into()), 3),
                (Some("account/login.md".into()), 3)
            ]
        );
    }

    #[test]
    fn links_climbing_out_of_articles_have_no_target() {
        let out = render(
            "[x](../../../etc/passwd.md)",
            1,
            "billing/fees.md",
            &resolver,
        );
        assert_eq!(out.links[0].target, None);
        assert!(!out.html.contains("/articles/"));
    }

    #[test]
    fn callout_labels_follow_the_article_language() {
        let out = localize_callouts(html("> [!TIP]\n> Astuce.\n"), "fr-ca");
        assert!(
            out.contains("<p class=\"callout-title\">Conseil</p>"),
            "{out}"
        );
        let out = localize_callouts(html("> [!TIP]\n> Tip.\n"), "ja");
        assert!(out.contains("<p class=\"callout-title\">Tip</p>"), "{out}");
    }

    fn count(html: &str, needle: &str) -> usize {
        html.matches(needle).count()
    }

    #[test]
    fn deep_markdown_nesting_is_flattened_past_the_cap() {
        for body in [
            format!("{} deep text\n", ">".repeat(5_000)),
            format!("{} deep text\n", "- ".repeat(5_000)),
            format!("{} deep text\n", "> - ".repeat(2_000)),
        ] {
            let r = render(&body, 1, "a.md", &resolver);
            assert!(r.html.contains("deep text"), "{}", &r.html[..200]);
            let opened =
                count(&r.html, "<blockquote>") + count(&r.html, "<ul>") + count(&r.html, "<li>");
            assert!(opened <= MAX_NESTING, "{opened} levels kept");
            assert_eq!(
                opened,
                count(&r.html, "</blockquote>") + count(&r.html, "</ul>") + count(&r.html, "</li>")
            );
            assert!(r.text.contains("deep text"));
        }
    }

    #[test]
    fn deep_raw_html_nesting_is_flattened_past_the_cap() {
        let body = format!(
            "{}inside{}\n\nafter",
            "<div><span>".repeat(3_000),
            "</span></div>".repeat(3_000)
        );
        let out = html(&body);
        assert!(out.contains("inside") && out.contains("after"), "{out}");
        let opened = count(&out, "<div>") + count(&out, "<span>");
        assert!(opened <= MAX_NESTING, "{opened} levels kept");
        assert_eq!(opened, count(&out, "</div>") + count(&out, "</span>"));
        // Unclosed tags and stray `<` count the same way and keep the text.
        let out = html(&format!("{}x < y", "<b id=1>".repeat(3_000)));
        assert!(
            count(&out, "<b>") <= MAX_NESTING && out.contains("x &lt; y"),
            "{out}"
        );
    }

    #[test]
    fn shallow_html_is_left_as_it_was() {
        let src = "<div class=\"a\"><p>one<br>two<img src=\"x.png\"/></p></div>";
        assert_eq!(cap_html_nesting(src, 2), src);
        assert_eq!(
            cap_html_nesting("<a><b><c>t</c></b></a>", 2),
            "<a><b>t</b></a>"
        );
    }

    #[test]
    fn many_headings_with_one_title_get_distinct_ids() {
        let body = "## Step\n\n".repeat(3_000);
        let r = render(&body, 1, "a.md", &resolver);
        assert_eq!(r.headings.len(), 3_000);
        assert_eq!(r.headings[0].id, "step");
        assert_eq!(r.headings[2_999].id, "step-2999");
        let ids: HashSet<&str> = r.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids.len(), 3_000);
    }

    #[test]
    fn headings_get_unique_ids_and_text() {
        let out = render(
            "## Step 1: Sign in\n\n## Step 1: Sign in\n\n### Custom {#mine}\n",
            1,
            "a.md",
            &resolver,
        );
        let ids: Vec<_> = out.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["step-1-sign-in", "step-1-sign-in-1", "mine"]);
        assert_eq!(out.headings[0].text, "Step 1: Sign in");
        assert!(
            out.html.contains("<h2 id=\"step-1-sign-in\">"),
            "{}",
            out.html
        );
    }

    #[test]
    fn placeholders_in_prose_stay_visible() {
        let out = render(
            "Replace <YourDomain> with your domain, keep <b>bold</b>.",
            1,
            "a.md",
            &resolver,
        );
        assert!(out.html.contains("&lt;YourDomain&gt;"), "{}", out.html);
        assert!(out.html.contains("<b>bold</b>"), "{}", out.html);
        assert!(out.text.contains("<YourDomain>"));
    }

    #[test]
    fn first_paragraph_and_text() {
        let out = render(
            "> [!NOTE]\n> aside\n\nFirst *real* paragraph.\n\nSecond.\n\n```sh\ncurl x\n```\n",
            1,
            "a.md",
            &resolver,
        );
        assert_eq!(out.first_paragraph, "First real paragraph.");
        assert!(out.text.contains("curl x"));
    }
}
