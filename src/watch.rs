//! Live re-indexing: notify reports file events under `articles/`, a debouncer
//! folds a burst of them (an editor's save is often several), [`classify`]
//! reduces them to the files to re-read, and the [`Library`] re-indexes those.
//! Re-reading a file decides what happened to it (created, edited, renamed
//! away, deleted), so no event kind has to be trusted. A [`Reloader`] does the
//! same for the templates folder and the synonyms file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::event::{CreateKind, EventKind, ModifyKind, RemoveKind};
use notify::RecursiveMode;
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};

use crate::articles::load::is_article_file;
use crate::library::Library;

/// What a batch of file events asks for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// Re-read this file (it may be new, edited or gone).
    File(PathBuf),
    /// Events were lost or a folder moved: compare every file with the index.
    Rescan,
}

/// Reduces raw events to the changes to apply. Pure, so it is table-tested.
pub fn classify<'a>(events: impl IntoIterator<Item = &'a notify::Event>) -> Vec<Change> {
    let mut out = BTreeSet::new();
    for event in events {
        if event.need_rescan() {
            out.insert(Change::Rescan);
            continue;
        }
        // A folder created, removed or renamed may carry articles with it.
        let folder_moved = matches!(
            event.kind,
            EventKind::Create(CreateKind::Folder)
                | EventKind::Remove(RemoveKind::Folder)
                | EventKind::Modify(ModifyKind::Name(_))
        );
        if matches!(event.kind, EventKind::Access(_)) {
            continue;
        }
        for path in &event.paths {
            // git's own files (a commit, a fetch, a sync round) are no
            // articles, and their lock-file renames are no folder moves.
            if path.components().any(|c| c.as_os_str() == ".git") {
                continue;
            }
            let name = path.to_string_lossy();
            if is_article_file(&name.replace('\\', "/")) {
                out.insert(Change::File(path.clone()));
            } else if folder_moved && path.extension().is_none() {
                out.insert(Change::Rescan);
            }
        }
    }
    if out.contains(&Change::Rescan) {
        return vec![Change::Rescan];
    }
    out.into_iter().collect()
}

/// Applies `changes` to `library`, logging what happened.
pub fn apply(library: &Library, changes: &[Change]) {
    let result = if changes.contains(&Change::Rescan) {
        library.sync_all()
    } else {
        let paths: Vec<String> = changes
            .iter()
            .filter_map(|c| match c {
                Change::File(p) => library.relative(p),
                Change::Rescan => None,
            })
            .collect();
        library.apply_paths(&paths)
    };
    match result {
        Ok(r) if r.indexed + r.removed > 0 => tracing::info!(
            indexed = r.indexed,
            removed = r.removed,
            "articles re-indexed"
        ),
        Ok(_) => {}
        Err(e) => tracing::error!("re-indexing failed, the last good index stays served: {e}"),
    }
}

/// A running watcher; dropping it stops watching.
pub struct Watcher {
    _debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
}

impl Watcher {
    /// Watches `library`'s articles folder, re-indexing after each burst of
    /// events settles for `debounce`.
    pub fn spawn(library: Arc<Library>, debounce: Duration) -> notify::Result<Watcher> {
        let root: PathBuf = library.canonical_root().to_path_buf();
        let lib = Arc::clone(&library);
        let mut debouncer = new_debouncer(
            debounce,
            Some(debounce / 4),
            move |result: DebounceEventResult| match result {
                Ok(events) => {
                    let changes = classify(events.iter().map(|e| &e.event));
                    if !changes.is_empty() {
                        apply(&lib, &changes);
                    }
                }
                Err(errors) => {
                    for e in errors {
                        tracing::warn!("watch error: {e}");
                    }
                    apply(&lib, &[Change::Rescan]);
                }
            },
        )?;
        debouncer.watch(Path::new(&root), RecursiveMode::Recursive)?;
        Ok(Watcher {
            _debouncer: debouncer,
        })
    }
}

/// Calls a reload function when a watched file or folder changes: the
/// templates folder (templates, strings, assets) or the synonyms file.
pub struct Reloader {
    _debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
}

impl Reloader {
    /// Watches `path` (a folder, recursively, or a file — through its parent
    /// folder, since editors often replace a file rather than write it).
    pub fn spawn(
        path: &Path,
        debounce: Duration,
        reload: impl Fn() + Send + 'static,
    ) -> notify::Result<Reloader> {
        let (dir, file) = if path.is_dir() {
            (path.to_path_buf(), None)
        } else {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            (
                dir.to_path_buf(),
                path.file_name().map(|n| n.to_os_string()),
            )
        };
        let mode = if file.is_some() {
            RecursiveMode::NonRecursive
        } else {
            RecursiveMode::Recursive
        };
        let mut debouncer = new_debouncer(
            debounce,
            Some(debounce / 4),
            move |result: DebounceEventResult| {
                let Ok(events) = result else { return };
                let relevant = events.iter().any(|e| {
                    !matches!(e.event.kind, EventKind::Access(_))
                        && file.as_ref().is_none_or(|f| {
                            e.event
                                .paths
                                .iter()
                                .any(|p| p.file_name() == Some(f.as_os_str()))
                        })
                });
                if relevant {
                    reload();
                }
            },
        )?;
        debouncer.watch(&dir, mode)?;
        Ok(Reloader {
            _debouncer: debouncer,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{AccessKind, DataChange, Flag, RenameMode};
    use notify::Event;

    fn ev(kind: EventKind, paths: &[&str]) -> Event {
        let mut e = Event::new(kind);
        for p in paths {
            e = e.add_path(PathBuf::from(p));
        }
        e
    }

    fn file(p: &str) -> Change {
        Change::File(PathBuf::from(p))
    }

    #[test]
    fn classify_table() {
        let edit = EventKind::Modify(ModifyKind::Data(DataChange::Content));
        let rename = EventKind::Modify(ModifyKind::Name(RenameMode::Both));
        let cases: Vec<(&str, Vec<Event>, Vec<Change>)> = vec![
            ("edit", vec![ev(edit, &["/a/b.md"])], vec![file("/a/b.md")]),
            (
                "burst of one file",
                vec![
                    ev(EventKind::Create(CreateKind::File), &["/a/b.md"]),
                    ev(edit, &["/a/b.md"]),
                    ev(edit, &["/a/b.md"]),
                ],
                vec![file("/a/b.md")],
            ),
            (
                "rename reads both ends",
                vec![ev(rename, &["/a/old.md", "/a/new.md"])],
                vec![file("/a/new.md"), file("/a/old.md")],
            ),
            (
                "delete",
                vec![ev(EventKind::Remove(RemoveKind::File), &["/a/b.md"])],
                vec![file("/a/b.md")],
            ),
            (
                "editor temp files ignored",
                vec![
                    ev(edit, &["/a/.b.md.swp"]),
                    ev(edit, &["/a/b.md~"]),
                    ev(EventKind::Create(CreateKind::File), &["/a/4913"]),
                ],
                vec![],
            ),
            (
                "non-article files ignored",
                vec![ev(edit, &["/a/logo.png"]), ev(edit, &["/a/notes.txt"])],
                vec![],
            ),
            (
                "hidden article files ignored",
                vec![ev(edit, &["/a/.draft.md"])],
                vec![],
            ),
            (
                "access ignored",
                vec![ev(EventKind::Access(AccessKind::Any), &["/a/b.md"])],
                vec![],
            ),
            (
                "folder moved",
                vec![ev(rename, &["/a/billing", "/a/payments"])],
                vec![Change::Rescan],
            ),
            (
                "folder removed",
                vec![
                    ev(EventKind::Remove(RemoveKind::Folder), &["/a/billing"]),
                    ev(edit, &["/a/b.md"]),
                ],
                vec![Change::Rescan],
            ),
            (
                "git's own files ignored",
                vec![
                    ev(rename, &["/a/.git/index.lock", "/a/.git/index"]),
                    ev(edit, &["/a/.git/FETCH_HEAD"]),
                    ev(
                        rename,
                        &["/a/.git/refs/heads/main.lock", "/a/.git/refs/heads/main"],
                    ),
                ],
                vec![],
            ),
            (
                "rescan flag",
                vec![ev(edit, &["/a/b.md"]).set_flag(Flag::Rescan)],
                vec![Change::Rescan],
            ),
        ];
        for (name, events, expected) in cases {
            assert_eq!(classify(&events), expected, "{name}");
        }
    }
}
