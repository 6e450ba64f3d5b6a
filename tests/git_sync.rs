//! Replicas kept in step through a git remote (`publish.git_sync_ms`): a
//! real bare repository on disk as the remote, real clones as the replicas'
//! articles folders, the real watcher and index on the receiving side.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use deflect::git::Sync;
use deflect::store::Role;
use deflect::watch::Watcher;
use deflect::Library;

use crate::harness::{copy_dir, fixture_dir, git, wait_until, TestKb};

/// A bare remote holding the fixture help center on `main`.
fn remote(dir: &Path) -> std::path::PathBuf {
    let remote = dir.join("remote.git");
    git(dir, &["init", "-q", "--bare", "-b", "main", "remote.git"]);
    let seed = dir.join("seed");
    git(dir, &["clone", "-q", "remote.git", "seed"]);
    copy_dir(&fixture_dir(), &seed);
    git(&seed, &["symbolic-ref", "HEAD", "refs/heads/main"]);
    git(&seed, &["add", "-A"]);
    git(&seed, &["commit", "-qm", "help center"]);
    git(&seed, &["push", "-q", "-u", "origin", "main"]);
    remote
}

/// A replica's articles folder: a clone of `remote` at `to`.
fn replica(remote: &Path, to: &Path) {
    let out = Command::new("git")
        .arg("clone")
        .arg("-q")
        .arg(remote)
        .arg(to)
        .output()
        .expect("git clone");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Two replicas' folders, `a` and `b`, cloned from one remote in `dir`.
fn two_replicas(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let remote = remote(dir);
    let (a, b) = (dir.join("a"), dir.join("b"));
    replica(&remote, &a);
    replica(&remote, &b);
    (remote, a, b)
}

/// Writes `path` in `replica` and commits it as `author`.
fn publish(replica: &Path, path: &str, text: &str, message: &str, author: &str) {
    std::fs::write(replica.join(path), text).unwrap();
    deflect::git::lock()
        .commit(replica, path, message, author)
        .unwrap();
}

fn article(title: &str) -> String {
    format!("---\ntitle: {title}\n---\n{title} explained.\n")
}

#[test]
fn replicas_publishing_at_once_both_land_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let (remote, a, b) = two_replicas(dir.path());
    let (sync_a, sync_b) = (Sync::new(&a).unwrap(), Sync::new(&b).unwrap());

    // Both publish before either syncs.
    publish(
        &a,
        "billing/gift-cards.md",
        &article("Gift cards"),
        "Publish gift cards",
        "ana <ana@example.com>",
    );
    publish(
        &b,
        "billing/vouchers.md",
        &article("Vouchers"),
        "Publish vouchers",
        "bo <bo@example.com>",
    );

    let round = sync_a.round().unwrap();
    assert!(round.pushed && !round.pulled);
    // B's push would be refused: it takes A's commit first, then pushes.
    let round = sync_b.round().unwrap();
    assert!(round.pulled && round.pushed);
    assert!(sync_a.round().unwrap().pulled);

    for replica in [&a, &b] {
        for file in ["billing/gift-cards.md", "billing/vouchers.md"] {
            assert!(
                replica.join(file).is_file(),
                "{file} in {}",
                replica.display()
            );
        }
        assert_eq!(git(replica, &["status", "--porcelain"]), "");
    }
    let log = git(&remote, &["log", "--format=%an %s", "main"]);
    assert!(log.contains("ana Publish gift cards"), "{log}");
    assert!(log.contains("bo Publish vouchers"), "{log}");
    assert_eq!(sync_a.status().unpushed, 0);
    assert_eq!(sync_b.status().unpushed, 0);
    assert_eq!(sync_b.status().last_error, None);
}

#[test]
fn a_conflict_keeps_both_versions_and_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (remote, a, b) = two_replicas(dir.path());
    let (sync_a, sync_b) = (Sync::new(&a).unwrap(), Sync::new(&b).unwrap());
    let path = "billing/refunds.md";
    publish(
        &a,
        path,
        &article("Refunds from A"),
        "A's edit",
        "ana <ana@example.com>",
    );
    publish(
        &b,
        path,
        &article("Refunds from B"),
        "B's edit",
        "bo <bo@example.com>",
    );

    sync_a.round().unwrap();
    let err = sync_b.round().unwrap_err();
    assert!(err.contains("conflict"), "{err}");
    // B keeps its publication, committed and unpushed, with a clean tree
    // (the rebase was undone); the remote keeps A's.
    let b_text = std::fs::read_to_string(b.join(path)).unwrap();
    assert!(b_text.contains("Refunds from B"), "{b_text}");
    assert_eq!(git(&b, &["status", "--porcelain"]), "");
    let status = sync_b.status();
    assert_eq!(status.unpushed, 1);
    assert!(status.last_error.is_some_and(|e| e.contains("conflict")));
    let remote_text = git(&remote, &["show", &format!("main:{path}")]);
    assert!(remote_text.contains("Refunds from A"), "{remote_text}");
}

#[test]
fn sync_refuses_a_folder_it_cannot_sync_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let err = Sync::new(dir.path()).err().unwrap();
    assert!(err.contains("not in a git work tree"), "{err}");
    git(dir.path(), &["init", "-q"]);
    let err = Sync::new(dir.path()).err().unwrap();
    assert!(err.contains("no upstream"), "{err}");
}

/// A publication through the workflow on replica A is committed, pushed by
/// A's sync loop, pulled by B's, seen by B's watcher and searchable on B.
#[tokio::test]
async fn a_publication_on_one_replica_is_searchable_on_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let remote = remote(dir.path());
    let mut kb = TestKb::empty();
    std::fs::remove_dir(kb.articles()).unwrap();
    replica(&remote, kb.articles());
    kb.config.publish.git_sync = Duration::from_millis(100);
    let b = dir.path().join("b");
    replica(&remote, &b);
    let (b_library, _) = Library::open(&b, &dir.path().join("b-index"), "en").unwrap();
    let b_library = Arc::new(b_library);
    let _b_watcher = Watcher::spawn(Arc::clone(&b_library), Duration::from_millis(50)).unwrap();
    let _b_sync = Arc::new(Sync::new(&b).unwrap()).spawn(Duration::from_millis(100));
    let a_sync = Arc::new(Sync::new(kb.articles()).unwrap());
    let _ = kb.state().git_sync.set(Arc::clone(&a_sync));
    let _a_loop = a_sync.spawn(Duration::from_millis(100));

    let ana = kb.agent("ana", Role::Agent);
    let bo = kb.agent("bo", Role::Agent);
    let r = kb
        .post_as(
            "/agent/articles/new",
            &ana,
            &[
                ("title", "Gift cards"),
                ("slug", "billing/gift-cards"),
                ("category", "billing"),
                ("summary", "Buy and redeem gift cards."),
                ("visibility", "public"),
                ("body", "Redeem a wallabycard at checkout.\n"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = r.revision_id();
    kb.post_as(&format!("/agent/revisions/{id}/submit"), &ana, &[])
        .await;
    kb.post_as(&format!("/agent/revisions/{id}/approve"), &bo, &[])
        .await;
    let published = Instant::now();
    let r = kb
        .post_as(&format!("/agent/revisions/{id}/publish"), &ana, &[])
        .await;
    assert!(r.status.is_redirection(), "{}", r.body);

    let found_on_b = wait_until(Duration::from_secs(10), || {
        b_library
            .index()
            .search(&deflect::index::SearchRequest {
                query: "wallabycard",
                locale: "en",
                category: None,
                limit: 5,
                offset: 0,
                audience: deflect::index::Audience::Public,
            })
            .is_ok_and(|r| r.hits.iter().any(|h| h.slug == "billing/gift-cards"))
    });
    assert!(found_on_b, "searchable on B");
    eprintln!(
        "publish on A → searchable on B in {:?}",
        published.elapsed()
    );
    let log = git(&remote, &["log", "-1", "--format=%an%n%B", "main"]);
    assert!(log.starts_with("ana\nPublish billing/gift-cards"), "{log}");

    // A's health says what its sync did.
    let health = kb.get("/healthz").await.json();
    let sync = &health["git_sync"];
    assert!(sync["pushes"].as_u64() >= Some(1), "{health}");
    assert_eq!(sync["unpushed"], 0, "{health}");
    assert!(sync["last_error"].is_null(), "{health}");
}

#[test]
fn uncommitted_changes_stop_a_round_before_the_tree_is_touched() {
    let dir = tempfile::tempdir().unwrap();
    let (_, a, b) = two_replicas(dir.path());
    publish(
        &a,
        "billing/gift-cards.md",
        &article("Gift cards"),
        "Publish gift cards",
        "ana <ana@example.com>",
    );
    Sync::new(&a).unwrap().round().unwrap();
    // A hand edit on B, never committed.
    let edited = article("Refunds edited by hand");
    std::fs::write(b.join("billing/refunds.md"), &edited).unwrap();
    let sync_b = Sync::new(&b).unwrap();
    let err = sync_b.round().unwrap_err();
    assert!(
        err.contains("uncommitted changes (billing/refunds.md)"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(b.join("billing/refunds.md")).unwrap(),
        edited
    );
    assert!(
        !b.join("billing/gift-cards.md").exists(),
        "nothing taken yet"
    );
}
