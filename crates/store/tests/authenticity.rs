//! Signatures, keys and the publication log, on both backends (see `backends!` at the bottom):
//! every publication is signed and logged, tampering shows, and rotation keeps old
//! signatures valid.

use jiff::Timestamp;
use pressroom_core::release::RevisionInput;
use pressroom_core::signing::{LogAction, LogEntry, ReleasePayload, SignedDocument, to_hex};
use pressroom_core::verify::{Change, Verdict};
use pressroom_core::workflow::{Action, Correction};
use pressroom_store::testing::{People, TEST_SITE, TestDb, test_key};
use pressroom_store::{Backend, By, NewRelease, Store, StoreError};

const BODY: &str = "**Baku, 4 October.** The Minister of Water and Coastal Affairs met the \
                    delegation of the coastal states to discuss the reopening of the northern \
                    dam in spring.\n\nThe parties agreed to meet again in November.";

async fn publish(db: &TestDb, p: &People, title: &str, body: &str) -> i64 {
    let text = RevisionInput {
        title: title.into(),
        lead: "Talks on the dam.".into(),
        body: body.into(),
        ..Default::default()
    };
    let id = db
        .draft("press-release", "en", text, &p.author)
        .await
        .translation
        .id;
    db.submit_and_approve(id, p, "2021-10-04T07:30:00Z".parse().unwrap())
        .await;
    id
}

async fn correct(db: &TestDb, p: &People, id: i64, body: &str) {
    let t = db.store.translation(id).await.unwrap();
    let head = db.store.revision(t.head_revision_id).await.unwrap();
    let input = RevisionInput {
        title: head.title,
        lead: head.lead,
        body: body.into(),
        ..Default::default()
    };
    db.store
        .save_revision(id, t.version, &input, By::User(&p.author))
        .await
        .unwrap();
    let now = Timestamp::now();
    db.store
        .apply(id, None, &Action::Submit, By::User(&p.author), now)
        .await
        .unwrap();
    let major = Action::ApprovePublish {
        correction: Some(Correction::Major {
            note: "Corrected the month".into(),
        }),
    };
    db.store
        .apply(id, None, &major, By::User(&p.editor), now)
        .await
        .unwrap();
}

async fn exec(db: &TestDb, sql: &str) {
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

/// Changes a published revision behind the application's back, as someone with database
/// access would: the append-only trigger has to go first.
async fn tamper(db: &TestDb, revision_id: i64, body: &str) {
    let drop = match db.store.backend() {
        Backend::Sqlite => "DROP TRIGGER revisions_append_only_update",
        Backend::Postgres => "DROP TRIGGER revisions_append_only ON revisions",
    };
    exec(db, drop).await;
    exec(
        db,
        &format!("UPDATE revisions SET body = '{body}' WHERE id = {revision_id}"),
    )
    .await;
}

async fn publications_corrections_and_withdrawals_are_signed_and_logged(db: TestDb) {
    let p = db.people().await;
    let id = publish(&db, &p, "Minister met coastal states", BODY).await;
    let first = db
        .store
        .translation(id)
        .await
        .unwrap()
        .live_revision_id
        .unwrap();
    correct(&db, &p, id, &BODY.replace("November", "December")).await;
    let second = db
        .store
        .translation(id)
        .await
        .unwrap()
        .live_revision_id
        .unwrap();
    db.store
        .apply(
            id,
            None,
            &Action::Withdraw {
                explanation: "Superseded by the joint statement.".into(),
            },
            By::User(&p.editor),
            Timestamp::now(),
        )
        .await
        .unwrap();

    let keys = db.store.signing_keys().await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].key_id, test_key(1).key_id());
    let doc = db.store.signed_revision(first).await.unwrap();
    let payload: ReleasePayload = doc.verify(&keys).unwrap();
    assert_eq!(payload.site, TEST_SITE);
    assert_eq!(payload.body, BODY);
    assert_eq!(payload.number.as_ref().unwrap().display, "No:1/21");
    assert_eq!(payload.date, "2021-10-04");
    assert_eq!(payload.published_at, "2021-10-04T07:30:00.000000Z");
    assert!(payload.previous.is_none());
    let later = db.store.signed_revision(second).await.unwrap();
    let later_payload = later.verify(&keys).unwrap();
    let previous = later_payload.previous.unwrap();
    assert_eq!(previous.revision_id, first);
    assert_eq!(previous.signature_sha256, Some(doc.signature_sha256()));
    assert!(matches!(
        later_payload.correction,
        Some(Correction::Major { .. })
    ));
    let drafts = db.store.translation(id).await.unwrap().head_revision_id;
    assert!(matches!(
        db.store.signed_revision(drafts + 1000).await,
        Err(StoreError::NotFound(_))
    ));

    assert_eq!(db.store.log_size().await.unwrap(), 3);
    let entries = db.store.log_entries(1, 10).await.unwrap();
    let actions: Vec<LogAction> = entries
        .iter()
        .map(|e| {
            serde_json::from_value::<LogEntry>(e.entry.clone())
                .unwrap()
                .action
        })
        .collect();
    assert_eq!(
        actions,
        [LogAction::Publish, LogAction::Correct, LogAction::Withdraw]
    );
    assert_eq!(db.store.log_entries(3, 10).await.unwrap().len(), 1);
    let report = db.store.verify_log().await.unwrap();
    assert_eq!(
        (report.entries, report.revisions, report.problem),
        (3, 2, None)
    );
}

async fn a_revision_changed_in_the_database_is_caught(db: TestDb) {
    let p = db.people().await;
    publish(
        &db,
        &p,
        "Another release",
        "Unrelated text about fisheries and the spring fishing season.",
    )
    .await;
    let id = publish(&db, &p, "Minister met coastal states", BODY).await;
    let live = db
        .store
        .translation(id)
        .await
        .unwrap()
        .live_revision_id
        .unwrap();
    let original = "The Minister of Water and Coastal Affairs met the delegation of the coastal \
                    states to discuss the reopening of the northern dam in spring.";
    assert!(matches!(
        db.store.verify_text(original).await.unwrap(),
        Verdict::Genuine {
            excerpt: true,
            changed_later: false,
            ..
        }
    ));
    let forged = BODY.replace("in spring", "next year");
    tamper(&db, live, &forged).await;

    let report = db.store.verify_log().await.unwrap();
    let problem = report.problem.expect("the change is caught");
    assert_eq!(problem.seq, Some(2));
    assert!(
        problem.reason.contains("changed in the database"),
        "{}",
        problem.reason
    );

    // The page now shows the forged text; a reader who checks it learns it is not what was
    // signed, and sees what differs.
    let shown = format!("Minister met coastal states\n\n{forged}");
    match db.store.verify_text(&shown).await.unwrap() {
        Verdict::Modified { revision, diff, .. } => {
            assert_eq!(revision.unwrap().revision_id, live);
            assert!(
                diff.iter()
                    .any(|d| d.change == Change::Removed && d.text.contains("spring"))
            );
            assert!(
                diff.iter()
                    .any(|d| d.change == Change::Added && d.text.contains("next year"))
            );
        }
        other => panic!("expected modified, got {other:?}"),
    }
    // The signed form is what was signed, not what the database says now.
    let doc = db.store.signed_revision(live).await.unwrap();
    assert_eq!(doc.payload["body"], BODY);
}

async fn pasted_texts_and_files_get_a_verdict(db: TestDb) {
    let p = db.people().await;
    let id = publish(&db, &p, "Minister met coastal states", BODY).await;
    let first = db
        .store
        .translation(id)
        .await
        .unwrap()
        .live_revision_id
        .unwrap();
    let whole = format!("Minister met coastal states\n\nTalks on the dam.\n\n{BODY}");
    assert!(matches!(
        db.store.verify_text(&whole).await.unwrap(),
        Verdict::Genuine {
            excerpt: false,
            changed_later: false,
            withdrawn: false,
            ..
        }
    ));
    let too_short = db.store.verify_text("  the minister  ").await;
    assert!(matches!(too_short, Err(StoreError::Invalid(i)) if i.message_for("text").is_some()));
    assert_eq!(
        db.store
            .verify_text("Completely unrelated words about a football match won on penalties.")
            .await
            .unwrap(),
        Verdict::NotFound
    );

    let invented = "The Minister of Water and Coastal Affairs announced a festival of kites in \
                    the capital next summer.";
    assert_eq!(
        db.store.verify_text(invented).await.unwrap(),
        Verdict::NotFound,
        "borrowing the ministry's name does not make a statement a modified release"
    );

    // Copied from the page, an answer comes with the page's "Question" and "Answer" labels.
    publish(
        &db,
        &p,
        "Answer on the dam",
        ":::question\n**Daily:** When will the dam reopen after the repairs?\n:::\n\
         :::answer\nThe dam reopens in spring, once the repairs to the spillway are finished.\n:::\n",
    )
    .await;
    let copied = "Question\nDaily: When will the dam reopen after the repairs?\nAnswer\nThe dam \
                  reopens in spring, once the repairs to the spillway are finished.";
    assert!(
        matches!(
            db.store.verify_text(copied).await.unwrap(),
            Verdict::Genuine { .. }
        ),
        "labels printed by the page are not modifications"
    );

    correct(&db, &p, id, &BODY.replace("November", "December")).await;
    match db.store.verify_text(BODY).await.unwrap() {
        Verdict::Genuine {
            revision,
            changed_later,
            ..
        } => {
            assert!(changed_later, "a newer revision replaced it");
            assert_eq!(revision.revision_id, first);
        }
        other => panic!("expected genuine but changed, got {other:?}"),
    }

    let doc = db.store.signed_revision(first).await.unwrap();
    let text = serde_json::to_string(&doc).unwrap();
    assert!(matches!(
        db.store.verify_document(&text).await.unwrap(),
        Verdict::Genuine {
            changed_later: true,
            ..
        }
    ));
    let mut forged = doc.clone();
    forged.payload["body"] = serde_json::json!(BODY.replace("northern", "southern"));
    match db
        .store
        .verify_document(&serde_json::to_string(&forged).unwrap())
        .await
        .unwrap()
    {
        Verdict::Modified { diff, reason, .. } => {
            assert!(reason.contains("changed after it was signed"), "{reason}");
            assert!(
                diff.iter()
                    .any(|d| d.change == Change::Added && d.text == "southern")
            );
        }
        other => panic!("expected modified, got {other:?}"),
    }
    let stranger = SignedDocument::sign(
        &serde_json::from_value(doc.payload.clone()).unwrap(),
        test_key(9).as_ref(),
    );
    assert_eq!(
        db.store
            .verify_document(&serde_json::to_string(&stranger).unwrap())
            .await
            .unwrap(),
        Verdict::NotFound
    );
    for garbage in ["", "{", "[1,2]", "{\"format\":\"pressroom-signed/1\"}"] {
        assert!(
            matches!(db.store.verify_document(garbage).await, Err(StoreError::Invalid(i)) if i.message_for("file").is_some()),
            "{garbage}"
        );
    }
}

async fn after_rotation_old_signatures_still_verify(db: TestDb) {
    let p = db.people().await;
    let id = publish(&db, &p, "Signed with the first key", BODY).await;
    let old_revision = db
        .store
        .translation(id)
        .await
        .unwrap()
        .live_revision_id
        .unwrap();
    let new_key = test_key(2);
    let rotated = db
        .store
        .rotate_key(&new_key.public_key(), By::Cli)
        .await
        .unwrap();
    assert_eq!(rotated.public_key, to_hex(&new_key.public_key()));
    assert!(matches!(
        db.store.rotate_key(&new_key.public_key(), By::Cli).await,
        Err(StoreError::Duplicate(_))
    ));

    // A server still holding the old key cannot publish with it any more.
    let new = NewRelease {
        kind: "statement".into(),
        lang: "en".into(),
        input: RevisionInput {
            title: "After rotation".into(),
            body: "Signed with the second key after the rotation of keys.".into(),
            ..Default::default()
        },
    };
    let t = db
        .store
        .create_release(&new, By::User(&p.editor))
        .await
        .unwrap();
    let force = Action::ForcePublish {
        reason: "test".into(),
        correction: None,
    };
    let stale = db
        .store
        .apply(
            t.translation.id,
            None,
            &force,
            By::User(&p.editor),
            Timestamp::now(),
        )
        .await;
    assert!(matches!(stale, Err(StoreError::Signing(m)) if m.contains("no longer")));
    assert!(matches!(
        db.store.use_signer(test_key(1), TEST_SITE).await,
        Err(StoreError::Signing(m)) if m.contains("retired")
    ));
    assert!(matches!(
        db.store.use_signer(test_key(3), TEST_SITE).await,
        Err(StoreError::Signing(m)) if m.contains("not the site's current key")
    ));
    let store = db.store.use_signer(new_key, TEST_SITE).await.unwrap();
    store
        .apply(
            t.translation.id,
            None,
            &force,
            By::User(&p.editor),
            Timestamp::now(),
        )
        .await
        .unwrap();

    let keys = store.signing_keys().await.unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys[0].valid_until.is_some() && keys[1].valid_until.is_none());
    let old = store.signed_revision(old_revision).await.unwrap();
    assert_eq!(old.key_id, test_key(1).key_id());
    assert!(
        old.verify(&keys).is_ok(),
        "the retired key still vouches for its releases"
    );
    let report = store.verify_log().await.unwrap();
    assert_eq!((report.entries, report.problem), (2, None));
}

async fn without_a_key_nothing_is_published(db: TestDb) {
    let p = db.people().await;
    let unsigned = Store::open(&db.url).await.unwrap();
    let new = NewRelease {
        kind: "statement".into(),
        lang: "en".into(),
        input: RevisionInput {
            title: "Unsigned".into(),
            body: "Body.".into(),
            ..Default::default()
        },
    };
    let t = unsigned
        .create_release(&new, By::User(&p.editor))
        .await
        .unwrap();
    let force = Action::ForcePublish {
        reason: "test".into(),
        correction: None,
    };
    let refused = unsigned
        .apply(
            t.translation.id,
            None,
            &force,
            By::User(&p.editor),
            Timestamp::now(),
        )
        .await;
    assert!(matches!(refused, Err(StoreError::Signing(_))));
    let after = unsigned.translation(t.translation.id).await.unwrap();
    assert_eq!(after.live_revision_id, None);
    assert_eq!(unsigned.log_size().await.unwrap(), 0);
    unsigned.close().await;
}

/// Publications from several tasks at once still make one unbroken chain.
async fn concurrent_publications_make_one_chain(db: TestDb) {
    let p = db.people().await;
    let mut tasks = Vec::new();
    for task in 0..4 {
        let store = db.store.clone();
        let editor = p.editor.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..15 {
                let new = NewRelease {
                    kind: "statement".into(),
                    lang: "en".into(),
                    input: RevisionInput {
                        title: format!("T{task}-{i}"),
                        body: "Body.".into(),
                        ..Default::default()
                    },
                };
                let t = store.create_release(&new, By::User(&editor)).await.unwrap();
                let force = Action::ForcePublish {
                    reason: "load".into(),
                    correction: None,
                };
                store
                    .apply(
                        t.translation.id,
                        None,
                        &force,
                        By::User(&editor),
                        Timestamp::now(),
                    )
                    .await
                    .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let report = db.store.verify_log().await.unwrap();
    assert_eq!((report.entries, report.problem), (60, None));
}

async fn signatures_and_the_log_are_append_only(db: TestDb) {
    let p = db.people().await;
    publish(&db, &p, "Sealed", BODY).await;
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    for sql in [
        "UPDATE revision_signatures SET signature = 'x'",
        "DELETE FROM revision_signatures",
        "UPDATE publication_log SET entry = 'x'",
        "DELETE FROM publication_log",
        "DELETE FROM signing_keys",
        "UPDATE signing_keys SET public_key = 'x'",
    ] {
        let err = sqlx::query(sql).execute(&pool).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    pool.close().await;
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

/// Without the search index, or when its candidates miss the revision a text comes from, a
/// pasted passage or a modified one is still found: by the phrase fingerprints written when
/// the revision was signed, never by reading every revision.
async fn passages_are_found_by_their_phrases_whatever_the_candidates(db: TestDb) {
    let p = db.people().await;
    let dam = publish(&db, &p, "Minister met coastal states", BODY).await;
    let fisheries = publish(
        &db,
        &p,
        "Fisheries agreement",
        "The ministry signed an agreement on fisheries in the southern lagoon with \
         neighbouring provinces, valid for ten years from the first of January.",
    )
    .await;
    let revision = |id: i64| {
        let store = db.store.clone();
        async move {
            store
                .translation(id)
                .await
                .unwrap()
                .live_revision_id
                .unwrap()
        }
    };
    let signed = revision(fisheries).await;
    assert!(
        count(
            &db,
            &format!("SELECT COUNT(*) FROM revision_phrases WHERE revision_id = {signed}")
        )
        .await
            > 0,
        "the fingerprints are written with the signature"
    );
    // Six words, the shortest text checked, and the index's candidates are the other release.
    let passage = "fisheries in the SOUTHERN lagoon with";
    for verdict in [
        db.store.verify_text(passage).await.unwrap(),
        db.store.verify_text_among(passage, &[dam]).await.unwrap(),
        db.store.verify_text_among(passage, &[]).await.unwrap(),
    ] {
        match verdict {
            Verdict::Modified { revision, .. } => {
                // Case differs, so not an exact passage, but every phrase is shared.
                assert_eq!(revision.unwrap().revision_id, signed);
            }
            Verdict::Genuine {
                revision, excerpt, ..
            } => {
                assert!(excerpt);
                assert_eq!(revision.revision_id, signed);
            }
            other => panic!("expected the fisheries release, got {other:?}"),
        }
    }
    let exact = "signed an agreement on fisheries in the southern lagoon";
    match db.store.verify_text_among(exact, &[dam]).await.unwrap() {
        Verdict::Genuine {
            revision, excerpt, ..
        } => assert!(excerpt && revision.revision_id == signed),
        other => panic!("expected a genuine excerpt, got {other:?}"),
    }
    let forged = "The ministry signed an agreement on fisheries in the northern lagoon with \
                  neighbouring provinces, valid for ten years from the first of January.";
    match db.store.verify_text_among(forged, &[dam]).await.unwrap() {
        Verdict::Modified { revision, diff, .. } => {
            assert_eq!(revision.unwrap().revision_id, signed);
            assert!(
                diff.iter()
                    .any(|d| d.change == Change::Added && d.text == "northern"),
                "{diff:?}"
            );
        }
        other => panic!("expected modified, got {other:?}"),
    }
    // A correction is fingerprinted too: its new words point at it, not at the original.
    correct(&db, &p, dam, &BODY.replace("November", "December")).await;
    let corrected = revision(dam).await;
    match db
        .store
        .verify_text("The parties agreed to meet again in December.")
        .await
        .unwrap()
    {
        Verdict::Genuine {
            revision,
            excerpt: true,
            changed_later: false,
            ..
        } => assert_eq!(revision.revision_id, corrected),
        other => panic!("expected the correction, got {other:?}"),
    }
    assert_eq!(
        db.store
            .verify_text("A football match was won on penalties after extra time.")
            .await
            .unwrap(),
        Verdict::NotFound
    );
}

pressroom_store::backends!(
    publications_corrections_and_withdrawals_are_signed_and_logged,
    a_revision_changed_in_the_database_is_caught,
    pasted_texts_and_files_get_a_verdict,
    after_rotation_old_signatures_still_verify,
    without_a_key_nothing_is_published,
    concurrent_publications_make_one_chain,
    signatures_and_the_log_are_append_only,
    passages_are_found_by_their_phrases_whatever_the_candidates,
);
