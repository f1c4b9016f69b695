//! The change stream, on both backends: one entry per change readers can see, written with
//! it, numbered without gaps in commit order — so a follower that reads from its sequence
//! while others publish never skips an entry — and the searchable texts a follower reads.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use pressroom_core::workflow::Action;
use pressroom_store::testing::{TestDb, sample_text};
use pressroom_store::{By, Change};

async fn each_visible_change_is_one_entry_and_drafts_are_none(db: TestDb) {
    let people = db.people().await;
    let start = db.store.last_change_seq().await.unwrap();
    let mut signal = db.store.change_signal();
    let detail = db
        .draft(
            "press-release",
            "en",
            sample_text("Border talks"),
            &people.author,
        )
        .await;
    let id = detail.translation.id;
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
    assert_eq!(
        db.store.last_change_seq().await.unwrap(),
        start,
        "saving and submitting a draft changes nothing readers see"
    );
    db.store
        .apply(
            id,
            None,
            &Action::ApprovePublish { correction: None },
            By::User(&people.editor),
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert!(
        signal.has_changed().unwrap(),
        "a publication wakes followers"
    );
    assert_eq!(*signal.borrow_and_update(), start + 1);
    db.store
        .apply(
            id,
            None,
            &Action::Withdraw {
                explanation: "Published by mistake.".into(),
            },
            By::User(&people.editor),
            Timestamp::now(),
        )
        .await
        .unwrap();
    let mut settings = db.store.site_settings().await.unwrap();
    settings
        .rights_notice
        .insert("en".into(), "All rights reserved.".into());
    db.store
        .save_site_settings(&settings, By::User(&people.admin))
        .await
        .unwrap();

    let entries = db.store.changes_after(start, 100).await.unwrap();
    let release_id = detail.release.id;
    let expected_release = Change::Release {
        release_id,
        lang: "en".into(),
    };
    let changes: Vec<_> = entries.iter().map(|e| e.change.clone()).collect();
    assert_eq!(
        changes,
        vec![expected_release.clone(), expected_release, Change::Site]
    );
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![start + 1, start + 2, start + 3]);
    assert_eq!(db.store.last_change_seq().await.unwrap(), start + 3);
    assert_eq!(
        db.store.changes_after(start + 1, 1).await.unwrap()[0].seq,
        start + 2
    );
    assert!(
        db.store
            .changes_after(start + 3, 100)
            .await
            .unwrap()
            .is_empty()
    );

    // Pruning keeps the newest entry, so the head is always readable.
    let pruned = db
        .store
        .prune_changes(Timestamp::now() + SignedDuration::from_hours(1))
        .await
        .unwrap();
    assert_eq!(pruned, start + 2);
    let left = db.store.changes_after(0, 100).await.unwrap();
    assert_eq!(
        left.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![start + 3]
    );
}

/// Eight editors publish at once while a follower reads from its cursor. Every batch must
/// start right after the cursor: an entry that became visible before an earlier one would be
/// skipped for good by a follower that trusts its sequence.
async fn a_follower_never_skips_an_entry_under_concurrent_publishing(db: TestDb) {
    const PUBLISHERS: usize = 8;
    const EACH: usize = 3;
    let people = db.people().await;
    let start = db.store.last_change_seq().await.unwrap();
    let mut ids = Vec::new();
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
        ids.push(id);
    }
    let publishers: Vec<_> = ids
        .chunks(EACH)
        .map(|chunk| {
            let (store, editor, chunk) = (db.store.clone(), people.editor.clone(), chunk.to_vec());
            tokio::spawn(async move {
                for id in chunk {
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
    let end = start + (PUBLISHERS * EACH) as u64;
    let mut cursor = start;
    let mut seen = Vec::new();
    while cursor < end {
        let batch = db.store.changes_after(cursor, 1000).await.unwrap();
        if let Some(first) = batch.first() {
            assert_eq!(
                first.seq,
                cursor + 1,
                "the follower at {cursor} was handed a later entry first"
            );
        }
        for entry in &batch {
            assert_eq!(entry.seq, cursor + 1, "gap in the stream after {cursor}");
            cursor = entry.seq;
            if let Change::Release { release_id, .. } = entry.change {
                seen.push(release_id);
            }
        }
        tokio::task::yield_now().await;
    }
    for task in publishers {
        task.await.unwrap();
    }
    assert_eq!(seen.len(), PUBLISHERS * EACH);
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), PUBLISHERS * EACH, "each release once");
    assert_eq!(db.store.last_change_seq().await.unwrap(), end);
}

/// What the search follower reads: live texts only, withdrawals marked, corrections current.
async fn searchable_texts_are_the_live_ones(db: TestDb) {
    let people = db.people().await;
    let draft_only = db
        .draft(
            "press-release",
            "en",
            sample_text("Unpublished draft"),
            &people.author,
        )
        .await;
    let published = db
        .draft(
            "press-release",
            "en",
            sample_text("Published statement"),
            &people.author,
        )
        .await;
    db.submit_and_approve(published.translation.id, &people, Timestamp::now())
        .await;
    let (count, last) = db.store.searchable_extent().await.unwrap();
    assert_eq!(count, 1, "drafts are never searchable");
    assert!(last >= published.release.id);
    let all = db
        .store
        .searchable(0, last.max(draft_only.release.id))
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].title, "Published statement");
    assert!(!all[0].withdrawn);
    assert!(all[0].release.number.is_some());
    assert!(
        db.store
            .searchable(draft_only.release.id - 1, draft_only.release.id)
            .await
            .unwrap()
            .is_empty()
    );
    db.store
        .apply(
            published.translation.id,
            None,
            &Action::Withdraw {
                explanation: "Issued in error.".into(),
            },
            By::User(&people.editor),
            Timestamp::now(),
        )
        .await
        .unwrap();
    let one = db
        .store
        .searchable(published.release.id - 1, published.release.id)
        .await
        .unwrap();
    assert_eq!(one.len(), 1, "a withdrawn statement stays findable");
    assert!(one[0].withdrawn);
}

/// Another server's commit wakes this server's followers: at once by `NOTIFY` on PostgreSQL
/// (the poll here is far too slow to explain it), by the poll on SQLite.
async fn another_servers_commit_wakes_this_servers_followers(db: TestDb) {
    let people = db.people().await;
    let other = pressroom_store::Store::open(&db.url).await.unwrap();
    let poll = match db.store.backend() {
        pressroom_store::Backend::Postgres => Duration::from_secs(60),
        pressroom_store::Backend::Sqlite => Duration::from_millis(200),
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let watcher = {
        let other = other.clone();
        tokio::spawn(async move { other.watch_stream(poll, stopped).await })
    };
    let mut signal = other.change_signal();
    // The watcher's first poll (and, on PostgreSQL, its LISTEN) come first.
    tokio::time::timeout(Duration::from_secs(5), signal.changed())
        .await
        .ok();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let detail = db
        .draft(
            "press-release",
            "en",
            sample_text("Border talks"),
            &people.author,
        )
        .await;
    db.submit_and_approve(detail.translation.id, &people, Timestamp::now())
        .await;
    let head = db.store.last_change_seq().await.unwrap();
    let woken = tokio::time::timeout(Duration::from_secs(2), async {
        while *signal.borrow_and_update() < head {
            signal.changed().await.unwrap();
        }
    })
    .await;
    assert!(
        woken.is_ok(),
        "the other server's signal stayed at {} though {head} committed",
        *signal.borrow()
    );
    let _ = stop.send(true);
    watcher.await.unwrap();
}

pressroom_store::backends!(
    another_servers_commit_wakes_this_servers_followers,
    each_visible_change_is_one_entry_and_drafts_are_none,
    a_follower_never_skips_an_entry_under_concurrent_publishing,
    searchable_texts_are_the_live_ones,
);
