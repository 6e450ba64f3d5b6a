//! The store's PostgreSQL engine on a real, throwaway cluster: `initdb` in a
//! temp dir, `pg_ctl start` on a Unix socket there (no TCP port), stopped
//! when the test ends. Without PostgreSQL's binaries these tests skip, and
//! fail under `CI=true` (like the browser tests).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use deflect::store::{migrations_postgres, Store};

/// A PostgreSQL cluster of its own, stopped on drop.
pub struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// Root may not run a cluster: commands then run as `postgres`.
    as_postgres: bool,
}

impl PgCluster {
    /// Starts a cluster, or `None` (after saying why) without PostgreSQL.
    pub fn start() -> Option<PgCluster> {
        let Some(bin) = pg_bin() else {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true" || v == "1"),
                "CI must install PostgreSQL for the store tests (apt-get install -y postgresql)"
            );
            eprintln!("skipping PostgreSQL test: no initdb found (set DEFLECT_PG_BIN or install postgresql)");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("pg")
            .tempdir()
            .expect("temp dir");
        let as_postgres = is_root();
        if as_postgres {
            run(Command::new("chown")
                .arg("-R")
                .arg("postgres:")
                .arg(dir.path()));
        }
        let cluster = PgCluster {
            dir,
            bin,
            as_postgres,
        };
        let data = cluster.dir.path().join("data");
        cluster.pg(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "--auth=trust".as_ref(),
                "--no-sync".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
            ],
        );
        cluster.restart();
        Some(cluster)
    }

    /// Starts the server (again) on the cluster's socket.
    pub fn restart(&self) {
        let data = self.dir.path().join("data");
        let options = format!(
            "-c listen_addresses='' -k {} -c fsync=off",
            self.dir.path().display()
        );
        let log = self.dir.path().join("log");
        self.pg(
            "pg_ctl",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-o".as_ref(),
                options.as_ref(),
                "-w".as_ref(),
                "start".as_ref(),
            ],
        );
    }

    /// Stops the server at once, as a crash would (the cluster stays).
    pub fn stop(&self) {
        let data = self.dir.path().join("data");
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }

    /// A new connection to `database`.
    pub fn connect(&self, database: &str) -> postgres::Client {
        let config = format!(
            "host={} port=5432 user=postgres dbname={database}",
            self.dir.path().display()
        );
        postgres::Client::connect(&config, postgres::NoTls).expect("connect to the test cluster")
    }

    /// The `store` setting of database `name` (created empty), as a
    /// replica's `deflect.toml` or `DEFLECT_STORE` would give it.
    pub fn store_url(&self, name: &str) -> String {
        drop(self.database(name));
        format!(
            "postgresql://postgres@localhost/{name}?host={}",
            self.dir.path().display()
        )
    }

    /// A fresh, empty database.
    pub fn database(&self, name: &str) -> postgres::Client {
        self.connect("postgres")
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        self.connect(name)
    }

    /// A server program, run as `postgres` when this process is root.
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        command.current_dir(self.dir.path());
        command
    }

    fn pg(&self, program: &str, args: &[&std::ffi::OsStr]) {
        run(self.command(program).args(args));
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// PostgreSQL's server binaries: `DEFLECT_PG_BIN`, `initdb` on the `PATH`,
/// or Debian's `/usr/lib/postgresql/<version>/bin` (newest).
fn pg_bin() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DEFLECT_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
    });
    on_path.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| Some(e.ok()?.path().join("bin")))
            .filter(|bin| bin.join("initdb").is_file())
            .collect();
        versions.sort_by_key(|p| {
            p.parent()
                .and_then(Path::file_name)
                .and_then(|v| v.to_str()?.parse::<u32>().ok())
        });
        versions.pop()
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn run(command: &mut Command) {
    let out = command.output().expect("run a PostgreSQL command");
    assert!(
        out.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Table → columns, and the named indexes, of a migrated SQLite store.
fn sqlite_schema(path: &Path) -> (BTreeMap<String, BTreeSet<String>>, BTreeSet<String>) {
    let conn = rusqlite::Connection::open(path).expect("open");
    let mut tables = BTreeMap::new();
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for table in names {
        let columns: BTreeSet<String> = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        tables.insert(table, columns);
    }
    let indexes = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    (tables, indexes)
}

/// The same of a migrated PostgreSQL database (its bookkeeping table and
/// primary keys left out).
fn postgres_schema(
    client: &mut postgres::Client,
) -> (BTreeMap<String, BTreeSet<String>>, BTreeSet<String>) {
    let mut tables: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in client
        .query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name <> 'deflect_migrations'",
            &[],
        )
        .unwrap()
    {
        tables.entry(row.get(0)).or_default().insert(row.get(1));
    }
    let indexes = client
        .query(
            "SELECT indexname::text FROM pg_indexes
             WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    (tables, indexes)
}

#[test]
fn every_migration_runs_on_both_engines_to_the_same_schema() {
    let Some(cluster) = PgCluster::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("deflect.db");
    drop(Store::open(&sqlite).expect("SQLite store"));
    let (sqlite_tables, sqlite_indexes) = sqlite_schema(&sqlite);

    let mut client = cluster.database("deflect");
    let migrated = migrations_postgres::migrate(&mut client).expect("migrate");
    assert_eq!(
        migrated,
        migrations_postgres::Migrated {
            found: 0,
            applied: migrations_postgres::MIGRATIONS.len()
        }
    );
    let (pg_tables, pg_indexes) = postgres_schema(&mut client);
    assert_eq!(pg_tables, sqlite_tables, "the same tables and columns");
    // SQLite's case-insensitive names and emails are unique indexes on
    // lower(…) in PostgreSQL; every other index has the same name.
    let only_pg: BTreeSet<&String> = pg_indexes.difference(&sqlite_indexes).collect();
    let only_sqlite: BTreeSet<&String> = sqlite_indexes.difference(&pg_indexes).collect();
    assert!(
        only_sqlite.is_empty(),
        "indexes missing in PostgreSQL: {only_sqlite:?}"
    );
    assert_eq!(
        only_pg,
        BTreeSet::from([
            &"accounts_by_email".to_string(),
            &"accounts_by_name".to_string()
        ])
    );

    // Names stay unique whatever their case, as with SQLite's NOCASE.
    let insert = "INSERT INTO accounts (name, email, role, password_hash, created_at)
                  VALUES ($1, $2, 'agent', 'x', '2026-12-07T00:00:00Z')";
    client
        .execute(insert, &[&"Ana", &"ana@example.com"])
        .unwrap();
    let again = client.execute(insert, &[&"ana", &"other@example.com"]);
    assert!(again.is_err(), "a name differing only in case is refused");

    // Migrating again finds everything applied and changes nothing.
    assert_eq!(
        migrations_postgres::migrate(&mut client).expect("migrate again"),
        migrations_postgres::Migrated {
            found: migrations_postgres::MIGRATIONS.len(),
            applied: 0
        }
    );
}

#[test]
fn replicas_starting_at_once_apply_each_migration_once() {
    let Some(cluster) = PgCluster::start() else {
        return;
    };
    drop(cluster.database("shared"));
    let barrier = std::sync::Barrier::new(4);
    let applied: Vec<migrations_postgres::Migrated> = std::thread::scope(|s| {
        let replicas: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let mut client = cluster.connect("shared");
                    barrier.wait();
                    migrations_postgres::migrate(&mut client).expect("every replica migrates")
                })
            })
            .collect();
        replicas.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let total = migrations_postgres::MIGRATIONS.len();
    assert_eq!(applied.iter().map(|m| m.applied).sum::<usize>(), total);
    assert_eq!(applied.iter().filter(|m| m.applied == total).count(), 1);
    let mut client = cluster.connect("shared");
    let versions: Vec<i32> = client
        .query(
            "SELECT version FROM deflect_migrations ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, (1..=total as i32).collect::<Vec<_>>());
}
