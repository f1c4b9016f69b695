//! The search index follows the store's change stream, on both backends: publications,
//! corrections and withdrawals show up, drafts never do, another server's index catches up
//! from the shared database, a restarted server applies only what it missed, and an index the
//! stream no longer reaches back to is rebuilt.

use jiff::{SignedDuration, Timestamp};
use pressroom_core::release::RevisionInput;
use pressroom_core::workflow::{Action, Correction};
use pressroom_search::{SearchIndex, SearchRequest};
use pressroom_store::testing::{People, TestDb};
use pressroom_store::{By, Store};
use pressroom_web::search_feed::{CaughtUp, catch_up};

fn text(title: &str, body: &str) -> RevisionInput {
    RevisionInput {
        title: title.into(),
        lead: "The ministry's press service reports.".into(),
        body: body.into(),
        ..Default::default()
    }
}

async fn publish(db: &TestDb, people: &People, lang: &str, title: &str, body: &str) -> (i64, i64) {
    let detail = db
        .draft("press-release", lang, text(title, body), &people.author)
        .await;
    db.submit_and_approve(detail.translation.id, people, Timestamp::now())
        .await;
    (detail.release.id, detail.translation.id)
}

fn titles(index: &SearchIndex, query: &str) -> Vec<String> {
    index
        .search(&SearchRequest::new(query))
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.title)
        .collect()
}

fn open(dir: &std::path::Path) -> SearchIndex {
    SearchIndex::open(dir).unwrap().index
}

async fn publications_corrections_and_withdrawals_follow(db: TestDb) {
    let people = db.people().await;
    let folder = tempfile::tempdir().unwrap();
    let index = open(folder.path());
    let (_, border) = publish(
        &db,
        &people,
        "en",
        "Statement on the border",
        "The delimitation commission met in Baku.",
    )
    .await;
    db.draft(
        "press-release",
        "en",
        text(
            "Draft about the border",
            "Not yet approved delimitation text.",
        ),
        &people.author,
    )
    .await;
    let first = catch_up(&db.store, &index).await.unwrap();
    assert!(
        matches!(first, CaughtUp::Rebuilt { indexed: 1, .. }),
        "{first:?}"
    );
    assert_eq!(
        titles(&index, "delimitation"),
        vec!["Statement on the border"]
    );
    assert_eq!(
        catch_up(&db.store, &index).await.unwrap(),
        CaughtUp::Current
    );

    publish(
        &db,
        &people,
        "az",
        "Sərhəd haqqında bəyanat",
        "Azərbaycan Respublikası sərhəd komissiyası.",
    )
    .await;
    let applied = catch_up(&db.store, &index).await.unwrap();
    assert!(
        matches!(applied, CaughtUp::Applied { entries: 1, .. }),
        "{applied:?}"
    );
    assert_eq!(
        titles(&index, "azerbaycan"),
        vec!["Sərhəd haqqında bəyanat"]
    );

    // A correction replaces the text: the old words no longer find it.
    db.store
        .save_revision(
            border,
            db.store.translation(border).await.unwrap().version,
            &text(
                "Statement on the border",
                "The demarcation commission met in Baku.",
            ),
            By::User(&people.author),
        )
        .await
        .unwrap();
    let correction = Correction::Major {
        note: "The commission's name was wrong.".into(),
    };
    db.store
        .apply(
            border,
            None,
            &Action::Submit,
            By::User(&people.author),
            Timestamp::now(),
        )
        .await
        .unwrap();
    db.store
        .apply(
            border,
            None,
            &Action::ApprovePublish {
                correction: Some(correction),
            },
            By::User(&people.editor),
            Timestamp::now(),
        )
        .await
        .unwrap();
    catch_up(&db.store, &index).await.unwrap();
    assert!(
        titles(&index, "delimitation").is_empty(),
        "the corrected text replaced the old one"
    );
    assert_eq!(
        titles(&index, "demarcation"),
        vec!["Statement on the border"]
    );

    db.store
        .apply(
            border,
            None,
            &Action::Withdraw {
                explanation: "Issued in error.".into(),
            },
            By::User(&people.editor),
            Timestamp::now(),
        )
        .await
        .unwrap();
    catch_up(&db.store, &index).await.unwrap();
    let hits = index
        .search(&SearchRequest::new("demarcation"))
        .unwrap()
        .hits;
    assert_eq!(hits.len(), 1);
    assert!(
        hits[0].withdrawn,
        "a withdrawn statement is marked in results"
    );
    assert!(
        titles(&index, "approved").is_empty(),
        "drafts are never indexed"
    );
}

/// Two servers on one database: the second index learns of the first's publication from the
/// stream, and a restarted server applies only what it missed.
async fn another_server_and_a_restart_catch_up(db: TestDb) {
    let people = db.people().await;
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = open(a_dir.path());
    let b = open(b_dir.path());
    publish(
        &db,
        &people,
        "ru",
        "Заявление о переговорах",
        "Переговоры в Женеве продолжились.",
    )
    .await;
    catch_up(&db.store, &a).await.unwrap();
    catch_up(&db.store, &b).await.unwrap();
    // The same database through a pool of its own, as another server would see it.
    let other = Store::open(&db.url).await.unwrap();
    publish(
        &db,
        &people,
        "en",
        "Talks resumed in Geneva",
        "Negotiators met again.",
    )
    .await;
    catch_up(&other, &b).await.unwrap();
    assert_eq!(titles(&b, "negotiators"), vec!["Talks resumed in Geneva"]);

    let seq_before = b.last_seq().unwrap();
    drop(b);
    publish(
        &db,
        &people,
        "en",
        "Second round in Geneva",
        "Negotiators agreed on a text.",
    )
    .await;
    let b = open(b_dir.path());
    assert_eq!(
        b.last_seq(),
        Some(seq_before),
        "the index keeps its sequence across restarts"
    );
    let caught = catch_up(&db.store, &b).await.unwrap();
    assert!(
        matches!(caught, CaughtUp::Applied { entries: 1, .. }),
        "{caught:?}"
    );
    assert_eq!(titles(&b, "negotiators").len(), 2);
    assert_eq!(titles(&b, "переговоры"), vec!["Заявление о переговорах"]);
}

/// A server away longer than the stream is kept rebuilds rather than missing changes; a site
/// change (names shown in hits) rebuilds too.
async fn a_pruned_stream_or_a_site_change_rebuilds(db: TestDb) {
    let people = db.people().await;
    let folder = tempfile::tempdir().unwrap();
    let index = open(folder.path());
    publish(
        &db,
        &people,
        "en",
        "Energy statement",
        "Pipeline capacity grows.",
    )
    .await;
    catch_up(&db.store, &index).await.unwrap();
    publish(
        &db,
        &people,
        "en",
        "Energy update",
        "Pipeline maintenance ends.",
    )
    .await;
    publish(
        &db,
        &people,
        "en",
        "Energy forum",
        "Pipeline operators meet.",
    )
    .await;
    db.store
        .prune_changes(Timestamp::now() + SignedDuration::from_hours(1))
        .await
        .unwrap();
    let caught = catch_up(&db.store, &index).await.unwrap();
    assert!(
        matches!(caught, CaughtUp::Rebuilt { indexed: 3, .. }),
        "{caught:?}"
    );
    assert_eq!(titles(&index, "pipeline").len(), 3);

    let mut settings = db.store.site_settings().await.unwrap();
    settings
        .rights_notice
        .insert("en".into(), "Rights reserved.".into());
    db.store
        .save_site_settings(&settings, By::User(&people.admin))
        .await
        .unwrap();
    let caught = catch_up(&db.store, &index).await.unwrap();
    assert!(matches!(caught, CaughtUp::Rebuilt { .. }), "{caught:?}");
    assert_eq!(
        index.last_seq(),
        Some(db.store.last_change_seq().await.unwrap())
    );
}

/// Numbers as the store gives them: every common way of typing one finds that release first,
/// and a draft written in the very same words never appears.
async fn a_number_in_any_form_finds_its_release_first_and_drafts_never_show(db: TestDb) {
    let people = db.people().await;
    let folder = tempfile::tempdir().unwrap();
    let index = open(folder.path());
    let mut releases = Vec::new();
    for n in 1..=4 {
        let (release, _) = publish(
            &db,
            &people,
            "en",
            &format!("Statement {n} on the water commission"),
            "The commission met; 3 members were absent and 12 decisions were taken.",
        )
        .await;
        releases.push(release);
    }
    db.draft(
        "press-release",
        "en",
        text(
            "Statement on the water commission, unpublished",
            "Confidentialword: the commission met.",
        ),
        &people.author,
    )
    .await;
    catch_up(&db.store, &index).await.unwrap();
    let third = db.store.release(releases[2]).await.unwrap();
    let number = third.number.expect("numbered");
    let yy = number.year % 100;
    let seq = number.seq;
    for typed in [
        format!("{seq}/{yy}"),
        format!("No:{seq}/{yy}"),
        format!("no: {seq}"),
        format!("No {seq}/{yy}"),
        format!("{seq}"),
    ] {
        let hits = index
            .search(&SearchRequest::new(typed.as_str()))
            .unwrap()
            .hits;
        assert_eq!(
            hits.first().map(|h| h.release_id),
            Some(releases[2]),
            "{typed} finds release {seq} first: {:?}",
            hits.iter().map(|h| &h.title).collect::<Vec<_>>()
        );
    }
    assert!(
        titles(&index, "confidentialword").is_empty(),
        "drafts are never indexed"
    );
    assert!(
        titles(&index, "unpublished").is_empty(),
        "not even by their title"
    );
    assert_eq!(titles(&index, "water commission").len(), 4);
}

pressroom_store::backends!(
    a_number_in_any_form_finds_its_release_first_and_drafts_never_show,
    publications_corrections_and_withdrawals_follow,
    another_server_and_a_restart_catch_up,
    a_pruned_stream_or_a_site_change_rebuilds,
);
