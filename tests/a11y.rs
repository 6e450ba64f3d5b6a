//! An accessibility audit: axe-core, run inside headless Chromium on every
//! public page, the widget (open, with results and an article) and the main
//! workspace pages, at desktop and phone width. No serious or critical
//! violation may remain. axe-core comes from npm (`.ci/run` installs it and
//! sets `DEFLECT_AXE` to its `axe.min.js`); without it the test skips
//! locally and fails under `CI=true`, like the browser tests.

use std::time::Duration;

use deflect::store::{NewTicket, RevisionFields, Role};

use crate::browser::{chromium, launch, serve, set_viewport, sign_in};
use crate::harness::TestKb;

/// axe-core's script, when this machine has it.
fn axe_script() -> Option<String> {
    let path = std::env::var("DEFLECT_AXE").unwrap_or_default();
    let script = std::fs::read_to_string(&path).ok();
    if script.is_none() {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true" || v == "1"),
            "CI must install axe-core for the accessibility audit (npm install axe-core; DEFLECT_AXE=…/axe.min.js)"
        );
        eprintln!("skipping the accessibility audit: set DEFLECT_AXE to axe-core's axe.min.js");
    }
    script
}

/// The serious and critical violations axe finds on the current page (the
/// WCAG 2.1 A and AA rules and axe's best practices), one line each.
fn violations(tab: &headless_chrome::Tab, axe: &str) -> Vec<String> {
    tab.evaluate(&format!("{axe};\n0"), false).unwrap();
    let run = r#"axe.run(document, {
            runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
            resultTypes: ['violations'],
        }).then(r => JSON.stringify(r.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`)))"#;
    let value = tab.evaluate(run, true).unwrap().value;
    serde_json::from_str(value.as_ref().and_then(|v| v.as_str()).unwrap_or("[]")).unwrap()
}

#[test]
fn every_page_passes_an_accessibility_audit() {
    let Some(path) = chromium() else { return };
    let Some(axe) = axe_script() else { return };
    let mut kb = TestKb::new();
    let shop = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let shop_origin = format!("http://{}", shop.local_addr().unwrap());
    kb.config.cors_origins = vec![shop_origin.clone()];
    let (runtime, base) = serve(&mut kb);
    let host = format!("<!doctype html><html lang=en><head><title>Shop</title></head><body><main><h1>Shop</h1></main><script src=\"{base}/widget.js\" defer></script></body></html>");
    shop.set_nonblocking(true).unwrap();
    runtime.spawn(async move {
        let app = axum::Router::new().route(
            "/",
            axum::routing::get(move || async move { axum::response::Html(host) }),
        );
        axum::serve(tokio::net::TcpListener::from_std(shop).unwrap(), app)
            .await
            .unwrap();
    });

    // Something on every workspace page: a revision in review, a ticket.
    let state = kb.state();
    let ana = state
        .store
        .create_account(
            "ana",
            "ana@example.com",
            Role::Lead,
            "correct horse battery",
        )
        .unwrap();
    let live = state
        .workflow
        .live("billing/refunds", "en")
        .unwrap()
        .unwrap();
    let fields = RevisionFields {
        title: "Refund policy and credits".into(),
        body: format!("{}\nCredits never expire.\n", live.body),
        ..live
    };
    let rev = state
        .workflow
        .edit_live(&ana, "billing/refunds", "en", fields)
        .unwrap();
    let (ticket, _) = state
        .store
        .create_ticket(
            &NewTicket {
                subject: "Charged twice".into(),
                description: "My card was charged twice this month.".into(),
                email: "customer@example.com".into(),
                category: Some("billing".into()),
                locale: "en".into(),
                session: None,
                source: "web".into(),
                article: None,
            },
            None,
            &[],
            |_| String::new(),
        )
        .unwrap();

    let browser = launch(path);
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(10));
    let public = [
        "/",
        "/search?q=refund",
        "/search?q=zzqqxx",
        "/categories/billing",
        "/articles/billing/refunds",
        "/articles/billing/refunds?feedback=reason",
        "/fr/",
        "/fr/articles/billing/refunds",
        "/fr/articles/billing/invoices",
        "/contact",
        "/fr/contact",
        "/no-such-page",
        "/agent/login",
    ];
    let workspace = [
        "/agent".to_string(),
        "/agent/articles/new".into(),
        format!("/agent/revisions/{}", rev.id),
        format!("/agent/revisions/{}/edit", rev.id),
        "/agent/history?slug=billing/refunds&locale=en".into(),
        "/agent/tickets".into(),
        format!("/agent/tickets/{}", ticket.id),
        "/agent/queue".into(),
        "/agent/mining".into(),
        "/agent/reports".into(),
        "/agent/accounts".into(),
    ];
    let mut found = Vec::new();
    for width in [1280, 390] {
        set_viewport(&tab, width, 900);
        let mut audit = |url: &str| {
            tab.navigate_to(url)
                .unwrap()
                .wait_until_navigated()
                .unwrap();
            tab.wait_for_element("body").unwrap();
            for v in violations(&tab, &axe) {
                found.push(format!("{url} at {width} px: {v}"));
            }
        };
        for page in public {
            audit(&format!("{base}{page}"));
        }
        // The widget, open, with results, then with an article.
        audit(&format!("{shop_origin}/"));
        let widget = |code: &str| {
            tab.evaluate(&format!("(() => {{ const r = document.querySelector('deflect-help-widget').shadowRoot; {code} }})()"), false)
                .unwrap()
                .value
        };
        tab.wait_for_element("deflect-help-widget").unwrap();
        widget("r.querySelector('.launcher').click(); return true;");
        widget("const i = r.querySelector('input.input'); i.value = 'refund'; i.dispatchEvent(new Event('input', { bubbles: true })); return true;");
        let listed = crate::harness::wait_until(Duration::from_secs(10), || {
            widget("return r.querySelectorAll('.result').length;")
                .and_then(|v| v.as_u64())
                .is_some_and(|n| n > 0)
        });
        assert!(listed, "the widget found articles");
        for v in violations(&tab, &axe) {
            found.push(format!("widget with results at {width} px: {v}"));
        }
        widget("r.querySelector('.result').click(); return true;");
        let opened = crate::harness::wait_until(Duration::from_secs(10), || {
            widget("return !!r.querySelector('.article-title');")
                .and_then(|v| v.as_bool())
                .unwrap_or(false)
        });
        assert!(opened, "the widget opened an article");
        for v in violations(&tab, &axe) {
            found.push(format!("widget with an article at {width} px: {v}"));
        }

        sign_in(&tab, &base, "ana");
        let mut audit = |url: &str| {
            tab.navigate_to(url)
                .unwrap()
                .wait_until_navigated()
                .unwrap();
            tab.wait_for_element("body").unwrap();
            for v in violations(&tab, &axe) {
                found.push(format!("{url} at {width} px: {v}"));
            }
        };
        for page in &workspace {
            audit(&format!("{base}{page}"));
        }
        // Signed out again for the next width's public pages.
        tab.wait_for_element("form[action='/agent/logout'] button")
            .unwrap()
            .click()
            .unwrap();
        tab.wait_for_element("#login-name").unwrap();
    }
    assert!(
        found.is_empty(),
        "{} violations:\n{}",
        found.len(),
        found.join("\n")
    );
}
