//! The store's behaviour, run on both engines: one scenario per area
//! (accounts and sessions, the review workflow's records, tickets and the
//! outbox, events, mining, shared limits) against a SQLite file and against
//! a database on a throwaway PostgreSQL cluster, with the same assertions.
//! Then what only several replicas can do to one database: claim the outbox
//! and count rate limits at the same time from several stores.

use std::collections::HashSet;
use std::time::Duration;

use deflect::store::{
    AssigneeFilter, Event, EventKind, NewRevision, NewTicket, RevisionFields, RevisionKind,
    RevisionState, Role, Source, Store, TicketQuery, TicketStatus, Verdict,
};

use crate::pg_cluster::PgCluster;

/// Runs `scenario` on a SQLite store, then on a PostgreSQL one when a
/// cluster can be started.
fn on_both_engines(scenario: impl Fn(&Store)) {
    let dir = tempfile::tempdir().unwrap();
    scenario(&Store::open(dir.path().join("deflect.db")).expect("SQLite store"));
    if let Some(cluster) = PgCluster::start() {
        let url = cluster.store_url("deflect");
        let store = Store::open(deflect::config::StoreLocation::parse(&url)).expect("PG store");
        assert_eq!(store.engine(), "postgres");
        scenario(&store);
    }
}

fn ticket(subject: &str) -> NewTicket {
    NewTicket {
        subject: subject.into(),
        description: "Überweisung failed, 100% sure".into(),
        email: "Kim@Example.com".into(),
        category: Some("billing".into()),
        locale: "en".into(),
        session: Some("s1".into()),
        source: "web".into(),
        article: None,
    }
}

#[test]
fn accounts_and_sessions_behave_alike() {
    on_both_engines(|store| {
        let ana = store
            .create_account(
                "ana",
                "ana@example.com",
                Role::Agent,
                "correct horse battery",
            )
            .unwrap();
        let taken =
            store.create_account("ANA", "x@example.com", Role::Agent, "correct horse battery");
        assert!(
            matches!(taken, Err(deflect::store::Error::Conflict(_))),
            "{taken:?}"
        );
        // Names and emails match whatever their case, as SQLite's NOCASE did.
        assert_eq!(store.account_by_name("Ana").unwrap().unwrap().id, ana.id);
        assert_eq!(
            store
                .verify_password("ANA@example.com", "correct horse battery")
                .unwrap(),
            Some(ana.clone())
        );
        assert_eq!(
            store.verify_password("ana", "wrong password!").unwrap(),
            None
        );
        let token = store.create_session(ana.id).unwrap();
        let session = store.session(&token).unwrap().unwrap();
        assert_eq!((session.account.id, session.csrf.len()), (ana.id, 64));
        assert!(store.session("forged").unwrap().is_none());
        store.disable_account("ana", None).unwrap();
        assert!(store.session(&token).unwrap().is_none());
        assert_eq!(store.accounts().unwrap().len(), 1);
        store.ping().unwrap();
    });
}

#[test]
fn revisions_reviews_and_approvals_behave_alike() {
    on_both_engines(|store| {
        let ana = store
            .create_account("ana", "a@x.io", Role::Agent, "correct horse battery")
            .unwrap();
        let bo = store
            .create_account("bo", "b@x.io", Role::Agent, "correct horse battery")
            .unwrap();
        let fields = RevisionFields {
            title: "Refunds".into(),
            category: "billing".into(),
            tags: vec!["money".into()],
            body: "Ask within 30 days.\n".into(),
            ..Default::default()
        };
        let new = NewRevision {
            kind: RevisionKind::New,
            slug: "billing/refunds".into(),
            locale: "en".into(),
            path: "billing/refunds.md".into(),
            author_id: ana.id,
            fields: fields.clone(),
            base_hash: None,
        };
        let rev = store.create_revision(&new).unwrap();
        assert_eq!(
            (rev.state, rev.version, rev.author.as_str()),
            (RevisionState::Draft, 1, "ana")
        );
        assert!(matches!(
            store.create_revision(&new),
            Err(deflect::store::Error::Conflict(_))
        ));
        let edited = RevisionFields {
            body: "Ask within 60 days.\n".into(),
            ..fields
        };
        let saved = store
            .save_revision(rev.id, 1, &edited, bo.id)
            .unwrap()
            .unwrap();
        assert_eq!(saved.version, 2);
        // A stale version gets the current revision back, unchanged.
        assert_eq!(
            store
                .save_revision(rev.id, 1, &edited, bo.id)
                .unwrap()
                .unwrap_err()
                .version,
            2
        );
        assert_eq!(store.contributors(rev.id).unwrap(), vec![ana.id, bo.id]);
        store
            .request_reviewers(rev.id, &[bo.id, bo.id], ana.id)
            .unwrap();
        assert_eq!(store.requested_reviewers(rev.id).unwrap(), vec!["bo"]);
        let hash = saved.content_hash.clone();
        store
            .add_review(
                rev.id,
                bo.id,
                Verdict::Approved,
                &hash,
                "ok",
                RevisionState::Approved,
            )
            .unwrap();
        assert_eq!(store.reviews(rev.id).unwrap().len(), 1);
        store.add_comment(rev.id, bo.id, Some(3), "typo").unwrap();
        assert_eq!(store.comments(rev.id).unwrap()[0].line, Some(3));
        let published = store.mark_published(rev.id, "filehash", ana.id).unwrap();
        assert_eq!(published.state, RevisionState::Published);
        assert!(store.has_approvals().unwrap());
        let approved = store.approved_hashes(&["filehash", "other"]).unwrap();
        assert_eq!(approved, HashSet::from(["filehash".to_string()]));
        // Approving the same content twice is not an error.
        store
            .approve_live_content("filehash", "billing/refunds", "en", rev.id)
            .unwrap();
        assert_eq!(store.history("billing/refunds", "en").unwrap().len(), 1);
        assert!(store
            .open_revision("billing/refunds", "en")
            .unwrap()
            .is_none());
        store
            .verify_article("billing/refunds", "en", ana.id, "filehash")
            .unwrap();
        let verified = store.last_verifications().unwrap();
        assert!(verified.contains_key(&("en".to_string(), "billing/refunds".to_string())));
    });
}

#[test]
fn tickets_and_the_outbox_behave_alike() {
    on_both_engines(|store| {
        let hooks = vec!["http://127.0.0.1:9/hook".to_string()];
        let (t, made) = store
            .create_ticket(&ticket("Card declined"), Some("key-1"), &hooks, |t| {
                format!("{{\"id\":{}}}", t.id)
            })
            .unwrap();
        assert!(made);
        let (again, made) = store
            .create_ticket(&ticket("Card declined"), Some("key-1"), &hooks, |_| {
                String::new()
            })
            .unwrap();
        assert_eq!((again.id, made), (t.id, false), "one key, one ticket");
        store
            .create_ticket(&ticket("Refund please"), None, &hooks, |_| "{}".into())
            .unwrap();
        assert_eq!(store.ticket_count().unwrap(), 2);
        // Text search ignores case and takes wildcards literally.
        for (text, found) in [("CARD", 1), ("100%", 2), ("kim@example", 2), ("_", 0)] {
            let (rows, total) = store
                .tickets(&TicketQuery {
                    text: Some(text.into()),
                    limit: 10,
                    ..Default::default()
                })
                .unwrap();
            assert_eq!((rows.len() as i64, total), (found, found), "{text}");
        }
        let ana = store
            .create_account("ana", "a@x.io", Role::Agent, "correct horse battery")
            .unwrap();
        store.assign_ticket(t.id, Some(ana.id), ana.id).unwrap();
        let (mine, _) = store
            .tickets(&TicketQuery {
                assignee: Some(AssigneeFilter::Account(ana.id)),
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(mine[0].status, TicketStatus::Open);
        store
            .reply_to_ticket(&deflect::store::NewReply {
                ticket_id: t.id,
                author_id: ana.id,
                body: "Try again",
                destination: "mailto:kim@example.com",
                payload: "{}",
            })
            .unwrap();
        assert_eq!(store.ticket_replies(t.id).unwrap().len(), 1);
        store
            .set_ticket_status(t.id, TicketStatus::Solved, ana.id)
            .unwrap();
        assert!(store
            .set_ticket_status(t.id, TicketStatus::Solved, ana.id)
            .is_err());
        assert_eq!(
            store
                .solved_tickets_since("2000-01-01T00:00:00Z")
                .unwrap()
                .len(),
            1
        );
        assert_eq!(store.ticket_count_in(TicketStatus::New).unwrap(), 1);

        // Two tickets and a reply wait; a claim takes each once until its
        // lease ends.
        assert_eq!(store.undelivered_count().unwrap(), 3);
        let first = store.claim_due(2, Duration::from_secs(60)).unwrap();
        let second = store.claim_due(5, Duration::from_secs(60)).unwrap();
        assert_eq!((first.len(), second.len()), (2, 1));
        assert!(first[0].id < first[1].id, "oldest first");
        assert!(store
            .claim_due(5, Duration::from_secs(60))
            .unwrap()
            .is_empty());
        assert!(store.delivered(&first[0]).unwrap());
        assert!(store.failed(&first[1], "502", Duration::ZERO).unwrap());
        let retried = store.claim_due(5, Duration::ZERO).unwrap();
        assert_eq!(
            retried.iter().map(|i| i.id).collect::<Vec<_>>(),
            vec![first[1].id]
        );
        assert_eq!(retried[0].attempts, 1);
        // A zero lease is over at once: another worker claims the message,
        // and the lapsed claim can no longer record an outcome.
        std::thread::sleep(Duration::from_millis(5));
        let again = store.claim_due(5, Duration::from_secs(60)).unwrap();
        assert_eq!(again.len(), 1);
        assert!(!store.delivered(&retried[0]).unwrap(), "lapsed claim");
        assert!(!store.failed(&retried[0], "late", Duration::ZERO).unwrap());
        assert!(store
            .failed(&again[0], "503", Duration::from_secs(60))
            .unwrap());
        assert!(store.claim_due(5, Duration::ZERO).unwrap().is_empty());
        assert_eq!(store.undelivered_tickets().unwrap().len(), 1);
    });
}

#[test]
fn events_mining_and_limits_behave_alike() {
    on_both_engines(|store| {
        let mut events = Vec::new();
        for (i, kind) in [EventKind::Search, EventKind::Click, EventKind::Vote]
            .into_iter()
            .enumerate()
        {
            let mut e = Event::new(kind, "sess", Source::Web);
            e.at = 1_000 + i as i64;
            e.query = Some("réfund".into());
            e.helpful = (kind == EventKind::Vote).then_some(false);
            e.comment = (kind == EventKind::Vote).then(|| "no".to_string());
            e.slug = Some("billing/refunds".into());
            events.push(e);
        }
        store.insert_events(&events).unwrap();
        store.event_writer().unwrap().insert(&events[..1]).unwrap();
        let mut seen = Vec::new();
        assert_eq!(store.scan_events(0, 2_000, |e| seen.push(e)).unwrap(), 4);
        assert_eq!(seen[1..], events[..]);
        // By time, then by when stored: the copy written second comes second.
        assert_eq!(
            store.session_events("sess", 2).unwrap(),
            [events[0].clone(), events[0].clone()]
        );
        let reader = store.event_reader().unwrap();
        let mut kinds = Vec::new();
        reader
            .scan_refs(0, 2_000, |e| {
                kinds.push((e.kind, e.query.map(str::to_string), e.helpful))
            })
            .unwrap();
        assert_eq!(
            kinds[3],
            (EventKind::Vote, Some("réfund".into()), Some(false))
        );
        assert_eq!(reader.vote_comments(0, 2_000, 5).unwrap()[0].comment, "no");
        assert_eq!(store.purge_events(1_001).unwrap(), 2);

        let run = store.save_mining_run("{\"topics\":[]}").unwrap();
        assert_eq!(store.last_mining_run().unwrap().unwrap().id, run);
        let nobody = store.unassigned_account().unwrap();
        assert_eq!(store.unassigned_account().unwrap().id, nobody.id);
        let rev = store
            .create_revision(&NewRevision {
                kind: RevisionKind::New,
                slug: "mined".into(),
                locale: "en".into(),
                path: "mined.md".into(),
                author_id: nobody.id,
                fields: RevisionFields {
                    title: "Mined".into(),
                    ..Default::default()
                },
                base_hash: None,
            })
            .unwrap();
        store.record_mined_draft(run, 0, 3, rev.id).unwrap();
        store.record_mined_draft(run, 0, 1, rev.id).unwrap();
        let (queue, total) = store.writing_queue(10, 0).unwrap();
        assert_eq!(
            (queue[0].rank, total),
            (Some(1), 1),
            "a second record replaces the first"
        );
        assert_eq!(store.mined_drafts(run).unwrap().len(), 1);
        let ana = store
            .create_account("ana", "a@x.io", Role::Agent, "correct horse battery")
            .unwrap();
        assert!(store.claim_revision(rev.id, ana.id).unwrap());
        assert!(!store.claim_revision(rev.id, ana.id).unwrap());

        for _ in 0..3 {
            assert!(store.try_acquire_limit("login|k", 3, 60_000).unwrap());
        }
        assert!(!store.try_acquire_limit("login|k", 3, 60_000).unwrap());
        store.release_limit("login|k").unwrap();
        assert!(store.try_acquire_limit("login|k", 3, 60_000).unwrap());
        assert_eq!(store.secret("x").unwrap(), store.secret("x").unwrap());
    });
}

/// Several replicas' stores on one database: claims never overlap, and a
/// limit passes exactly its number of attempts however they race.
#[test]
fn replicas_claim_each_message_once_and_share_limits() {
    let Some(cluster) = PgCluster::start() else {
        return;
    };
    let url = cluster.store_url("shared");
    let location = deflect::config::StoreLocation::parse(&url);
    let stores: Vec<Store> = (0..3)
        .map(|_| Store::open(location.clone()).unwrap())
        .collect();
    let hooks = vec!["http://127.0.0.1:9/".to_string()];
    for i in 0..60 {
        stores[i % 3]
            .create_ticket(&ticket(&format!("t{i}")), None, &hooks, |_| "{}".into())
            .unwrap();
    }
    let claimed: Vec<i64> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..6)
            .map(|w| {
                let store = &stores[w % 3];
                s.spawn(move || {
                    let mut mine = Vec::new();
                    while let Some(item) =
                        store.claim_due(1, Duration::from_secs(60)).unwrap().pop()
                    {
                        mine.push(item.id);
                        assert!(store.delivered(&item).unwrap());
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let unique: HashSet<i64> = claimed.iter().copied().collect();
    assert_eq!(
        (claimed.len(), unique.len()),
        (60, 60),
        "each message claimed once"
    );
    assert_eq!(stores[0].undelivered_count().unwrap(), 0);

    let passed: usize = std::thread::scope(|s| {
        let racers: Vec<_> = (0..24)
            .map(|i| {
                let store = &stores[i % 3];
                s.spawn(move || {
                    store
                        .try_acquire_limit("contact|1.2.3.4", 5, 60_000)
                        .unwrap() as usize
                })
            })
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).sum()
    });
    assert_eq!(passed, 5, "exactly the limit passes across replicas");
}

/// A database that goes away is an `Unavailable` error (the web layer's
/// 503), and the store recovers by itself when it returns.
#[test]
fn a_dead_database_is_unavailable_and_the_store_recovers() {
    let Some(cluster) = PgCluster::start() else {
        return;
    };
    let url = cluster.store_url("flaky");
    let store = Store::open(deflect::config::StoreLocation::parse(&url)).unwrap();
    store.ping().unwrap();
    cluster.stop();
    let err = store.ticket_count().unwrap_err();
    assert!(
        matches!(err, deflect::store::Error::Unavailable(_)),
        "{err:?}"
    );
    assert!(store.ping().is_err());
    cluster.restart();
    assert!(
        crate::harness::wait_until(Duration::from_secs(10), || store.ping().is_ok()),
        "the store reconnects"
    );
    assert_eq!(store.ticket_count().unwrap(), 0);
}
