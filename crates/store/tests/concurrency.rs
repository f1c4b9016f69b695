//! The register under concurrent publishing, on both backends: numbers gap-free and in the
//! order of their publication instants.

use jiff::Timestamp;
use pressroom_core::workflow::Action;
use pressroom_store::By;
use pressroom_store::testing::{TestDb, sample_text};

const PUBLISHERS: usize = 8;
const EACH: usize = 4;

/// Eight editors approve at once. Each request takes its instant when it arrives, as the web
/// handlers do, and then queues for the numbering lock; the register must still read in
/// order: a higher number never carries an earlier publication instant.
async fn numbers_follow_publication_time_under_concurrency(db: TestDb) {
    let people = db.people().await;
    let mut drafts = Vec::new();
    for i in 0..PUBLISHERS * EACH {
        let id = db
            .draft(
                "press-release",
                "en",
                sample_text(&format!("Item {i}")),
                &people.author,
            )
            .await
            .translation
            .id;
        db.store
            .apply(
                id,
                None,
                &Action::Submit,
                By::User(&people.author),
                Timestamp::now(),
            )
            .await
            .unwrap();
        drafts.push(id);
    }
    let tasks: Vec<_> = drafts
        .chunks(EACH)
        .map(|ids| {
            let (store, editor, ids) = (db.store.clone(), people.editor.clone(), ids.to_vec());
            tokio::spawn(async move {
                for id in ids {
                    store
                        .apply(
                            id,
                            None,
                            &Action::ApprovePublish { correction: None },
                            By::User(&editor),
                            Timestamp::now(),
                        )
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let mut register = Vec::new();
    for id in &drafts {
        let translation = db.store.translation(*id).await.unwrap();
        let release = db.store.release(translation.release_id).await.unwrap();
        let number = release.number.expect("numbered");
        register.push((number.seq, release.first_published_at.expect("published")));
    }
    register.sort();
    let seqs: Vec<i64> = register.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(
        seqs,
        (1..=(PUBLISHERS * EACH) as i64).collect::<Vec<_>>(),
        "gap-free"
    );
    for pair in register.windows(2) {
        assert!(
            pair[0].1 < pair[1].1,
            "number {} was published at {} but number {} before it, at {}",
            pair[1].0,
            pair[1].1,
            pair[0].0,
            pair[0].1
        );
    }
}

pressroom_store::backends!(numbers_follow_publication_time_under_concurrency);
