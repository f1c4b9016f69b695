//! Imports on both backends: a release comes in with its historical number, date and old
//! address, signed as imported and logged; its number is reserved so the next publication in
//! that year never takes it; a taken or repeated number is refused before anything is written;
//! a second run skips what the first brought in.

use jiff::Timestamp;
use pressroom_core::signing::ReleasePayload;
use pressroom_core::workflow::State;
use pressroom_store::testing::{People, TestDb, sample_text};
use pressroom_store::{
    By, ImportRelease, ImportTranslation, PreparedImport, ReleaseFilter, StoreError, Verdict,
};

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// The seed page: No:367/21, an answer to a media question of 4 October 2021.
fn seed() -> ImportRelease {
    ImportRelease {
        source_id: "markdown:367-21".into(),
        kind: "press-release".into(),
        number: Some(367),
        number_year: None,
        published_at: at("2021-10-04T09:30:00Z"),
        topics: vec!["Foreign policy".into()],
        spokesperson: None,
        banner: None,
        attachments: vec![],
        translations: vec![
            ImportTranslation {
                lang: "en".into(),
                title: "Answer of the Press Service Department to the media question".into(),
                lead: String::new(),
                body: "The Ministry answered the question.".into(),
                slug: Some("answer-to-the-media-question".into()),
                old_urls: vec!["https://mfa.gov.az/en/news/no36721-answer/".into()],
            },
            ImportTranslation {
                lang: "ru".into(),
                title: "Ответ пресс-службы на вопрос СМИ".into(),
                lead: String::new(),
                body: "Министерство ответило на вопрос.".into(),
                slug: None,
                old_urls: vec![],
            },
        ],
    }
}

async fn import_all(db: &TestDb, p: &People, items: &[ImportRelease]) -> Vec<Verdict> {
    let mut run = db.store.begin_import().await.unwrap();
    let mut verdicts = Vec::new();
    for item in items {
        verdicts.push(db.store.check_import(&mut run, item).await.unwrap());
    }
    if verdicts
        .iter()
        .all(|v| !matches!(v, Verdict::Refuse { .. }))
    {
        let prepared: Vec<PreparedImport> = items.iter().cloned().map(Into::into).collect();
        db.store
            .import_releases(&mut run, &prepared, By::User(&p.admin))
            .await
            .unwrap();
    }
    verdicts
}

async fn the_seed_keeps_its_number_date_and_address(db: TestDb) {
    let p = db.people().await;
    let verdicts = import_all(&db, &p, &[seed()]).await;
    assert!(
        matches!(&verdicts[0], Verdict::Import { number: Some(n), warnings } if n == "No:367/21" && warnings.iter().any(|w| w.contains("Foreign policy"))),
        "{verdicts:?}"
    );
    let release_id = db
        .store
        .imported_release("markdown:367-21")
        .await
        .unwrap()
        .expect("imported");
    let release = db.store.release(release_id).await.unwrap();
    let number = release.number.unwrap();
    assert_eq!((number.year, number.seq), (2021, 367));
    assert_eq!(release.first_published_at, Some(at("2021-10-04T09:30:00Z")));
    for t in db.store.translations_of(release_id).await.unwrap() {
        assert_eq!(t.state, State::Published);
        let doc = db
            .store
            .signed_revision(t.live_revision_id.unwrap())
            .await
            .unwrap();
        let payload: ReleasePayload = serde_json::from_value(doc.payload).unwrap();
        let mark = payload.imported.expect("the payload says it was imported");
        assert_eq!(mark.original_published_at, "2021-10-04T09:30:00.000000Z");
        assert_eq!(payload.first_published_at, "2021-10-04T09:30:00.000000Z");
        assert_eq!(payload.number.unwrap().display, "No:367/21");
    }
    assert_eq!(
        db.store
            .redirect_target("/en/news/no36721-answer")
            .await
            .unwrap()
            .as_deref(),
        Some("/en/releases/2021/367-answer-to-the-media-question")
    );
    assert_eq!(
        db.store.list_topics().await.unwrap().len(),
        1,
        "topic created once"
    );
    let log = db.store.verify_log().await.unwrap();
    assert_eq!(log.problem, None);

    // The next release published in 2021's series is 368, never 367.
    let id = db
        .draft(
            "press-release",
            "en",
            sample_text("Later in 2021"),
            &p.author,
        )
        .await
        .translation
        .id;
    db.submit_and_approve(id, &p, at("2021-11-01T10:00:00Z"))
        .await;
    let later = db.store.translation(id).await.unwrap();
    let later = db.store.release(later.release_id).await.unwrap();
    assert_eq!(later.number.unwrap().seq, 368);

    // A second run skips it and writes nothing.
    let before = db.store.log_size().await.unwrap();
    let verdicts = import_all(&db, &p, &[seed()]).await;
    assert_eq!(verdicts, vec![Verdict::Skip { release_id }]);
    assert_eq!(db.store.log_size().await.unwrap(), before);
}

async fn taken_and_repeated_numbers_are_refused_and_nothing_is_written(db: TestDb) {
    let p = db.people().await;
    import_all(&db, &p, &[seed()]).await;
    let log_before = db.store.log_size().await.unwrap();
    let taken = ImportRelease {
        source_id: "markdown:other".into(),
        ..seed()
    };
    let mut twice_a = seed();
    twice_a.source_id = "a".into();
    twice_a.number = Some(12);
    twice_a.translations[0].old_urls.clear();
    let mut twice_b = twice_a.clone();
    twice_b.source_id = "b".into();
    let mut unknown = twice_a.clone();
    unknown.source_id = "c".into();
    unknown.number = Some(13);
    unknown.kind = "no-such-kind".into();
    unknown.translations[1].lang = "xx".into();
    let mut unnumbered = twice_a.clone();
    unnumbered.source_id = "d".into();
    unnumbered.number = None;
    let verdicts = import_all(&db, &p, &[taken, twice_a, twice_b, unknown, unnumbered]).await;
    let reasons = |v: &Verdict| match v {
        Verdict::Refuse { reasons } => reasons.join(" | "),
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert!(reasons(&verdicts[0]).contains("No:367/21"), "{verdicts:?}");
    assert!(reasons(&verdicts[0]).contains("already belongs to release"));
    assert!(matches!(verdicts[1], Verdict::Import { .. }));
    assert!(reasons(&verdicts[2]).contains("also the number of `a`"));
    assert!(reasons(&verdicts[3]).contains("no-such-kind"));
    assert!(reasons(&verdicts[4]).contains("needs its number"));
    assert_eq!(
        db.store.log_size().await.unwrap(),
        log_before,
        "nothing written"
    );

    // An editor cannot import.
    let mut run = db.store.begin_import().await.unwrap();
    let mut fresh = seed();
    fresh.source_id = "e".into();
    fresh.number = Some(1);
    let err = db
        .store
        .import_releases(&mut run, &[fresh.into()], By::User(&p.editor))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    let en = ReleaseFilter {
        lang: "en".into(),
        limit: 20,
        ..Default::default()
    };
    assert_eq!(db.store.count_public(&en).await.unwrap(), 1);
}

async fn an_admin_keeps_the_redirect_table(db: TestDb) {
    let p = db.people().await;
    import_all(&db, &p, &[seed()]).await;
    db.store
        .save_redirect("/en/about-us/", "/en/pages/about", By::User(&p.admin))
        .await
        .unwrap();
    assert_eq!(
        db.store
            .redirect_target("/en/about-us")
            .await
            .unwrap()
            .as_deref(),
        Some("/en/pages/about")
    );
    let err = db
        .store
        .save_redirect(
            "not a path",
            "https://elsewhere.example/",
            By::User(&p.admin),
        )
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("starting with `/`"), "{text}");
    assert!(
        db.store
            .save_redirect("/x", "/y", By::User(&p.editor))
            .await
            .is_err()
    );
    let listed = db.store.list_redirects("", 0).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(db.store.list_redirects("news", 0).await.unwrap().len(), 1);
    // Pointing the imported address elsewhere replaces its target.
    db.store
        .save_redirect("/en/news/no36721-answer", "/en/", By::User(&p.admin))
        .await
        .unwrap();
    assert_eq!(
        db.store
            .redirect_target("/en/news/no36721-answer")
            .await
            .unwrap()
            .as_deref(),
        Some("/en/")
    );
    db.store
        .delete_redirect("/en/about-us", By::User(&p.admin))
        .await
        .unwrap();
    assert_eq!(
        db.store.redirect_target("/en/about-us").await.unwrap(),
        None
    );
    assert!(matches!(
        db.store
            .delete_redirect("/en/about-us", By::User(&p.admin))
            .await,
        Err(StoreError::NotFound(_))
    ));
}

pressroom_store::backends!(
    the_seed_keeps_its_number_date_and_address,
    taken_and_repeated_numbers_are_refused_and_nothing_is_written,
    an_admin_keeps_the_redirect_table,
);
