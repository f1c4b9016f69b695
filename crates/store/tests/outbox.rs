//! The outbox on both backends: a publication, correction or withdrawal writes one delivery
//! per receiver that takes the event, in its own transaction; workers claim each delivery
//! once however many of them ask at the same time; failed attempts come back after the
//! backoff until they are used up; a dead worker's claim is taken over when its lease ends.

use std::collections::HashSet;

use jiff::{SignedDuration, Timestamp};
use pressroom_core::outbox::{Event, MAX_ATTEMPTS};
use pressroom_core::release::RevisionInput;
use pressroom_core::workflow::{Action, Correction};
use pressroom_store::testing::{People, TestDb, sample_text};
use pressroom_store::{
    By, Delivery, DeliveryFilter, DeliveryState, NewWebhook, Outcome, StoreError,
};

const LEASE: SignedDuration = SignedDuration::from_secs(60);

async fn receiver(db: &TestDb, url: &str, events: &[&str]) -> i64 {
    let (hook, secret) = db
        .store
        .add_webhook(
            &NewWebhook {
                url: url.into(),
                description: "Newsroom".into(),
                events: events.iter().map(|e| e.to_string()).collect(),
            },
            By::Cli,
        )
        .await
        .unwrap();
    assert!(secret.to_string().starts_with("whsec_"));
    assert_eq!(
        db.store.webhook_secret(hook.id).await.unwrap(),
        secret,
        "the sender signs with the secret the admin was shown"
    );
    hook.id
}

async fn publish(db: &TestDb, people: &People, title: &str) -> i64 {
    let detail = db
        .draft("press-release", "en", sample_text(title), &people.author)
        .await;
    db.submit_and_approve(detail.translation.id, people, Timestamp::now())
        .await;
    detail.translation.id
}

async fn all(db: &TestDb) -> Vec<Delivery> {
    let mut found = db
        .store
        .deliveries(&DeliveryFilter {
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    found.reverse();
    found
}

async fn publications_write_one_delivery_per_receiver_that_takes_the_event(db: TestDb) {
    let people = db.people().await;
    let every = receiver(&db, "https://a.example.org/hook", &[]).await;
    let withdrawals = receiver(&db, "https://b.example.org/hook", &["release.withdrawn"]).await;
    let off = receiver(&db, "https://c.example.org/hook", &[]).await;
    db.store
        .set_webhook_enabled(off, false, None, By::Cli)
        .await
        .unwrap();

    let draft = db
        .draft("press-release", "en", sample_text("Draft"), &people.author)
        .await;
    db.store
        .apply(
            draft.translation.id,
            None,
            &Action::Submit,
            By::User(&people.author),
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert!(
        all(&db).await.is_empty(),
        "drafts and submissions send nothing"
    );

    let id = publish(&db, &people, "Border talks").await;
    let sent = all(&db).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        (
            sent[0].target_id,
            sent[0].event,
            sent[0].state,
            sent[0].translation_id
        ),
        (every, Event::Published, DeliveryState::Queued, id)
    );
    let live = db.store.translation(id).await.unwrap().live_revision_id;
    assert_eq!(Some(sent[0].revision_id), live);

    let t = db.store.translation(id).await.unwrap();
    db.store
        .save_revision(
            id,
            t.version,
            &RevisionInput {
                title: "Border talks, corrected".into(),
                body: "Body text.".into(),
                ..Default::default()
            },
            By::User(&people.author),
        )
        .await
        .unwrap();
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
    let correction = Action::ApprovePublish {
        correction: Some(Correction::Major {
            note: "Corrected the title".into(),
        }),
    };
    db.store
        .apply(
            id,
            None,
            &correction,
            By::User(&people.editor),
            Timestamp::now(),
        )
        .await
        .unwrap();
    db.store
        .apply(
            id,
            None,
            &Action::Withdraw {
                explanation: "Issued in error.".into(),
            },
            By::User(&people.editor),
            Timestamp::now(),
        )
        .await
        .unwrap();
    let events: Vec<(i64, Event)> = all(&db)
        .await
        .iter()
        .map(|d| (d.target_id, d.event))
        .collect();
    assert_eq!(
        events,
        [
            (every, Event::Published),
            (every, Event::Corrected),
            (every, Event::Withdrawn),
            (withdrawals, Event::Withdrawn),
        ]
    );
    let ids: HashSet<String> = all(&db).await.into_iter().map(|d| d.message_id).collect();
    assert_eq!(ids.len(), 4, "every message has its own id");

    let refused = db
        .store
        .add_webhook(
            &NewWebhook {
                url: "not a url".into(),
                events: vec!["release.deleted".into()],
                ..Default::default()
            },
            By::Cli,
        )
        .await;
    let Err(StoreError::Invalid(invalid)) = refused else {
        panic!("a bad receiver is refused: {refused:?}");
    };
    assert!(invalid.message_for("url").is_some() && invalid.message_for("events").is_some());
    assert_eq!(
        db.store.webhooks().await.unwrap().len(),
        3,
        "nothing was added"
    );
}

async fn concurrent_workers_claim_each_delivery_once(db: TestDb) {
    let people = db.people().await;
    for n in 0..3 {
        receiver(&db, &format!("https://{n}.example.org/hook"), &[]).await;
    }
    for n in 0..10 {
        publish(&db, &people, &format!("Statement {n}")).await;
    }
    assert_eq!(all(&db).await.len(), 30);
    let mut workers = Vec::new();
    for _ in 0..6 {
        let store = db.store.clone();
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let claimed = store
                    .claim_deliveries(Timestamp::now(), 2, LEASE)
                    .await
                    .unwrap();
                if claimed.is_empty() {
                    return mine;
                }
                mine.extend(claimed.into_iter().map(|d| d.id));
            }
        }));
    }
    let mut claimed = Vec::new();
    for worker in workers {
        claimed.extend(worker.await.unwrap());
    }
    let distinct: HashSet<i64> = claimed.iter().copied().collect();
    assert_eq!(claimed.len(), 30, "each delivery claimed exactly once");
    assert_eq!(distinct.len(), 30);
    let stats = db.store.outbox_stats(Timestamp::now()).await.unwrap();
    assert_eq!((stats.queued, stats.sending), (0, 30));
}

async fn failures_back_off_then_fail_and_an_admin_can_resend(db: TestDb) {
    let people = db.people().await;
    receiver(&db, "https://a.example.org/hook", &[]).await;
    publish(&db, &people, "Statement").await;
    // The store keeps microseconds.
    let mut now = Timestamp::from_microsecond(Timestamp::now().as_microsecond()).unwrap();
    let mut delivery = db
        .store
        .claim_deliveries(now, 10, LEASE)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(delivery.attempts, 1);
    let retry = Outcome::Retry {
        status: Some(503),
        detail: "HTTP 503 Service Unavailable".into(),
    };
    let state = db
        .store
        .finish_attempt(&delivery, &retry, now, SignedDuration::from_millis(12))
        .await
        .unwrap();
    assert_eq!(state, DeliveryState::Queued);
    assert!(
        db.store
            .claim_deliveries(now + SignedDuration::from_secs(29), 10, LEASE)
            .await
            .unwrap()
            .is_empty(),
        "not due before the backoff"
    );
    assert_eq!(
        db.store.next_delivery_due().await.unwrap(),
        Some(now + SignedDuration::from_secs(30))
    );
    for attempt in 2..=MAX_ATTEMPTS {
        now += SignedDuration::from_hours(7);
        delivery = db
            .store
            .claim_deliveries(now, 10, LEASE)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(delivery.attempts, attempt);
        let state = db
            .store
            .finish_attempt(&delivery, &retry, now, SignedDuration::from_millis(5))
            .await
            .unwrap();
        let expected = if attempt == MAX_ATTEMPTS {
            DeliveryState::Failed
        } else {
            DeliveryState::Queued
        };
        assert_eq!(state, expected, "attempt {attempt}");
    }
    let (failed, attempts) = db.store.delivery(delivery.id).await.unwrap();
    assert_eq!(failed.state, DeliveryState::Failed);
    assert_eq!(attempts.len(), MAX_ATTEMPTS as usize);
    assert_eq!(attempts[0].status, Some(503));
    assert_eq!(
        failed.last_error.as_deref(),
        Some("HTTP 503 Service Unavailable")
    );
    assert_eq!(db.store.outbox_stats(now).await.unwrap().failed, 1);

    db.store
        .resend_delivery(delivery.id, By::User(&people.admin))
        .await
        .unwrap();
    let again = db
        .store
        .claim_deliveries(Timestamp::now(), 10, LEASE)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1, "a resend starts the attempts afresh");
    assert_eq!(again[0].message_id, delivery.message_id);
    let state = db
        .store
        .finish_attempt(
            &again[0],
            &Outcome::Accepted { status: 204 },
            Timestamp::now(),
            SignedDuration::from_millis(3),
        )
        .await
        .unwrap();
    assert_eq!(state, DeliveryState::Sent);
    assert!(
        db.store
            .delivery(delivery.id)
            .await
            .unwrap()
            .0
            .sent_at
            .is_some()
    );
    let busy = db.store.resend_delivery(9_999, By::Cli).await;
    assert!(matches!(busy, Err(StoreError::NotFound(_))), "{busy:?}");

    publish(&db, &people, "Another").await;
    let gone = db
        .store
        .claim_deliveries(Timestamp::now(), 10, LEASE)
        .await
        .unwrap();
    let refused = db.store.resend_delivery(gone[0].id, By::Cli).await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "a delivery being sent is not resent: {refused:?}"
    );
    let give_up = Outcome::GiveUp {
        status: Some(410),
        detail: "HTTP 410 Gone".into(),
    };
    let state = db
        .store
        .finish_attempt(&gone[0], &give_up, Timestamp::now(), SignedDuration::ZERO)
        .await
        .unwrap();
    assert_eq!(state, DeliveryState::Failed, "410 fails at once");
}

async fn a_dead_workers_claim_is_taken_over_when_its_lease_ends(db: TestDb) {
    let people = db.people().await;
    receiver(&db, "https://a.example.org/hook", &[]).await;
    publish(&db, &people, "Statement").await;
    let now = Timestamp::now();
    let first = db.store.claim_deliveries(now, 10, LEASE).await.unwrap();
    assert_eq!(first.len(), 1);
    // The worker dies without finishing.
    assert!(
        db.store
            .claim_deliveries(now + SignedDuration::from_secs(59), 10, LEASE)
            .await
            .unwrap()
            .is_empty()
    );
    let taken = db
        .store
        .claim_deliveries(now + SignedDuration::from_secs(61), 10, LEASE)
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].id, first[0].id);
    assert_eq!(taken[0].attempts, 2, "the lost attempt counts");
}

pressroom_store::backends!(
    publications_write_one_delivery_per_receiver_that_takes_the_event,
    concurrent_workers_claim_each_delivery_once,
    failures_back_off_then_fail_and_an_admin_can_resend,
    a_dead_workers_claim_is_taken_over_when_its_lease_ends,
);
