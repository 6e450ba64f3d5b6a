//! The sentence-model runtime on a tiny BERT written by the test: random
//! weights in the real architecture and file layout (`config.json`,
//! `tokenizer.json`, `model.safetensors`, `sentence_bert_config.json`), so the
//! loader, tokenizer and forward pass run for real without the 90 MB model.
//! The real model's parity is checked by `cargo bench --bench semantic`.

use std::path::Path;

use deflect::semantic::{dot, Model};

/// Words of the tiny vocabulary after the five special tokens.
const WORDS: &[&str] = &[
    "how", "do", "i", "reset", "my", "password", "refund", "money", "back", "card", "charged",
    "twice", "invoice", "export", "to", "csv", "the", "a", "account", "delete", "change", "email",
    "never", "came", "help", "##s", "##ed", "##ing", "!", "?", ".", ",",
];

/// Hidden size, layers, heads, intermediate size and truncation length of
/// the tiny model.
const HIDDEN: usize = 16;
const LAYERS: usize = 2;
const HEADS: usize = 2;
const INTERMEDIATE: usize = 32;
pub const MAX_TOKENS: usize = 12;

/// Writes a tiny sentence-transformers BERT into `dir` (created if needed).
/// Its embeddings mean nothing, but they are a deterministic function of the
/// tokens, which is all the runtime and the index need to be tested.
pub fn write_tiny_model(dir: &Path) {
    write_model(dir, false);
}

/// A tiny BERT whose layers pass their input through (zero output
/// projections, plain layer norms) and whose special tokens and positions
/// weigh nothing: a text's embedding is the mean of its words' vectors, so
/// texts sharing no word are far apart, as a trained model's are for texts
/// that mean different things. Random weights put every text close to every
/// other, which cannot test a decision made on closeness.
pub fn write_bag_of_words_model(dir: &Path) {
    write_model(dir, true);
}

fn write_model(dir: &Path, bag_of_words: bool) {
    std::fs::create_dir_all(dir).unwrap();
    let vocab_size = 5 + WORDS.len();
    std::fs::write(
        dir.join("config.json"),
        serde_json::json!({
            "model_type": "bert", "hidden_size": HIDDEN, "num_hidden_layers": LAYERS,
            "num_attention_heads": HEADS, "intermediate_size": INTERMEDIATE,
            "max_position_embeddings": 64, "vocab_size": vocab_size, "type_vocab_size": 2,
            "hidden_act": "gelu", "layer_norm_eps": 1e-12
        })
        .to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.join("sentence_bert_config.json"),
        format!(r#"{{"max_seq_length": {MAX_TOKENS}, "do_lower_case": false}}"#),
    )
    .unwrap();
    let mut vocab = serde_json::Map::new();
    for (i, w) in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        .iter()
        .chain(WORDS)
        .enumerate()
    {
        vocab.insert(w.to_string(), i.into());
    }
    let tokenizer = serde_json::json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
        "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                       "strip_accents": null, "lowercase": true},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},
        "decoder": null,
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab}
    });
    std::fs::write(dir.join("tokenizer.json"), tokenizer.to_string()).unwrap();

    let mut tensors: Vec<(String, Vec<usize>)> = vec![
        (
            "embeddings.word_embeddings.weight".into(),
            vec![vocab_size, HIDDEN],
        ),
        (
            "embeddings.position_embeddings.weight".into(),
            vec![64, HIDDEN],
        ),
        (
            "embeddings.token_type_embeddings.weight".into(),
            vec![2, HIDDEN],
        ),
        ("embeddings.LayerNorm.weight".into(), vec![HIDDEN]),
        ("embeddings.LayerNorm.bias".into(), vec![HIDDEN]),
    ];
    for l in 0..LAYERS {
        let p = format!("encoder.layer.{l}");
        for (name, out, inp) in [
            ("attention.self.query", HIDDEN, HIDDEN),
            ("attention.self.key", HIDDEN, HIDDEN),
            ("attention.self.value", HIDDEN, HIDDEN),
            ("attention.output.dense", HIDDEN, HIDDEN),
            ("intermediate.dense", INTERMEDIATE, HIDDEN),
            ("output.dense", HIDDEN, INTERMEDIATE),
        ] {
            tensors.push((format!("{p}.{name}.weight"), vec![out, inp]));
            tensors.push((format!("{p}.{name}.bias"), vec![out]));
        }
        for norm in ["attention.output.LayerNorm", "output.LayerNorm"] {
            tensors.push((format!("{p}.{norm}.weight"), vec![HIDDEN]));
            tensors.push((format!("{p}.{norm}.bias"), vec![HIDDEN]));
        }
    }
    std::fs::write(
        dir.join("model.safetensors"),
        safetensors_bytes(&tensors, bag_of_words),
    )
    .unwrap();
}

/// The safetensors format by hand: an 8-byte header length, a JSON header
/// of names, shapes and byte ranges, then little-endian F32 data. Layer-norm
/// gains are near 1; everything else is seeded noise (but for what
/// [`write_bag_of_words_model`] zeroes).
fn safetensors_bytes(tensors: &[(String, Vec<usize>)], bag_of_words: bool) -> Vec<u8> {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut noise = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.8
    };
    let mut header = serde_json::Map::new();
    let mut data = Vec::new();
    for (name, shape) in tensors {
        let n: usize = shape.iter().product();
        let begin = data.len();
        for i in 0..n {
            let noise = noise();
            let v = match name.as_str() {
                _ if !bag_of_words && name.ends_with("LayerNorm.weight") => 1.0 + noise * 0.1,
                _ if !bag_of_words => noise,
                "embeddings.word_embeddings.weight" if i >= 5 * HIDDEN => noise,
                _ if name.ends_with("LayerNorm.weight") => 1.0,
                _ if name.contains("attention.self") || name.contains("intermediate") => noise,
                _ => 0.0,
            };
            data.extend_from_slice(&v.to_le_bytes());
        }
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": "F32", "shape": shape, "data_offsets": [begin, data.len()]}),
        );
    }
    let header = serde_json::Value::Object(header).to_string();
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend(data);
    bytes
}

fn tiny() -> (tempfile::TempDir, Model) {
    let dir = tempfile::tempdir().unwrap();
    write_tiny_model(dir.path());
    let model = Model::load(dir.path()).unwrap();
    (dir, model)
}

fn close(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5)
}

#[test]
fn embeddings_are_unit_vectors_of_the_model_width_and_deterministic() {
    let (_dir, model) = tiny();
    assert_eq!(model.dim(), HIDDEN);
    let a = model.embed("How do I reset my password?");
    assert!((dot(&a, &a) - 1.0).abs() < 1e-5, "normalised");
    assert_eq!(
        a,
        model.embed("How do I reset my password?"),
        "deterministic"
    );
    let b = model.embed("export invoice to csv");
    assert!(dot(&a, &b) < 0.9999, "different texts, different vectors");
    // The same files give the same fingerprint; it changes with the weights.
    let (_other_dir, again) = tiny();
    assert_eq!(model.fingerprint(), again.fingerprint());
}

#[test]
fn a_batch_gives_what_one_by_one_gives_in_the_same_order() {
    let (_dir, model) = tiny();
    let long = "my card ".repeat(40);
    let texts: Vec<&str> = vec![
        "refund",
        &long,
        "",
        "How do I change my email?",
        "𝓘 𝔀𝓪𝓷𝓽 𝓪 𝓻𝓮𝓯𝓾𝓷𝓭 😡",
        "charged twice!!!",
    ]
    .into_iter()
    .cycle()
    .take(40)
    .collect();
    let batch = model.embed_batch(&texts);
    assert_eq!(batch.len(), texts.len());
    for (text, got) in texts.iter().zip(&batch) {
        assert!(close(got, &model.embed(text)), "batch differs for {text:?}");
    }
}

#[test]
fn texts_are_read_to_the_configured_length_and_no_further() {
    let (_dir, model) = tiny();
    assert_eq!(model.max_tokens(), MAX_TOKENS);
    // [CLS] + 10 words + [SEP] = 12 tokens: the rest of the text is not read.
    let words = "how do i reset my password my card money back";
    assert_eq!(model.token_count(words), MAX_TOKENS);
    let longer = format!("{words} refund refund invoice export csv");
    assert_eq!(model.token_count(&longer), MAX_TOKENS);
    assert!(close(&model.embed(words), &model.embed(&longer)));
    // A huge or exotic input still gives a unit vector, quickly.
    let huge = "\u{202e}ẞ\u{0301}".repeat(200_000);
    let v = model.embed(&huge);
    assert!((dot(&v, &v) - 1.0).abs() < 1e-4);
}

#[test]
fn a_broken_model_directory_names_the_file_and_what_is_wrong() {
    let err = |dir: &Path| Model::load(dir).expect_err("load must fail").to_string();

    let missing = tempfile::tempdir().unwrap();
    let gone = missing.path().join("nope");
    assert!(err(&gone).contains("is not a directory"), "{}", err(&gone));

    for (file, write, expect) in [
        ("tokenizer.json", None, "tokenizer.json: cannot be read"),
        (
            "model.safetensors",
            None,
            "model.safetensors: cannot be read",
        ),
        (
            "config.json",
            Some(&b"{ not json"[..]),
            "config.json: is not a BERT config",
        ),
        (
            "tokenizer.json",
            Some(&b"{}"[..]),
            "tokenizer.json: is not a tokenizer",
        ),
        (
            "model.safetensors",
            Some(&b"\x10\0\0\0\0\0\0\0garbage"[..]),
            "model.safetensors: is not a safetensors file",
        ),
        (
            "sentence_bert_config.json",
            Some(&br#"{"max_seq_length": "x"}"#[..]),
            "sentence_bert_config.json: is not valid",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        write_tiny_model(dir.path());
        match write {
            Some(bytes) => std::fs::write(dir.path().join(file), bytes).unwrap(),
            None => std::fs::remove_file(dir.path().join(file)).unwrap(),
        }
        let message = err(dir.path());
        assert!(message.contains(expect), "{file}: {message}");
    }

    // A checkpoint without a tensor, or with a wrong shape, says which.
    let dir = tempfile::tempdir().unwrap();
    write_tiny_model(dir.path());
    let config = std::fs::read_to_string(dir.path().join("config.json")).unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        config.replace("\"num_hidden_layers\":2", "\"num_hidden_layers\":3"),
    )
    .unwrap();
    let message = err(dir.path());
    assert!(
        message.contains("has no tensor `encoder.layer.2."),
        "{message}"
    );
    std::fs::write(
        dir.path().join("config.json"),
        config.replace("\"intermediate_size\":32", "\"intermediate_size\":30"),
    )
    .unwrap();
    let message = err(dir.path());
    assert!(
        message.contains("has shape [32, 16], config.json implies [30, 16]"),
        "{message}"
    );
}

// Hybrid search on the tiny model. Its vectors mean nothing, but a text
// is identical to itself: an article titled exactly as the query is as
// close as can be by title (cosine 1), which is enough to test who may see
// what, how the snippet is chosen and when vectors are recomputed.

use deflect::index::{Audience, Mode, SearchRequest, SearchResults};

use crate::harness::TestKb;

fn kb_with_model() -> (TestKb, tempfile::TempDir) {
    let model = tempfile::tempdir().unwrap();
    write_tiny_model(model.path());
    let mut kb = TestKb::empty();
    kb.config.semantic.model = model.path().to_path_buf();
    (kb, model)
}

fn article(title: &str, extra: &str, body: &str) -> String {
    format!("---\ntitle: {title}\n{extra}---\n{body}\n")
}

fn search(kb: &mut TestKb, q: &str, audience: Audience, mode: Mode) -> SearchResults {
    let req = SearchRequest {
        query: q,
        locale: "en",
        category: None,
        limit: 10,
        offset: 0,
        audience,
    };
    kb.library().index().search_with(&req, mode).unwrap()
}

fn slugs(kb: &mut TestKb, q: &str, audience: Audience, mode: Mode) -> Vec<String> {
    let results = search(kb, q, audience, mode);
    results.hits.into_iter().map(|h| h.slug).collect()
}

#[test]
fn drafts_and_internal_articles_never_come_back_through_vectors() {
    let (mut kb, _model) = kb_with_model();
    kb.write("billing/public.md", &article("Refund", "", "Money back."));
    kb.write(
        "billing/draft.md",
        &article("Refund", "status: draft\n", "Money back."),
    );
    kb.write(
        "billing/internal.md",
        &article("Refund", "visibility: internal\n", "Money back."),
    );
    for mode in [Mode::Semantic, Mode::Hybrid] {
        assert_eq!(
            slugs(&mut kb, "refund", Audience::Public, mode),
            ["billing/public"],
            "{mode:?}"
        );
        let mut agent = slugs(&mut kb, "refund", Audience::Agent, mode);
        agent.sort();
        assert_eq!(agent, ["billing/internal", "billing/public"], "{mode:?}");
    }
    // A query sharing no word with any article finds the visible ones by
    // meaning (the tiny model calls everything close), never the others.
    let found = slugs(&mut kb, "csv export", Audience::Public, Mode::Semantic);
    assert!(found.iter().all(|s| s == "billing/public"), "{found:?}");
}

#[test]
fn an_exact_title_stays_first_and_a_passage_match_shows_its_passage() {
    let (mut kb, _model) = kb_with_model();
    kb.write(
        "a/export.md",
        &article("Export invoices to CSV", "", "Open the invoice list."),
    );
    kb.write(
        "a/other.md",
        &article(
            "Change my email",
            "",
            "## Help\n\nHow do I change my email to a new account?",
        ),
    );
    for n in 0..3 {
        kb.write(
            &format!("a/more-{n}.md"),
            &article("Account help", "", "My account, my card, my money."),
        );
    }
    let first = slugs(
        &mut kb,
        "Export invoices to CSV",
        Audience::Public,
        Mode::Hybrid,
    );
    assert_eq!(
        first.first().map(String::as_str),
        Some("a/export"),
        "{first:?}"
    );

    // "never came" appears in no article: a hit found by meaning shows the
    // passage that matched (escaped text), not an empty snippet.
    let results = search(&mut kb, "never came", Audience::Public, Mode::Hybrid);
    assert!(!results.hits.is_empty());
    for hit in &results.hits {
        assert!(!hit.snippet_html.is_empty(), "{hit:?}");
        assert!(!hit.snippet_html.contains('<'), "no markup: {hit:?}");
    }
    assert_eq!(
        results.total,
        results.hits.len(),
        "found by meaning, counted"
    );
}

#[test]
fn edits_re_embed_only_what_changed_and_a_restart_embeds_nothing() {
    let (mut kb, _model) = kb_with_model();
    kb.write(
        "a/one.md",
        &article(
            "Refund",
            "",
            "## First\n\nMoney back.\n\n## Second\n\nCard charged twice.",
        ),
    );
    kb.write("a/two.md", &article("Export invoices", "", "To CSV."));
    let library = kb.library();
    let semantic = library.index().semantic().expect("semantic on");
    // one: title, intro-less sections First and Second; two: title, body.
    assert_eq!(semantic.embedded(), 5);
    let before = semantic.get("a/one.md").unwrap();
    assert_eq!(before.passages.len(), 3);

    // Editing one section re-embeds that section only (the watcher calls
    // `apply_paths` with the changed file).
    kb.write(
        "a/one.md",
        &article(
            "Refund",
            "",
            "## First\n\nMoney back.\n\n## Second\n\nCard charged three times.",
        ),
    );
    library.apply_paths(&["a/one.md".to_string()]).unwrap();
    assert_eq!(semantic.embedded(), 6);
    let after = semantic.get("a/one.md").unwrap();
    assert_eq!(after.passages[1].vector, before.passages[1].vector);
    assert_ne!(after.passages[2].vector, before.passages[2].vector);
    let found = slugs(
        &mut kb,
        "Card charged three times",
        Audience::Public,
        Mode::Semantic,
    );
    assert_eq!(found.first().map(String::as_str), Some("a/one"));

    // Removing an article removes its vectors.
    kb.remove("a/two.md");
    library.apply_paths(&["a/two.md".to_string()]).unwrap();
    assert!(semantic.get("a/two.md").is_none());
    drop(library);

    // A restart reads every vector from the cache: the model embeds nothing.
    let mut kb = kb.reopen();
    let library = kb.library();
    let semantic = library.index().semantic().unwrap();
    assert_eq!(semantic.embedded(), 0);
    assert_eq!(semantic.cached(), 3, "only live passages are kept");
    assert!(
        kb.config
            .index
            .join("embeddings")
            .read_dir()
            .unwrap()
            .count()
            == 1
    );
}

#[test]
fn a_broken_model_stops_the_cli_with_the_file_named() {
    let kb = TestKb::new();
    let missing = kb.dir.path().join("no-model");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_deflect"))
        .args(["search", "refund", "--articles"])
        .arg(kb.articles())
        .arg("--index")
        .arg(&kb.config.index)
        .current_dir(kb.dir.path())
        .env("DEFLECT_SEMANTIC_MODEL", &missing)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("semantic model:") && stderr.contains("no-model: is not a directory"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn related_articles_by_meaning_are_the_visible_ones_of_the_locale() {
    let (mut kb, _model) = kb_with_model();
    kb.write("a/refund.md", &article("Refund", "", "Money back."));
    kb.write("a/card.md", &article("Card charged twice", "", "My card."));
    kb.write(
        "a/draft.md",
        &article("Refund draft", "status: draft\n", "Money back."),
    );
    kb.write(
        "a/internal.md",
        &article("Refund notes", "visibility: internal\n", "Money."),
    );
    kb.write(
        "a/refund.fr.md",
        &article("Remboursement", "translation_of: a/refund\n", "Argent."),
    );
    let library = kb.library();
    let index = library.index();
    let own = index
        .get("a/refund", "en", Audience::Agent)
        .unwrap()
        .unwrap();
    let related = |audience| -> Vec<String> {
        let mut slugs: Vec<String> = index
            .related(&own, 5, audience)
            .unwrap()
            .into_iter()
            .map(|s| s.slug)
            .collect();
        slugs.sort();
        slugs
    };
    assert_eq!(related(Audience::Public), ["a/card"]);
    assert_eq!(related(Audience::Agent), ["a/card", "a/internal"]);
}

#[test]
fn near_duplicates_pair_live_articles_of_one_locale_closest_first() {
    let (mut kb, _model) = kb_with_model();
    let same = article("Refund", "", "## Policy\n\nMoney back within 30 days.");
    kb.write("a/refund.md", &same);
    kb.write("b/refund-copy.md", &same);
    kb.write(
        "a/draft-copy.md",
        &article(
            "Refund",
            "status: draft\n",
            "## Policy\n\nMoney back within 30 days.",
        ),
    );
    kb.write(
        "a/refund.fr.md",
        &article(
            "Refund",
            "translation_of: a/refund\n",
            "## Policy\n\nMoney back within 30 days.",
        ),
    );
    kb.write(
        "a/csv.md",
        &article(
            "Export invoices to CSV",
            "",
            "## Steps\n\nOpen the invoice list, choose export.",
        ),
    );
    let library = kb.library();
    let pairs = library
        .index()
        .near_duplicates(0.99, 10)
        .unwrap()
        .expect("model on");
    let named: Vec<(String, String)> = pairs
        .iter()
        .map(|(a, b, _)| (a.slug.clone(), b.slug.clone()))
        .collect();
    assert_eq!(named.len(), 1, "{named:?}");
    let (a, b) = &named[0];
    let mut both = [a.as_str(), b.as_str()];
    both.sort();
    assert_eq!(both, ["a/refund", "b/refund-copy"]);
    assert!((pairs[0].2 - 1.0).abs() < 1e-4);

    // A failed search's closest article, among what customers may read.
    let (closest, closeness) = library
        .index()
        .closest_by_meaning("Refund", "en", Audience::Public, 0.5)
        .unwrap()
        .expect("found");
    let cosine = closeness.title;
    assert!(["a/refund", "b/refund-copy"].contains(&closest.slug.as_str()));
    assert!(cosine > 0.99, "{cosine} (vectors are scanned i8-quantised)");
}

#[test]
fn mining_with_a_model_groups_by_meaning_and_calls_coverage_by_it() {
    let model_dir = tempfile::tempdir().unwrap();
    write_bag_of_words_model(model_dir.path());
    let kb = TestKb::empty();
    let model = Model::load(model_dir.path()).unwrap();
    kb.write(
        "account/reset-password.md",
        &article("Reset my password", "", "## Steps\n\nChoose reset."),
    );
    let password = [
        "reset my password",
        "how do i reset my password",
        "i reset my password",
        "reset the password",
        "reset my account password",
        "how do i reset the password ?",
    ];
    let invoices = [
        "export invoice to csv",
        "how do i export the invoice",
        "export my invoice",
        "invoice export to csv",
        "export the invoice to csv",
        "i export invoice .",
    ];
    // The precondition the verdicts rest on: one topic reads like the
    // article's title, the other does not (checked, not assumed, as the
    // word vectors are random).
    let title = model.embed("Reset my password");
    assert!(dot(&model.embed(password[0]), &title) > 0.99);
    for q in invoices {
        let cosine = dot(&model.embed(q), &title);
        assert!(cosine < 0.6, "{q}: {cosine}");
    }
    let csv = kb.dir.path().join("tickets.csv");
    let mut w = csv::Writer::from_path(&csv).unwrap();
    w.write_record(["id", "description"]).unwrap();
    for (i, q) in password.iter().chain(&invoices).enumerate() {
        w.write_record([i.to_string().as_str(), q]).unwrap();
    }
    w.flush().unwrap();
    let out = kb.dir.path().join("out");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_deflect"))
        .arg("mine")
        .arg(&csv)
        .args(["--clusters", "2", "--min-cluster-size", "2", "--out"])
        .arg(&out)
        .arg("--articles")
        .arg(kb.articles())
        .arg("--index")
        .arg(&kb.config.index)
        .env("DEFLECT_SEMANTIC_MODEL", model_dir.path())
        .env_remove("DEFLECT_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("found 2 topics by meaning"), "{stdout}");

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["summary"]["by_meaning"], true);
    let topics = report["topics"].as_array().unwrap();
    let about = |word: &str| {
        topics
            .iter()
            .find(|t| {
                t["samples"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|s| s["text"].as_str().unwrap().contains(word))
            })
            .unwrap_or_else(|| panic!("no topic of `{word}` tickets alone: {topics:#?}"))
    };
    let covered = &about("password")["coverage"];
    assert_eq!(covered["verdict"], "covered", "{covered}");
    assert_eq!(covered["article"]["slug"], "account/reset-password");
    // The invoice tickets share "my", "how do i" with the article, and its
    // words would find it; by meaning it does not answer them.
    let uncovered = &about("invoice")["coverage"];
    assert_eq!(uncovered["verdict"], "not_covered", "{uncovered}");
    assert_eq!(uncovered["confident"], false);
}
