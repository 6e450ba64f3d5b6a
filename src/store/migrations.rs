//! Versioned schema migrations, applied in order on open; `PRAGMA
//! user_version` records how many have run. Never edit a shipped migration:
//! append a new one.

use rusqlite::Connection;

/// Every migration, in order.
pub const MIGRATIONS: &[&str] = &[
    // 1: accounts, sessions, the review workflow, audit log, notification outbox.
    "CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        role TEXT NOT NULL CHECK (role IN ('agent', 'lead', 'admin')),
        password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        csrf TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE TABLE revisions (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('new', 'edit', 'review_live')),
        slug TEXT NOT NULL,
        locale TEXT NOT NULL,
        path TEXT NOT NULL,
        author_id INTEGER NOT NULL REFERENCES accounts(id),
        state TEXT NOT NULL CHECK (state IN ('draft', 'in_review', 'changes_requested', 'approved', 'published', 'discarded')),
        title TEXT NOT NULL,
        category TEXT NOT NULL,
        tags TEXT NOT NULL,
        summary TEXT NOT NULL,
        visibility TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'published',
        extra TEXT NOT NULL DEFAULT '{}',
        body TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        base_hash TEXT,
        version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        published_at TEXT,
        published_hash TEXT
    );
    CREATE INDEX revisions_by_article ON revisions (locale, slug, id);
    CREATE INDEX revisions_by_author ON revisions (author_id, state);
    CREATE INDEX revisions_by_state ON revisions (state);
    CREATE TABLE review_requests (
        revision_id INTEGER NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
        reviewer_id INTEGER NOT NULL REFERENCES accounts(id),
        PRIMARY KEY (revision_id, reviewer_id)
    );
    CREATE INDEX review_requests_by_reviewer ON review_requests (reviewer_id);
    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY,
        revision_id INTEGER NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
        reviewer_id INTEGER NOT NULL REFERENCES accounts(id),
        verdict TEXT NOT NULL CHECK (verdict IN ('approved', 'changes_requested')),
        content_hash TEXT NOT NULL,
        body TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    );
    CREATE INDEX reviews_by_revision ON reviews (revision_id);
    CREATE TABLE comments (
        id INTEGER PRIMARY KEY,
        revision_id INTEGER NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
        author_id INTEGER NOT NULL REFERENCES accounts(id),
        line INTEGER,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE approved_content (
        content_hash TEXT PRIMARY KEY,
        slug TEXT NOT NULL,
        locale TEXT NOT NULL,
        revision_id INTEGER REFERENCES revisions(id),
        at TEXT NOT NULL
    );
    CREATE TABLE verifications (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL,
        locale TEXT NOT NULL,
        account_id INTEGER NOT NULL REFERENCES accounts(id),
        content_hash TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX verifications_by_article ON verifications (locale, slug, at);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        account_id INTEGER,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        destination TEXT NOT NULL,
        payload TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        delivered_at TEXT,
        last_error TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX outbox_due ON outbox (delivered_at, next_attempt_at);",
    // 2: deflection — analytics events and customer tickets.
    "CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        session TEXT NOT NULL,
        kind TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT 'web',
        query TEXT,
        slug TEXT,
        rank INTEGER,
        results INTEGER,
        locale TEXT,
        helpful INTEGER,
        reason TEXT
    );
    CREATE INDEX events_by_time ON events (at);
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        subject TEXT NOT NULL,
        description TEXT NOT NULL,
        email TEXT NOT NULL,
        category TEXT,
        locale TEXT NOT NULL,
        session TEXT,
        source TEXT NOT NULL,
        article TEXT
    );
    ALTER TABLE outbox ADD COLUMN ticket_id INTEGER REFERENCES tickets(id);
    CREATE INDEX outbox_by_ticket ON outbox (ticket_id);",
    // 3: FAQ mining — each run's report, and the drafts made from its topics.
    "CREATE TABLE mining_runs (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        report TEXT NOT NULL
    );
    CREATE TABLE mining_drafts (
        run_id INTEGER NOT NULL REFERENCES mining_runs(id) ON DELETE CASCADE,
        topic_id INTEGER NOT NULL,
        revision_id INTEGER NOT NULL REFERENCES revisions(id),
        PRIMARY KEY (run_id, topic_id)
    );",
    // 4: peer review that cannot be bypassed — everyone who put content into
    // a revision (not only its author) is a contributor and cannot approve
    // it, and each reviewer has one current verdict per revision (a new one
    // supersedes the last, which stays as history), so an approval counts
    // once.
    "CREATE TABLE revision_contributors (
        revision_id INTEGER NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
        account_id INTEGER NOT NULL REFERENCES accounts(id),
        PRIMARY KEY (revision_id, account_id)
    );
    INSERT OR IGNORE INTO revision_contributors (revision_id, account_id)
        SELECT id, author_id FROM revisions;
    INSERT OR IGNORE INTO revision_contributors (revision_id, account_id)
        SELECT CAST(substr(a.detail, 10) AS INTEGER), a.account_id FROM audit a
        WHERE a.action IN ('revision.create', 'revision.save', 'revision.claim')
          AND a.detail LIKE 'revision %' AND a.account_id IS NOT NULL
          AND CAST(substr(a.detail, 10) AS INTEGER) IN (SELECT id FROM revisions);
    ALTER TABLE reviews ADD COLUMN superseded INTEGER NOT NULL DEFAULT 0;
    UPDATE reviews SET superseded = 1 WHERE id NOT IN (
        SELECT MAX(id) FROM reviews GROUP BY revision_id, reviewer_id);
    CREATE UNIQUE INDEX reviews_one_current_verdict
        ON reviews (revision_id, reviewer_id) WHERE superseded = 0;",
    // 5: the ticket inbox: a ticket's status, assignee and idempotency key (unique,
    // so one key makes one ticket however many requests race), and the
    // replies agents send from the inbox; events by session, for what a
    // ticket's writer searched and read first.
    "ALTER TABLE tickets ADD COLUMN status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'open', 'solved'));
    ALTER TABLE tickets ADD COLUMN assignee_id INTEGER REFERENCES accounts(id);
    ALTER TABLE tickets ADD COLUMN solved_at TEXT;
    ALTER TABLE tickets ADD COLUMN idempotency_key TEXT;
    CREATE UNIQUE INDEX tickets_by_idempotency_key ON tickets (idempotency_key);
    CREATE INDEX tickets_by_status ON tickets (status, id);
    CREATE TABLE ticket_replies (
        id INTEGER PRIMARY KEY,
        ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
        author_id INTEGER NOT NULL REFERENCES accounts(id),
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        outbox_id INTEGER REFERENCES outbox(id)
    );
    CREATE INDEX ticket_replies_by_ticket ON ticket_replies (ticket_id, id);
    CREATE INDEX events_by_session ON events (session, at);",
    // 6: the writing queue — a mined draft keeps its topic's rank in its
    // run (1 = highest priority), so the queue is ordered by it.
    "ALTER TABLE mining_drafts ADD COLUMN rank INTEGER;",
    // 7: what a customer wrote with a "No" vote ("Something else: …"),
    // masked; few events have one, so the report finds them by index.
    "ALTER TABLE events ADD COLUMN comment TEXT;
    CREATE INDEX events_with_comment ON events (at) WHERE comment IS NOT NULL;",
    // 8: rate-limit attempts kept in the store, so replicas sharing one
    // database count them together (see `limits`), and keys every replica
    // signs with (a ticket's confirmation link works on any of them).
    "CREATE TABLE rate_hits (
        id INTEGER PRIMARY KEY,
        bucket TEXT NOT NULL,
        at_ms INTEGER NOT NULL
    );
    CREATE INDEX rate_hits_by_bucket ON rate_hits (bucket, at_ms);
    CREATE TABLE secrets (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );",
];

/// Applies the migrations the database has not seen, each in a transaction.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let done: usize = conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}
