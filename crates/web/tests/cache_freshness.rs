//! The page cache under concurrent publishing: a page rendered before a change must never be
//! kept after the change's invalidation, or readers miss acknowledged releases (and see
//! withdrawn ones) until the process restarts.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::Body;
use axum::http::Request;
use common::{Site, body_text, site};
use jiff::Timestamp;
use pressroom_core::workflow::Action;
use pressroom_store::By;
use pressroom_store::testing::TestDb;
use pressroom_web::{AppState, WebConfig, router};
use tower::ServiceExt;

const PUBLISHERS: usize = 8;
const EACH: usize = 3;
/// Pages and API answers that list releases, so they change with every publication.
const LISTS: [&str; 4] = [
    "/en/",
    "/en/releases/",
    "/api/v1/releases?lang=en&per_page=100",
    "/en/feed.atom",
];

async fn fetch(app: &axum::Router, uri: &str) -> String {
    let response = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    body_text(response).await
}

async fn publishing_while_readers_fetch(db: TestDb) {
    let site = Arc::new(site(db).await);
    // The same store seen without a cache: what every page must say once publishing stops.
    let uncached = router(
        AppState::new(
            site.db.store.clone(),
            WebConfig {
                base_url: "https://mfa.example.org".into(),
                theme_dir: None,
                cache_bytes: 0,
                ..Default::default()
            },
            None,
        )
        .unwrap(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|i| {
            let (site, stop) = (site.clone(), stop.clone());
            tokio::spawn(async move {
                let mut fetched = 0_u32;
                while !stop.load(Ordering::Relaxed) {
                    fetch(&site.app, LISTS[(i + fetched as usize) % LISTS.len()]).await;
                    fetched += 1;
                    // A cached answer never waits, so without this the readers would keep
                    // both worker threads and the publishers would never run.
                    tokio::task::yield_now().await;
                }
                fetched
            })
        })
        .collect();
    let publishers: Vec<_> = (0..PUBLISHERS)
        .map(|p| {
            let site = site.clone();
            tokio::spawn(async move { publish_then_withdraw_one(&site, p).await })
        })
        .collect();
    for publisher in publishers {
        publisher.await.unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    let mut fetched = 0;
    for reader in readers {
        fetched += reader.await.unwrap();
    }
    assert!(fetched > 0, "the readers fetched nothing");

    for uri in LISTS {
        let cached = fetch(&site.app, uri).await;
        let fresh = fetch(&uncached, uri).await;
        assert_eq!(
            cached, fresh,
            "{uri} served from the cache differs from the database after publishing stopped"
        );
    }
    let api = fetch(&site.app, "/api/v1/releases?lang=en&per_page=100").await;
    let list: serde_json::Value = serde_json::from_str(&api).unwrap();
    assert_eq!(list["total"], (PUBLISHERS * EACH) as i64, "{api}");
    let withdrawn = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["withdrawn"] == true)
        .count();
    assert_eq!(withdrawn, PUBLISHERS, "{api}");
}

/// Publishes `EACH` releases, then withdraws the first, as one press officer might.
async fn publish_then_withdraw_one(site: &Site, publisher: usize) {
    let mut first = None;
    for i in 0..EACH {
        let id = site
            .publish(
                &format!("Statement {publisher}-{i}"),
                "Text.",
                Timestamp::now(),
                None,
            )
            .await;
        first.get_or_insert(id);
        // Acknowledged, so every reader from now on must see it.
        let title = format!("Statement {publisher}-{i}");
        for uri in LISTS {
            let page = fetch(&site.app, uri).await;
            assert!(
                page.contains(&title),
                "{uri} misses {title}, published and acknowledged"
            );
        }
    }
    site.db
        .store
        .apply(
            first.unwrap(),
            None,
            &Action::Withdraw {
                explanation: "Published in error.".into(),
            },
            By::User(&site.people.editor),
            Timestamp::now(),
        )
        .await
        .unwrap();
    let api = fetch(&site.app, "/api/v1/releases?lang=en&per_page=100").await;
    let list: serde_json::Value = serde_json::from_str(&api).unwrap();
    let title = format!("Statement {publisher}-0");
    let item = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["title"] == title.as_str())
        .unwrap_or_else(|| panic!("{title} is missing: {api}"));
    assert_eq!(item["withdrawn"], true, "{title} was withdrawn: {api}");
}

/// A query string the page does not read (a tracker's, or a random cache-buster) is served
/// from the page's one entry; only the parameters a page reads make another.
async fn unknown_query_parameters_share_the_cached_page(db: TestDb) {
    let people = db.people().await;
    let id = db
        .draft(
            "press-release",
            "en",
            pressroom_store::testing::sample_text("One"),
            &people.author,
        )
        .await
        .translation
        .id;
    db.submit_and_approve(id, &people, Timestamp::now()).await;
    let state = AppState::new(
        db.store.clone(),
        WebConfig {
            base_url: "https://mfa.example.org".into(),
            theme_dir: None,
            cache_bytes: 8 << 20,
            ..Default::default()
        },
        None,
    )
    .unwrap();
    let app = router(state.clone());
    let plain = fetch(&app, "/en/releases/").await;
    let (entries, _) = state.cache_stats();
    for i in 0..50 {
        let page = fetch(&app, &format!("/en/releases/?utm_source=news&_={i}")).await;
        assert_eq!(page, plain);
        fetch(&app, &format!("/api/v1/releases?lang=en&nocache={i}")).await;
        fetch(&app, &format!("/en/?page={i}")).await;
    }
    assert_eq!(
        state.cache_stats().0,
        entries + 2,
        "50 different unknown query strings made new cache entries"
    );
    // A parameter the listing reads is its own page.
    fetch(&app, "/en/releases/?kind=statement").await;
    assert_eq!(state.cache_stats().0, entries + 3);
}

pressroom_store::backends!(
    publishing_while_readers_fetch,
    unknown_query_parameters_share_the_cached_page
);
