//! The public site through the real router, on SQLite and (when configured) PostgreSQL.

#[macro_use]
mod common;

use axum::http::{StatusCode, header};
use common::{at, body_text, site};
use pressroom_core::release::RevisionInput;
use pressroom_core::workflow::{Action, Correction};
use pressroom_store::By;
use pressroom_store::testing::TestDb;

async fn release_page_shows_number_date_body_and_translations(db: TestDb) {
    let site = site(db).await;
    site.publish(
        "Minister meets delegation",
        "# Agenda\n\nWater **cooperation**.",
        at("2021-10-04T07:30:00Z"),
        Some("Министр встретился"),
    )
    .await;
    let html = site
        .page("/en/releases/2021/1-minister-meets-delegation")
        .await;
    for expected in [
        "<h1>Minister meets delegation</h1>",
        "Press release · <time datetime=\"2021-10-04\">4 October 2021</time>",
        "No:1/21",
        "<h2>Agenda</h2>",
        "<strong>cooperation</strong>",
        "hreflang=\"ru\" lang=\"ru\">Русский</a>",
        "Share this page",
        "https://t.me/share/url?url=https%3A%2F%2Fmfa.example.org%2Fen%2Freleases%2F2021%2F1-minister-meets-delegation",
        "<link rel=\"canonical\" href=\"https://mfa.example.org/en/releases/2021/1-minister-meets-delegation\">",
        "All rights reserved. Contact us to use any licensed material.",
    ] {
        assert!(html.contains(expected), "missing {expected:?} in\n{html}");
    }
    let ru = site.page("/ru/releases/2021/1-ministr-vstretilsya").await;
    assert!(ru.contains("4 октября 2021"), "{ru}");
    assert!(ru.contains("<html lang=\"ru\" dir=\"ltr\">"));
}

async fn a_wrong_slug_redirects_to_the_canonical_address(db: TestDb) {
    let site = site(db).await;
    site.publish(
        "Minister meets delegation",
        "Text.",
        at("2021-10-04T07:30:00Z"),
        None,
    )
    .await;
    for wrong in ["/en/releases/2021/1-old-title", "/en/releases/2021/1"] {
        let response = site.get(wrong).await;
        assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT, "{wrong}");
        assert_eq!(
            response.headers()[header::LOCATION],
            "/en/releases/2021/1-minister-meets-delegation"
        );
    }
    assert_eq!(
        site.get("/en/releases/2022/1-minister-meets-delegation")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        site.get("/az/releases/2021/1-minister-meets-delegation")
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "no Azerbaijani translation"
    );
}

async fn listings_archives_and_pages_render(db: TestDb) {
    let site = site(db).await;
    site.publish("Older release", "Text.", at("2020-05-01T08:00:00Z"), None)
        .await;
    site.publish("Newer release", "Text.", at("2021-05-01T08:00:00Z"), None)
        .await;
    site.db
        .store
        .save_page(
            "privacy",
            "en",
            "Privacy policy",
            "We keep **no** trackers.",
            By::Cli,
        )
        .await
        .unwrap();
    let home = site.page("/en/").await;
    assert!(
        home.find("Newer release").unwrap() < home.find("Older release").unwrap(),
        "newest first"
    );
    let listing = site.page("/en/releases/").await;
    assert!(listing.contains("Older release") && listing.contains("Newer release"));
    let year = site.page("/en/releases/2020/").await;
    assert!(
        year.contains("Older release") && !year.contains("Newer release"),
        "{year}"
    );
    assert!(
        site.page("/en/releases/?kind=statement")
            .await
            .contains("No releases match.")
    );
    let privacy = site.page("/en/pages/privacy").await;
    assert!(privacy.contains("<strong>no</strong> trackers"));
    assert!(
        home.contains("href=\"/en/pages/privacy\""),
        "footer links the privacy policy"
    );
    // As on the seed page: the rights notice first, then the privacy policy.
    let footer = home.split("<footer").nth(1).unwrap();
    let notice = footer.find("All rights reserved.").unwrap();
    let privacy = footer.find("href=\"/en/pages/privacy\"").unwrap();
    assert!(notice < privacy, "{footer}");
}

async fn corrections_and_withdrawals_are_shown_to_readers(db: TestDb) {
    let site = site(db).await;
    let id = site
        .publish(
            "Hearing on 14 April",
            "Text.",
            at("2026-04-01T08:00:00Z"),
            None,
        )
        .await;
    let store = &site.db.store;
    let version = store.translation(id).await.unwrap().version;
    let fixed = RevisionInput {
        title: "Hearing on 16 April".into(),
        body: "Text.".into(),
        slug: Some("hearing-on-14-april".into()),
        ..Default::default()
    };
    store
        .save_revision(id, version, &fixed, By::User(&site.people.author))
        .await
        .unwrap();
    let when = at("2026-04-02T08:00:00Z");
    store
        .apply(
            id,
            None,
            &Action::Submit,
            By::User(&site.people.author),
            when,
        )
        .await
        .unwrap();
    let major = Action::ApprovePublish {
        correction: Some(Correction::Major {
            note: "Corrected the date of the hearing".into(),
        }),
    };
    store
        .apply(id, None, &major, By::User(&site.people.editor), when)
        .await
        .unwrap();
    let html = site.page("/en/releases/2026/1-hearing-on-14-april").await;
    assert!(html.contains("Hearing on 16 April"));
    assert!(
        html.contains("Updated 2 April 2026</a>: Corrected the date of the hearing"),
        "{html}"
    );
    let withdraw = Action::Withdraw {
        explanation: "The hearing was postponed.".into(),
    };
    store
        .apply(
            id,
            None,
            &withdraw,
            By::User(&site.people.editor),
            at("2026-04-03T08:00:00Z"),
        )
        .await
        .unwrap();
    let html = site.page("/en/releases/2026/1-hearing-on-14-april").await;
    assert!(
        html.contains("Withdrawn on 3 April 2026.</strong> The hearing was postponed."),
        "{html}"
    );
    assert!(
        site.page("/en/releases/")
            .await
            .contains("<strong>Withdrawn</strong>")
    );
}

async fn garbage_urls_get_400_or_404_never_500(db: TestDb) {
    let site = site(db).await;
    site.publish("A release", "Text.", at("2021-01-05T08:00:00Z"), None)
        .await;
    let long = "x".repeat(5000);
    let cases = [
        ("/xx/", StatusCode::NOT_FOUND),
        ("/en/releases/?page=0", StatusCode::BAD_REQUEST),
        ("/en/releases/?page=-1", StatusCode::BAD_REQUEST),
        ("/en/releases/?page=abc", StatusCode::BAD_REQUEST),
        (
            "/en/releases/?page=99999999999999999999999",
            StatusCode::BAD_REQUEST,
        ),
        ("/en/releases/?page=5", StatusCode::NOT_FOUND),
        // Path forms of the pages (what the site links, so a static export holds them).
        ("/en/releases/page/5/", StatusCode::NOT_FOUND),
        ("/en/releases/page/0/", StatusCode::NOT_FOUND),
        ("/en/releases/page/abc/", StatusCode::NOT_FOUND),
        ("/en/releases/2021/page/2/", StatusCode::NOT_FOUND),
        ("/en/releases/page/1/", StatusCode::PERMANENT_REDIRECT),
        ("/en/releases/?page=1", StatusCode::PERMANENT_REDIRECT),
        ("/en/releases/2021/?page=1", StatusCode::PERMANENT_REDIRECT),
        ("/en/releases/?kind=press-release&page=1", StatusCode::OK),
        ("/en/topics/nothing/feed.atom", StatusCode::NOT_FOUND),
        (
            "/en/feed.atom?topic=nothing",
            StatusCode::PERMANENT_REDIRECT,
        ),
        (
            "/en/releases/2021/1-a-release/revisions/x",
            StatusCode::NOT_FOUND,
        ),
        (
            "/en/releases/2021/1-a-release/revisions/999",
            StatusCode::NOT_FOUND,
        ),
        ("/en/releases/?kind=rumour", StatusCode::NOT_FOUND),
        ("/en/releases/?topic=nothing", StatusCode::NOT_FOUND),
        ("/en/releases/abcd/", StatusCode::NOT_FOUND),
        ("/en/releases/99999/", StatusCode::NOT_FOUND),
        ("/en/releases/2021/%FF%FE-x", StatusCode::BAD_REQUEST),
        (
            "/en/releases/2021/99999999999999999999-x",
            StatusCode::NOT_FOUND,
        ),
        ("/en/releases/2021/zz-1-x", StatusCode::NOT_FOUND),
        ("/en/pages/nope", StatusCode::NOT_FOUND),
        ("/nowhere/at/all", StatusCode::NOT_FOUND),
    ];
    for (uri, expected) in cases {
        assert_eq!(site.get(uri).await.status(), expected, "{uri}");
    }
    let status = site
        .get(&format!("/en/releases/2021/{long}"))
        .await
        .status();
    assert_eq!(status, StatusCode::NOT_FOUND);
    let unknown = body_text(site.get("/xx/").await).await;
    assert!(
        unknown.contains("href=\"/az/\"") && unknown.contains("English"),
        "lists the site's languages: {unknown}"
    );
}

async fn every_response_has_security_headers_and_health_checks_answer(db: TestDb) {
    let site = site(db).await;
    for uri in ["/healthz", "/readyz", "/en/", "/nowhere"] {
        let response = site.get(uri).await;
        let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
            "{uri}"
        );
        assert_eq!(
            response.headers()[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff"
        );
        assert!(response.headers().contains_key(header::REFERRER_POLICY));
    }
    assert_eq!(body_text(site.get("/readyz").await).await, "ready\n");
    let home = site.page("/en/").await;
    let css = home
        .split("href=\"/assets/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();
    let response = site.get(&format!("/assets/{css}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert_eq!(
        site.get("/assets/style.css").await.status(),
        StatusCode::NOT_FOUND,
        "only hashed names are served"
    );
}

async fn pages_request_nothing_from_other_hosts(db: TestDb) {
    let site = site(db).await;
    site.publish("Images", "<img src=\"https://tracker.example/pixel.gif\" alt=\"\">\n\n<script src=\"https://cdn.example/x.js\"></script>", at("2021-01-05T08:00:00Z"), None).await;
    let html = site.page("/en/releases/2021/1-images").await;
    for attr in [
        "src=\"http",
        "src=\"//",
        "<iframe",
        "<script>",
        "cdn.example",
        "tracker.example",
    ] {
        assert!(!html.contains(attr), "{attr} in\n{html}");
    }
    let stylesheets = html.matches("rel=\"stylesheet\" href=\"/assets/").count();
    assert_eq!(stylesheets, 1);
}

pressroom_store::backends!(
    release_page_shows_number_date_body_and_translations,
    a_wrong_slug_redirects_to_the_canonical_address,
    listings_archives_and_pages_render,
    corrections_and_withdrawals_are_shown_to_readers,
    garbage_urls_get_400_or_404_never_500,
    every_response_has_security_headers_and_health_checks_answer,
    pages_request_nothing_from_other_hosts,
);
