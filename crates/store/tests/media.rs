//! Media records on both backends: banners and attachments, the revisions that show them, the
//! alt-text publishing rule and garbage collection. Every test runs on SQLite and, when
//! `PRESSROOM_TEST_DATABASE_URL` is set, on PostgreSQL (see `backends!` at the bottom).

use jiff::{SignedDuration, Timestamp};
use pressroom_core::media::{
    AltText, AttachmentFormat, BannerVariant, CropKind, FocalPoint, MediaFile, MediaKind,
    NewAttachment, NewBanner, Rect, RevisionMedia, VariantFormat,
};
use pressroom_core::user::User;
use pressroom_core::workflow::{Action, State};
use pressroom_store::testing::{People, TestDb, sample_text};
use pressroom_store::{By, StoreError};

fn file(tag: &str, name: &str, kind: MediaKind) -> MediaFile {
    let hash = format!(
        "{:0>32}",
        tag.bytes().map(|b| format!("{b:02x}")).collect::<String>()
    );
    MediaFile {
        key: format!("{}/{name}", &hash[hash.len() - 32..]),
        sha256: format!("{hash:0>64}"),
        kind,
        mime: if name.ends_with(".webp") {
            "image/webp".into()
        } else if name.ends_with(".pdf") {
            "application/pdf".into()
        } else {
            "image/jpeg".into()
        },
        size: 1000 + name.len() as u64,
        width: (kind != MediaKind::Attachment).then_some(1200),
        height: (kind != MediaKind::Attachment).then_some(400),
    }
}

/// A banner record as `pressroom-media` would make it, with files tagged `tag`.
fn banner(tag: &str, alt: &[(&str, &str)]) -> NewBanner {
    let rect = |width, height| Rect {
        x: 0,
        y: 0,
        width,
        height,
    };
    let variants = [
        (CropKind::Desktop, VariantFormat::Webp, 1200, 400),
        (CropKind::Desktop, VariantFormat::Jpeg, 1200, 400),
        (CropKind::Mobile, VariantFormat::Webp, 480, 600),
        (CropKind::Og, VariantFormat::Jpeg, 1200, 630),
    ]
    .into_iter()
    .map(|(crop, format, width, height)| BannerVariant {
        crop,
        format,
        width,
        height,
        file: file(
            tag,
            &format!("{}-{width}.{}", crop.as_str(), format.extension()),
            MediaKind::Variant,
        ),
    })
    .collect();
    NewBanner {
        release_id: None,
        source: file(tag, "source.jpg", MediaKind::Source),
        mobile_source: None,
        focal: Some(FocalPoint { x: 300, y: 600 }),
        desktop_crop: rect(1200, 400),
        mobile_crop: rect(320, 400),
        alt: alt
            .iter()
            .map(|(l, t)| ((*l).to_owned(), (*t).to_owned()))
            .collect::<AltText>(),
        variants,
    }
}

fn attachment(tag: &str, name: &str) -> NewAttachment {
    NewAttachment {
        release_id: None,
        file: file(tag, name, MediaKind::Attachment),
        format: AttachmentFormat::Pdf,
        file_name: name.to_owned(),
    }
}

async fn draft(db: &TestDb, lang: &str, title: &str, by: &User) -> (i64, i64, i64) {
    let detail = db
        .draft("press-release", lang, sample_text(title), by)
        .await;
    (detail.release.id, detail.translation.id, detail.head.id)
}

async fn head(db: &TestDb, translation: i64) -> (i64, i64) {
    let t = db.store.translation(translation).await.unwrap();
    (t.head_revision_id, t.version)
}

async fn banners_and_attachments_are_recorded_once_and_never_change(db: TestDb) {
    let p = db.people().await;
    let made = db
        .store
        .create_banner(
            &banner("a", &[("en", "  The minister  ")]),
            By::User(&p.author),
        )
        .await
        .unwrap();
    assert_eq!(
        made.spec.alt.get("en").map(String::as_str),
        Some("The minister")
    );
    assert_eq!(made.spec.variants.len(), 4);
    assert_eq!(db.store.banner(made.id).await.unwrap(), made);
    let desktop = made.variants(CropKind::Desktop, VariantFormat::Webp);
    assert_eq!(desktop.len(), 1);
    assert_eq!(
        desktop[0].file.key,
        file("a", "desktop-1200.webp", MediaKind::Variant).key
    );

    // New alternative text is a new banner over the same files; the old one is unchanged.
    let mut alt = made.spec.alt.clone();
    alt.insert("az".into(), "Nazir".into());
    let second = db
        .store
        .banner_with_alt(made.id, &alt, By::User(&p.author))
        .await
        .unwrap();
    assert_ne!(second.id, made.id);
    assert_eq!(second.spec.variants, made.spec.variants);
    assert_eq!(db.store.banner(made.id).await.unwrap().spec.alt.len(), 1);
    assert_eq!(
        db.store.media_keys().await.unwrap().len(),
        5,
        "files are recorded once"
    );

    let too_long: String = "x".repeat(301);
    let err = db
        .store
        .create_banner(&banner("b", &[("en", &too_long)]), By::User(&p.author))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(i) if i.message_for("alt.en").is_some()));

    let doc = db
        .store
        .create_attachment(&attachment("d", "report.pdf"), By::User(&p.author))
        .await
        .unwrap();
    assert_eq!(db.store.attachment(doc.id).await.unwrap(), doc);
    assert_eq!(doc.spec.format, AttachmentFormat::Pdf);
    assert!(matches!(
        db.store.attachment(9999).await,
        Err(StoreError::NotFound(_))
    ));

    for sql in [
        "UPDATE banners SET alt = '{}'",
        "UPDATE media_files SET size = 1",
        "UPDATE banner_variants SET width = 1",
        "UPDATE attachments SET file_name = 'x.pdf'",
    ] {
        assert!(exec(&db, sql).await.is_err(), "{sql} must be refused");
    }
}

async fn a_revision_shows_its_media_for_ever(db: TestDb) {
    let p = db.people().await;
    let (release_id, t, first) = draft(&db, "en", "Banner news", &p.author).await;
    let mut spec = banner("a", &[("en", "Harbour at dawn")]);
    spec.release_id = Some(release_id);
    let a = db
        .store
        .create_banner(&spec, By::User(&p.author))
        .await
        .unwrap();
    let b = db
        .store
        .create_banner(&banner("b", &[("en", "Crowd")]), By::User(&p.author))
        .await
        .unwrap();
    let doc1 = db
        .store
        .create_attachment(&attachment("d1", "one.pdf"), By::User(&p.author))
        .await
        .unwrap();
    let doc2 = db
        .store
        .create_attachment(&attachment("d2", "two.pdf"), By::User(&p.author))
        .await
        .unwrap();
    assert_eq!(
        db.store.banners_of_release(release_id).await.unwrap(),
        vec![a.clone()]
    );

    let shown = db
        .store
        .attach_media(
            first,
            &RevisionMedia {
                banner: Some(a.id),
                attachments: vec![doc2.id, doc1.id],
            },
            By::User(&p.author),
        )
        .await
        .unwrap();
    assert_eq!(shown.banner.as_ref().map(|b| b.id), Some(a.id));
    let order: Vec<_> = shown.attachments.iter().map(|d| d.id).collect();
    assert_eq!(
        order,
        vec![doc2.id, doc1.id],
        "attachments keep their order"
    );

    // Set once: attaching again is refused and changes nothing.
    let again = db
        .store
        .attach_media(
            first,
            &RevisionMedia {
                banner: Some(b.id),
                attachments: vec![],
            },
            By::User(&p.author),
        )
        .await;
    assert!(matches!(again, Err(StoreError::Invalid(i)) if i.message_for("revision").is_some()));

    // A text edit keeps the media.
    let (_, version) = head(&db, t).await;
    let second = db
        .store
        .save_revision(
            t,
            version,
            &sample_text("Banner news, edited"),
            By::User(&p.author),
        )
        .await
        .unwrap();
    let inherited = db.store.revision_media(second.head.id).await.unwrap();
    assert_eq!(inherited, shown);

    // A new revision can show other media; the earlier ones still show theirs.
    let third = db
        .store
        .save_revision_with_media(
            t,
            second.translation.version,
            &sample_text("Banner news, new picture"),
            &RevisionMedia {
                banner: Some(b.id),
                attachments: vec![doc1.id],
            },
            By::User(&p.author),
        )
        .await
        .unwrap();
    let now_shown = db.store.revision_media(third.head.id).await.unwrap();
    assert_eq!(now_shown.banner.map(|x| x.id), Some(b.id));
    assert_eq!(now_shown.attachments.len(), 1);
    assert_eq!(db.store.revision_media(first).await.unwrap(), shown);
    let old = db
        .store
        .attach_media(
            second.head.id,
            &RevisionMedia::default(),
            By::User(&p.author),
        )
        .await;
    assert!(
        matches!(old, Err(StoreError::Invalid(_))),
        "only the newest revision"
    );

    // Unknown or repeated references are field errors, and nothing is saved.
    let bad = db
        .store
        .save_revision_with_media(
            t,
            third.translation.version,
            &sample_text("Broken"),
            &RevisionMedia {
                banner: Some(9999),
                attachments: vec![doc1.id, doc1.id, 8888],
            },
            By::User(&p.author),
        )
        .await;
    match bad {
        Err(StoreError::Invalid(i)) => {
            assert!(i.message_for("banner").unwrap().contains("9999"));
            assert_eq!(
                i.errors.iter().filter(|e| e.field == "attachments").count(),
                2
            );
        }
        other => panic!("expected field errors, got {other:?}"),
    }
    assert_eq!(head(&db, t).await.0, third.head.id);

    // The links are history: no one edits them.
    for sql in [
        "UPDATE revision_banners SET banner_id = banner_id",
        "DELETE FROM revision_banners",
        "UPDATE revision_attachments SET position = position",
        "DELETE FROM revision_attachments",
    ] {
        assert!(exec(&db, sql).await.is_err(), "{sql} must be refused");
    }
    // And a banner a revision shows cannot be deleted.
    assert!(
        exec(&db, &format!("DELETE FROM banners WHERE id = {}", a.id))
            .await
            .is_err()
    );
}

async fn publishing_needs_alt_text_in_the_translation_language(db: TestDb) {
    let p = db.people().await;
    let (_, t, first) = draft(&db, "en", "Alt text", &p.author).await;
    let az_only = db
        .store
        .create_banner(&banner("a", &[("az", "Liman")]), By::User(&p.author))
        .await
        .unwrap();
    db.store
        .attach_media(
            first,
            &RevisionMedia {
                banner: Some(az_only.id),
                attachments: vec![],
            },
            By::User(&p.author),
        )
        .await
        .unwrap();
    let when: Timestamp = "2024-05-02T09:00:00Z".parse().unwrap();
    db.store
        .apply(t, None, &Action::Submit, By::User(&p.author), when)
        .await
        .unwrap();
    for action in [
        Action::ApprovePublish { correction: None },
        Action::ApproveSchedule {
            at: when + SignedDuration::from_hours(2),
            correction: None,
        },
    ] {
        match db
            .store
            .apply(t, None, &action, By::User(&p.editor), when)
            .await
        {
            Err(StoreError::Invalid(i)) => {
                let message = i.message_for("banner_alt").unwrap();
                assert!(message.contains("`en`"), "{message}");
            }
            other => panic!("expected the alt-text rule, got {other:?}"),
        }
    }
    let refused = db.store.translation(t).await.unwrap();
    assert_eq!(refused.state, State::Submitted, "nothing changed");
    let release = db.store.release(refused.release_id).await.unwrap();
    assert_eq!(release.number, None, "no number was used");

    // With English alternative text it publishes.
    let mut alt = az_only.spec.alt.clone();
    alt.insert("en".into(), "The harbour".into());
    let described = db
        .store
        .banner_with_alt(az_only.id, &alt, By::User(&p.author))
        .await
        .unwrap();
    db.store
        .save_revision_with_media(
            t,
            refused.version,
            &sample_text("Alt text"),
            &RevisionMedia {
                banner: Some(described.id),
                attachments: vec![],
            },
            By::User(&p.author),
        )
        .await
        .unwrap();
    // Editing a submitted translation keeps it submitted; the editor approves the new text.
    let published = db
        .store
        .apply(
            t,
            None,
            &Action::ApprovePublish { correction: None },
            By::User(&p.editor),
            when,
        )
        .await
        .unwrap();
    assert_eq!(published.state, State::Published);
    let live = db
        .store
        .revision_media(published.live_revision_id.unwrap())
        .await
        .unwrap();
    assert_eq!(live.banner.unwrap().id, described.id);
}

async fn garbage_is_only_what_no_revision_shows(db: TestDb) {
    let p: People = db.people().await;
    let (_, _, first) = draft(&db, "en", "Kept", &p.author).await;
    let kept = db
        .store
        .create_banner(&banner("k", &[("en", "Kept")]), By::User(&p.author))
        .await
        .unwrap();
    let kept_doc = db
        .store
        .create_attachment(&attachment("kd", "kept.pdf"), By::User(&p.author))
        .await
        .unwrap();
    db.store
        .attach_media(
            first,
            &RevisionMedia {
                banner: Some(kept.id),
                attachments: vec![kept_doc.id],
            },
            By::User(&p.author),
        )
        .await
        .unwrap();
    // Abandoned: a banner sharing the kept one's files, one with its own files, a document.
    db.store
        .banner_with_alt(kept.id, &AltText::new(), By::User(&p.author))
        .await
        .unwrap();
    let lost = db
        .store
        .create_banner(&banner("l", &[]), By::User(&p.author))
        .await
        .unwrap();
    db.store
        .create_attachment(&attachment("ld", "lost.pdf"), By::User(&p.author))
        .await
        .unwrap();

    // Recent uploads are spared: someone may be about to save the revision that shows them.
    let recent = db
        .store
        .media_garbage(Timestamp::now() - SignedDuration::from_hours(24))
        .await
        .unwrap();
    assert!(
        recent.files.is_empty() && recent.banners == 0 && recent.attachments == 0,
        "{recent:?}"
    );

    let later = Timestamp::now() + SignedDuration::from_secs(1);
    let listed = db.store.media_garbage(later).await.unwrap();
    let mut expected: Vec<String> = std::iter::once(lost.spec.source.key.clone())
        .chain(lost.spec.variants.iter().map(|v| v.file.key.clone()))
        .chain(std::iter::once(attachment("ld", "lost.pdf").file.key))
        .collect();
    expected.sort();
    let keys: Vec<String> = listed.files.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(keys, expected);
    assert_eq!((listed.banners, listed.attachments), (2, 1));
    assert!(listed.files.iter().all(|(_, size)| *size > 1000));

    let deleted = db.store.delete_media_garbage(later).await.unwrap();
    assert_eq!(deleted, listed, "the dry run lists exactly what is deleted");
    let remaining = db.store.media_keys().await.unwrap();
    assert!(keys.iter().all(|k| !remaining.contains(k)));
    assert!(remaining.contains(&kept.spec.source.key));
    assert_eq!(
        db.store
            .revision_media(first)
            .await
            .unwrap()
            .banner
            .unwrap(),
        kept
    );
    assert!(matches!(
        db.store.banner(lost.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        db.store.delete_media_garbage(later).await.unwrap(),
        Default::default()
    );
    assert!(
        db.store
            .audit_log(Some("media"), 10)
            .await
            .unwrap()
            .iter()
            .any(|e| e.action == "media.gc")
    );
}

/// Runs one statement on its own connection, with SQLite's foreign keys on as the store has
/// them.
async fn exec(db: &TestDb, sql: &str) -> Result<(), sqlx::Error> {
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&db.url)
        .await?;
    if db.url.starts_with("sqlite:") {
        sqlx::raw_sql("PRAGMA foreign_keys = ON")
            .execute(&pool)
            .await?;
    }
    let result = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&pool)
        .await
        .map(|_| ());
    pool.close().await;
    result
}

pressroom_store::backends!(
    banners_and_attachments_are_recorded_once_and_never_change,
    a_revision_shows_its_media_for_ever,
    publishing_needs_alt_text_in_the_translation_language,
    garbage_is_only_what_no_revision_shows,
);
