//! git in the articles folder: committing a publication, and keeping several
//! replicas' folders in step through the branch's upstream remote.
//!
//! Sync is a loop, one round every `publish.git_sync_ms`: fetch; when the
//! remote has commits this folder lacks, rebase onto them (files change,
//! and the watcher re-indexes them like any edit); when this folder has
//! commits the remote lacks — its publications — push them. A push another
//! replica beat is retried after taking its commits, so two replicas
//! publishing at once both land. A real conflict (the same lines changed on
//! both sides, found with `git merge-tree` before the work tree is touched)
//! or uncommitted changes stop the rebase before it starts: nothing is
//! overwritten, the local publication stays committed here, and the error
//! is reported until someone resolves it in git.
//!
//! Whatever touches the work tree runs under one lock per process
//! ([`lock`]), which a publication holds from writing its file to
//! committing it, so a sync round never rebases under a publication half
//! done; fetching and pushing run outside it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// One git command sequence at a time in this process.
static WORK_TREE: Mutex<()> = Mutex::new(());

/// Push attempts in one round when another replica pushes first.
const ATTEMPTS: usize = 3;

fn work_tree() -> MutexGuard<'static, ()> {
    WORK_TREE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs git in `root`; its stdout, or what it said on failure.
fn git(root: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        // No prompt may stall a sync round: no password, no host key
        // question, and a transfer slower than 1 KB/s for 30 s gives up.
        .args([
            "-c",
            "http.lowSpeedLimit=1000",
            "-c",
            "http.lowSpeedTime=30",
        ])
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env(
            "GIT_SSH_COMMAND",
            std::env::var("GIT_SSH_COMMAND").unwrap_or_else(|_| "ssh -o BatchMode=yes".into()),
        )
        // deflect commits and rebases on the agents' behalf: it is the
        // committer, whatever identity the machine has (or lacks).
        .env("GIT_COMMITTER_NAME", "deflect")
        .env("GIT_COMMITTER_EMAIL", "deflect@localhost")
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Whether `root` is inside a git work tree.
pub fn is_work_tree(root: &Path) -> bool {
    git(root, &["rev-parse", "--is-inside-work-tree"]).is_ok_and(|o| o.trim() == "true")
}

/// This process's turn at the work tree: a publication holds it from
/// writing its file to committing it, so a sync round never rebases under
/// a file written but not yet committed.
pub struct WorkTree {
    _turn: MutexGuard<'static, ()>,
}

/// Waits for this process's turn at the work tree.
pub fn lock() -> WorkTree {
    WorkTree { _turn: work_tree() }
}

impl WorkTree {
    /// Commits `path` (relative to `root`) as `author` ("Name <email>")
    /// with `message`. `Ok(false)` when `root` is not in a git work tree.
    pub fn commit(
        &self,
        root: &Path,
        path: &str,
        message: &str,
        author: &str,
    ) -> Result<bool, String> {
        if !is_work_tree(root) {
            return Ok(false);
        }
        git(root, &["add", "--", path])?;
        git(
            root,
            &[
                "commit", "--quiet", "--author", author, "-m", message, "--", path,
            ],
        )?;
        Ok(true)
    }
}

/// What the last sync rounds did, for `/healthz`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SyncStatus {
    /// When a round last completed without error.
    pub last_ok_at: Option<DateTime<Utc>>,
    /// The last round's error, until a round succeeds.
    pub last_error: Option<String>,
    /// Local commits the remote does not have yet.
    pub unpushed: usize,
    /// Rounds that took the remote's commits, and that pushed local ones.
    pub pulls: u64,
    pub pushes: u64,
}

/// What one round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Round {
    pub pulled: bool,
    pub pushed: bool,
}

/// Keeps one articles folder in step with its branch's upstream.
pub struct Sync {
    root: PathBuf,
    status: Mutex<SyncStatus>,
}

impl Sync {
    /// Checks that `root` is a git work tree on a branch with an upstream.
    pub fn new(root: &Path) -> Result<Sync, String> {
        if !is_work_tree(root) {
            return Err(format!(
                "{} is not in a git work tree: clone the articles repository there, or set publish.git_sync_ms = 0",
                root.display()
            ));
        }
        git(root, &["rev-parse", "--abbrev-ref", "@{u}"]).map_err(|_| {
            format!(
                "the branch checked out in {} has no upstream: run `git branch --set-upstream-to origin/main` (or your remote and branch) there",
                root.display()
            )
        })?;
        Ok(Sync {
            root: root.to_path_buf(),
            status: Mutex::new(SyncStatus::default()),
        })
    }

    pub fn status(&self) -> SyncStatus {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// One round: fetch, take the remote's commits, push ours; the outcome
    /// is also kept for [`Sync::status`].
    pub fn round(&self) -> Result<Round, String> {
        let result = self.round_inner();
        let unpushed = self.ahead_behind().map(|(ahead, _)| ahead);
        let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        // Kept from the last count when this one fails (the upstream gone).
        if let Ok(unpushed) = unpushed {
            status.unpushed = unpushed;
        }
        match &result {
            Ok(round) => {
                status.last_ok_at = Some(Utc::now());
                status.last_error = None;
                status.pulls += u64::from(round.pulled);
                status.pushes += u64::from(round.pushed);
            }
            Err(e) => status.last_error = Some(e.clone()),
        }
        result
    }

    fn round_inner(&self) -> Result<Round, String> {
        let mut round = Round::default();
        let mut last = String::new();
        for _ in 0..ATTEMPTS {
            // Fetching and pushing touch refs and objects, never the work
            // tree: they run without the lock, so a slow remote never holds
            // up a publication.
            git(&self.root, &["fetch", "--quiet"])?;
            {
                let _tree = work_tree();
                let (ahead, behind) = self.ahead_behind()?;
                if behind > 0 {
                    self.take_remote()?;
                    round.pulled = true;
                }
                if ahead == 0 {
                    return Ok(round);
                }
            }
            match git(
                &self.root,
                &["-c", "push.default=upstream", "push", "--quiet"],
            ) {
                Ok(_) => {
                    round.pushed = true;
                    return Ok(round);
                }
                // Another replica pushed first: take its commits and retry.
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Rebases this folder's commits onto the upstream's. Refused before the
    /// work tree is touched (so the watcher never sees a half-done rebase)
    /// when files have uncommitted changes or when both sides changed the
    /// same lines; until then this replica neither takes nor pushes.
    fn take_remote(&self) -> Result<(), String> {
        let dirty = git(
            &self.root,
            &["status", "--porcelain", "--untracked-files=no"],
        )?;
        if let Some(file) = dirty.lines().next() {
            return Err(format!(
                "articles/ has uncommitted changes ({}): commit or discard them in git; until then this replica neither takes nor pushes publications",
                file.get(3..).unwrap_or(file)
            ));
        }
        // Exit 1: the merge would conflict; 0: it would not.
        let merges = Command::new("git")
            .arg("-C")
            .arg(&self.root)
            .args(["merge-tree", "--write-tree", "--name-only", "HEAD", "@{u}"])
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if merges.status.code() == Some(1) {
            let out = String::from_utf8_lossy(&merges.stdout);
            let files: Vec<&str> = out
                .split("\n\n")
                .next()
                .unwrap_or("")
                .lines()
                .skip(1)
                .collect();
            return Err(format!(
                "conflict: the remote changed {} that this replica also changed; this replica's publication stays committed here, unpushed, and this replica neither takes nor pushes publications until the conflict is resolved in git",
                files.join(", ")
            ));
        }
        if let Err(e) = git(&self.root, &["rebase", "--quiet", "@{u}"]) {
            let _ = git(&self.root, &["rebase", "--abort"]);
            return Err(format!("cannot take the remote's commits: {e}"));
        }
        Ok(())
    }

    /// Local commits the upstream lacks, and upstream commits missing here.
    fn ahead_behind(&self) -> Result<(usize, usize), String> {
        let out = git(
            &self.root,
            &["rev-list", "--left-right", "--count", "HEAD...@{u}"],
        )?;
        let mut n = out
            .split_whitespace()
            .map(|n| n.parse::<usize>().unwrap_or(0));
        Ok((n.next().unwrap_or(0), n.next().unwrap_or(0)))
    }

    /// Runs a round every `every` on a thread of its own until the returned
    /// handle is dropped; errors are logged once each.
    pub fn spawn(self: &Arc<Self>, every: Duration) -> SyncLoop {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let sync = Arc::clone(self);
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("git-sync".into())
                .spawn(move || {
                    let mut reported: Option<String> = None;
                    while !stop.load(Ordering::Relaxed) {
                        match sync.round() {
                            Ok(_) => reported = None,
                            Err(e) if reported.as_ref() != Some(&e) => {
                                tracing::error!("git sync: {e}");
                                reported = Some(e);
                            }
                            Err(_) => {}
                        }
                        std::thread::park_timeout(every);
                    }
                })
                .expect("spawn the git sync thread")
        };
        SyncLoop {
            stop,
            thread: Some(thread),
        }
    }
}

/// The sync thread; stopped (after its current round) when dropped.
pub struct SyncLoop {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for SyncLoop {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}
