//! FAQ-mining runs and the drafts made from them. A run's report is kept as
//! the JSON `deflect mine` writes, so `/agent/mining` shows exactly what the
//! run found; the store does not interpret it. Drafts nobody was assigned to
//! belong to the disabled [`UNASSIGNED`] account until an agent claims them.

use super::sql::{params, OptionalExt};
use serde::Serialize;

use super::{now, random_token, Account, Error, Result, Role, Store};

/// Runs kept: older ones (and their draft links) are deleted.
const KEEP_RUNS: i64 = 20;

/// The account that owns drafts made for nobody in particular. It cannot
/// sign in; the first agent who saves or submits such a draft becomes its
/// author, so peer review still sees who wrote it.
pub const UNASSIGNED: &str = "unassigned";
const UNASSIGNED_EMAIL: &str = "unassigned@deflect.invalid";

/// A stored run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MiningRun {
    pub id: i64,
    pub created_at: String,
    /// `report.json` of the run.
    pub report: String,
}

/// A draft in the writing queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Queued {
    pub revision: super::Revision,
    /// Its topic's rank in the run it was mined from (1 = first).
    pub rank: Option<i64>,
    /// That run.
    pub run: Option<i64>,
}

/// A draft made from a run's topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MinedDraft {
    pub topic_id: i32,
    pub revision_id: i64,
}

impl Store {
    /// Stores a run's report; returns the run id.
    pub fn save_mining_run(&self, report_json: &str) -> Result<i64> {
        self.write(|tx| {
            let id = tx.insert(
                "INSERT INTO mining_runs (created_at, report) VALUES (?1, ?2)",
                params![now(), report_json],
            )?;
            tx.execute("DELETE FROM mining_runs WHERE id <= ?1", [id - KEEP_RUNS])?;
            Store::audit(tx, None, "mining.run", "", &format!("run {id}"))?;
            Ok(id)
        })
    }

    /// The latest run, if any.
    pub fn last_mining_run(&self) -> Result<Option<MiningRun>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT id, created_at, report FROM mining_runs ORDER BY id DESC LIMIT 1",
                (),
                |r| {
                    Ok(MiningRun {
                        id: r.get(0)?,
                        created_at: r.get(1)?,
                        report: r.get(2)?,
                    })
                },
            )
            .optional()?)
        })
    }

    /// Links a draft to the run topic it was made for, and that topic's
    /// rank in the run (1 = highest priority).
    pub fn record_mined_draft(
        &self,
        run: i64,
        topic: i32,
        rank: usize,
        revision: i64,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO mining_drafts (run_id, topic_id, revision_id, rank) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (run_id, topic_id) DO UPDATE SET revision_id = excluded.revision_id, rank = excluded.rank",
                params![run, topic, revision, rank as i64],
            )?;
            Ok(())
        })
    }

    /// The drafts made from a run, by topic.
    pub fn mined_drafts(&self, run: i64) -> Result<Vec<MinedDraft>> {
        self.read(|c| {
            let rows = c.query_map("SELECT topic_id, revision_id FROM mining_drafts WHERE run_id = ?1 ORDER BY topic_id", [run], |r| {
                    Ok(MinedDraft {
                        topic_id: r.get(0)?,
                        revision_id: r.get(1)?,
                    })
                })?;
            Ok(rows)
        })
    }

    /// The [`UNASSIGNED`] account, created (disabled) on first use.
    pub fn unassigned_account(&self) -> Result<Account> {
        let existing = |store: &Store| {
            Ok::<_, Error>(
                store
                    .account_by_name(UNASSIGNED_EMAIL)?
                    .filter(|a| a.name == UNASSIGNED),
            )
        };
        if let Some(a) = existing(self)? {
            return Ok(a);
        }
        match self.create_account(UNASSIGNED, UNASSIGNED_EMAIL, Role::Agent, &random_token()) {
            Ok(_) => self.disable_account(UNASSIGNED, None),
            // Created meanwhile by another process, or the name is a person's.
            Err(Error::Conflict(msg)) => existing(self)?.ok_or_else(|| {
                Error::Conflict(format!(
                    "the account name `{UNASSIGNED}` is reserved for drafts nobody was assigned to: {msg}"
                ))
            }),
            Err(e) => Err(e),
        }
    }

    /// The writing queue: open drafts waiting for a writer, highest
    /// priority first (their topic's rank; the newest run first among
    /// equals, drafts with no rank last), `limit` from `offset`, and how
    /// many there are in all.
    pub fn writing_queue(&self, limit: usize, offset: usize) -> Result<(Vec<Queued>, usize)> {
        self.read(|c| {
            const WAITING: &str = "FROM revisions r JOIN accounts a ON a.id = r.author_id
                LEFT JOIN mining_drafts m ON m.revision_id = r.id
                WHERE a.name = ?1 AND a.email = ?2 AND r.state IN ('draft', 'changes_requested')";
            let total: i64 = c.query_row(
                &format!("SELECT COUNT(DISTINCT r.id) {WAITING}"),
                params![UNASSIGNED, UNASSIGNED_EMAIL],
                |r| r.get(0),
            )?;
            let rows = c.query_map(&format!(
                "SELECT r.id, MIN(m.rank), MAX(m.run_id) {WAITING}
                 GROUP BY r.id ORDER BY MIN(m.rank) IS NULL, MIN(m.rank), MAX(m.run_id) DESC, r.id DESC
                 LIMIT ?3 OFFSET ?4"
            ), params![UNASSIGNED, UNASSIGNED_EMAIL, limit as i64, offset as i64],
                    |r| Ok((r.get::<i64>(0)?, r.get::<Option<i64>>(1)?, r.get::<Option<i64>>(2)?)),)?;
            let mut out = Vec::with_capacity(rows.len());
            for (id, rank, run) in rows {
                out.push(Queued {
                    revision: super::revisions::get(c, id)?,
                    rank,
                    run,
                });
            }
            Ok((out, total as usize))
        })
    }

    /// Makes `author` the author of a revision the [`UNASSIGNED`] account
    /// holds; does nothing to anyone else's revision.
    pub fn claim_revision(&self, id: i64, author: i64) -> Result<bool> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE revisions SET author_id = ?2 WHERE id = ?1
                 AND author_id = (SELECT id FROM accounts WHERE name = ?3 AND email = ?4)",
                params![id, author, UNASSIGNED, UNASSIGNED_EMAIL],
            )?;
            if n > 0 {
                super::revisions::add_contributor(tx, id, author)?;
                Store::audit(
                    tx,
                    Some(author),
                    "revision.claim",
                    "",
                    &format!("revision {id}"),
                )?;
            }
            Ok(n > 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("t.db")).unwrap();
        (dir, store)
    }

    #[test]
    fn keeps_the_latest_runs() {
        let (_d, store) = store();
        assert_eq!(store.last_mining_run().unwrap(), None);
        for i in 0..KEEP_RUNS + 3 {
            store.save_mining_run(&format!("{{\"n\":{i}}}")).unwrap();
        }
        let last = store.last_mining_run().unwrap().unwrap();
        assert_eq!(last.report, format!("{{\"n\":{}}}", KEEP_RUNS + 2));
        let kept: i64 = store
            .read(|c| Ok(c.query_row("SELECT COUNT(*) FROM mining_runs", (), |r| r.get::<i64>(0))?))
            .unwrap();
        assert_eq!(kept, KEEP_RUNS);
    }

    #[test]
    fn the_unassigned_account_cannot_sign_in_and_is_made_once() {
        let (_d, store) = store();
        let a = store.unassigned_account().unwrap();
        assert!(a.disabled);
        assert_eq!(store.unassigned_account().unwrap().id, a.id);
        assert_eq!(store.accounts().unwrap().len(), 1);
    }
}
