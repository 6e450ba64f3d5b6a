//! The seeded generator of Markdown articles the benches fall back on when
//! `../shared` is absent: support-style titles, front matter, headings,
//! paragraphs, lists, tables, code blocks, callouts and links between
//! articles, all drawn from small word lists with [`Rng`], so every run
//! writes the same corpus.

use std::path::Path;

use super::Rng;

pub(super) const NOUNS: &[&str] = &[
    "account",
    "password",
    "invoice",
    "refund",
    "subscription",
    "mailbox",
    "calendar",
    "license",
    "printer",
    "network",
    "profile",
    "payment",
    "card",
    "transfer",
    "device",
    "browser",
    "folder",
    "permission",
    "meeting",
    "report",
    "module",
    "cmdlet",
    "session",
    "certificate",
    "server",
    "domain",
    "policy",
    "backup",
    "sync",
    "notification",
];
pub(super) const VERBS: &[&str] = &[
    "reset",
    "change",
    "cancel",
    "update",
    "export",
    "import",
    "restore",
    "configure",
    "enable",
    "disable",
    "remove",
    "add",
    "share",
    "verify",
    "troubleshoot",
    "install",
    "migrate",
    "connect",
    "download",
    "recover",
];
pub(super) const ADJECTIVES: &[&str] = &[
    "shared",
    "blocked",
    "missing",
    "expired",
    "duplicate",
    "pending",
    "default",
    "remote",
    "offline",
    "secure",
    "slow",
    "failed",
    "new",
    "old",
    "primary",
    "external",
];
const FILLER: &[&str] = &[
    "the", "a", "your", "when", "if", "you", "can", "to", "from", "in", "on", "with", "after",
    "before", "then", "and", "or", "is", "not", "this", "that", "for", "by", "each", "every",
    "only",
];

fn sentence(rng: &mut Rng) -> String {
    let n = rng.range(6, 18);
    let mut words: Vec<&str> = Vec::with_capacity(n);
    for i in 0..n {
        words.push(match (i + rng.below(3)) % 4 {
            0 => *rng.pick(NOUNS),
            1 => *rng.pick(VERBS),
            2 => *rng.pick(ADJECTIVES),
            _ => *rng.pick(FILLER),
        });
    }
    let mut s = words.join(" ");
    if let Some(first) = s.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    s.push('.');
    s
}

fn paragraph(rng: &mut Rng) -> String {
    (0..rng.range(2, 6))
        .map(|_| sentence(rng))
        .collect::<Vec<_>>()
        .join(" ")
}

fn make_title(rng: &mut Rng) -> String {
    let t = format!(
        "{} {} {}",
        rng.pick(VERBS),
        rng.pick(ADJECTIVES),
        rng.pick(NOUNS)
    );
    let mut c = t.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// One generated article: front matter, then headings, paragraphs, lists,
/// tables, code blocks and links (to other generated articles and outside).
pub fn generate_article(rng: &mut Rng, id: usize, folders: &[(String, usize)]) -> String {
    let title = make_title(rng);
    let mut md = String::new();
    md.push_str("---\n");
    md.push_str(&format!("title: \"{title} ({id})\"\n"));
    md.push_str(&format!(
        "tags: [{}, {}]\n",
        rng.pick(NOUNS),
        rng.pick(VERBS)
    ));
    if rng.below(3) == 0 {
        md.push_str(&format!("summary: {}\n", sentence(rng)));
    }
    md.push_str("author: bench\n---\n\n");
    md.push_str(&paragraph(rng));
    md.push_str("\n\n");
    for section in 0..rng.range(2, 6) {
        md.push_str(&format!("## {} {}\n\n", rng.pick(VERBS), rng.pick(NOUNS)));
        for _ in 0..rng.range(1, 3) {
            md.push_str(&paragraph(rng));
            md.push_str("\n\n");
        }
        match (section + rng.below(4)) % 5 {
            0 => {
                for i in 0..rng.range(3, 7) {
                    md.push_str(&format!("{}. {}\n", i + 1, sentence(rng)));
                }
                md.push('\n');
            }
            1 => {
                for _ in 0..rng.range(3, 7) {
                    md.push_str(&format!("- **{}**: {}\n", rng.pick(NOUNS), sentence(rng)));
                }
                md.push('\n');
            }
            2 => {
                md.push_str("| Setting | Value | Notes |\n|---|---|---|\n");
                for _ in 0..rng.range(3, 8) {
                    md.push_str(&format!(
                        "| {} | `{}` | {} |\n",
                        rng.pick(NOUNS),
                        rng.pick(ADJECTIVES),
                        sentence(rng)
                    ));
                }
                md.push('\n');
            }
            3 => {
                md.push_str("```powershell\n");
                for _ in 0..rng.range(2, 8) {
                    md.push_str(&format!(
                        "{}-{} -Name \"{}\" -Force\n",
                        rng.pick(VERBS),
                        rng.pick(NOUNS),
                        rng.pick(ADJECTIVES)
                    ));
                }
                md.push_str("```\n\n");
            }
            _ => {
                md.push_str("### ");
                md.push_str(&make_title(rng));
                md.push_str("\n\n> [!NOTE]\n> ");
                md.push_str(&sentence(rng));
                md.push_str("\n\n");
            }
        }
        // Links: to a sibling, to another folder, and outside.
        let (folder, count) = rng.pick(folders).clone();
        md.push_str(&format!(
            "See [{}](../{folder}/article-{}.md#overview), [{}](article-{}.md) and [the docs](https://example.com/{}).\n\n",
            rng.pick(NOUNS),
            rng.below(count),
            rng.pick(VERBS),
            rng.below(count),
            rng.pick(NOUNS)
        ));
    }
    md
}

/// Writes `n` seeded articles under `articles/`, in two corpus folders of a
/// few category folders each; returns the corpus folder names.
pub fn generate_corpus(articles: &Path, n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let corpora = ["generated-reference", "generated-support"];
    let categories = ["accounts", "billing", "devices", "mail", "scripting"];
    let per_folder = n.div_ceil(corpora.len() * categories.len());
    let folders: Vec<(String, usize)> = categories
        .iter()
        .map(|c| (c.to_string(), per_folder))
        .collect();
    let mut written = 0;
    'outer: for corpus in corpora {
        for category in categories {
            let dir = articles.join(corpus).join(category);
            std::fs::create_dir_all(&dir).expect("generated folder");
            for i in 0..per_folder {
                if written == n {
                    break 'outer;
                }
                let text = generate_article(&mut rng, written, &folders);
                std::fs::write(dir.join(format!("article-{i}.md")), text)
                    .expect("write generated article");
                written += 1;
            }
        }
    }
    corpora.iter().map(|c| c.to_string()).collect()
}
