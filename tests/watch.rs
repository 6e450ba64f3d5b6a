//! Live re-indexing with the real watcher: every change is waited for with a
//! deadline, never a fixed sleep.

use std::time::Duration;

use deflect::watch::Watcher;

use crate::harness::{wait_until, TestKb};

const DEADLINE: Duration = Duration::from_secs(10);

#[test]
fn create_edit_rename_and_delete_show_up_in_search() {
    let mut kb = TestKb::new();
    let library = kb.library();
    let _watcher = Watcher::spawn(library, Duration::from_millis(50)).unwrap();

    kb.write(
        "billing/vouchers.md",
        "---\ntitle: Gift vouchers\n---\nRedeem a quokkavoucher code at checkout.\n",
    );
    assert!(
        wait_until(DEADLINE, || kb.search("quokkavoucher")
            == ["billing/vouchers"]),
        "created file is searchable"
    );

    kb.write(
        "billing/vouchers.md",
        "---\ntitle: Gift vouchers\n---\nRedeem a wombatvoucher code at checkout.\n",
    );
    assert!(
        wait_until(DEADLINE, || kb.search("wombatvoucher")
            == ["billing/vouchers"]),
        "edit is searchable"
    );
    assert!(kb.search("quokkavoucher").is_empty(), "old text is gone");

    std::fs::rename(
        kb.articles().join("billing/vouchers.md"),
        kb.articles().join("billing/gift-cards.md"),
    )
    .unwrap();
    assert!(
        wait_until(DEADLINE, || kb.search("wombatvoucher")
            == ["billing/gift-cards"]),
        "renamed file moves to its new slug"
    );

    kb.remove("billing/gift-cards.md");
    assert!(
        wait_until(DEADLINE, || kb.search("wombatvoucher").is_empty()),
        "deleted file leaves search"
    );
}

#[test]
fn a_bad_edit_keeps_the_last_good_version_served() {
    let mut kb = TestKb::new();
    let library = kb.library();
    let _watcher = Watcher::spawn(library.clone(), Duration::from_millis(50)).unwrap();

    kb.write(
        "account/reset-password.md",
        "---\ntitle: [broken\n---\nnew text with platypusword\n",
    );
    assert!(
        wait_until(DEADLINE, || library.problems().iter().any(|p| p
            .to_string()
            .contains("reset-password.md:3: invalid YAML"))),
        "the parse error is recorded with file and line: {:?}",
        library.problems()
    );
    assert_eq!(
        kb.search("forgot password").first().map(String::as_str),
        Some("account/reset-password"),
        "old version still served"
    );
    assert!(kb.search("platypusword").is_empty());
    assert_eq!(
        kb.search("refund").first().map(String::as_str),
        Some("billing/refunds"),
        "other articles unaffected"
    );

    kb.write(
        "account/reset-password.md",
        "---\ntitle: Reset a forgotten password\n---\nFixed: platypusword reset.\n",
    );
    assert!(
        wait_until(DEADLINE, || kb.search("platypusword")
            == ["account/reset-password"]),
        "fixed file goes live"
    );
    assert!(
        library.problems().is_empty(),
        "problem cleared: {:?}",
        library.problems()
    );
}

#[test]
fn a_new_folder_of_articles_is_picked_up() {
    let mut kb = TestKb::new();
    let _watcher = Watcher::spawn(kb.library(), Duration::from_millis(50)).unwrap();
    let staging = kb.dir.path().join("staging");
    std::fs::create_dir_all(staging.join("shipping")).unwrap();
    std::fs::write(
        staging.join("shipping/track.md"),
        "---\ntitle: Track a parcel\n---\nUse the echidnatrack page.\n",
    )
    .unwrap();
    std::fs::rename(staging.join("shipping"), kb.articles().join("shipping")).unwrap();
    assert!(wait_until(DEADLINE, || kb.search("echidnatrack") == ["shipping/track"]));
}

#[test]
fn changes_made_while_stopped_are_synced_on_open() {
    let mut kb = TestKb::new();
    assert_eq!(
        kb.search("refund").first().map(String::as_str),
        Some("billing/refunds")
    );
    let mut reopened = kb.reopen();
    reopened.remove("billing/refunds.md");
    reopened.write(
        "billing/chargebacks.md",
        "---\ntitle: Chargebacks\n---\nA koalachargeback happens when...\n",
    );
    assert_eq!(reopened.search("koalachargeback"), ["billing/chargebacks"]);
    assert!(!reopened
        .search("refund")
        .contains(&"billing/refunds".to_string()));
}
