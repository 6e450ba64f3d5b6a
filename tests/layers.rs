//! The layering written at the top of `src/lib.rs` holds: every module
//! imports only from layers below its own (never from above, never from a
//! sibling in its layer), and inside a module no two files import each
//! other, directly or round a longer cycle. Reads `use crate::…` and
//! `crate::…` paths from the source files, so a new upward import fails
//! here with the file that makes it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers of the diagram in `lib.rs`, top first: the words before the
/// parenthesis on each line of its `text` block.
fn layers(lib: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in lib.lines() {
        let Some(text) = line.strip_prefix("//!") else {
            continue;
        };
        let text = text.trim();
        if text.starts_with("```") {
            if inside {
                break;
            }
            inside = text == "```text";
            continue;
        }
        if inside {
            // A line of only a note in parentheses continues the one above.
            let names: Vec<String> = text
                .split('(')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .map(str::to_string)
                .collect();
            if !names.is_empty() {
                out.push(names);
            }
        }
    }
    out
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The module path of a source file: `src/index/search.rs` → `index::search`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// The code of a file without its `#[cfg(test)]` module (tests may reach
/// anywhere) and without comments.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .filter(|l| {
            let t = l.trim_start();
            !t.starts_with("//")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The crate paths a file names: `crate::a::b`, `super::a::b` (resolved
/// against `module`, the file's own module path), and every path of a use
/// tree such as `use crate::a::{b, c::{d, e}}`.
fn imports(code: &str, module: &[String]) -> BTreeSet<Vec<String>> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = find_path(rest) {
        let mut after = &rest[i..];
        let prefix = match after.strip_prefix("crate::") {
            Some(a) => {
                after = a;
                Vec::new()
            }
            None => {
                // `super` in `a/b.rs` (module `a::b`) and in `a/b/mod.rs`
                // (module `a::b` too) is `a`.
                let mut levels = 0;
                while let Some(a) = after.strip_prefix("super::") {
                    after = a;
                    levels += 1;
                }
                match module.len().checked_sub(levels) {
                    Some(n) => module[..n].to_vec(),
                    None => {
                        rest = after;
                        continue;
                    }
                }
            }
        };
        let read = use_tree(after, prefix, &mut out);
        rest = &after[read.max(1).min(after.len())..];
    }
    out
}

/// Reads one use tree at the start of `text` (`a::b`, `a::{b, c::{d, e}}`,
/// `a::*`, `a::{self, b}`), adding each path it names, under `prefix`, to
/// `out`. Returns how many bytes it read.
fn use_tree(text: &str, prefix: Vec<String>, out: &mut BTreeSet<Vec<String>>) -> usize {
    let skip_space = |i: usize| i + (text[i..].len() - text[i..].trim_start().len());
    let mut path = prefix;
    let mut i = 0;
    loop {
        i = skip_space(i);
        if text[i..].starts_with('{') {
            i += 1;
            loop {
                i = skip_space(i);
                if i >= text.len() || text[i..].starts_with('}') {
                    return (i + 1).min(text.len());
                }
                if text[i..].starts_with(',') {
                    i += 1;
                    continue;
                }
                let read = use_tree(&text[i..], path.clone(), out);
                // Something unexpected: step over one character.
                i += if read == 0 {
                    text[i..].chars().next().map_or(1, char::len_utf8)
                } else {
                    read
                };
            }
        }
        let ident: String = text[i..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if ident.is_empty() {
            break;
        }
        i += ident.len();
        if ident != "self" {
            path.push(ident);
        }
        if text[i..].starts_with("::") {
            i += 2;
            continue;
        }
        break;
    }
    if !path.is_empty() {
        out.insert(path);
    }
    i
}

/// Where the next `crate::` or `super::` path starts (not inside a word).
fn find_path(text: &str) -> Option<usize> {
    let mut from = 0;
    loop {
        let i = [text[from..].find("crate::"), text[from..].find("super::")]
            .into_iter()
            .flatten()
            .min()?
            + from;
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            from = i + 1;
            continue;
        }
        return Some(i);
    }
}

/// Which module file of `modules` a crate path lands in: its longest prefix.
fn target(modules: &BTreeSet<Vec<String>>, path: &[String]) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
}

/// Cycles among the files of one top-level module, each as a list of files.
fn cycles(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<String>> {
    // Tarjan's strongly connected components; a component of two or more
    // files is a cycle.
    struct Walk<'a> {
        edges: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on_stack: BTreeSet<&'a Vec<String>>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a Vec<String>) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.edges.get(v).into_iter().flatten() {
                let Some((w, _)) = self.edges.get_key_value(w) else {
                    continue;
                };
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.join("::"));
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v) {
            walk.visit(v);
        }
    }
    walk.found
}

/// Every import that breaks the diagram, and every cycle inside a module.
fn violations(src: &Path) -> Vec<String> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let layers = layers(&lib);
    assert!(!layers.is_empty(), "no layer diagram found in lib.rs");
    let layer_of = |m: &str| layers.iter().position(|l| l.iter().any(|n| n == m));
    let files = sources(src);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(src, f)).collect();
    let mut problems = Vec::new();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for file in &files {
        if file.ends_with("main.rs") || file.ends_with("lib.rs") {
            continue;
        }
        let from = module_of(src, file);
        let top = &from[0];
        let Some(own) = layer_of(top) else {
            problems.push(format!("`{top}` is not in the diagram in lib.rs"));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("read source");
        for path in imports(&code(&text), &from) {
            let Some(to) = target(&modules, &path) else {
                continue; // a re-export from lib.rs, such as `crate::Config`
            };
            let other = &to[0];
            if other == top {
                if to != from && to.len() > 1 {
                    edges.entry(from.clone()).or_default().insert(to);
                }
                continue;
            }
            match layer_of(other) {
                Some(l) if l > own => {}
                Some(l) => problems.push(format!(
                    "{} imports `crate::{}`: `{other}` is {} `{top}` in lib.rs's diagram",
                    file.display(),
                    path.join("::"),
                    if l == own { "a sibling of" } else { "above" }
                )),
                None => problems.push(format!("`{other}` is not in the diagram in lib.rs")),
            }
        }
    }
    for component in cycles(&edges) {
        problems.push(format!(
            "files import each other: {}",
            component.join(" ↔ ")
        ));
    }
    problems.sort();
    problems.dedup();
    problems
}

#[test]
fn every_module_imports_only_from_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let problems = violations(&src);
    assert!(
        problems.is_empty(),
        "{} layering problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_checker_sees_upward_imports_and_cycles() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("low")).unwrap();
    std::fs::write(
        src.join("lib.rs"),
        "//! ```text\n//! high          (top)\n//! mid  other    (middle)\n//! low           (bottom)\n//! ```\n",
    )
    .unwrap();
    std::fs::write(src.join("high.rs"), "use crate::mid::X;\n").unwrap();
    std::fs::write(src.join("mid.rs"), "use crate::{other::Y, low::Z};\n").unwrap();
    std::fs::write(src.join("other.rs"), "fn f() { crate::high::g() }\n").unwrap();
    std::fs::write(src.join("low/mod.rs"), "mod a;\nmod b;\n").unwrap();
    std::fs::write(src.join("low/a.rs"), "use crate::low::b::B;\n").unwrap();
    std::fs::write(
        src.join("low/b.rs"),
        "use crate::low::a::A;\n#[cfg(test)]\nmod tests { use crate::high::T; }\n",
    )
    .unwrap();
    // A nested group hides an upward import after its inner braces.
    std::fs::create_dir_all(src.join("deep")).unwrap();
    std::fs::write(
        src.join("deep/mod.rs"),
        "use crate::{low::{a::A, b::B}, mid::M};\nfn f() { super::high::g() }\n",
    )
    .unwrap();
    std::fs::write(
        src.join("lib.rs"),
        "//! ```text\n//! high          (top)\n//! mid  other    (middle)\n//! deep\n//! low           (bottom)\n//! ```\n",
    )
    .unwrap();
    let problems = violations(src);
    assert_eq!(problems.len(), 5, "{problems:#?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("mod.rs imports `crate::mid::M`")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("mod.rs imports `crate::high")),
        "super:: in a mod.rs is the parent: {problems:#?}"
    );
    assert!(problems
        .iter()
        .any(|p| p.contains("mid.rs imports `crate::other::Y`: `other` is a sibling of `mid`")));
    assert!(problems
        .iter()
        .any(|p| p.contains("other.rs imports `crate::high")));
    assert!(problems.iter().any(|p| p.contains("low::a ↔ low::b")));
}
