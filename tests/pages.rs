//! The public help center's pages, through the router.

use axum::http::StatusCode;

use crate::harness::TestKb;

#[tokio::test]
async fn home_lists_categories_with_counts_and_recent_articles() {
    let mut kb = TestKb::new();
    let r = kb.get("/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(
        r.body.contains("href=\"/categories/billing\""),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("Getting started"),
        "category titles are humanized"
    );
    assert!(r.body.contains("Welcome to Acme"), "recently updated");
    assert!(
        r.body.contains("data-suggest"),
        "search box with suggestions"
    );
    assert!(r.body.contains("/static/suggest.js"));
    assert!(
        !r.body.contains("zebracorn"),
        "no draft or internal article on the home page"
    );
    assert!(
        !r.body.contains("cdn") && !r.body.contains("https://fonts"),
        "no external assets"
    );
}

#[tokio::test]
async fn article_page_has_breadcrumbs_toc_rewritten_links_and_related() {
    let mut kb = TestKb::new();
    let r = kb.get("/articles/billing/refunds").await;
    assert_eq!(r.status, StatusCode::OK);
    let b = &r.body;
    assert!(b.contains("<h1") && b.contains("Refund policy"));
    assert!(b.contains("aria-label=\"Breadcrumb\""), "breadcrumbs");
    assert!(b.contains("href=\"#eligibility\""), "table of contents");
    assert!(
        b.contains("id=\"how-to-ask-for-a-refund\""),
        "heading anchors"
    );
    assert!(
        b.contains("href=\"/articles/billing/invoices#download-an-invoice\""),
        "relative link rewritten: {b}"
    );
    assert!(b.contains("href=\"/articles/account/reset-password\""));
    assert!(b.contains("<table>"));
    assert!(b.contains("2026-08-02"), "updated date");
    assert!(
        b.contains("Download invoices"),
        "related article from the same category"
    );
    assert!(
        b.contains("href=\"/fr/articles/billing/refunds\""),
        "language switcher"
    );
}

#[tokio::test]
async fn translated_article_is_served_under_its_locale() {
    let mut kb = TestKb::new();
    let r = kb.get("/fr/articles/billing/refunds").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Politique de remboursement"));
    assert!(r.body.contains("lang=\"fr\""));
    assert!(
        r.body.contains("href=\"/articles/billing/refunds\""),
        "switch back to English"
    );
    assert_eq!(
        kb.get("/fr/articles/billing/invoices").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(kb.get("/xx-invalid-!/").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn category_page_lists_its_articles() {
    let mut kb = TestKb::new();
    let r = kb.get("/categories/billing").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Refund policy") && r.body.contains("Download invoices"));
    assert!(!r.body.contains("zebracorn"), "draft not listed");
    assert_eq!(
        kb.get("/categories/nope").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        kb.get("/categories/internal").await.status,
        StatusCode::NOT_FOUND,
        "internal-only category is hidden"
    );
}

#[tokio::test]
async fn search_page_shows_snippets_facets_and_filters() {
    let mut kb = TestKb::new();
    let r = kb.get("/search?q=refund").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Refund policy"));
    assert!(
        r.body.contains("<b>refund</b>") || r.body.contains("<b>refunded</b>"),
        "highlighted snippet: {}",
        r.body
    );
    assert!(r.body.contains("category=billing"), "category facet link");

    let filtered = kb.get("/search?q=password&category=billing").await;
    assert_eq!(filtered.status, StatusCode::OK);
    assert!(
        !filtered.body.contains("Reset a forgotten password"),
        "filtered out by category"
    );
}

#[tokio::test]
async fn search_pages_through_results() {
    let mut kb = TestKb::empty();
    for i in 0..25 {
        kb.write(
            &format!("faq/q{i:02}.md"),
            &format!(
                "---\ntitle: Shipping question {i}\n---\nAbout shipping parcels number {i}.\n"
            ),
        );
    }
    let r = kb.get("/search?q=shipping&page=2").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("aria-label=\"Pagination\""), "{}", r.body);
    assert!(r.body.contains("page=3"), "link to the next page");
    assert!(r.body.contains("q=shipping"), "links keep the query");
}

#[tokio::test]
async fn zero_results_page_offers_contact() {
    let mut kb = TestKb::new();
    let r = kb.get("/search?q=quantum+entanglement").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains(&kb.config.contact_url),
        "contact link on zero results"
    );
    assert!(
        r.body.contains("href=\"/categories/billing\""),
        "browse categories instead"
    );
}

#[tokio::test]
async fn bad_search_input_is_a_400_with_a_message() {
    let mut kb = TestKb::new();
    let r = kb.get("/search?q=refund&page=abc").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("`page` must be a whole number"),
        "{}",
        r.body
    );
    assert!(r.body.contains("<html"), "rendered as a page");
    let long = format!("/search?q={}", "a".repeat(600));
    assert_eq!(kb.get(&long).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        kb.get("/search?q=refund&page=0").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn drafts_and_internal_articles_are_never_public() {
    let mut kb = TestKb::new();
    assert_eq!(
        kb.get("/articles/billing/annual-plans").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        kb.get("/articles/internal/escalation").await.status,
        StatusCode::NOT_FOUND
    );
    let r = kb.get("/search?q=zebracorn").await;
    assert!(
        !r.body.contains("Zebracorn escalation") && !r.body.contains("zebracorn preview"),
        "{}",
        r.body
    );
    assert!(kb.search("zebracorn").is_empty());
}

#[tokio::test]
async fn path_traversal_is_rejected() {
    let mut kb = TestKb::new();
    for uri in [
        "/articles/../../etc/passwd",
        "/articles/%2e%2e/%2e%2e/etc/passwd",
        "/articles/..%2F..%2FCargo",
        "/articles/billing/%2E%2E/%2E%2E/Cargo",
        "/static/..%2F..%2FCargo.toml",
        "/static/%2e%2e%2fbase.html",
        "/categories/..%2F..",
    ] {
        let r = kb.get(uri).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(
            !r.body.contains("[package]") && !r.body.contains("root:"),
            "{uri}"
        );
    }
}

#[tokio::test]
async fn unknown_pages_get_the_404_page() {
    let mut kb = TestKb::new();
    let r = kb.get("/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        r.body.contains("<html") && r.body.contains("name=\"q\""),
        "404 page with a search box"
    );
}

#[tokio::test]
async fn static_assets_are_served_locally() {
    let mut kb = TestKb::new();
    let css = kb.get("/static/app.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    let js = kb.get("/static/suggest.js").await;
    assert!(js.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert!(js.body.contains("/api/v1/suggest"));
    assert_eq!(
        kb.get("/static/nope.js").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(css.headers["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn sanitized_html_reaches_the_page() {
    let mut kb = TestKb::new();
    kb.write("hostile.md", "---\ntitle: Hostile\n---\n<script>alert('x')</script>\n\n[click](javascript:alert(1)) <img src=x onerror=alert(1)>\n");
    let r = kb.get("/articles/hostile").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("alert("), "{}", r.body);
}

#[tokio::test]
async fn the_french_help_center_has_its_contact_form_category_names_and_switcher() {
    use crate::deflection::{cookies_of, form_token, TICKET};
    let mut kb = TestKb::new();

    // The English site links to French, the French site back to English;
    // an article links to its translation.
    let home = kb.get("/").await;
    assert!(
        home.body
            .contains("href=\"/fr/\" hreflang=\"fr\" lang=\"fr\""),
        "{}",
        home.body
    );
    assert!(home.body.contains(">Français<"));
    let refunds = kb.get("/articles/billing/refunds").await;
    assert!(
        refunds
            .body
            .contains("href=\"/fr/articles/billing/refunds\" hreflang=\"fr\""),
        "{}",
        refunds.body
    );
    let fr_home = kb.get("/fr/").await;
    assert!(fr_home
        .body
        .contains("href=\"/\" hreflang=\"en\" lang=\"en\""));
    // Category names in French, contact links to the French form.
    assert!(fr_home.body.contains("Facturation"), "{}", fr_home.body);
    assert!(
        fr_home.body.contains("href=\"/fr/contact\""),
        "{}",
        fr_home.body
    );

    let form = kb.get("/fr/contact").await;
    assert_eq!(form.status, StatusCode::OK);
    for part in [
        "<html lang=\"fr\"",
        "Contacter le support",
        "action=\"/fr/contact\"",
        "Facturation",
    ] {
        assert!(form.body.contains(part), "{part}: {}", form.body);
    }
    let cookies = cookies_of(&form);
    let token = form_token(&cookies);
    let mut pairs: Vec<(&str, &str)> = vec![("csrf", &token)];
    pairs.extend_from_slice(TICKET);
    let body = serde_urlencoded::to_string(pairs).unwrap();
    let sent = kb.post_raw("/fr/contact", Some(&cookies), &body).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let location = sent.headers["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/fr/contact/sent/"), "{location}");
    let query = deflect::store::TicketQuery {
        limit: 10,
        ..Default::default()
    };
    let (tickets, _) = kb.state().store.tickets(&query).unwrap();
    assert_eq!(
        tickets[0].fields.locale, "fr",
        "the ticket is in the form's language"
    );

    // An article with no French version: a 404 that offers the English one.
    let missing = kb.get("/fr/articles/billing/invoices").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.body.contains("href=\"/articles/billing/invoices\""),
        "{}",
        missing.body
    );
    assert!(missing.body.contains("Il existe en"), "{}", missing.body);
    // Nowhere at all: the plain 404.
    let nowhere = kb.get("/fr/articles/billing/nope").await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    assert!(!nowhere.body.contains("Il existe en"));
    // Internal articles are not offered to customers in another language.
    let internal = kb.get("/fr/articles/internal/escalation").await;
    assert!(
        !internal.body.contains("/articles/internal/escalation"),
        "{}",
        internal.body
    );
}

#[tokio::test]
async fn an_article_offers_one_way_to_contact_support_below_it() {
    let mut kb = TestKb::new();
    let page = kb.get("/articles/billing/refunds").await;
    assert_eq!(page.body.matches("class=\"help-box\"").count(), 1);
    assert!(
        !page.body.contains("site-footer__help"),
        "no second box in the footer"
    );
    // After a "No", the vote's own offer replaces the box.
    let voted = kb.get("/articles/billing/refunds?feedback=reason").await;
    assert!(voted.body.contains("feedback__contact"));
    assert!(!voted.body.contains("class=\"help-box\""));
    // Other pages keep the footer's.
    assert!(kb.get("/").await.body.contains("site-footer__help"));
}
