//! The sign-in contract on both backends (see `backends!` at the bottom): throttling per
//! account and address, the second factor's code (throttled, audited, each code once) and the
//! session token that changes when the second factor is checked.

use jiff::{SignedDuration, Timestamp};
use pressroom_core::totp;
use pressroom_store::testing::{TEST_PASSWORD, TestDb};
use pressroom_store::{By, CodeRefusal, SignInRefusal};

const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

fn code(now: Timestamp) -> String {
    totp::code_at(&totp::base32_decode(SECRET).unwrap(), now.as_second())
}

async fn actions(db: &TestDb, target: &str) -> Vec<String> {
    let log = db.store.audit_log(Some(target), 50).await.unwrap();
    log.into_iter().map(|e| e.action).collect()
}

async fn failures_from_one_address_lock_only_that_address_out(db: TestDb) {
    db.people().await;
    let now = Timestamp::now();
    let store = &db.store;
    for _ in 0..12 {
        let refused = store
            .sign_in("author", "wrong password!", "192.0.2.1", now)
            .await
            .unwrap()
            .unwrap_err();
        assert!(matches!(
            refused,
            SignInRefusal::BadCredentials | SignInRefusal::Locked(_)
        ));
    }
    let here = store
        .sign_in("author", TEST_PASSWORD, "192.0.2.1", now)
        .await
        .unwrap();
    assert!(
        matches!(here, Err(SignInRefusal::Locked(_))),
        "the guessing address stays locked even with the right password"
    );
    let elsewhere = store
        .sign_in("author", TEST_PASSWORD, "198.51.100.7", now)
        .await
        .unwrap();
    assert!(
        elsewhere.is_ok(),
        "the real user at another address signs in: {elsewhere:?}"
    );
}

async fn failures_from_many_addresses_slow_the_account_briefly(db: TestDb) {
    db.people().await;
    let now = Timestamp::now();
    let store = &db.store;
    // Four tries from each of ten addresses: no address is locked, the account is slowed.
    for i in 0..40 {
        let address = format!("203.0.113.{}", i / 4);
        let _ = store
            .sign_in("author", "wrong password!", &address, now)
            .await
            .unwrap();
    }
    let slowed = store
        .sign_in("author", TEST_PASSWORD, "198.51.100.7", now)
        .await
        .unwrap();
    let Err(SignInRefusal::Locked(wait)) = slowed else {
        panic!("the account is slowed: {slowed:?}");
    };
    assert!(
        wait <= SignedDuration::from_mins(1),
        "only briefly: {wait:?}"
    );
    let later = store
        .sign_in(
            "author",
            TEST_PASSWORD,
            "198.51.100.7",
            now + SignedDuration::from_mins(1),
        )
        .await
        .unwrap();
    assert!(later.is_ok(), "a minute later the real user gets in");
}

async fn a_code_works_once_and_wrong_codes_lock_the_second_step(db: TestDb) {
    let p = db.people().await;
    let store = &db.store;
    store
        .set_totp_secret(&p.author, Some(SECRET), None, By::Cli)
        .await
        .unwrap();
    let now = Timestamp::now();
    let right = code(now);
    assert_eq!(
        store
            .check_totp_code(&p.author, &right, "192.0.2.1", now)
            .await
            .unwrap(),
        Ok(())
    );
    assert_eq!(
        store
            .check_totp_code(&p.author, &right, "192.0.2.1", now)
            .await
            .unwrap(),
        Err(CodeRefusal::Reused),
        "the same code is refused the second time"
    );
    // The code of the step before is no good either, even though it is within the drift.
    let earlier = code(now - SignedDuration::from_secs(30));
    assert_ne!(
        store
            .check_totp_code(&p.author, &earlier, "192.0.2.1", now)
            .await
            .unwrap(),
        Ok(())
    );
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let mut outcomes = Vec::new();
    for _ in 0..6 {
        outcomes.push(
            store
                .check_totp_code(&p.author, wrong, "192.0.2.1", now)
                .await
                .unwrap(),
        );
    }
    assert!(
        matches!(outcomes.last(), Some(Err(CodeRefusal::Locked(_)))),
        "{outcomes:?}"
    );
    // Locked: even the next right code waits.
    let next = code(now + SignedDuration::from_secs(30));
    assert!(matches!(
        store
            .check_totp_code(&p.author, &next, "192.0.2.1", now)
            .await
            .unwrap(),
        Err(CodeRefusal::Locked(_))
    ));
    let log = actions(&db, "user:author").await;
    for action in [
        "signin.second_factor_failure",
        "signin.second_factor_reused",
        "signin.second_factor_lockout",
        "signin.second_factor_locked",
    ] {
        assert!(log.iter().any(|a| a == action), "{action} in {log:?}");
    }
}

async fn the_second_factor_gives_the_session_a_new_token(db: TestDb) {
    let p = db.people().await;
    let store = &db.store;
    store
        .set_totp_secret(&p.author, Some(SECRET), None, By::Cli)
        .await
        .unwrap();
    let now = Timestamp::now();
    let (old, session) = store
        .sign_in("author", TEST_PASSWORD, "192.0.2.1", now)
        .await
        .unwrap()
        .unwrap();
    assert!(!session.second_factor_ok);
    let new = store
        .confirm_second_factor(&old, &p.author, "192.0.2.1", now)
        .await
        .unwrap();
    assert_ne!(new, old);
    assert_eq!(
        store.session(&old, now).await.unwrap(),
        None,
        "old token ends"
    );
    let renewed = store.session(&new, now).await.unwrap().unwrap();
    assert!(renewed.second_factor_ok);
    assert_ne!(renewed.csrf_token, session.csrf_token);
    assert!(
        store
            .confirm_second_factor(&old, &p.author, "192.0.2.1", now)
            .await
            .is_err(),
        "the old token cannot be confirmed again"
    );
}

pressroom_store::backends!(
    failures_from_one_address_lock_only_that_address_out,
    failures_from_many_addresses_slow_the_account_briefly,
    a_code_works_once_and_wrong_codes_lock_the_second_step,
    the_second_factor_gives_the_session_a_new_token,
);
