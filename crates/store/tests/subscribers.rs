//! Subscribers on both backends: a request is checked before anything is written; a
//! subscription never confirmed is forgotten after its link's lifetime while confirmed ones
//! stay; a bulk import adds confirmed subscribers once, and a single bad entry adds none.

use jiff::{SignedDuration, Timestamp};
use pressroom_core::subscription::Frequency;
use pressroom_store::testing::TestDb;
use pressroom_store::{Choices, StoreError, SubscriberEntry, SubscriberState};

fn every_release() -> Choices {
    Choices {
        frequency: Frequency::Immediate,
        ..Default::default()
    }
}

async fn bad_requests_change_nothing(db: TestDb) {
    for (email, lang) in [
        ("not an address", "en"),
        ("someone@example.org", "xx"),
        ("", "en"),
    ] {
        let err = db
            .store
            .request_subscription(email, lang, &every_release())
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Invalid(_)),
            "{email} {lang}: {err}"
        );
    }
    let unknown_kind = Choices {
        kinds: vec!["no-such-kind".into()],
        ..every_release()
    };
    let err = db
        .store
        .request_subscription("someone@example.org", "en", &unknown_kind)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no-such-kind"), "{err}");
    let counts = db.store.subscriber_counts().await.unwrap();
    assert_eq!(counts.pending + counts.immediate + counts.daily, 0);
}

async fn unconfirmed_subscriptions_are_forgotten_confirmed_ones_stay(db: TestDb) {
    let store = &db.store;
    assert!(
        store
            .request_subscription("Pending@Example.org", "en", &every_release())
            .await
            .unwrap(),
        "a new address gets the confirmation mail"
    );
    store
        .request_subscription("kept@example.org", "az", &every_release())
        .await
        .unwrap();
    let kept = store
        .find_subscriber("KEPT@example.org")
        .await
        .unwrap()
        .expect("found whatever the case of the address");
    let confirmed = store.confirm_subscription(&kept.token).await.unwrap();
    assert_eq!(confirmed.state, SubscriberState::Confirmed);

    let now = Timestamp::now();
    assert_eq!(
        store
            .prune_pending_subscribers(now - SignedDuration::from_secs(60))
            .await
            .unwrap(),
        0,
        "a link mailed a minute ago still works"
    );
    assert_eq!(
        store
            .prune_pending_subscribers(now + SignedDuration::from_secs(60))
            .await
            .unwrap(),
        1
    );
    assert!(
        store
            .find_subscriber("pending@example.org")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .find_subscriber("kept@example.org")
            .await
            .unwrap()
            .is_some()
    );
    let counts = store.subscriber_counts().await.unwrap();
    assert_eq!((counts.pending, counts.immediate), (0, 1));
}

async fn imports_add_confirmed_subscribers_once(db: TestDb) {
    let store = &db.store;
    let mut line = 0;
    let mut entry = |email: &str, lang: &str| {
        line += 1;
        SubscriberEntry {
            at: format!("line {line}"),
            email: email.into(),
            lang: lang.into(),
            choices: every_release(),
        }
    };
    let bad = vec![entry("a@example.org", "en"), entry("broken", "en")];
    let err = store.import_subscribers(&bad).await.unwrap_err();
    assert!(
        err.to_string().contains("line 2"),
        "names the bad entry: {err}"
    );
    assert_eq!(store.subscriber_counts().await.unwrap().immediate, 0);

    let list = vec![
        entry("a@example.org", "en"),
        entry("b@example.org", "ru"),
        entry("A@EXAMPLE.ORG", "az"),
    ];
    assert_eq!(store.import_subscribers(&list).await.unwrap(), 2);
    assert_eq!(
        store.import_subscribers(&list).await.unwrap(),
        0,
        "importing again adds nobody"
    );
    let a = store
        .find_subscriber("a@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (a.state, a.lang.as_str()),
        (SubscriberState::Confirmed, "en")
    );
}

pressroom_store::backends!(
    bad_requests_change_nothing,
    unconfirmed_subscriptions_are_forgotten_confirmed_ones_stay,
    imports_add_confirmed_subscribers_once,
);
