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

    tab.wait_for_element("input[data-suggest]")
        .unwrap()
        .click()
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
fn screenshot(tab: &headless_chrome::Tab, name: &str) {
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

fn sign_in(tab: &headless_chrome::Tab, base: &str, name: &str) {
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
    tab.wait_for_element("#ed-title").unwrap().click().unwrap();
    tab.type_str("Pause a subscription").unwrap();
    tab.wait_for_element("#ed-slug").unwrap().click().unwrap();
    tab.type_str("billing/pause").unwrap();
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
    tab.navigate_to(&format!("{base}/agent/revisions/{id}"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    click_button(&tab, "/submit");
    assert!(
        wait_until(Duration::from_secs(10), || tab
            .get_url()
            .contains("done=submitted")),
        "{}",
        tab.get_url()
    );
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
        .contains("Pause a subscription"));
}
