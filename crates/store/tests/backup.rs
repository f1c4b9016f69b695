//! Logical dumps and restores on both backends and across them: a site's every row survives
//! SQLite → PostgreSQL → SQLite unchanged, its publication log still verifies, new rows get
//! fresh ids, and a restore refuses a target that holds anything and leaves a failed load
//! empty.

use jiff::Timestamp;
use pressroom_core::media::{
    AltText, BannerVariant, CropKind, FocalPoint, MediaFile, MediaKind, NewBanner, Rect,
    RevisionMedia, VariantFormat,
};
use pressroom_core::release::RevisionInput;
use pressroom_core::subscription::Frequency;
use pressroom_core::user::Role;
use pressroom_core::verify::Verdict;
use pressroom_core::workflow::{Action, Correction};
use pressroom_store::testing::{People, TEST_PASSWORD, TestDb, sample_text};
use pressroom_store::{
    Backend, By, Choices, DERIVED, DumpRow, NewWebhook, SCHEMA_VERSION, Store, StoreError, TABLES,
};
use serde_json::json;

type Dump = Vec<(&'static str, Vec<DumpRow>)>;

async fn dump(store: &Store) -> Dump {
    let mut snapshot = store.snapshot().await.unwrap();
    assert_eq!(snapshot.schema_version(), SCHEMA_VERSION);
    let mut out = Vec::new();
    for table in snapshot.tables() {
        let mut rows = Vec::new();
        snapshot
            .rows::<StoreError>(table.name, |row| {
                rows.push(row);
                Ok(())
            })
            .await
            .unwrap();
        out.push((table.name, rows));
    }
    snapshot.finish().await.unwrap();
    out
}

async fn load(store: &Store, dump: &Dump) {
    let mut loader = store.begin_restore(SCHEMA_VERSION).await.unwrap();
    for (table, rows) in dump {
        for row in rows {
            loader.insert(table, row.clone()).await.unwrap();
        }
    }
    loader.commit().await.unwrap();
}

fn file(tag: &str, kind: MediaKind) -> MediaFile {
    MediaFile {
        key: format!("{:0>32}/{tag}.jpg", tag.len()),
        sha256: "ab".repeat(32),
        kind,
        mime: "image/jpeg".into(),
        size: 1234,
        width: Some(1200),
        height: Some(400),
    }
}

/// A site with something in every kind of table: a published, signed release with a major
/// correction and a topic, a withdrawn one, a draft with a banner, a session, an API token,
/// a webhook with its deliveries, a subscriber, a page and the audit entries all of it made.
async fn fill(db: &TestDb) -> People {
    let people = db.people().await;
    let store = &db.store;
    let topic = store
        .create_topic(
            "energy",
            &[("en".to_owned(), "Energy".to_owned())].into(),
            By::User(&people.admin),
        )
        .await
        .unwrap();
    store
        .add_webhook(
            &NewWebhook {
                url: "https://news.example.org/hook".into(),
                description: "Newsroom — «quotes» & ünïcode".into(),
                events: vec![],
            },
            By::Cli,
        )
        .await
        .unwrap();
    let input = RevisionInput {
        title: "Minister meets İlham — Ağdam".into(),
        lead: "Lead with \"quotes\"\nand a newline.".into(),
        body: "Body **bold**.\n\n:::question\nWhy?\n:::".into(),
        topic_ids: vec![topic.id],
        ..Default::default()
    };
    let published = db.draft("press-release", "en", input, &people.author).await;
    let id = published.translation.id;
    db.submit_and_approve(id, &people, Timestamp::now()).await;
    let t = store.translation(id).await.unwrap();
    let mut corrected = sample_text("Minister meets İlham — Ağdam");
    corrected.topic_ids = vec![topic.id];
    store
        .save_revision(id, t.version, &corrected, By::User(&people.author))
        .await
        .unwrap();
    store
        .apply(
            id,
            None,
            &Action::Submit,
            By::User(&people.author),
            Timestamp::now(),
        )
        .await
        .unwrap();
    let major = Action::ApprovePublish {
        correction: Some(Correction::Major {
            note: "Corrected the date".into(),
        }),
    };
    store
        .apply(id, None, &major, By::User(&people.editor), Timestamp::now())
        .await
        .unwrap();

    let gone = db
        .draft(
            "press-release",
            "az",
            sample_text("Geri çəkildi"),
            &people.author,
        )
        .await;
    db.submit_and_approve(gone.translation.id, &people, Timestamp::now())
        .await;
    let withdraw = Action::Withdraw {
        explanation: "Issued in error.".into(),
    };
    store
        .apply(
            gone.translation.id,
            None,
            &withdraw,
            By::User(&people.editor),
            Timestamp::now(),
        )
        .await
        .unwrap();

    let draft = db
        .draft(
            "press-release",
            "ru",
            sample_text("Черновик"),
            &people.author,
        )
        .await;
    let rect = Rect {
        x: 0,
        y: 0,
        width: 1200,
        height: 400,
    };
    let banner = store
        .create_banner(
            &NewBanner {
                release_id: Some(draft.release.id),
                source: file("source", MediaKind::Source),
                mobile_source: None,
                focal: Some(FocalPoint::CENTRE),
                desktop_crop: rect,
                mobile_crop: rect,
                alt: AltText::from([("ru".to_owned(), "Фото".to_owned())]),
                variants: vec![BannerVariant {
                    crop: CropKind::Desktop,
                    format: VariantFormat::Jpeg,
                    width: 1200,
                    height: 400,
                    file: file("desktop-1200", MediaKind::Variant),
                }],
            },
            By::User(&people.author),
        )
        .await
        .unwrap();
    store
        .attach_media(
            draft.head.id,
            &RevisionMedia {
                banner: Some(banner.id),
                attachments: vec![],
            },
            By::User(&people.author),
        )
        .await
        .unwrap();

    store
        .sign_in("editor", TEST_PASSWORD, "192.0.2.7", Timestamp::now())
        .await
        .unwrap()
        .expect("signed in");
    let _ = store
        .sign_in("editor", "wrong", "192.0.2.8", Timestamp::now())
        .await
        .unwrap();
    store
        .create_api_token(
            "wire",
            &people.editor,
            &["write".to_owned()],
            By::User(&people.admin),
        )
        .await
        .unwrap();
    store
        .request_subscription(
            "Reader@Example.org",
            "en",
            &Choices {
                langs: vec!["en".into()],
                kinds: vec![],
                topics: vec!["energy".into()],
                frequency: Frequency::Daily,
            },
        )
        .await
        .unwrap();
    people
}

fn rows<'a>(dump: &'a Dump, table: &str) -> &'a [DumpRow] {
    &dump.iter().find(|(t, _)| *t == table).unwrap().1
}

/// Fills a site on `from`, restores it into an empty database on `to`, and checks every row
/// came through, the log verifies and the restored site goes on working.
async fn phrase_rows(db: &TestDb) -> i64 {
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM revision_phrases")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert!(n > 0, "the test site's revisions have phrase fingerprints");
    n
}

async fn round_trip(from: Backend, to: Backend) -> Option<()> {
    let source = TestDb::new(from).await?;
    let target = TestDb::empty(to).await?;
    fill(&source).await;
    let before = dump(&source.store).await;
    for table in [
        "revisions",
        "revision_topics",
        "publications",
        "revision_signatures",
        "publication_log",
        "audit_log",
        "sessions",
        "login_throttle",
        "api_tokens",
        "subscribers",
        "deliveries",
        "banners",
        "banner_variants",
        "revision_banners",
        "changes",
        "translation_search",
    ] {
        assert!(
            !rows(&before, table).is_empty(),
            "the test site has {table}"
        );
    }
    assert_eq!(
        before.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
        TABLES.iter().map(|t| t.name).collect::<Vec<_>>()
    );

    load(&target.store, &before).await;
    let after = dump(&target.store).await;
    for ((table, a), (_, b)) in before.iter().zip(&after) {
        assert_eq!(a, b, "{table} is the same after {from:?} → {to:?}");
    }
    let report = target.store.verify_log().await.unwrap();
    assert!(report.problem.is_none(), "{:?}", report.problem);
    // Derived rows are not in the dump: the restore rebuilt them, so the verify page finds a
    // passage without a search index.
    assert_eq!(phrase_rows(&target).await, phrase_rows(&source).await);
    assert!(matches!(
        target
            .store
            .verify_text("meets İlham — Ağdam Lead. Body")
            .await
            .unwrap(),
        Verdict::Genuine { excerpt: true, .. }
    ));
    assert_eq!(
        report.entries, 4,
        "two publications, a correction and a withdrawal"
    );

    // New rows after a restore get ids past the restored ones (PostgreSQL's sequences).
    let users_before = rows(&before, "users").len();
    let newcomer = target
        .store
        .create_user("newcomer", "Newcomer", Role::Author, TEST_PASSWORD, By::Cli)
        .await
        .unwrap();
    assert_eq!(newcomer.id, users_before as i64 + 1);
    Some(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_sqlite_keeps_every_row() {
    round_trip(Backend::Sqlite, Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_to_postgres_keeps_every_row() {
    round_trip(Backend::Postgres, Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgres_keeps_every_row() {
    round_trip(Backend::Sqlite, Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_to_sqlite_keeps_every_row() {
    round_trip(Backend::Postgres, Backend::Sqlite).await;
}

/// SQLite → PostgreSQL → SQLite: the dump at the end is the dump at the start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgres_and_back_is_lossless() {
    let source = TestDb::sqlite().await;
    let Some(middle) = TestDb::empty(Backend::Postgres).await else {
        return;
    };
    let last = TestDb::empty(Backend::Sqlite).await.unwrap();
    fill(&source).await;
    let first = dump(&source.store).await;
    load(&middle.store, &first).await;
    load(&last.store, &dump(&middle.store).await).await;
    assert_eq!(first, dump(&last.store).await);
    assert!(last.store.verify_log().await.unwrap().problem.is_none());
}

async fn the_table_list_is_the_catalog(db: TestDb) {
    let mut listed: Vec<String> = TABLES.iter().map(|t| t.name.to_owned()).collect();
    listed.extend(DERIVED.iter().map(|(name, _)| (*name).to_owned()));
    listed.push("pressroom_schema".into());
    listed.sort();
    assert_eq!(
        db.store.catalog_tables().await.unwrap(),
        listed,
        "every table of the migrations is in backup::TABLES (and nothing else)"
    );
}

async fn a_restore_refuses_a_database_that_holds_anything(db: TestDb) {
    // A migrated database with only the site's signing key registered is not empty.
    let err = db.store.begin_restore(SCHEMA_VERSION).await.err().unwrap();
    assert!(
        matches!(&err, StoreError::Restore(m) if m.contains("signing_keys") && m.contains("empty database")),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_backup_is_refused() {
    let empty = TestDb::empty(Backend::Sqlite).await.unwrap();
    let err = empty
        .store
        .begin_restore(SCHEMA_VERSION + 1)
        .await
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("newer than this pressroom"),
        "{err}"
    );
    assert_eq!(
        empty.store.schema_version().await.unwrap(),
        0,
        "nothing built"
    );
}

/// `since` says which migration made each table: a restore of a backup taken at version `v`
/// builds exactly `tables_at(v)` and the derived tables of `v`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_schema_version_has_the_tables_its_backups_hold() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::empty(backend).await else {
            continue;
        };
        for version in 1..=SCHEMA_VERSION {
            let loader = db.store.begin_restore(version).await.unwrap();
            loader.abort().await.unwrap();
            let mut expected: Vec<String> = pressroom_store::tables_at(version)
                .map(|t| t.name.to_owned())
                .chain(
                    DERIVED
                        .iter()
                        .filter(|(_, since)| *since <= version)
                        .map(|(name, _)| (*name).to_owned()),
                )
                .chain(["pressroom_schema".to_owned()])
                .collect();
            expected.sort();
            assert_eq!(
                db.store.catalog_tables().await.unwrap(),
                expected,
                "schema version {version} on {backend:?}"
            );
        }
    }
}

pressroom_store::backends!(
    the_table_list_is_the_catalog,
    a_restore_refuses_a_database_that_holds_anything,
);

/// A load that fails halfway (a row that breaks a foreign key) leaves nothing behind, and the
/// same database takes the whole restore afterwards.
async fn failed_load(to: Backend) -> Option<()> {
    let source = TestDb::sqlite().await;
    let target = TestDb::empty(to).await?;
    fill(&source).await;
    let good = dump(&source.store).await;
    let mut loader = target.store.begin_restore(SCHEMA_VERSION).await.unwrap();
    let mut failed = None;
    'tables: for (table, rows) in &good {
        for row in rows {
            let mut row = row.clone();
            if *table == "revisions" {
                row.insert("translation_id".into(), json!(999_999));
            }
            if let Err(e) = loader.insert(table, row).await {
                failed = Some(e);
                break 'tables;
            }
        }
    }
    match failed {
        // Rows go in by batches: the refusal may come at the next table or at the commit.
        Some(_) => drop(loader),
        None => assert!(
            loader.commit().await.is_err(),
            "a revision of no translation is refused"
        ),
    }
    target.store.check_restorable(SCHEMA_VERSION).await.unwrap();
    load(&target.store, &good).await;
    assert_eq!(dump(&target.store).await, good);
    Some(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_load_leaves_sqlite_empty() {
    failed_load(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_load_leaves_postgres_empty() {
    failed_load(Backend::Postgres).await;
}

/// Rows that do not fit the schema are named, not guessed at.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_that_do_not_fit_are_refused_with_the_column() {
    let target = TestDb::empty(Backend::Sqlite).await.unwrap();
    let mut loader = target.store.begin_restore(SCHEMA_VERSION).await.unwrap();
    let mut row = DumpRow::new();
    row.insert("key".into(), json!("a"));
    row.insert("value".into(), json!(5));
    let err = loader.insert("settings", row.clone()).await.unwrap_err();
    assert!(err.to_string().contains("settings.value"), "{err}");
    row.insert("value".into(), json!("x"));
    row.insert("colour".into(), json!("red"));
    let err = loader.insert("settings", row).await.unwrap_err();
    assert!(err.to_string().contains("`colour`"), "{err}");
    let err = loader.insert("nonsense", DumpRow::new()).await.unwrap_err();
    assert!(err.to_string().contains("nonsense"), "{err}");
}
