//! The JSON API, through the router.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;

use crate::harness::TestKb;

fn assert_error(r: &crate::harness::Reply, status: StatusCode, needle: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    let v = r.json();
    assert!(v["error"]["code"].is_string(), "{v}");
    let msg = v["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
}

#[tokio::test]
async fn search_returns_the_documented_shape() {
    let mut kb = TestKb::new();
    let r = kb.get("/api/v1/search?q=refund&limit=2").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let v = r.json();
    insta::assert_json_snapshot!(v, { ".hits[].score" => "[score]" });
    let hit = &v["hits"][0];
    for key in [
        "slug",
        "title",
        "summary",
        "category",
        "url",
        "score",
        "snippet_html",
    ] {
        assert!(!hit[key].is_null(), "hit lacks {key}: {hit}");
    }
}

#[tokio::test]
async fn search_filters_by_category_and_pages() {
    let mut kb = TestKb::new();
    let all = kb.get("/api/v1/search?q=password+refund").await.json();
    let billing = kb
        .get("/api/v1/search?q=password+refund&category=billing")
        .await
        .json();
    assert!(all["total"].as_u64() > billing["total"].as_u64());
    assert!(billing["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["category"] == "billing"));
    assert_eq!(
        billing["facets"], all["facets"],
        "facets ignore the category filter"
    );
    let second = kb
        .get("/api/v1/search?q=password+refund&limit=1&offset=1")
        .await
        .json();
    assert_eq!(second["hits"][0]["slug"], all["hits"][1]["slug"]);
}

#[tokio::test]
async fn search_errors_are_4xx_json() {
    let mut kb = TestKb::new();
    assert_error(
        &kb.get("/api/v1/search").await,
        StatusCode::BAD_REQUEST,
        "query",
    );
    assert_error(
        &kb.get("/api/v1/search?q=").await,
        StatusCode::BAD_REQUEST,
        "query",
    );
    assert_error(
        &kb.get("/api/v1/search?q=a&limit=0").await,
        StatusCode::BAD_REQUEST,
        "`limit`",
    );
    assert_error(
        &kb.get("/api/v1/search?q=a&limit=many").await,
        StatusCode::BAD_REQUEST,
        "`limit`",
    );
    assert_error(
        &kb.get("/api/v1/search?q=a&offset=-1").await,
        StatusCode::BAD_REQUEST,
        "`offset`",
    );
    assert_error(
        &kb.get("/api/v1/search?q=a&locale=%21%21").await,
        StatusCode::BAD_REQUEST,
        "`locale`",
    );
    let long = format!("/api/v1/search?q={}", "x".repeat(501));
    assert_error(&kb.get(&long).await, StatusCode::BAD_REQUEST, "too long");
    assert_error(
        &kb.get("/api/v1/nope").await,
        StatusCode::NOT_FOUND,
        "No API route",
    );
}

#[tokio::test]
async fn odd_queries_never_fail() {
    let mut kb = TestKb::new();
    for q in [
        "\"unclosed",
        "AND OR NOT",
        "(((",
        "title:refund",
        "*",
        "~~~",
        "😀",
        "the",
        "a b c d e f g h i j k",
        "\0",
        "<script>",
    ] {
        let r = kb
            .get(&format!(
                "/api/v1/search?{}",
                serde_urlencoded::to_string([("q", q)]).unwrap()
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.body);
        assert!(r.json()["hits"].is_array());
    }
}

#[tokio::test]
async fn suggest_completes_the_last_word() {
    let mut kb = TestKb::new();
    let v = kb.get("/api/v1/suggest?q=pass").await.json();
    let s = &v["suggestions"][0];
    assert_eq!(s["title"], "Reset a forgotten password");
    assert_eq!(s["title_html"], "Reset a forgotten <mark>pass</mark>word");
    assert_eq!(s["url"], "/articles/account/reset-password");
    assert_eq!(s["category"], "account");
    assert_eq!(s["category_title"], "Account");
    let v = kb.get("/api/v1/suggest?q=reset+forg").await.json();
    assert_eq!(v["suggestions"][0]["title"], "Reset a forgotten password");
    let v = kb.get("/api/v1/suggest?q=").await.json();
    assert_eq!(v["suggestions"], Value::Array(vec![]));
    let v = kb.get("/api/v1/suggest?q=zebra").await.json();
    assert_eq!(
        v["suggestions"],
        Value::Array(vec![]),
        "drafts and internal articles are never suggested"
    );
}

#[tokio::test]
async fn suggest_forgives_a_typo_and_matches_any_word_when_no_title_has_them_all() {
    let mut kb = TestKb::new();
    let titles = |v: &Value| -> Vec<String> {
        v["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["title"].as_str().unwrap().to_string())
            .collect()
    };
    // A typo in the word being typed, and in a finished word.
    let v = kb.get("/api/v1/suggest?q=refnud").await.json();
    assert_eq!(titles(&v)[0], "Refund policy", "{v}");
    let v = kb.get("/api/v1/suggest?q=forgoten+pass").await.json();
    assert_eq!(titles(&v)[0], "Reset a forgotten password", "{v}");
    // Words not all in one title: titles with any of them.
    let v = kb.get("/api/v1/suggest?q=refund+password+").await.json();
    let found = titles(&v);
    assert!(
        found.contains(&"Refund policy".to_string())
            && found.contains(&"Reset a forgotten password".to_string()),
        "{found:?}"
    );
    // An exact match is not diluted by weaker ones ("pass" is one typo
    // from "past", "pays", …).
    let v = kb.get("/api/v1/suggest?q=reset+pass").await.json();
    assert_eq!(titles(&v), ["Reset a forgotten password"], "{v}");
    // Still nothing for nonsense, and short words are not stretched.
    for q in ["qxzvw", "zz"] {
        let v = kb.get(&format!("/api/v1/suggest?q={q}")).await.json();
        assert_eq!(v["suggestions"], Value::Array(vec![]), "{q}");
    }
}

#[tokio::test]
async fn articles_list_and_get() {
    let mut kb = TestKb::new();
    let v = kb.get("/api/v1/articles").await.json();
    let slugs: Vec<&str> = v["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs.len(), 5, "{slugs:?}");
    assert!(!slugs.contains(&"billing/annual-plans") && !slugs.contains(&"internal/escalation"));

    let a = kb.get("/api/v1/articles/billing/refunds").await.json();
    assert_eq!(a["title"], "Refund policy");
    assert!(a["html"].as_str().unwrap().contains("<table>"));
    assert!(a["markdown"]
        .as_str()
        .unwrap()
        .contains("| Situation | Refund? |"));
    assert_eq!(a["updated"], "2026-08-02T00:00:00Z");
    assert_eq!(a["tags"], serde_json::json!(["refund", "money back"]));

    let fr = kb
        .get("/api/v1/articles/billing/refunds?locale=fr")
        .await
        .json();
    assert_eq!(fr["title"], "Politique de remboursement");

    assert_error(
        &kb.get("/api/v1/articles/billing/nope").await,
        StatusCode::NOT_FOUND,
        "billing/nope",
    );
    assert_error(
        &kb.get("/api/v1/articles/billing/annual-plans").await,
        StatusCode::NOT_FOUND,
        "annual-plans",
    );
    assert_error(
        &kb.get("/api/v1/articles/..%2F..%2Fetc%2Fpasswd").await,
        StatusCode::BAD_REQUEST,
        "not a valid slug",
    );
}

#[tokio::test]
async fn cors_allows_configured_origins_only() {
    let mut kb = TestKb::new();
    kb.config.cors_origins = vec!["https://shop.example".into()];
    let ask = |origin: &str| {
        Request::get("/api/v1/search?q=refund")
            .header("origin", origin)
            .body(Body::empty())
            .unwrap()
    };
    let ok = kb.request(ask("https://shop.example")).await;
    assert_eq!(
        ok.headers["access-control-allow-origin"],
        "https://shop.example"
    );
    let other = kb.request(ask("https://evil.example")).await;
    assert!(other.headers.get("access-control-allow-origin").is_none());
    let preflight = Request::options("/api/v1/search")
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "GET")
        .body(Body::empty())
        .unwrap();
    let r = kb.request(preflight).await;
    assert!(r.status.is_success(), "{}", r.status);
}

#[tokio::test]
async fn healthz_reports_articles_and_problems() {
    let mut kb = TestKb::new();
    kb.write("broken.md", "---\ntitle: [oops\n---\n");
    let v = kb.get("/healthz").await.json();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["store"]["engine"], "sqlite");
    assert_eq!(v["store"]["reachable"], true);
    assert_eq!(v["articles"], 8);
    let problems = v["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0]
            .as_str()
            .unwrap()
            .contains("broken.md:3: invalid YAML"),
        "{problems:?}"
    );
}
