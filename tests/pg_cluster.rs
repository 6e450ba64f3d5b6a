//! A real, throwaway PostgreSQL cluster for tests and benches: `initdb` in a
//! temp dir, `pg_ctl start` on a Unix socket there (no TCP port), stopped
//! when dropped. Without PostgreSQL's binaries the tests that use it skip,
//! and fail under `CI=true` (like the browser tests). The benches include
//! this file too (`#[path]`), so there is one copy.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A PostgreSQL cluster of its own, stopped on drop.
pub struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// Root may not run a cluster: commands then run as `postgres`.
    as_postgres: bool,
    /// Whether commits wait for the disk (off for tests, on for benches
    /// that compare with SQLite's full sync).
    durable: bool,
}

impl PgCluster {
    /// Starts a cluster, or `None` (after saying why) without PostgreSQL.
    pub fn start() -> Option<PgCluster> {
        PgCluster::start_with(false)
    }

    /// Starts a cluster whose commits wait for the disk (`fsync` on).
    pub fn start_durable() -> Option<PgCluster> {
        PgCluster::start_with(true)
    }

    fn start_with(durable: bool) -> Option<PgCluster> {
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
            durable,
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
            "-c listen_addresses='' -k {} -c fsync={}",
            self.dir.path().display(),
            if self.durable { "on" } else { "off" }
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
