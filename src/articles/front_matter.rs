//! Front matter: splits a source file into its metadata block (YAML between
//! `---` lines or TOML between `+++` lines) and its Markdown body, and turns the
//! block into a JSON map so the rest of the code reads one shape whatever the
//! syntax. Pure: no file system access.

use serde_json::{Map, Value};

use super::ParseErrorKind;

/// How a file writes its front matter; publishing writes it back the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Syntax {
    /// No front matter at all.
    #[default]
    None,
    /// YAML between `---` lines.
    Yaml,
    /// TOML between `+++` lines.
    Toml,
}

/// A source split into front matter and body, with the line numbers needed to
/// point errors at the right place in the original file.
#[derive(Debug)]
pub struct Split<'a> {
    /// The metadata as a JSON object (empty when the file has none).
    pub meta: Map<String, Value>,
    /// The front matter's syntax.
    pub syntax: Syntax,
    /// Its top-level keys in the order the file writes them (the JSON map
    /// is sorted), so a rewrite keeps the writer's order.
    pub keys: Vec<String>,
    /// The Markdown after the front matter.
    pub body: &'a str,
    /// 1-based line of the file where `body` starts.
    pub body_line: usize,
}

/// An error inside the front matter, with the 1-based line of the file.
#[derive(Debug)]
pub struct FrontMatterError {
    pub line: usize,
    pub kind: ParseErrorKind,
}

/// Splits `src` (already free of BOM and CRLF) into metadata and body.
pub fn split(src: &str) -> Result<Split<'_>, FrontMatterError> {
    let (fence, is_yaml) = if src.starts_with("---") && first_line(src).trim_end() == "---" {
        ("---", true)
    } else if src.starts_with("+++") && first_line(src).trim_end() == "+++" {
        ("+++", false)
    } else {
        return Ok(Split {
            meta: Map::new(),
            syntax: Syntax::None,
            keys: Vec::new(),
            body: src,
            body_line: 1,
        });
    };
    let start = first_line(src).len() + 1;
    let rest = src.get(start..).unwrap_or("");
    // The block ends at the first line that is the fence alone (YAML also
    // allows `...`, the document-end marker).
    let mut offset = 0;
    let mut end = None;
    for line in rest.split_inclusive('\n') {
        let bare = line.trim_end();
        if bare == fence || (is_yaml && bare == "...") {
            end = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let Some((block_end, body_start)) = end else {
        return Err(FrontMatterError {
            line: 1,
            kind: ParseErrorKind::UnclosedFrontMatter { fence },
        });
    };
    let block = &rest[..block_end];
    let body = &rest[body_start..];
    let body_line = 2 + block.matches('\n').count() + 1;
    let (meta, keys) = if is_yaml {
        parse_yaml(block)?
    } else {
        parse_toml(block)?
    };
    Ok(Split {
        meta,
        syntax: if is_yaml { Syntax::Yaml } else { Syntax::Toml },
        keys,
        body,
        body_line,
    })
}

fn first_line(s: &str) -> &str {
    s.split('\n').next().unwrap_or("")
}

/// A block's metadata and its keys in order.
type Parsed = (Map<String, Value>, Vec<String>);

fn parse_yaml(block: &str) -> Result<Parsed, FrontMatterError> {
    if block.trim().is_empty() {
        return Ok((Map::new(), Vec::new()));
    }
    let value: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(block).map_err(|e| FrontMatterError {
            // Line 1 of the block is line 2 of the file.
            line: e.location().map_or(1, |l| l.line() + 1),
            kind: ParseErrorKind::Yaml(strip_location(&e.to_string())),
        })?;
    let keys = match &value {
        serde_yaml_ng::Value::Mapping(m) => m.keys().map(yaml_key).collect(),
        _ => Vec::new(),
    };
    match yaml_to_json(value) {
        Value::Object(map) => Ok((map, keys)),
        Value::Null => Ok((Map::new(), keys)),
        _ => Err(FrontMatterError {
            line: 2,
            kind: ParseErrorKind::NotAMapping,
        }),
    }
}

fn parse_toml(block: &str) -> Result<Parsed, FrontMatterError> {
    let table: toml::Table = block
        .parse()
        .map_err(|e: toml::de::Error| FrontMatterError {
            line: e.span().map_or(1, |s| {
                block[..s.start.min(block.len())].matches('\n').count() + 2
            }),
            kind: ParseErrorKind::Toml(e.message().to_string()),
        })?;
    // In document order: the crate is built with `preserve_order`.
    let keys = table.keys().cloned().collect();
    match toml_to_json(toml::Value::Table(table)) {
        Value::Object(map) => Ok((map, keys)),
        _ => unreachable!("a TOML table converts to a JSON object"),
    }
}

/// serde_yaml_ng appends "at line X column Y" to messages; we report the line
/// ourselves, relative to the file rather than the block.
fn strip_location(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

fn yaml_to_json(v: serde_yaml_ng::Value) -> Value {
    use serde_yaml_ng::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (yaml_key(&k), yaml_to_json(v)))
                .collect(),
        ),
        Y::Tagged(t) => yaml_to_json(t.value),
    }
}

/// A YAML mapping key as text (`1:` is the key "1").
fn yaml_key(k: &serde_yaml_ng::Value) -> String {
    match k {
        serde_yaml_ng::Value::String(s) => s.clone(),
        other => serde_yaml_ng::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

fn toml_to_json(v: toml::Value) -> Value {
    use toml::Value as T;
    match v {
        T::String(s) => Value::String(s),
        T::Integer(i) => Value::from(i),
        T::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        T::Boolean(b) => Value::Bool(b),
        T::Datetime(d) => Value::String(d.to_string()),
        T::Array(items) => Value::Array(items.into_iter().map(toml_to_json).collect()),
        T::Table(t) => Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_both_styles_and_counts_body_line() {
        let cases = [
            ("---\ntitle: A\n---\nbody\n", "A", 4),
            ("+++\ntitle = \"A\"\n+++\nbody\n", "A", 4),
            ("---\ntitle: A\ntags: [x]\n...\nbody\n", "A", 5),
        ];
        for (src, title, line) in cases {
            let s = split(src).unwrap();
            assert_eq!(s.meta["title"], title, "{src:?}");
            assert_eq!(s.body, "body\n");
            assert_eq!(s.body_line, line, "{src:?}");
        }
    }

    #[test]
    fn no_front_matter_is_all_body() {
        let s = split("# Title\n\ntext").unwrap();
        assert!(s.meta.is_empty());
        assert_eq!(s.body_line, 1);
    }

    #[test]
    fn bad_yaml_reports_file_line() {
        let err = split("---\ntitle: A\ntags:\n  - ok\n  - %\n---\nbody").unwrap_err();
        assert_eq!(err.line, 5);
        assert!(matches!(err.kind, ParseErrorKind::Yaml(_)));
    }

    #[test]
    fn bad_toml_reports_file_line() {
        let err = split("+++\ntitle = \"A\"\ntags = [\n+++\nbody").unwrap_err();
        assert!(matches!(err.kind, ParseErrorKind::Toml(_)));
        assert!(err.line >= 3, "{}", err.line);
    }

    #[test]
    fn unclosed_front_matter_is_an_error() {
        let err = split("---\ntitle: A\nbody").unwrap_err();
        assert!(matches!(
            err.kind,
            ParseErrorKind::UnclosedFrontMatter { .. }
        ));
    }

    #[test]
    fn toml_dates_become_strings() {
        let s = split("+++\ntitle = \"A\"\nupdated = 2026-08-02\n+++\n").unwrap();
        assert_eq!(s.meta["updated"], "2026-08-02");
    }
}
