//! Peer review that cannot be bypassed: the concrete ways it was bypassed
//! (an editor approving their own edit, one reviewer approving twice, a
//! field change the reviewer never saw, an empty article, a symlinked
//! folder), and a property test that drives random sequences of workflow
//! actions by random agents and checks after every step that whatever went
//! live was approved, as published, by enough agents who wrote none of it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::http::StatusCode;
use deflect::articles::{Status, Visibility};
use deflect::outbox::Notifier;
use deflect::review::Workflow;
use deflect::store::{Account, RevisionFields, RevisionState, Role};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};

use crate::harness::{Agent, TestKb};

const ARTICLE: &[(&str, &str)] = &[
    ("title", "Pausing a subscription"),
    ("slug", "billing/pausing"),
    ("category", "billing"),
    ("tags", "pause"),
    ("summary", "Pause and resume."),
    ("visibility", "public"),
    ("body", "Open Billing and choose Pause.\n"),
];

/// Starts the article above as `agent` and submits it; returns its revision.
async fn submitted(kb: &mut TestKb, agent: &Agent) -> i64 {
    let id = kb
        .post_as("/agent/articles/new", agent, ARTICLE)
        .await
        .revision_id();
    let r = kb
        .post_as(&format!("/agent/revisions/{id}/submit"), agent, &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    id
}

/// Saves `changes` over the revision's current fields as `agent`.
async fn save(kb: &mut TestKb, agent: &Agent, id: i64, changes: &[(&str, &str)]) {
    let rev = kb.state().store.revision(id).unwrap();
    let version = rev.version.to_string();
    let tags = rev.fields.tags.join(", ");
    let mut fields: BTreeMap<&str, &str> = BTreeMap::from([
        ("version", version.as_str()),
        ("title", rev.fields.title.as_str()),
        ("category", rev.fields.category.as_str()),
        ("tags", tags.as_str()),
        ("summary", rev.fields.summary.as_str()),
        ("visibility", rev.fields.visibility.as_str()),
        ("body", rev.fields.body.as_str()),
    ]);
    fields.extend(changes.iter().cloned());
    let fields: Vec<(&str, &str)> = fields.into_iter().collect();
    let r = kb
        .post_as(&format!("/agent/revisions/{id}/edit"), agent, &fields)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

#[tokio::test]
async fn an_agent_who_edited_a_revision_cannot_approve_it() {
    let mut kb = TestKb::new();
    let ana = kb.agent("ana", Role::Agent);
    let bo = kb.agent("bo", Role::Agent);
    let cy = kb.agent("cy", Role::Agent);
    let id = submitted(&mut kb, &ana).await;
    // Bo rewrites Ana's text, then tries to approve it: his own words.
    save(&mut kb, &bo, id, &[("body", "Bo's own text.\n")]).await;
    let r = kb
        .post_as(&format!("/agent/revisions/{id}/approve"), &bo, &[])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("wrote or edited"), "{}", r.body);
    let page = kb.get_as(&format!("/agent/revisions/{id}"), &bo).await;
    assert!(
        page.body.contains("wrote or edited this revision"),
        "the page says why Bo cannot approve"
    );
    assert_eq!(
        kb.post_as(&format!("/agent/revisions/{id}/publish"), &bo, &[])
            .await
            .status,
        StatusCode::CONFLICT,
        "nothing to publish without an independent approval"
    );
    // Cy wrote nothing: her approval counts, and only hers is credited.
    kb.post_as(&format!("/agent/revisions/{id}/approve"), &cy, &[])
        .await;
    let r = kb
        .post_as(&format!("/agent/revisions/{id}/publish"), &bo, &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let file = std::fs::read_to_string(kb.articles().join("billing/pausing.md")).unwrap();
    assert!(file.contains("reviewed_by:\n- cy\n"), "{file}");
    assert!(!file.contains("- bo"), "{file}");
}

#[tokio::test]
async fn one_reviewer_approving_twice_is_one_approval() {
    let mut kb = TestKb::new();
    kb.config.review.min_approvals = 2;
    let ana = kb.agent("ana", Role::Agent);
    let bo = kb.agent("bo", Role::Agent);
    let cy = kb.agent("cy", Role::Agent);
    let id = submitted(&mut kb, &ana).await;
    let approve = format!("/agent/revisions/{id}/approve");
    assert_eq!(
        kb.post_as(&approve, &bo, &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let again = kb.post_as(&approve, &bo, &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(again.body.contains("approved this content already"));
    let rev = kb.state().store.revision(id).unwrap();
    assert_eq!(
        rev.state,
        RevisionState::InReview,
        "1 of 2 is still in review"
    );
    let page = kb.get_as(&format!("/agent/revisions/{id}"), &ana).await;
    assert!(
        page.body.contains("1 of 2 approvals count"),
        "{}",
        page.body
    );
    assert_eq!(
        kb.post_as(&format!("/agent/revisions/{id}/publish"), &ana, &[])
            .await
            .status,
        StatusCode::CONFLICT
    );
    // The schema keeps one current verdict per reviewer: a second row that
    // does not supersede the first is refused.
    let state = kb.state();
    let bo_id = state.store.account_by_name("bo").unwrap().unwrap().id;
    let raw = state.store.write(|tx| {
        Ok(tx.execute(
            "INSERT INTO reviews (revision_id, reviewer_id, verdict, content_hash, body, created_at)
             VALUES (?1, ?2, 'approved', ?3, '', '2026-01-01T00:00:00Z')",
            &[&id as &dyn deflect::store::sql::ToSql, &bo_id, &rev.content_hash][..],
        )?)
    });
    assert!(raw.is_err(), "one current verdict per reviewer");
    // Changes requested, then approved again (the same content): the
    // reviewer's latest verdict is what counts, once.
    let r = kb
        .post_as(
            &format!("/agent/revisions/{id}/request-changes"),
            &bo,
            &[("body", "Add a screenshot")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    kb.post_as(&format!("/agent/revisions/{id}/submit"), &ana, &[])
        .await;
    let r = kb.post_as(&approve, &bo, &[]).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "approving again: {}",
        r.body
    );
    let ledger = kb.state().workflow.ledger(id).unwrap();
    assert_eq!(ledger.approvals(&kb.state().store.revision(id).unwrap()), 1);
    kb.post_as(&approve, &cy, &[]).await;
    assert_eq!(
        kb.state().store.revision(id).unwrap().state,
        RevisionState::Approved
    );
}

#[tokio::test]
async fn a_field_change_after_approval_needs_a_new_approval_and_is_shown() {
    let mut kb = TestKb::new();
    let ana = kb.agent("ana", Role::Agent);
    let bo = kb.agent("bo", Role::Agent);
    let id = submitted(&mut kb, &ana).await;
    kb.post_as(&format!("/agent/revisions/{id}/approve"), &bo, &[])
        .await;
    // Only the title changes: the body is the same.
    save(&mut kb, &ana, id, &[("title", "Free money for everyone")]).await;
    let rev = kb.state().store.revision(id).unwrap();
    assert_eq!(rev.state, RevisionState::InReview, "back to review");
    let r = kb
        .post_as(&format!("/agent/revisions/{id}/publish"), &ana, &[])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("it has 0"), "{}", r.body);
    let page = kb.get_as(&format!("/agent/revisions/{id}"), &bo).await;
    assert!(page.body.contains("Changed fields"), "{}", page.body);
    assert!(page.body.contains("Free money for everyone"));
    assert!(
        page.body.contains("Does not count"),
        "the old approval is marked"
    );

    // An edit of a live article shows the old and new value of each field.
    let r = kb
        .post_as(
            "/agent/edit?slug=billing/refunds",
            &ana,
            &[
                ("title", "Refunds (new rules)"),
                ("category", "billing"),
                ("tags", "refund, money back"),
                ("summary", "When and how we refund subscription charges."),
                ("visibility", "internal"),
                ("body", "We refund yearly plans within 30 days.\n"),
            ],
        )
        .await;
    let edit = r.revision_id();
    let page = kb.get_as(&format!("/agent/revisions/{edit}"), &bo).await;
    for shown in ["Refund policy", "Refunds (new rules)", "internal"] {
        assert!(page.body.contains(shown), "{shown} on the review page");
    }
}

#[tokio::test]
async fn an_empty_article_is_never_submitted_approved_or_published() {
    let mut kb = TestKb::new();
    let ana = kb.agent("ana", Role::Agent);
    let bo = kb.agent("bo", Role::Agent);
    let id = submitted(&mut kb, &ana).await;
    // Emptied to a comment, as mined drafts start.
    save(
        &mut kb,
        &ana,
        id,
        &[("body", "<!-- 12 tickets asked -->\n")],
    )
    .await;
    for action in ["approve", "publish"] {
        let r = kb
            .post_as(&format!("/agent/revisions/{id}/{action}"), &bo, &[])
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{action}: {}", r.body);
        assert!(r.body.contains("no content yet"), "{action}: {}", r.body);
    }
    let r = kb
        .post_as(
            &format!("/agent/revisions/{id}/request-changes"),
            &bo,
            &[("body", "Write it")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(kb.search("pause").is_empty());
    assert!(!kb.articles().join("billing/pausing.md").exists());
}

#[tokio::test]
async fn a_review_of_the_live_article_cannot_swap_in_other_text() {
    let mut kb = TestKb::new();
    let ana = kb.agent("ana", Role::Agent);
    let r = kb
        .post_as(
            "/agent/articles/review-live?slug=billing%2Frefunds&locale=en",
            &ana,
            &[],
        )
        .await;
    let id = r.revision_id();
    // Saving harmless text into it would get the live file approved unseen.
    let rev = kb.state().store.revision(id).unwrap();
    let version = rev.version.to_string();
    let r = kb
        .post_as(
            &format!("/agent/revisions/{id}/edit"),
            &ana,
            &[
                ("version", version.as_str()),
                ("title", "Refund policy"),
                ("category", "billing"),
                ("visibility", "public"),
                ("body", "Harmless text.\n"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("cannot be edited"), "{}", r.body);
    let archive = kb
        .post_as(&format!("/agent/revisions/{id}/archive"), &ana, &[])
        .await;
    assert_eq!(archive.status, StatusCode::CONFLICT, "{}", archive.body);
    assert_eq!(kb.state().store.revision(id).unwrap().fields, rev.fields);
}

#[tokio::test]
async fn a_restored_text_cannot_be_approved_by_the_people_who_wrote_it() {
    let mut kb = TestKb::new();
    let ana = kb.agent("ana", Role::Agent);
    let bo = kb.agent("bo", Role::Agent);
    let cy = kb.agent("cy", Role::Agent);
    let first = submitted(&mut kb, &ana).await;
    kb.post_as(&format!("/agent/revisions/{first}/approve"), &bo, &[])
        .await;
    kb.post_as(&format!("/agent/revisions/{first}/publish"), &bo, &[])
        .await;
    // Cy restores Ana's text as a new draft: Ana wrote it, so she cannot
    // approve it; Bo can.
    let restored = kb
        .post_as(&format!("/agent/revisions/{first}/restore"), &cy, &[])
        .await
        .revision_id();
    kb.post_as(&format!("/agent/revisions/{restored}/submit"), &cy, &[])
        .await;
    let r = kb
        .post_as(&format!("/agent/revisions/{restored}/approve"), &ana, &[])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = kb
        .post_as(&format!("/agent/revisions/{restored}/approve"), &bo, &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

#[cfg(unix)]
#[tokio::test]
async fn publishing_never_writes_through_a_symlinked_folder() {
    let mut kb = TestKb::new();
    let outside = kb.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, kb.articles().join("linked")).unwrap();
    let ana = kb.agent("ana", Role::Agent);
    let bo = kb.agent("bo", Role::Agent);
    let mut fields: Vec<(&str, &str)> = ARTICLE
        .iter()
        .filter(|(k, _)| *k != "slug" && *k != "category")
        .cloned()
        .collect();
    fields.extend([("slug", "linked/escape"), ("category", "linked")]);
    let id = kb
        .post_as("/agent/articles/new", &ana, &fields)
        .await
        .revision_id();
    kb.post_as(&format!("/agent/revisions/{id}/submit"), &ana, &[])
        .await;
    kb.post_as(&format!("/agent/revisions/{id}/approve"), &bo, &[])
        .await;
    let r = kb
        .post_as(&format!("/agent/revisions/{id}/publish"), &bo, &[])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("not a path inside the articles folder"));
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}

/// One step of the random workflow walk.
#[derive(Debug, Clone)]
enum Op {
    New {
        agent: usize,
        slot: usize,
    },
    EditLive {
        agent: usize,
        slot: usize,
    },
    Save {
        agent: usize,
        slot: usize,
        change: u8,
    },
    Submit {
        agent: usize,
        slot: usize,
    },
    Approve {
        agent: usize,
        slot: usize,
    },
    RequestChanges {
        agent: usize,
        slot: usize,
    },
    Publish {
        agent: usize,
        slot: usize,
    },
}

const AGENTS: usize = 4;
const SLOTS: usize = 2;

fn op() -> impl Strategy<Value = Op> {
    let who = (0..AGENTS, 0..SLOTS);
    // Weighted so that walks often get as far as publishing.
    prop_oneof![
        2 => who.clone().prop_map(|(agent, slot)| Op::New { agent, slot }),
        2 => who
            .clone()
            .prop_map(|(agent, slot)| Op::EditLive { agent, slot }),
        2 => (0..AGENTS, 0..SLOTS, 0u8..7).prop_map(|(agent, slot, change)| Op::Save {
            agent,
            slot,
            change
        }),
        4 => who.clone().prop_map(|(agent, slot)| Op::Submit { agent, slot }),
        8 => who
            .clone()
            .prop_map(|(agent, slot)| Op::Approve { agent, slot }),
        1 => who
            .clone()
            .prop_map(|(agent, slot)| Op::RequestChanges { agent, slot }),
        4 => who.prop_map(|(agent, slot)| Op::Publish { agent, slot }),
    ]
}

/// What the test itself saw happen to one revision: its independent record,
/// kept apart from the store's.
#[derive(Default)]
struct Seen {
    contributors: BTreeSet<usize>,
    /// Each reviewer's latest verdict: the fields they approved, or `None`
    /// after they requested changes.
    verdicts: BTreeMap<usize, Option<RevisionFields>>,
}

fn change(fields: &RevisionFields, how: u8, step: usize) -> RevisionFields {
    let mut f = fields.clone();
    match how {
        0 => f.body = format!("Body written at step {step}.\n"),
        1 => f.title = format!("Title {step}"),
        2 => f.tags = vec![format!("tag{step}")],
        3 => f.summary = format!("Summary {step}"),
        4 => {
            f.visibility = if f.visibility == Visibility::Public {
                Visibility::Internal
            } else {
                Visibility::Public
            }
        }
        5 => {} // saving without a change contributes nothing
        _ => f.body = "<!-- nothing yet -->".into(),
    }
    f
}

fn fields(step: usize) -> RevisionFields {
    RevisionFields {
        title: format!("Article {step}"),
        category: "props".into(),
        tags: vec![],
        summary: String::new(),
        visibility: Visibility::Public,
        status: Status::Published,
        extra: Default::default(),
        body: format!("First text {step}.\n"),
    }
}

#[test]
fn random_workflows_never_publish_without_independent_approvals_of_the_exact_content() {
    let mut kb = TestKb::new();
    let state = kb.state();
    let store = Arc::clone(&state.store);
    let accounts: Vec<Account> = (0..AGENTS)
        .map(|i| {
            store
                .create_account(
                    &format!("p{i}"),
                    &format!("p{i}@example.com"),
                    Role::Agent,
                    "correct horse battery",
                )
                .unwrap()
        })
        .collect();
    let case = std::sync::atomic::AtomicUsize::new(0);
    let mut runner = TestRunner::new(RunnerConfig {
        cases: 200,
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    let publications = std::sync::atomic::AtomicUsize::new(0);
    runner
        .run(
            &(1usize..=3, proptest::collection::vec(op(), 1..60)),
            |(min_approvals, ops)| {
                let case = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                let workflow = Workflow {
                    store: Arc::clone(&store),
                    library: Arc::clone(&state.library),
                    notifier: Notifier::new(Arc::clone(&store), Vec::new(), String::new()),
                    min_approvals,
                    git_commit: false,
                };
                let n = walk(&workflow, &accounts, case, &ops);
                publications.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                Ok(())
            },
        )
        .unwrap();
    // The walk must reach publishing often enough for the check to bite.
    let n = publications.into_inner();
    assert!(n >= 5, "only {n} publications in the whole run");
}

/// Runs `ops`, checking the promise after every step; returns how many
/// revisions it published.
fn walk(wf: &Workflow, accounts: &[Account], case: usize, ops: &[Op]) -> usize {
    let slug = |slot: usize| format!("props/c{case}-s{slot}");
    let mut open: [Option<i64>; SLOTS] = [None; SLOTS];
    let mut seen: BTreeMap<i64, Seen> = BTreeMap::new();
    let mut published: Vec<i64> = Vec::new();
    let agent_of = |id: i64| accounts.iter().position(|a| a.id == id).unwrap();
    for (step, op) in ops.iter().enumerate() {
        match *op {
            Op::New { agent, slot } => {
                if let Ok(rev) = wf.start_new(&accounts[agent], &slug(slot), "en", fields(step)) {
                    open[slot] = Some(rev.id);
                    seen.entry(rev.id).or_default().contributors.insert(agent);
                }
            }
            Op::EditLive { agent, slot } => {
                let Ok(Some(live)) = wf.live(&slug(slot), "en") else {
                    continue;
                };
                let edited = change(&live, (step % 5) as u8, step);
                if let Ok(rev) = wf.edit_live(&accounts[agent], &slug(slot), "en", edited) {
                    open[slot] = Some(rev.id);
                    seen.entry(rev.id).or_default().contributors.insert(agent);
                }
            }
            Op::Save {
                agent,
                slot,
                change: how,
            } => {
                let Some(id) = open[slot] else { continue };
                let rev = wf.store.revision(id).unwrap();
                let new = change(&rev.fields, how, step);
                if wf
                    .save(&accounts[agent], id, rev.version, new.clone())
                    .is_ok()
                    && new != rev.fields
                {
                    seen.entry(id).or_default().contributors.insert(agent);
                }
            }
            Op::Submit { agent, slot } => {
                if let Some(id) = open[slot] {
                    let _ = wf.submit(&accounts[agent], id, &[]);
                }
            }
            Op::Approve { agent, slot } => {
                let Some(id) = open[slot] else { continue };
                let before = wf.store.revision(id).unwrap();
                if wf.approve(&accounts[agent], id, "").is_ok() {
                    seen.entry(id)
                        .or_default()
                        .verdicts
                        .insert(agent, Some(before.fields));
                }
            }
            Op::RequestChanges { agent, slot } => {
                let Some(id) = open[slot] else { continue };
                if wf
                    .request_changes(&accounts[agent], id, "Please fix")
                    .is_ok()
                {
                    seen.entry(id).or_default().verdicts.insert(agent, None);
                }
            }
            Op::Publish { agent, slot } => {
                let Some(id) = open[slot] else { continue };
                if wf.publish(&accounts[agent], id).is_ok() {
                    published.push(id);
                    open[slot] = None;
                }
            }
        }
        // After every step: every published revision went live with
        // `min_approvals` distinct approvers who contributed nothing, each
        // having approved exactly the content that went live.
        for &id in &published {
            let rev = wf.store.revision(id).unwrap();
            assert_eq!(rev.state, RevisionState::Published);
            let record = &seen[&id];
            let author = agent_of(rev.author_id);
            let independent: Vec<usize> = record
                .verdicts
                .iter()
                .filter(|(who, approved)| {
                    !record.contributors.contains(who)
                        && **who != author
                        && approved.as_ref() == Some(&rev.fields)
                })
                .map(|(who, _)| *who)
                .collect();
            assert!(
                independent.len() >= wf.min_approvals,
                "revision {id} published with {independent:?} (need {}); contributors {:?}; ops {ops:?}",
                wf.min_approvals,
                record.contributors
            );
            assert!(
                deflect::review::has_content(&rev.fields.body),
                "an empty article went live: {ops:?}"
            );
        }
        // Nothing else is published behind the test's back.
        for slot in 0..SLOTS {
            for rev in wf.store.history(&slug(slot), "en").unwrap() {
                if rev.state == RevisionState::Published {
                    assert!(published.contains(&rev.id), "{ops:?}");
                }
            }
        }
    }
    // Each file on disk (the latest publication of its article) credits no
    // contributor as a reviewer.
    let mut files = BTreeSet::new();
    for &id in published.iter().rev() {
        let rev = wf.store.revision(id).unwrap();
        if !files.insert(rev.path.clone()) {
            continue;
        }
        let record = &seen[&id];
        let text = std::fs::read_to_string(wf.library.root().join(&rev.path)).unwrap();
        let meta = deflect::articles::front_matter::split(&text).unwrap().meta;
        let reviewers = meta.get("reviewed_by").cloned().unwrap_or_default();
        for who in &record.contributors {
            assert!(
                !reviewers
                    .as_array()
                    .is_some_and(|r| r.contains(&format!("p{who}").into())),
                "a contributor is credited as reviewer: {text}"
            );
        }
    }
    published.len()
}
