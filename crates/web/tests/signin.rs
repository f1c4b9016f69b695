//! Sign-in against guessing: throttling per account and address (guessing from one address
//! does not lock the real user out), and the second factor — throttled, audited, each code
//! once, a new session cookie once it is checked, and a current code to turn it off.

#[macro_use]
mod common;

use axum::http::StatusCode;
use common::browser::Browser;
use common::site;
use jiff::{SignedDuration, Timestamp};
use pressroom_core::totp;
use pressroom_store::By;
use pressroom_store::testing::{TEST_PASSWORD, TestDb};

const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const SESSION: &str = "pressroom_session";

/// The code an authenticator app shows `offset` seconds from now.
fn code_in(offset: i64) -> String {
    let now = Timestamp::now() + SignedDuration::from_secs(offset);
    totp::code_at(&totp::base32_decode(SECRET).unwrap(), now.as_second())
}

async fn guessing_from_one_address_does_not_lock_out_the_real_user(db: TestDb) {
    let site = site(db).await;
    let mut attacker = Browser::at(&site, "192.0.2.66");
    let mut last = StatusCode::OK;
    for _ in 0..10 {
        last = attacker.sign_in("author", "wrong password!").await.0;
    }
    assert_eq!(
        last,
        StatusCode::TOO_MANY_REQUESTS,
        "the guessing address is locked"
    );
    let (status, location, body) = Browser::at(&site, "198.51.100.7")
        .sign_in("author", TEST_PASSWORD)
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/admin/"),
        "the real user at another address signs in: {body}"
    );
    let (status, _, body) = attacker.sign_in("author", TEST_PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the guessing address stays locked, even with the password"
    );
    assert!(body.contains("Too many failed attempts"));
}

/// A browser that has passed the password step of `author`, whose second factor is on.
async fn at_the_code_step<'a>(site: &'a common::Site) -> Browser<'a> {
    let mut browser = Browser::at(site, "192.0.2.10");
    let (status, location, _) = browser.sign_in("author", TEST_PASSWORD).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/admin/login/code")
    );
    browser
}

async fn with_second_factor(db: TestDb) -> common::Site {
    let site = site(db).await;
    site.db
        .store
        .set_totp_secret(&site.people.author, Some(SECRET), None, By::Cli)
        .await
        .unwrap();
    site
}

async fn a_right_code_gives_a_new_cookie_and_works_only_once(db: TestDb) {
    let site = with_second_factor(db).await;
    let mut browser = at_the_code_step(&site).await;
    let before = browser.cookie(SESSION).unwrap().to_owned();
    let code = code_in(0);
    let (status, location, _) = browser.post("/admin/login/code", &[("code", &code)]).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/admin/")
    );
    let after = browser.cookie(SESSION).unwrap().to_owned();
    assert_ne!(
        after, before,
        "the session cookie changes after the second factor"
    );
    let (status, _) = browser.get("/admin/").await;
    assert_eq!(status, StatusCode::OK, "the new cookie is signed in");
    let mut stale = Browser::at(&site, "192.0.2.10");
    stale.cookies.push((SESSION.to_owned(), before));
    let (status, _) = stale.get("/admin/").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "the old cookie is worth nothing"
    );

    // Someone who saw the code (and knows the password) cannot use it again.
    let mut other = at_the_code_step(&site).await;
    let (status, _, body) = other.post("/admin/login/code", &[("code", &code)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("already used"), "{body}");
    let (status, _) = other.get("/admin/").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "still not past the second step"
    );
}

async fn wrong_codes_are_audited_and_lock_the_second_step(db: TestDb) {
    let site = with_second_factor(db).await;
    let mut browser = at_the_code_step(&site).await;
    let wrong = if code_in(0) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let (status, _, body) = browser.post("/admin/login/code", &[("code", wrong)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("That code is not right"), "{body}");
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            browser
                .post("/admin/login/code", &[("code", wrong)])
                .await
                .0,
        );
    }
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let (status, _, body) = browser
        .post("/admin/login/code", &[("code", &code_in(0))])
        .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "locked: even a right code waits"
    );
    assert!(body.contains("Too many wrong codes"), "{body}");
    let log = site
        .db
        .store
        .audit_log(Some("user:author"), 50)
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"signin.second_factor_failure")
            && actions.contains(&"signin.second_factor_lockout")
            && actions.contains(&"signin.second_factor_locked"),
        "{actions:?}"
    );
    assert!(
        log.iter()
            .filter(|e| e.action == "signin.second_factor_failure")
            .all(|e| e.details.to_string().contains("192.0.2.10")),
        "failures record the address"
    );
}

async fn turning_the_second_factor_off_needs_a_current_code(db: TestDb) {
    let site = with_second_factor(db).await;
    let mut browser = at_the_code_step(&site).await;
    browser
        .post("/admin/login/code", &[("code", &code_in(0))])
        .await;
    let (status, html) = browser.get("/admin/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"code\""), "the form asks for a code");
    let has_secret = || async {
        site.db
            .store
            .totp_secret(site.people.author.id)
            .await
            .unwrap()
            .is_some()
    };
    for code in ["", "12345", &code_in(0)] {
        let (status, _, body) = browser
            .post("/admin/account/totp", &[("step", "remove"), ("code", code)])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{code:?}: {body}");
        assert!(body.contains("code"), "{body}");
        assert!(has_secret().await, "{code:?} left the second factor on");
    }
    let (status, location, _) = browser
        .post(
            "/admin/account/totp",
            &[("step", "remove"), ("code", &code_in(30))],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/admin/account?done=totp-removed")
    );
    assert!(!has_secret().await);
}

pressroom_store::backends!(
    guessing_from_one_address_does_not_lock_out_the_real_user,
    a_right_code_gives_a_new_cookie_and_works_only_once,
    wrong_codes_are_audited_and_lock_the_second_step,
    turning_the_second_factor_off_needs_a_current_code,
);
