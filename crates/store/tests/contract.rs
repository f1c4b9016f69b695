//! The contract both backends must honour. Every test here runs on SQLite and, when
//! `PRESSROOM_TEST_DATABASE_URL` is set, on PostgreSQL (see `backends!` at the bottom).

use jiff::{SignedDuration, Timestamp};
use pressroom_core::numbering::NumberSeries;
use pressroom_core::release::{ReleaseKey, RevisionInput, release_key};
use pressroom_core::user::{Role, User};
use pressroom_core::workflow::{Action, Correction, State, WorkflowError};
use pressroom_store::testing::{People, TEST_PASSWORD, TestDb, sample_text};
use pressroom_store::{By, NewRelease, ReleaseFilter, StoreError};

fn input(title: &str) -> RevisionInput {
    sample_text(title)
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

async fn draft(db: &TestDb, kind: &str, lang: &str, title: &str, by: &User) -> i64 {
    db.draft(kind, lang, input(title), by).await.translation.id
}

/// Drafts, submits (author) and approves (editor) a press release at `when`.
async fn publish_reviewed(db: &TestDb, p: &People, title: &str, when: Timestamp) -> i64 {
    let id = draft(db, "press-release", "en", title, &p.author).await;
    db.submit_and_approve(id, p, when).await;
    id
}

async fn schema_is_migrated_once_and_newer_schemas_are_refused(db: TestDb) {
    assert_eq!(
        db.store.schema_version().await.unwrap(),
        pressroom_store::SCHEMA_VERSION
    );
    assert!(
        db.store.migrate().await.unwrap().is_empty(),
        "a second migration applies nothing"
    );
    sqlx_exec(
        &db,
        "INSERT INTO pressroom_schema (version, name, applied_at) VALUES (999, 'future', 0)",
    )
    .await
    .unwrap();
    match pressroom_store::Store::connect(&db.url).await {
        Err(StoreError::SchemaTooNew { found: 999, known }) => {
            assert_eq!(known, pressroom_store::SCHEMA_VERSION)
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

async fn users_sign_in_with_their_password_until_disabled(db: TestDb) {
    let p = db.people().await;
    let user = db
        .store
        .check_password("author", TEST_PASSWORD)
        .await
        .unwrap();
    assert_eq!(user.map(|u| u.id), Some(p.author.id));
    assert!(
        db.store
            .check_password("author", "wrong password!")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.store
            .check_password("nobody", TEST_PASSWORD)
            .await
            .unwrap()
            .is_none()
    );
    let dup = db
        .store
        .create_user("author", "Again", Role::Author, TEST_PASSWORD, By::Cli)
        .await;
    assert!(matches!(dup, Err(StoreError::Duplicate(m)) if m.contains("taken")));
    let short = db
        .store
        .create_user("newbie", "New", Role::Author, "short", By::Cli)
        .await;
    assert!(matches!(short, Err(StoreError::Invalid(i)) if i.message_for("password").is_some()));
    db.store
        .set_role("author", Role::Editor, By::Cli)
        .await
        .unwrap();
    assert_eq!(
        db.store.user_by_name("author").await.unwrap().role,
        Role::Editor
    );
    db.store
        .set_disabled("author", true, By::Cli)
        .await
        .unwrap();
    assert!(
        db.store
            .check_password("author", TEST_PASSWORD)
            .await
            .unwrap()
            .is_none()
    );
    let log = db
        .store
        .audit_log(Some(&format!("user:{}", p.author.id)), 10)
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["user.disable", "user.set_role", "user.add"]);
}

async fn review_numbers_and_publishes_with_two_people(db: TestDb) {
    let p = db.people().await;
    let when = at("2021-10-04T07:30:00Z");
    let id = draft(&db, "press-release", "az", "Nazir görüşdü", &p.editor).await;
    db.store
        .apply(id, None, &Action::Submit, By::User(&p.editor), when)
        .await
        .unwrap();
    let own = db
        .store
        .apply(
            id,
            None,
            &Action::ApprovePublish { correction: None },
            By::User(&p.editor),
            when,
        )
        .await;
    assert!(matches!(
        own,
        Err(StoreError::Workflow(WorkflowError::TwoPersonRule))
    ));
    let by_author = db
        .store
        .apply(
            id,
            None,
            &Action::ApprovePublish { correction: None },
            By::User(&p.author),
            when,
        )
        .await;
    assert!(matches!(
        by_author,
        Err(StoreError::Workflow(WorkflowError::Forbidden { .. }))
    ));
    let t = db
        .store
        .apply(
            id,
            None,
            &Action::ApprovePublish { correction: None },
            By::User(&p.editor2),
            when,
        )
        .await
        .unwrap();
    assert_eq!(t.state, State::Published);
    let release = db.store.release(t.release_id).await.unwrap();
    let number = release.number.expect("numbered at first publication");
    assert_eq!((number.year, number.seq), (2021, 1));
    assert_eq!(release.first_published_at, Some(when));

    // The English translation follows hours later and shares the number.
    let en = db
        .store
        .add_translation(
            t.release_id,
            "en",
            &input("Minister met"),
            By::User(&p.author),
        )
        .await
        .unwrap();
    let dup = db
        .store
        .add_translation(t.release_id, "en", &input("Again"), By::User(&p.author))
        .await;
    assert!(matches!(dup, Err(StoreError::Duplicate(_))));
    let later = at("2021-10-04T12:00:00Z");
    db.store
        .apply(
            en.translation.id,
            None,
            &Action::Submit,
            By::User(&p.author),
            later,
        )
        .await
        .unwrap();
    db.store
        .apply(
            en.translation.id,
            None,
            &Action::ApprovePublish { correction: None },
            By::User(&p.editor),
            later,
        )
        .await
        .unwrap();
    assert_eq!(
        db.store.release(t.release_id).await.unwrap().number,
        Some(number)
    );

    let page = db
        .store
        .find_public(
            &db.store.site_reference().await.unwrap(),
            "en",
            2021,
            &release_key(&release),
        )
        .await
        .unwrap();
    assert_eq!(page.revision.title, "Minister met");
    assert_eq!(
        page.other_languages,
        vec![("az".to_owned(), "nazir-gorushdu".to_owned())]
    );
    let listed = db
        .store
        .list_public(&ReleaseFilter {
            lang: "az".into(),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let log = db
        .store
        .audit_log(Some(&format!("translation:{id}")), 10)
        .await
        .unwrap();
    assert_eq!(log[0].action, "approve_publish");
    assert_eq!(log[0].actor, "editor2");
}

async fn drafts_are_never_public_and_never_numbered(db: TestDb) {
    let p = db.people().await;
    let id = draft(&db, "press-release", "en", "Secret draft", &p.author).await;
    db.store
        .apply(
            id,
            None,
            &Action::Submit,
            By::User(&p.author),
            Timestamp::now(),
        )
        .await
        .unwrap();
    let t = db.store.translation(id).await.unwrap();
    assert_eq!(db.store.release(t.release_id).await.unwrap().number, None);
    let filter = ReleaseFilter {
        lang: "en".into(),
        limit: 10,
        ..Default::default()
    };
    assert!(db.store.list_public(&filter).await.unwrap().is_empty());
    assert_eq!(db.store.count_public(&filter).await.unwrap(), 0);
    let deleted = draft(&db, "press-release", "en", "Throwaway", &p.author).await;
    db.store
        .apply(
            deleted,
            None,
            &Action::Delete,
            By::User(&p.author),
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        db.store.translation(deleted).await.unwrap().state,
        State::Deleted
    );
}

async fn corrections_keep_every_published_revision(db: TestDb) {
    let p = db.people().await;
    let id = publish_reviewed(&db, &p, "Meeting on 5 October", at("2021-10-04T08:00:00Z")).await;
    let t = db.store.translation(id).await.unwrap();
    let first_live = t.live_revision_id.unwrap();
    let edited = db
        .store
        .save_revision(
            id,
            t.version,
            &input("Meeting on 6 October"),
            By::User(&p.author),
        )
        .await
        .unwrap();
    assert_eq!(edited.translation.state, State::Draft);
    assert_eq!(
        edited.translation.live_revision_id,
        Some(first_live),
        "readers still see the published text"
    );
    let when = at("2021-10-05T08:00:00Z");
    db.store
        .apply(id, None, &Action::Submit, By::User(&p.author), when)
        .await
        .unwrap();
    let missing = db
        .store
        .apply(
            id,
            None,
            &Action::ApprovePublish { correction: None },
            By::User(&p.editor),
            when,
        )
        .await;
    assert!(
        matches!(missing, Err(StoreError::Workflow(WorkflowError::Invalid(i))) if i.message_for("correction").is_some())
    );
    let major = Action::ApprovePublish {
        correction: Some(Correction::Major {
            note: "Corrected the date".into(),
        }),
    };
    let t = db
        .store
        .apply(id, None, &major, By::User(&p.editor), when)
        .await
        .unwrap();
    assert_ne!(t.live_revision_id, Some(first_live));
    let history = db.store.publications(id).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].revision_id, first_live);
    assert_eq!(
        history[1].correction,
        Some(Correction::Major {
            note: "Corrected the date".into()
        })
    );
    assert_eq!(
        db.store.revision(first_live).await.unwrap().title,
        "Meeting on 5 October"
    );
    let release = db.store.release(t.release_id).await.unwrap();
    assert_eq!(
        release.number.unwrap().seq,
        1,
        "a correction keeps the number"
    );
    // The static export lists both published revisions, knowing which one is live; a draft
    // of another release is not among them.
    draft(&db, "press-release", "en", "Never published", &p.author).await;
    let live = t.live_revision_id.unwrap();
    assert_eq!(
        db.store.public_publications().await.unwrap(),
        vec![
            (t.release_id, "en".to_owned(), first_live, live),
            (t.release_id, "en".to_owned(), live, live),
        ]
    );
}

async fn withdrawal_keeps_the_page_and_the_number(db: TestDb) {
    let p = db.people().await;
    let id = publish_reviewed(&db, &p, "Issued in error", at("2021-03-01T08:00:00Z")).await;
    let empty = db
        .store
        .apply(
            id,
            None,
            &Action::Withdraw {
                explanation: " ".into(),
            },
            By::User(&p.editor),
            Timestamp::now(),
        )
        .await;
    assert!(matches!(
        empty,
        Err(StoreError::Workflow(WorkflowError::Invalid(_)))
    ));
    let action = Action::Withdraw {
        explanation: "Published by mistake.".into(),
    };
    let t = db
        .store
        .apply(id, None, &action, By::User(&p.editor), Timestamp::now())
        .await
        .unwrap();
    assert_eq!(t.state, State::Withdrawn);
    let release = db.store.release(t.release_id).await.unwrap();
    let page = db
        .store
        .find_public(
            &db.store.site_reference().await.unwrap(),
            "en",
            2021,
            &release_key(&release),
        )
        .await
        .unwrap();
    assert_eq!(
        page.translation.withdrawal_explanation.as_deref(),
        Some("Published by mistake.")
    );
    assert_eq!(release.number.unwrap().seq, 1);
    let next = publish_reviewed(&db, &p, "Next one", at("2021-03-02T08:00:00Z")).await;
    let next = db
        .store
        .release(db.store.translation(next).await.unwrap().release_id)
        .await
        .unwrap();
    assert_eq!(
        next.number.unwrap().seq,
        2,
        "a withdrawn release's number is never reused"
    );
}

async fn a_stale_save_is_refused_and_nothing_is_lost(db: TestDb) {
    let p = db.people().await;
    let id = draft(&db, "statement", "en", "First", &p.author).await;
    let v = db.store.translation(id).await.unwrap().version;
    db.store
        .save_revision(id, v, &input("Mine"), By::User(&p.author))
        .await
        .unwrap();
    let stale = db
        .store
        .save_revision(id, v, &input("Theirs"), By::User(&p.editor))
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { expected, current }) if expected == v && current == v + 1)
    );
    let revisions = db.store.revisions(id).await.unwrap();
    assert_eq!(
        revisions
            .iter()
            .map(|r| r.title.as_str())
            .collect::<Vec<_>>(),
        ["First", "Mine"]
    );
}

async fn history_tables_are_append_only(db: TestDb) {
    let p = db.people().await;
    publish_reviewed(&db, &p, "Signed and sealed", Timestamp::now()).await;
    for sql in [
        "UPDATE revisions SET title = 'forged'",
        "DELETE FROM revisions",
        "UPDATE publications SET change_note = 'x'",
        "DELETE FROM audit_log",
        "UPDATE audit_log SET actor = 'someone else'",
    ] {
        let err = sqlx_exec(&db, sql).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
}

async fn scheduled_publication_happens_once_when_due(db: TestDb) {
    let p = db.people().await;
    let now = at("2026-05-01T10:00:00Z");
    let id = draft(&db, "press-release", "en", "Embargoed", &p.author).await;
    db.store
        .apply(id, None, &Action::Submit, By::User(&p.author), now)
        .await
        .unwrap();
    let past = db
        .store
        .apply(
            id,
            None,
            &Action::ApproveSchedule {
                at: now,
                correction: None,
            },
            By::User(&p.editor),
            now,
        )
        .await;
    assert!(matches!(
        past,
        Err(StoreError::Workflow(WorkflowError::Invalid(_)))
    ));
    let due = now + SignedDuration::from_mins(30);
    let t = db
        .store
        .apply(
            id,
            None,
            &Action::ApproveSchedule {
                at: due,
                correction: None,
            },
            By::User(&p.editor),
            now,
        )
        .await
        .unwrap();
    assert_eq!((t.state, t.scheduled_at), (State::Scheduled, Some(due)));
    assert_eq!(db.store.next_due().await.unwrap(), Some(due));
    assert!(db.store.publish_due(now).await.unwrap().is_empty());
    let late = due + SignedDuration::from_secs(90);
    let published = db.store.publish_due(late).await.unwrap();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].late_by, SignedDuration::from_secs(90));
    assert!(
        db.store.publish_due(late).await.unwrap().is_empty(),
        "published exactly once"
    );
    let t = db.store.translation(id).await.unwrap();
    assert_eq!(t.state, State::Published);
    assert_eq!(db.store.next_due().await.unwrap(), None);
    let log = db
        .store
        .audit_log(Some(&format!("translation:{id}")), 1)
        .await
        .unwrap();
    assert_eq!(
        (log[0].action.as_str(), log[0].actor.as_str()),
        ("publish_scheduled", "scheduler")
    );
}

async fn the_numbering_year_turns_in_the_site_time_zone(db: TestDb) {
    let p = db.people().await;
    publish_reviewed(&db, &p, "Last of 2021", at("2021-12-31T19:00:00Z")).await;
    // 23:30 UTC on 31 December is 03:30 on 1 January in Baku.
    let id = publish_reviewed(&db, &p, "First of 2022", at("2021-12-31T23:30:00Z")).await;
    let release = db
        .store
        .release(db.store.translation(id).await.unwrap().release_id)
        .await
        .unwrap();
    let n = release.number.unwrap();
    assert_eq!((n.year, n.seq), (2022, 1));
    assert_eq!(db.store.numbers_in("main", 2021).await.unwrap(), [1]);
}

async fn imported_numbers_are_reserved(db: TestDb) {
    let p = db.people().await;
    let id = draft(&db, "press-release", "en", "From the old site", &p.author).await;
    let release_id = db.store.translation(id).await.unwrap().release_id;
    let number = pressroom_store::ImportedNumber {
        series: "main".into(),
        year: 2025,
        seq: 214,
    };
    db.store
        .import_number(release_id, &number, By::User(&p.admin))
        .await
        .unwrap();
    db.store
        .apply(
            id,
            None,
            &Action::ForcePublish {
                reason: "Import".into(),
                correction: None,
            },
            By::User(&p.admin),
            at("2025-06-01T08:00:00Z"),
        )
        .await
        .unwrap();
    let other = draft(&db, "press-release", "en", "Also 214?", &p.author).await;
    let other_release = db.store.translation(other).await.unwrap().release_id;
    assert!(matches!(
        db.store
            .import_number(other_release, &number, By::User(&p.admin))
            .await,
        Err(StoreError::Duplicate(_))
    ));
    let next = publish_reviewed(&db, &p, "New on Pressroom", at("2025-06-02T08:00:00Z")).await;
    let next = db
        .store
        .release(db.store.translation(next).await.unwrap().release_id)
        .await
        .unwrap();
    assert_eq!(next.number.unwrap().seq, 215);
    assert_eq!(db.store.numbers_in("main", 2025).await.unwrap(), [214, 215]);
    let found = db
        .store
        .find_public(
            &db.store.site_reference().await.unwrap(),
            "en",
            2025,
            &ReleaseKey::Numbered {
                series: "main".into(),
                seq: 214,
            },
        )
        .await
        .unwrap();
    assert_eq!(found.revision.title, "From the old site");
    let flagged = db
        .store
        .audit_log(Some(&format!("translation:{id}")), 1)
        .await
        .unwrap();
    assert!(flagged[0].flagged, "force publish is flagged for review");
}

/// 1,600 releases published from 8 concurrent tasks into two series: each series is exactly
/// 1..N, with no gap and no duplicate.
async fn concurrent_publication_numbers_without_gaps(db: TestDb) {
    let p = db.people().await;
    let qa = NumberSeries {
        key: "qa".into(),
        name: "Answers".into(),
        template: "QA-{seq}".into(),
        templates: Default::default(),
    };
    db.store.save_series(&qa, By::Cli).await.unwrap();
    let mut answer = db.store.kind("answer").await.unwrap();
    answer.series = Some("qa".into());
    db.store.save_kind(&answer, 2, By::Cli).await.unwrap();
    let when = at("2024-06-01T08:00:00Z");
    let mut tasks = Vec::new();
    for task in 0..8 {
        let store = db.store.clone();
        let editor = p.editor.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..200 {
                let qa_kind = (task + i) % 2 == 0;
                let (kind, body) = if qa_kind {
                    ("answer", ":::question\nQ?\n:::\n:::answer\nA.\n:::\n")
                } else {
                    ("press-release", "Body.")
                };
                let new = NewRelease {
                    kind: kind.into(),
                    lang: "en".into(),
                    input: RevisionInput {
                        title: format!("T{task}-{i}"),
                        body: body.into(),
                        ..Default::default()
                    },
                };
                let t = store.create_release(&new, By::User(&editor)).await.unwrap();
                let force = Action::ForcePublish {
                    reason: "load test".into(),
                    correction: None,
                };
                store
                    .apply(t.translation.id, None, &force, By::User(&editor), when)
                    .await
                    .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    for series in ["main", "qa"] {
        let numbers = db.store.numbers_in(series, 2024).await.unwrap();
        assert_eq!(numbers, (1..=800).collect::<Vec<i64>>(), "series {series}");
    }
}

async fn bad_input_is_refused_with_field_errors(db: TestDb) {
    let p = db.people().await;
    let new = NewRelease {
        kind: "press-release".into(),
        lang: "xx".into(),
        input: RevisionInput {
            topic_ids: vec![999],
            ..input(" ")
        },
    };
    match db.store.create_release(&new, By::User(&p.author)).await {
        Err(StoreError::Invalid(i)) => {
            for field in ["title", "lang", "topic_ids"] {
                assert!(i.message_for(field).is_some(), "{field}: {i}");
            }
        }
        other => panic!("expected field errors, got {other:?}"),
    }
    let bad_kind = NewRelease {
        kind: "rumour".into(),
        ..new
    };
    assert!(
        matches!(db.store.create_release(&bad_kind, By::User(&p.author)).await, Err(StoreError::Invalid(i)) if i.message_for("kind").is_some())
    );
    let filter = ReleaseFilter {
        lang: "en".into(),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(db.store.count_public(&filter).await.unwrap(), 0);
    assert!(
        db.store
            .audit_log(None, 100)
            .await
            .unwrap()
            .iter()
            .all(|e| e.action != "release.create")
    );
}

async fn sqlx_exec(db: &TestDb, sql: &'static str) -> Result<(), sqlx::Error> {
    let pool = sqlx::AnyPool::connect(&db.url).await?;
    let result = sqlx::query(sql).execute(&pool).await.map(|_| ());
    pool.close().await;
    result
}

/// The command line trusts its operator, but not to lock everyone out: the last enabled admin
/// can be neither disabled nor demoted, from anywhere.
async fn the_last_admin_cannot_be_disabled_or_demoted(db: TestDb) {
    let people = db.people().await;
    let store = &db.store;
    let refused = store.set_disabled("admin", true, By::Cli).await;
    assert!(
        matches!(&refused, Err(StoreError::Invalid(i)) if i.to_string().contains("last enabled admin")),
        "{refused:?}"
    );
    assert!(
        store
            .set_role("admin", Role::Editor, By::Cli)
            .await
            .is_err()
    );
    assert!(!store.user_by_name("admin").await.unwrap().disabled);
    // With a second admin, either may go; an admin still cannot demote themselves.
    store
        .set_role("editor2", Role::Admin, By::Cli)
        .await
        .unwrap();
    let me = store.user_by_name("admin").await.unwrap();
    assert!(
        store
            .set_role("admin", Role::Editor, By::User(&me))
            .await
            .is_err()
    );
    store
        .set_disabled("editor2", true, By::User(&me))
        .await
        .unwrap();
    assert!(store.set_disabled("admin", true, By::Cli).await.is_err());
    store
        .set_disabled("editor", true, By::User(&people.admin))
        .await
        .unwrap();
}

/// The listings' timeline lists what the listings list, in their order, and a page read by
/// its key equals the page read by its offset; the reference data holds the footer's pages
/// and the topics a page resolves; a revision's topics come back with it.
async fn the_timeline_and_reference_data_match_what_pages_show(db: TestDb) {
    let p = db.people().await;
    let topic = db
        .store
        .create_topic(
            "energy",
            &[("en".to_owned(), "Energy".to_owned())].into(),
            By::User(&p.admin),
        )
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (i, when) in [
        "2021-03-01T08:00:00Z",
        "2021-05-01T08:00:00Z",
        "2022-01-10T08:00:00Z",
    ]
    .into_iter()
    .enumerate()
    {
        let text = RevisionInput {
            topic_ids: if i == 1 { vec![topic.id] } else { Vec::new() },
            ..input(&format!("Release {i}"))
        };
        let id = db
            .draft("press-release", "en", text, &p.author)
            .await
            .translation
            .id;
        db.submit_and_approve(id, &p, at(when)).await;
        ids.push(db.store.translation(id).await.unwrap().release_id);
    }
    let timeline = db.store.public_timeline("en").await.unwrap();
    assert_eq!(
        timeline.iter().map(|(_, id)| *id).collect::<Vec<_>>(),
        [ids[2], ids[1], ids[0]],
        "newest first"
    );
    assert_eq!(timeline[0].0, at("2022-01-10T08:00:00Z"));
    assert!(db.store.public_timeline("ru").await.unwrap().is_empty());
    let by_offset = ReleaseFilter {
        lang: "en".into(),
        limit: 2,
        offset: 1,
        ..Default::default()
    };
    let by_key = ReleaseFilter {
        offset: 0,
        start_at: Some(timeline[1]),
        ..by_offset.clone()
    };
    let page = db.store.list_public(&by_offset).await.unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(db.store.list_public(&by_key).await.unwrap(), page);

    db.store
        .save_page(
            "privacy",
            "en",
            "Privacy policy",
            "Text.",
            By::User(&p.admin),
        )
        .await
        .unwrap();
    let reference = db.store.site_reference().await.unwrap();
    assert!(reference.has_page("privacy", "en") && !reference.has_page("privacy", "ru"));
    assert_eq!(
        reference
            .pages_in("en")
            .map(|p| p.title.as_str())
            .collect::<Vec<_>>(),
        ["Privacy policy"]
    );
    let release = db.store.release(ids[1]).await.unwrap();
    let found = db
        .store
        .find_public(&reference, "en", 2021, &release_key(&release))
        .await
        .unwrap();
    assert_eq!(found.revision.topic_ids, [topic.id]);
    assert_eq!(
        found
            .topics
            .iter()
            .map(|t| t.slug.as_str())
            .collect::<Vec<_>>(),
        ["energy"]
    );
}

pressroom_store::backends!(
    the_last_admin_cannot_be_disabled_or_demoted,
    schema_is_migrated_once_and_newer_schemas_are_refused,
    users_sign_in_with_their_password_until_disabled,
    review_numbers_and_publishes_with_two_people,
    drafts_are_never_public_and_never_numbered,
    corrections_keep_every_published_revision,
    withdrawal_keeps_the_page_and_the_number,
    a_stale_save_is_refused_and_nothing_is_lost,
    history_tables_are_append_only,
    scheduled_publication_happens_once_when_due,
    the_numbering_year_turns_in_the_site_time_zone,
    imported_numbers_are_reserved,
    concurrent_publication_numbers_without_gaps,
    bad_input_is_refused_with_field_errors,
    the_timeline_and_reference_data_match_what_pages_show,
);
