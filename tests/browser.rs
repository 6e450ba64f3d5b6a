//! Behaviour in a real headless Chromium: as-you-type suggestions under the
//! search box, driven by keyboard. Needs Debian's `chromium` (CI installs
//! it); without it the test is skipped locally and fails under `CI=true`.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use deflect::web::{self, AppState, Templates};
use headless_chrome::{Browser, LaunchOptions};

use crate::harness::{wait_until, TestKb};

/// The Chromium binary, or `None` (skip) when there is none and not in CI.
pub fn chromium() -> Option<PathBuf> {
    let candidates = [
        std::env::var("DEFLECT_CHROMIUM").unwrap_or_default(),
        "/usr/bin/chromium".into(),
        "/usr/bin/chromium-browser".into(),
        "/usr/bin/google-chrome".into(),
    ];
    let found = candidates.iter().map(PathBuf::from).find(|p| p.is_file());
    if found.is_none() {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true" || v == "1"),
            "CI must install chromium for the browser tests (apt-get install -y chromium)"
        );
        eprintln!(
            "skipping browser test: no chromium found (set DEFLECT_CHROMIUM or install chromium)"
        );
    }
    found
}

/// A headless browser started the way this machine allows (no sandbox as
/// root, no background network).
pub fn launch(path: PathBuf) -> Browser {
    let args: Vec<&OsStr> = [
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
    ]
    .iter()
    .map(OsStr::new)
    .collect();
    let options = LaunchOptions::default_builder()
        .path(Some(path))
        .headless(true)
        .sandbox(false)
        .args(args)
        .idle_browser_timeout(Duration::from_secs(60))
        .window_size(Some((1280, 900)))
        .build()
        .expect("launch options");
    Browser::new(options).expect("start chromium")
}

/// Serves `kb` on a loopback port from a background runtime.
pub fn serve(kb: &mut TestKb) -> (tokio::runtime::Runtime, String) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let state = AppState::new(
        kb.library(),
        Arc::new(Templates::load(None).unwrap()),
        kb.config.clone(),
    )
    .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(web::serve(listener, state, std::future::pending()));
    (runtime, base)
}

#[test]
fn typing_in_the_search_box_shows_suggestions_and_keyboard_opens_one() {
    let Some(path) = chromium() else { return };
    let mut kb = TestKb::new();
    let (_runtime, base) = serve(&mut kb);
    let browser = launch(path);
    let tab = browser.new_tab().unwrap();
    tab.navigate_to(&format!("{base}/"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();

    // Nothing matches: the list says so instead of vanishing.
    tab.wait_for_element("input[data-suggest]")
        .unwrap()
        .click()
        .unwrap();
    tab.type_str("qxzvw").unwrap();
    let note = tab
        .wait_for_element_with_custom_timeout(
            ".suggest--empty:not([hidden])",
            Duration::from_secs(10),
        )
        .unwrap()
        .get_inner_text()
        .unwrap();
    assert_eq!(
        note,
        "No quick matches. Press Enter to search all articles."
    );
    tab.evaluate("{ const i = document.querySelector('input[data-suggest]'); i.value = ''; i.dispatchEvent(new Event('input')); }", false)
        .unwrap();
    // A typo is forgiven.
    tab.type_str("refnud").unwrap();
    let option = tab
        .wait_for_element_with_custom_timeout("[role=option]", Duration::from_secs(10))
        .unwrap();
    assert!(option.get_inner_text().unwrap().contains("Refund policy"));
    tab.evaluate("{ const i = document.querySelector('input[data-suggest]'); i.value = ''; i.dispatchEvent(new Event('input')); }", false)
        .unwrap();
    tab.type_str("pass").unwrap();
    let option = tab
        .wait_for_element_with_custom_timeout("[role=option]", Duration::from_secs(10))
        .unwrap();
    let text = option.get_inner_text().unwrap();
    assert!(text.contains("Reset a forgotten password"), "{text}");
    let marked = tab
        .wait_for_element("[role=option] mark")
        .unwrap()
        .get_inner_text()
        .unwrap();
    assert_eq!(marked.to_lowercase(), "pass");
    let expanded = tab
        .evaluate(
            "document.querySelector('input[data-suggest]').getAttribute('aria-expanded')",
            false,
        )
        .unwrap()
        .value;
    assert_eq!(expanded, Some(serde_json::json!("true")));

    tab.press_key("ArrowDown").unwrap();
    tab.press_key("Enter").unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || tab
            .get_url()
            .ends_with("/articles/account/reset-password")),
        "Enter on the active suggestion opens it: {}",
        tab.get_url()
    );
    tab.wait_for_element("h1").unwrap();
}

#[test]
fn search_works_without_javascript_suggestions() {
    let Some(path) = chromium() else { return };
    let mut kb = TestKb::new();
    let (_runtime, base) = serve(&mut kb);
    let browser = launch(path);
    let tab = browser.new_tab().unwrap();
    tab.navigate_to(&format!("{base}/"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    tab.wait_for_element("input[data-suggest]")
        .unwrap()
        .click()
        .unwrap();
    tab.type_str("how do I get my money back").unwrap();
    tab.press_key("Enter").unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || tab
            .get_url()
            .contains("/search?q=how")),
        "{}",
        tab.get_url()
    );
    let first = tab
        .wait_for_element("main a[href^='/articles/billing/refunds?']")
        .unwrap();
    assert!(first.get_inner_text().unwrap().contains("Refund policy"));
}

/// Saves a screenshot of the current page when `DEFLECT_SCREENSHOTS` names a folder.
pub(crate) fn screenshot(tab: &headless_chrome::Tab, name: &str) {
    let Some(dir) = std::env::var_os("DEFLECT_SCREENSHOTS") else {
        return;
    };
    let png = tab
        .capture_screenshot(
            headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption::Png,
            None,
            None,
            true,
        )
        .unwrap();
    std::fs::write(PathBuf::from(dir).join(format!("{name}.png")), png).unwrap();
}

pub(crate) fn sign_in(tab: &headless_chrome::Tab, base: &str, name: &str) {
    tab.navigate_to(&format!("{base}/agent"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    tab.wait_for_element("#login-name")
        .unwrap()
        .click()
        .unwrap();
    tab.type_str(name).unwrap();
    tab.wait_for_element("#login-password")
        .unwrap()
        .click()
        .unwrap();
    tab.type_str("correct horse battery").unwrap();
    tab.press_key("Enter").unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || tab
            .get_url()
            .ends_with("/agent")),
        "signed in: {}",
        tab.get_url()
    );
}

fn click_button(tab: &headless_chrome::Tab, form_action_suffix: &str) {
    let selector = format!("form[action$='{form_action_suffix}'] button[type=submit]");
    tab.wait_for_element(&selector).unwrap().click().unwrap();
}

#[test]
fn agents_write_review_and_publish_an_article_in_the_browser() {
    let Some(path) = chromium() else { return };
    let mut kb = TestKb::new();
    let (_runtime, base) = serve(&mut kb);
    let store = kb.state().store.clone();
    for name in ["ana", "bo"] {
        store
            .create_account(
                name,
                &format!("{name}@example.com"),
                deflect::store::Role::Agent,
                "correct horse battery",
            )
            .unwrap();
    }
    let browser = launch(path);
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(10));

    sign_in(&tab, &base, "ana");
    screenshot(&tab, "dashboard");
    tab.navigate_to(&format!("{base}/agent/articles/new"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    // The slug follows the title and category until the writer edits it.
    tab.wait_for_element("#ed-title").unwrap().click().unwrap();
    tab.type_str("Pause a subscription").unwrap();
    tab.wait_for_element("#ed-category")
        .unwrap()
        .click()
        .unwrap();
    tab.type_str("billing").unwrap();
    let slug = |tab: &headless_chrome::Tab| {
        tab.evaluate("document.getElementById('ed-slug').value", false)
            .unwrap()
            .value
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    assert_eq!(slug(&tab), "billing/pause-a-subscription");
    tab.evaluate("document.getElementById('ed-slug').select()", false)
        .unwrap();
    tab.wait_for_element("#ed-slug").unwrap().focus().unwrap();
    tab.type_str("billing/pause").unwrap();
    tab.wait_for_element("#ed-title").unwrap().click().unwrap();
    tab.type_str(" now").unwrap();
    assert_eq!(
        slug(&tab),
        "billing/pause",
        "an edited slug is the writer's"
    );
    tab.wait_for_element("#body").unwrap().click().unwrap();
    tab.type_str("You can pause a quokkaplan for up to three months.\n\n## How to pause\n\nOpen **Billing**.").unwrap();
    let preview = tab.wait_for_element("#preview h2").unwrap();
    assert_eq!(
        preview.get_inner_text().unwrap(),
        "How to pause",
        "the live preview renders the Markdown"
    );
    screenshot(&tab, "editor");
    click_button(&tab, "/agent/articles/new");
    assert!(
        wait_until(Duration::from_secs(10), || tab.get_url().contains("/edit")),
        "{}",
        tab.get_url()
    );

    let id: i64 = tab
        .get_url()
        .split("/agent/revisions/")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap()
        .parse()
        .unwrap();
    // Submitted from the editor, asking bo.
    tab.wait_for_element(".editor__reviewers summary")
        .unwrap()
        .click()
        .unwrap();
    tab.wait_for_element("#ed-reviewer-1")
        .unwrap()
        .click()
        .unwrap();
    tab.wait_for_element("button[name=then][value=submit]")
        .unwrap()
        .click()
        .unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || tab
            .get_url()
            .contains("done=submitted")),
        "{}",
        tab.get_url()
    );
    assert_eq!(store.requested_reviewers(id).unwrap(), ["bo"]);
    click_button(&tab, "/agent/logout");
    tab.wait_for_element("#login-name").unwrap();

    sign_in(&tab, &base, "bo");
    tab.navigate_to(&format!("{base}/agent/revisions/{id}"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    screenshot(&tab, "review");
    click_button(&tab, "/approve");
    assert!(
        wait_until(Duration::from_secs(10), || tab
            .get_url()
            .contains("done=approved")),
        "{}",
        tab.get_url()
    );
    click_button(&tab, "/publish");
    assert!(
        wait_until(Duration::from_secs(10), || tab
            .get_url()
            .contains("done=published")),
        "{}",
        tab.get_url()
    );

    tab.navigate_to(&format!("{base}/search?q=quokkaplan"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    let hit = tab
        .wait_for_element("main a[href^='/articles/billing/pause?']")
        .unwrap();
    assert!(hit
        .get_inner_text()
        .unwrap()
        .contains("Pause a subscription now"));
}

#[test]
fn the_contact_form_suggests_an_answer_then_takes_a_ticket() {
    let Some(path) = chromium() else { return };
    let mut kb = TestKb::new();
    // A webhook that receives the ticket.
    let got: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let g = got.clone();
    let hook = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    kb.config.tickets.webhook = format!("http://{}/hook", hook.local_addr().unwrap());
    let (runtime, base) = serve(&mut kb);
    hook.set_nonblocking(true).unwrap();
    runtime.spawn(async move {
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |body: String| {
                let g = g.clone();
                async move {
                    g.lock().unwrap().push(body);
                    axum::http::StatusCode::OK
                }
            }),
        );
        axum::serve(tokio::net::TcpListener::from_std(hook).unwrap(), app)
            .await
            .unwrap();
    });
    kb.state().workflow.notifier.spawn();
    let browser = launch(path);
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(10));

    tab.navigate_to(&format!("{base}/contact"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    tab.wait_for_element("#contact-subject")
        .unwrap()
        .click()
        .unwrap();
    tab.type_str("Refund").unwrap();
    tab.wait_for_element("#contact-description")
        .unwrap()
        .click()
        .unwrap();
    tab.type_str("I cancelled my yearly plan, can I get my money back?")
        .unwrap();
    let suggestion = tab
        .wait_for_element("#contact-suggestions a[href^='/articles/billing/refunds?from=contact']")
        .unwrap();
    screenshot(&tab, "contact");
    suggestion.click().unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || tab
            .get_url()
            .contains("/articles/billing/refunds?from=contact")),
        "{}",
        tab.get_url()
    );
    let url = tab.get_url();
    assert!(
        url.contains("q=Refund&") && !url.contains("money"),
        "the link carries the subject, never the description: {url}"
    );
    tab.wait_for_element("form[action='/contact/deflected'] button[type=submit]")
        .unwrap()
        .click()
        .unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || tab
            .get_url()
            .ends_with("/contact/deflected")),
        "{}",
        tab.get_url()
    );
    let text = tab
        .wait_for_element("main")
        .unwrap()
        .get_inner_text()
        .unwrap();
    let kinds: Vec<&str> = crate::deflection::events(&mut kb)
        .iter()
        .map(|e| e.kind.as_str())
        .collect::<Vec<_>>()
        .into_iter()
        .collect();
    assert!(
        kinds.contains(&"suggestion_shown")
            && kinds.contains(&"suggestion_click")
            && kinds.ends_with(&["deflected"]),
        "{kinds:?} {text}"
    );
    assert_eq!(
        kb.state().store.ticket_count().unwrap(),
        0,
        "deflected: no ticket"
    );

    tab.navigate_to(&format!("{base}/contact"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    tab.wait_for_element("#contact-subject")
        .unwrap()
        .click()
        .unwrap();
    tab.type_str("Charged twice").unwrap();
    tab.wait_for_element("#contact-description")
        .unwrap()
        .click()
        .unwrap();
    tab.type_str("My card was charged twice this month for the same plan.")
        .unwrap();
    tab.wait_for_element("#contact-email")
        .unwrap()
        .click()
        .unwrap();
    tab.type_str("customer@example.com").unwrap();
    tab.wait_for_element("form[data-contact-form] button[type=submit]")
        .unwrap()
        .click()
        .unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || kb
            .state()
            .store
            .ticket_count()
            .unwrap()
            == 1),
        "one ticket stored"
    );
    assert!(
        wait_until(Duration::from_secs(10), || got.lock().unwrap().len() == 1),
        "and delivered"
    );
    assert!(got.lock().unwrap()[0].contains("Charged twice"));
    assert!(
        wait_until(Duration::from_secs(10), || crate::deflection::events(
            &mut kb
        )
        .iter()
        .any(|e| e.kind == deflect::analytics::EventKind::TicketSubmit)),
        "{:?}",
        crate::deflection::events(&mut kb)
            .iter()
            .map(|e| e.kind.as_str())
            .collect::<Vec<_>>()
    );
}

#[test]
fn the_widget_works_on_a_page_from_another_origin() {
    let Some(path) = chromium() else { return };
    let mut kb = TestKb::new();
    // The shop's site: another port, so another origin.
    let shop = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let shop_origin = format!("http://{}", shop.local_addr().unwrap());
    kb.config.cors_origins = vec![shop_origin.clone()];
    let (runtime, base) = serve(&mut kb);
    let page = format!("<!doctype html><html lang=en><head><title>Shop</title></head><body><h1>Shop</h1><script src=\"{base}/widget.js\" defer></script></body></html>");
    shop.set_nonblocking(true).unwrap();
    runtime.spawn(async move {
        let app = axum::Router::new().route(
            "/",
            axum::routing::get(move || async move { axum::response::Html(page) }),
        );
        axum::serve(tokio::net::TcpListener::from_std(shop).unwrap(), app)
            .await
            .unwrap();
    });
    let browser = launch(path);
    let tab = browser.new_tab().unwrap();
    tab.navigate_to(&format!("{shop_origin}/"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    tab.wait_for_element("deflect-help-widget").unwrap();
    let js = |code: &str| {
        tab.evaluate(&format!("(() => {{ const r = document.querySelector('deflect-help-widget').shadowRoot; {code} }})()"), false).unwrap().value
    };
    js("r.querySelector('.launcher').click(); return true;");
    // Typed letter by letter, slower than the search runs: every prefix
    // shows results, but only the query the customer settles on counts.
    for prefix in ["r", "re", "ref", "refu", "refun", "refund"] {
        js(&format!("const i = r.querySelector('input.input'); i.value = '{prefix}'; i.dispatchEvent(new Event('input', {{ bubbles: true }})); return true;"));
        std::thread::sleep(Duration::from_millis(400));
    }
    let found = wait_until(Duration::from_secs(10), || {
        js("return [...r.querySelectorAll('.result__title')].map(e => e.textContent).join('|');")
            .and_then(|v| v.as_str().map(String::from))
            .is_some_and(|t| t.contains("Refund policy"))
    });
    screenshot(&tab, "widget");
    assert!(found, "search results came over CORS");
    js("r.querySelector('.result').click(); return true;");
    let opened = wait_until(Duration::from_secs(10), || {
        js("return r.querySelector('.article-title').textContent;")
            .and_then(|v| v.as_str().map(String::from))
            .is_some_and(|t| t == "Refund policy")
    });
    assert!(opened, "the article opened in the widget");
    js("r.querySelector('.actions .button--primary').click(); return true;");
    assert!(
        wait_until(Duration::from_secs(10), || crate::deflection::events(
            &mut kb
        )
        .iter()
        .any(|e| e.kind == deflect::analytics::EventKind::Deflected
            && e.source == deflect::analytics::Source::Widget)),
        "the widget's deflection was recorded"
    );
    let searches: Vec<String> = crate::deflection::events(&mut kb)
        .into_iter()
        .filter(|e| {
            e.kind == deflect::analytics::EventKind::Search
                && e.source == deflect::analytics::Source::Widget
        })
        .filter_map(|e| e.query)
        .collect();
    assert_eq!(searches, ["refund"], "prefixes are never counted");
    let clicks = crate::deflection::events(&mut kb)
        .into_iter()
        .filter(|e| e.kind == deflect::analytics::EventKind::Click)
        .count();
    assert_eq!(clicks, 1, "the click on the settled search's result");
}

/// Emulates a screen of `width` × `height` CSS pixels (a phone below 480).
pub(crate) fn set_viewport(tab: &headless_chrome::Tab, width: u32, height: u32) {
    tab.call_method(
        headless_chrome::protocol::cdp::Emulation::SetDeviceMetricsOverride {
            width,
            height,
            device_scale_factor: 1.0,
            mobile: width < 480,
            scale: None,
            screen_width: None,
            screen_height: None,
            position_x: None,
            position_y: None,
            dont_set_visible_size: None,
            screen_orientation: None,
            viewport: None,
            display_feature: None,
            device_posture: None,
        },
    )
    .unwrap();
}

/// What is wrong with the layout of a workspace page: the page wider than
/// the screen, the two columns of the review page or the editor's panes
/// overlapping, or a table, diff or preview sticking out of its column.
fn layout_problems(tab: &headless_chrome::Tab) -> Vec<String> {
    let js = r#"(() => {
        const out = [];
        const doc = document.documentElement;
        if (doc.scrollWidth > doc.clientWidth + 1) out.push(`page ${doc.scrollWidth} px wide in ${doc.clientWidth}`);
        const overlap = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
        for (const [x, y] of [['.revision-layout__main', '.revision-layout__aside'], ['.editor__pane--source', '.editor__pane--preview'], ['.editor__meta', '.editor__panes']]) {
            const a = document.querySelector(x), b = document.querySelector(y);
            if (a && b && overlap(a.getBoundingClientRect(), b.getBoundingClientRect())) out.push(`${x} overlaps ${y}`);
        }
        for (const col of document.querySelectorAll('.revision-layout__main, .revision-layout__aside, .editor__pane')) {
            const c = col.getBoundingClientRect();
            for (const el of col.querySelectorAll('table, .diff-wrap, .table-wrap, pre, .editor__preview, textarea, .panel')) {
                const r = el.getBoundingClientRect();
                if (r.width === 0) continue;
                // Content that scrolls inside a box within the column is fine.
                let box = el.parentElement, clipped = false;
                while (box && box !== col) {
                    const ov = getComputedStyle(box).overflowX;
                    if ((ov === 'auto' || ov === 'scroll' || ov === 'hidden') && box.getBoundingClientRect().right <= c.right + 1) { clipped = true; break; }
                    box = box.parentElement;
                }
                if (!clipped && (r.right > c.right + 1 || r.left < c.left - 1)) out.push(`${el.tagName.toLowerCase()}.${el.className} sticks out of ${col.className} (${Math.round(r.left)}–${Math.round(r.right)} vs ${Math.round(c.left)}–${Math.round(c.right)})`);
            }
        }
        return JSON.stringify(out);
    })()"#;
    let value = tab.evaluate(js, false).unwrap().value;
    serde_json::from_str(value.as_ref().and_then(|v| v.as_str()).unwrap_or("[]")).unwrap()
}

/// The page's current width in CSS pixels.
fn page_width(tab: &headless_chrome::Tab) -> f64 {
    tab.evaluate("document.documentElement.scrollWidth", false)
        .unwrap()
        .value
        .and_then(|v| v.as_f64())
        .unwrap()
}

#[test]
fn a_ticket_goes_from_the_contact_form_to_the_inbox_and_is_solved() {
    let Some(path) = chromium() else { return };
    let mut kb = TestKb::new();
    let (_runtime, base) = serve(&mut kb);
    let store = kb.state().store.clone();
    store
        .create_account(
            "ana",
            "ana@example.com",
            deflect::store::Role::Agent,
            "correct horse battery",
        )
        .unwrap();
    let browser = launch(path);
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(10));

    // The customer searches, reads, then writes.
    tab.navigate_to(&format!("{base}/search?q=refund"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    tab.wait_for_element("main a[href^='/articles/billing/refunds?']")
        .unwrap()
        .click()
        .unwrap();
    tab.wait_until_navigated().unwrap();
    tab.navigate_to(&format!("{base}/contact"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    for (field, text) in [
        ("#contact-subject", "Charged twice"),
        (
            "#contact-description",
            "My card was charged twice this month for the same plan.",
        ),
        ("#contact-email", "customer@example.com"),
    ] {
        tab.wait_for_element(field).unwrap().click().unwrap();
        tab.type_str(text).unwrap();
    }
    tab.wait_for_element("form[data-contact-form] button[type=submit]")
        .unwrap()
        .click()
        .unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || tab
            .get_url()
            .contains("/contact/sent/")),
        "redirected to the confirmation: {}",
        tab.get_url()
    );
    tab.reload(false, None)
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    let main = tab
        .wait_for_element("main")
        .unwrap()
        .get_inner_text()
        .unwrap();
    assert!(main.contains("customer@example.com"), "{main}");
    assert_eq!(store.ticket_count().unwrap(), 1, "a reload sends nothing");

    // The agent finds it in the inbox, with the visit before it.
    sign_in(&tab, &base, "ana");
    tab.navigate_to(&format!("{base}/agent/tickets"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    tab.wait_for_element("a[href='/agent/tickets/1']").unwrap();
    screenshot(&tab, "inbox-1280");
    // Page views are written in batches (the ticket first): on a busy
    // machine the last step may land a moment after the ticket.
    let mut journey = String::new();
    let complete = wait_until(Duration::from_secs(10), || {
        tab.navigate_to(&format!("{base}/agent/tickets/1"))
            .unwrap()
            .wait_until_navigated()
            .unwrap();
        journey = tab
            .find_element(".journey")
            .and_then(|e| e.get_inner_text())
            .unwrap_or_default();
        journey.contains("refund") && journey.contains("billing/refunds")
    });
    assert!(complete, "{journey}");
    screenshot(&tab, "ticket-1280");
    set_viewport(&tab, 1280, 2000);
    screenshot(&tab, "ticket-1280-full");

    // On a phone the pages fit the screen.
    set_viewport(&tab, 390, 900);
    screenshot(&tab, "ticket-390");
    // What sticks out, should anything: named in the failure message.
    let wide = tab
        .evaluate(
            "Array.from(document.querySelectorAll('*')).filter(e => e.getBoundingClientRect().right > 392).slice(0, 8).map(e => e.tagName + '.' + e.className).join(' | ')",
            false,
        )
        .unwrap()
        .value;
    assert!(
        wait_until(Duration::from_secs(10), || page_width(&tab) <= 400.0),
        "no sideways scrolling on the ticket page: {} {wide:?}",
        page_width(&tab)
    );
    tab.navigate_to(&format!("{base}/agent/tickets"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    tab.wait_for_element("a[href='/agent/tickets/1']").unwrap();
    assert!(page_width(&tab) <= 400.0, "inbox: {}", page_width(&tab));
    screenshot(&tab, "inbox-390");

    tab.navigate_to(&format!("{base}/agent/tickets/1"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    click_button(&tab, "/agent/tickets/1/solve");
    assert!(
        wait_until(Duration::from_secs(10), || tab
            .get_url()
            .contains("done=ticket_solved")),
        "{}",
        tab.get_url()
    );
    assert_eq!(
        store.ticket(1).unwrap().unwrap().status,
        deflect::store::TicketStatus::Solved
    );
}

#[test]
fn a_reviewer_sees_every_changed_field_of_an_edit_at_desktop_and_phone_width() {
    let Some(path) = chromium() else { return };
    let mut kb = TestKb::new();
    let (_runtime, base) = serve(&mut kb);
    let store = kb.state().store.clone();
    for name in ["ana", "bo"] {
        store
            .create_account(
                name,
                &format!("{name}@example.com"),
                deflect::store::Role::Agent,
                "correct horse battery",
            )
            .unwrap();
    }
    let browser = launch(path);
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(10));

    sign_in(&tab, &base, "bo");
    tab.navigate_to(&format!("{base}/agent/edit?slug=billing/refunds"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    assert!(
        store
            .open_revision("billing/refunds", "en")
            .unwrap()
            .is_none(),
        "opening the editor starts no revision"
    );
    let title = tab.wait_for_element("#ed-title").unwrap();
    title.click().unwrap();
    tab.press_key("End").unwrap();
    tab.type_str(" and credits").unwrap();
    click_button(&tab, "/agent/edit?slug=billing%2Frefunds&locale=en");
    assert!(
        wait_until(Duration::from_secs(10), || tab
            .get_url()
            .contains("done=saved")),
        "{}",
        tab.get_url()
    );
    let rev = store
        .open_revision("billing/refunds", "en")
        .unwrap()
        .expect("the first save started the revision");
    assert_eq!(rev.fields.title, "Refund policy and credits");
    tab.navigate_to(&format!("{base}/agent/revisions/{}", rev.id))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    click_button(&tab, "/submit");
    assert!(wait_until(Duration::from_secs(10), || tab
        .get_url()
        .contains("done=submitted")));
    click_button(&tab, "/agent/logout");
    tab.wait_for_element("#login-name").unwrap();

    sign_in(&tab, &base, "ana");
    // The review page and the editor never overlap or overflow, at any
    // width from a small phone to a wide desktop.
    for width in [360, 600, 900, 1024, 1280, 1440, 1920] {
        set_viewport(&tab, width, 900);
        for page in [
            format!("/agent/revisions/{}", rev.id),
            format!("/agent/revisions/{}/edit", rev.id),
        ] {
            tab.navigate_to(&format!("{base}{page}"))
                .unwrap()
                .wait_until_navigated()
                .unwrap();
            tab.wait_for_element("h1").unwrap();
            let name = if page.ends_with("/edit") {
                "editor"
            } else {
                "review"
            };
            screenshot(&tab, &format!("layout-{name}-{width}"));
            let problems = layout_problems(&tab);
            assert!(problems.is_empty(), "{page} at {width} px: {problems:?}");
        }
    }
    for width in [1280, 390] {
        set_viewport(&tab, width, 900);
        tab.navigate_to(&format!("{base}/agent/revisions/{}", rev.id))
            .unwrap()
            .wait_until_navigated()
            .unwrap();
        let table = tab
            .wait_for_element(".field-changes")
            .unwrap()
            .get_inner_text()
            .unwrap();
        assert!(
            table.contains("Refund policy") && table.contains("Refund policy and credits"),
            "{table}"
        );
        screenshot(&tab, &format!("review-fields-{width}"));
        let overflow = tab
            .evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth",
                false,
            )
            .unwrap()
            .value
            .and_then(|v| v.as_i64())
            .unwrap();
        assert!(
            overflow <= 0,
            "{overflow} px wider than the {width} px screen"
        );
    }
}

#[test]
fn the_widget_counts_honestly_keeps_readers_in_the_panel_and_explains_a_refused_site() {
    let Some(path) = chromium() else { return };
    let mut kb = TestKb::new();
    for i in 1..=7 {
        kb.write(
            &format!("billing/wombat-{i}.md"),
            &format!("---\ntitle: Wombat guide {i}\n---\n\nAll about the wombat plan, part {i}.[^1]\n\n{}\n\n[^1]: The footnote of part {i}.\n", "Filler text. ".repeat(200)),
        );
    }
    // Two sites: the shop is allowed, the blog is not.
    let shop = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let blog = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let shop_origin = format!("http://{}", shop.local_addr().unwrap());
    let blog_origin = format!("http://{}", blog.local_addr().unwrap());
    kb.config.cors_origins = vec![shop_origin.clone()];
    let (runtime, base) = serve(&mut kb);
    let page = format!("<!doctype html><html lang=en><head><title>Site</title></head><body><h1>Site</h1><p id=\"top\">Top</p><script src=\"{base}/widget.js\" defer></script></body></html>");
    for site in [shop, blog] {
        site.set_nonblocking(true).unwrap();
        let page = page.clone();
        runtime.spawn(async move {
            let app = axum::Router::new().route(
                "/",
                axum::routing::get(move || async move { axum::response::Html(page) }),
            );
            axum::serve(tokio::net::TcpListener::from_std(site).unwrap(), app)
                .await
                .unwrap();
        });
    }
    let browser = launch(path);
    let tab = browser.new_tab().unwrap();
    let js = |code: &str| {
        tab.evaluate(&format!("(() => {{ const r = document.querySelector('deflect-help-widget').shadowRoot; {code} }})()"), false).unwrap().value
    };
    let text_of = |code: &str| {
        js(code)
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    };
    let search = |q: &str| {
        js("r.querySelector('.launcher').click(); return true;");
        js(&format!("const i = r.querySelector('input.input'); i.value = '{q}'; i.dispatchEvent(new Event('input', {{ bubbles: true }})); return true;"));
    };

    tab.navigate_to(&format!("{shop_origin}/"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    tab.wait_for_element("deflect-help-widget").unwrap();
    search("wombat");
    assert!(
        wait_until(Duration::from_secs(10), || text_of(
            "return r.querySelector('.status').textContent;"
        ) == "5 of 7 articles"),
        "{}",
        text_of("return r.querySelector('.status').textContent;")
    );
    let see_all = text_of("const a = r.querySelector('.see-all'); return a.hidden ? '' : a.textContent + ' ' + a.href;");
    assert!(
        see_all.starts_with("See all 7 in the help center")
            && see_all.ends_with("/search?q=wombat"),
        "{see_all}"
    );

    // A footnote link scrolls the panel, never the host page.
    js("[...r.querySelectorAll('.result')][0].click(); return true;");
    assert!(wait_until(Duration::from_secs(10), || text_of(
        "return r.querySelector('.article-title').textContent;"
    )
    .starts_with("Wombat guide")));
    let url_before = tab.get_url();
    js("r.querySelector('.prose sup a').click(); return true;");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        tab.get_url(),
        url_before,
        "the host page did not jump to #1"
    );
    let scroll = tab
        .evaluate("window.scrollY", false)
        .unwrap()
        .value
        .and_then(|v| v.as_f64())
        .unwrap_or(-1.0);
    assert_eq!(scroll, 0.0, "the host page did not scroll");

    // A link to another article opens it in the panel; the page stays.
    search("refund");
    assert!(wait_until(Duration::from_secs(10), || text_of(
        "return [...r.querySelectorAll('.result__title')].map(e => e.textContent).join('|');"
    )
    .contains("Refund policy")));
    js("[...r.querySelectorAll('.result')].find(b => b.textContent.includes('Refund policy')).click(); return true;");
    assert!(wait_until(Duration::from_secs(10), || text_of(
        "return r.querySelector('.article-title').textContent;"
    ) == "Refund policy"));
    let tabs = browser.get_tabs().lock().unwrap().len();
    js("[...r.querySelectorAll('.prose a')].find(a => a.textContent === 'Reset your password').click(); return true;");
    assert!(
        wait_until(Duration::from_secs(10), || text_of(
            "return r.querySelector('.article-title').textContent;"
        )
            == "Reset a forgotten password"),
        "the linked article opened in the panel"
    );
    assert_eq!(browser.get_tabs().lock().unwrap().len(), tabs, "no new tab");
    assert!(tab.get_url().starts_with(&shop_origin), "{}", tab.get_url());

    // A site the help center does not allow: the customer is told the truth
    // and given a way on; the server names the site on /healthz.
    tab.navigate_to(&format!("{blog_origin}/"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    tab.wait_for_element("deflect-help-widget").unwrap();
    search("refund");
    assert!(
        wait_until(Duration::from_secs(10), || text_of(
            "const a = r.querySelector('.alert'); return a ? a.textContent : '';"
        )
        .contains("Help isn’t available on this page right now")),
        "{}",
        text_of("const a = r.querySelector('.alert'); return a ? a.textContent : '';")
    );
    let link = text_of("return r.querySelector('.alert a').href;");
    assert_eq!(link, format!("{base}/"));
    let health: serde_json::Value = serde_json::from_str(
        &ureq::get(&format!("{base}/healthz"))
            .call()
            .unwrap()
            .into_string()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        health["cors_refused_origins"],
        serde_json::json!([blog_origin])
    );
}

#[test]
fn the_table_of_contents_shows_the_section_being_read() {
    let Some(path) = chromium() else { return };
    let mut kb = TestKb::new();
    let filler = "Words to scroll past. ".repeat(150);
    kb.write(
        "billing/long-guide.md",
        &format!("---\ntitle: A long guide\n---\n\nIntro.\n\n## First part\n\n{filler}\n\n## Second part\n\n{filler}\n\n## Third part\n\n{filler}\n"),
    );
    let (_runtime, base) = serve(&mut kb);
    let browser = launch(path);
    let tab = browser.new_tab().unwrap();
    set_viewport(&tab, 1280, 800);
    tab.navigate_to(&format!("{base}/articles/billing/long-guide"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    tab.wait_for_element(".toc").unwrap();
    let current = |tab: &headless_chrome::Tab| {
        tab.evaluate(
            "(document.querySelector('.toc a[aria-current]') || {}).textContent || ''",
            false,
        )
        .unwrap()
        .value
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
    };
    tab.evaluate(
        "document.getElementById('second-part').scrollIntoView()",
        false,
    )
    .unwrap();
    assert!(
        wait_until(Duration::from_secs(5), || current(&tab) == "Second part"),
        "{}",
        current(&tab)
    );
    screenshot(&tab, "toc-current");
    tab.evaluate(
        "window.scrollTo(0, document.documentElement.scrollHeight)",
        false,
    )
    .unwrap();
    assert!(wait_until(Duration::from_secs(5), || current(&tab) == "Third part"));
    tab.evaluate("window.scrollTo(0, 0)", false).unwrap();
    assert!(wait_until(Duration::from_secs(5), || current(&tab).is_empty()));
}

#[test]
fn a_french_customer_writes_to_support_in_french() {
    let Some(path) = chromium() else { return };
    let mut kb = TestKb::new();
    let (_runtime, base) = serve(&mut kb);
    let store = kb.state().store.clone();
    let browser = launch(path);
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(10));
    set_viewport(&tab, 390, 844);
    tab.navigate_to(&format!("{base}/fr/"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    tab.wait_for_element(".site-nav a[href='/fr/contact']")
        .unwrap()
        .click()
        .unwrap();
    assert!(wait_until(Duration::from_secs(10), || tab
        .get_url()
        .ends_with("/fr/contact")));
    let heading = tab
        .wait_for_element("h1")
        .unwrap()
        .get_inner_text()
        .unwrap();
    assert_eq!(heading, "Contacter le support");
    let options = tab
        .evaluate("[...document.querySelectorAll('#contact-category option')].map(o => o.textContent).join('|')", false)
        .unwrap()
        .value
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default();
    assert!(options.contains("Facturation"), "{options}");
    tab.wait_for_element("#contact-subject")
        .unwrap()
        .click()
        .unwrap();
    tab.type_str("Remboursement").unwrap();
    tab.wait_for_element("#contact-description")
        .unwrap()
        .click()
        .unwrap();
    tab.type_str("Je voudrais un remboursement de mon abonnement annuel.")
        .unwrap();
    let suggestion = tab
        .wait_for_element("#contact-suggestions a[href^='/fr/articles/billing/refunds']")
        .unwrap()
        .get_inner_text()
        .unwrap();
    assert_eq!(suggestion, "Politique de remboursement");
    tab.wait_for_element("#contact-email")
        .unwrap()
        .click()
        .unwrap();
    tab.type_str("client@example.com").unwrap();
    screenshot(&tab, "contact-fr-390");
    tab.wait_for_element("form.contact-form button[type=submit]")
        .unwrap()
        .click()
        .unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || tab
            .get_url()
            .contains("/fr/contact/sent/")),
        "{}",
        tab.get_url()
    );
    let lang = tab
        .evaluate("document.documentElement.lang", false)
        .unwrap()
        .value;
    assert_eq!(lang, Some(serde_json::json!("fr")));
    let query = deflect::store::TicketQuery {
        limit: 5,
        ..Default::default()
    };
    let (tickets, _) = store.tickets(&query).unwrap();
    assert_eq!(tickets[0].fields.locale, "fr");
}

#[test]
fn an_agent_takes_the_most_needed_draft_from_the_writing_queue() {
    let Some(path) = chromium() else { return };
    let mut kb = TestKb::new();
    let (_runtime, base) = serve(&mut kb);
    let state = kb.state();
    state
        .store
        .create_account(
            "ana",
            "ana@example.com",
            deflect::store::Role::Agent,
            "correct horse battery",
        )
        .unwrap();
    crate::harness::queue_mined_drafts(&state, &[3, 1, 2]);
    let browser = launch(path);
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(10));
    sign_in(&tab, &base, "ana");
    let top = tab
        .evaluate(
            "[...document.querySelectorAll('.queue-top__title')].map(a => a.textContent).join('|')",
            false,
        )
        .unwrap()
        .value;
    assert_eq!(
        top,
        Some(serde_json::json!(
            "Mined topic ranked 1|Mined topic ranked 2|Mined topic ranked 3"
        ))
    );
    for width in [1280, 390] {
        set_viewport(&tab, width, 900);
        tab.navigate_to(&format!("{base}/agent/queue"))
            .unwrap()
            .wait_until_navigated()
            .unwrap();
        tab.wait_for_element("h1").unwrap();
        screenshot(&tab, &format!("queue-{width}"));
        let problems = layout_problems(&tab);
        assert!(problems.is_empty(), "queue at {width} px: {problems:?}");
    }
    tab.wait_for_element("form[action$='/claim'] button")
        .unwrap()
        .click()
        .unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || tab
            .get_url()
            .contains("/edit?done=claimed")),
        "{}",
        tab.get_url()
    );
    let title = tab
        .evaluate("document.getElementById('ed-title').value", false)
        .unwrap()
        .value;
    assert_eq!(title, Some(serde_json::json!("Mined topic ranked 1")));
}
