//! The editorial list's search, on both backends: an officer finds a draft or a submitted text
//! by any words of its current title, lead or body, typed in any case and with or without
//! diacritics, and a published one by its number.

use jiff::Timestamp;
use pressroom_core::release::RevisionInput;
use pressroom_core::workflow::Action;
use pressroom_store::testing::TestDb;
use pressroom_store::{By, EditorialFilter};

fn text(title: &str, body: &str) -> RevisionInput {
    RevisionInput {
        title: title.into(),
        lead: "Lead.".into(),
        body: body.into(),
        ..Default::default()
    }
}

async fn titles(db: &TestDb, search: &str) -> Vec<String> {
    let mut found: Vec<String> = db
        .store
        .editorial_list(&EditorialFilter {
            search: Some(search.into()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.title)
        .collect();
    found.sort();
    found
}

async fn drafts_are_found_by_any_words_of_their_body(db: TestDb) {
    let p = db.people().await;
    let az = db
        .draft(
            "press-release",
            "az",
            text(
                "Nazirin görüşü",
                "Azərbaycan və İran sərhəd məsələlərini müzakirə etdilər.",
            ),
            &p.author,
        )
        .await;
    db.draft(
        "press-release",
        "ru",
        text(
            "Заявление",
            "Стороны обсудили вопросы её границы и 50% пошлин.",
        ),
        &p.author,
    )
    .await;
    db.draft(
        "statement",
        "en",
        text("Statement", "Nothing about borders here."),
        &p.author,
    )
    .await;
    db.store
        .apply(
            az.translation.id,
            None,
            &Action::Submit,
            By::User(&p.author),
            Timestamp::now(),
        )
        .await
        .unwrap();

    for spelling in [
        "azerbaycan",
        "AZƏRBAYCAN",
        "Azərbaycan",
        "iran",
        "İRAN",
        "IRAN",
    ] {
        assert_eq!(
            titles(&db, spelling).await,
            ["Nazirin görüşü"],
            "{spelling} finds the submitted Azerbaijani text by its body"
        );
    }
    assert_eq!(titles(&db, "serhed   iran").await, ["Nazirin görüşü"]);
    assert!(
        titles(&db, "sərhəd Georgia").await.is_empty(),
        "every word must appear"
    );
    assert_eq!(titles(&db, "ЕЕ ГРАНИЦЫ").await, ["Заявление"], "ё is е");
    assert_eq!(titles(&db, "50%").await, ["Заявление"]);
    assert!(
        titles(&db, "5_%").await.is_empty(),
        "% and _ are letters, not wildcards"
    );
    assert_eq!(titles(&db, "border").await, ["Statement"]);
    assert_eq!(
        titles(&db, "Lead.").await.len(),
        3,
        "the lead is searched too"
    );
}

async fn the_search_follows_the_newest_revision_and_the_number(db: TestDb) {
    let p = db.people().await;
    let detail = db
        .draft(
            "press-release",
            "en",
            text("Visit", "The minister visits Tbilisi."),
            &p.author,
        )
        .await;
    let id = detail.translation.id;
    db.store
        .save_revision(
            id,
            detail.translation.version,
            &text("Visit", "The minister visits Yerevan."),
            By::User(&p.author),
        )
        .await
        .unwrap();
    assert!(
        titles(&db, "tbilisi").await.is_empty(),
        "an old revision's words are gone"
    );
    assert_eq!(titles(&db, "yerevan").await, ["Visit"]);

    db.submit_and_approve(id, &p, Timestamp::now()).await;
    let release = db.store.release(detail.release.id).await.unwrap();
    let number = release.number.expect("published and numbered").seq;
    for form in [
        format!("{number}"),
        format!("No:{number}/26"),
        format!("{number}/26"),
    ] {
        assert_eq!(titles(&db, &form).await, ["Visit"], "{form}");
    }
}

/// The migration that added the search text fills it for translations written before it.
async fn the_migration_fills_the_text_of_older_translations(db: TestDb) {
    let p = db.people().await;
    db.draft(
        "press-release",
        "en",
        text("Older", "Written before the upgrade, about Nakhchivan."),
        &p.author,
    )
    .await;
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    for sql in [
        "DROP TABLE translation_search",
        "DELETE FROM pressroom_schema WHERE version = 8",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
    assert_eq!(db.store.migrate().await.unwrap(), [8]);
    assert_eq!(titles(&db, "nakhchivan").await, ["Older"]);
}

pressroom_store::backends!(
    drafts_are_found_by_any_words_of_their_body,
    the_search_follows_the_newest_revision_and_the_number,
    the_migration_fills_the_text_of_older_translations,
);
