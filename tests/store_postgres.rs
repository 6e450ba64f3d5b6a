//! The store's PostgreSQL schema on a real, throwaway cluster
//! ([`PgCluster`]): every migration on both engines, and replicas migrating
//! one database at once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use deflect::store::{migrations_postgres, Store};

use crate::pg_cluster::PgCluster;

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
