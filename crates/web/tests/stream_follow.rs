//! Two servers on one database, on both backends: a release published, or withdrawn, through
//! one reaches the other's cached pages within a second by the change stream (no in-process
//! notification crosses between them), `/metrics` shows how far each follower is, and a
//! server that cannot follow the stream answers uncached and is not ready; a serving process
//! prunes old entries itself.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use common::{body_text, site};
use jiff::{SignedDuration, Timestamp};
use pressroom_core::workflow::Action;
use pressroom_store::testing::TestDb;
use pressroom_store::{By, Store};
use pressroom_web::{AppState, WebConfig, router, stream};
use tokio::sync::watch;
use tower::ServiceExt;

/// Another server: its own store (pool, listeners) on the same database, its own cache, and
/// its followers running as `pressroom serve` runs them.
struct Other {
    app: axum::Router,
    state: AppState,
    stop: watch::Sender<bool>,
}

async fn other_server(db: &TestDb) -> Other {
    other_server_keeping(db, SignedDuration::from_hours(24 * 7)).await
}

/// Another server that prunes stream entries older than `keep`.
async fn other_server_keeping(db: &TestDb, keep: SignedDuration) -> Other {
    let store = Store::open(&db.url).await.unwrap();
    let state = AppState::new(
        store,
        WebConfig {
            base_url: "https://mfa.example.org".into(),
            cache_bytes: 8 << 20,
            ..Default::default()
        },
        None,
    )
    .unwrap();
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(stream::follow(state.clone(), keep, stopped));
    Other {
        app: router(state.clone()),
        state,
        stop,
    }
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, String) {
    let request = Request::get(uri)
        .extension(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))))
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    (status, body_text(response).await)
}

/// Fetches `uri` until its body contains `text`, and says how long that took.
async fn shows_within(app: &axum::Router, uri: &str, text: &str, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let (_, body) = get(app, uri).await;
        if body.contains(text) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "{uri} on the other server still lacks {text:?} after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn metric(text: &str, name: &str, follower: &str) -> Option<f64> {
    let prefix = format!("{name}{{follower=\"{follower}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.parse().ok())
}

async fn another_servers_changes_reach_this_servers_cached_pages(db: TestDb) {
    let site = site(db).await;
    let other = other_server(&site.db).await;
    let first = site
        .publish(
            "Talks in Geneva",
            "Negotiators met.",
            Timestamp::now(),
            None,
        )
        .await;
    const PAGES: [&str; 4] = ["/en/", "/en/releases/", "/en/feed.atom", "/sitemap.xml"];
    let limit = Duration::from_millis(1500);
    shows_within(&other.app, "/en/releases/", "Talks in Geneva", limit).await;
    let listing = get(&other.app, "/en/releases/").await.1;
    let release = listing
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|href| href.starts_with("/en/releases/20") && href.contains("-talks"))
        .expect("the listing links the release")
        .to_owned();
    for uri in PAGES.iter().copied().chain([release.as_str()]) {
        assert_eq!(get(&other.app, uri).await.0, StatusCode::OK, "{uri}");
    }
    let cached = other.state.cache_stats().0;
    assert!(cached >= 4, "the other server caches its pages ({cached})");

    site.publish("Border commission", "It met.", Timestamp::now(), None)
        .await;
    for uri in ["/en/", "/en/releases/", "/en/feed.atom"] {
        shows_within(&other.app, uri, "Border commission", limit).await;
    }
    site.db
        .store
        .apply(
            first,
            None,
            &Action::Withdraw {
                explanation: "Issued in error.".into(),
            },
            By::User(&site.people.editor),
            Timestamp::now(),
        )
        .await
        .unwrap();
    shows_within(&other.app, &release, "Issued in error.", limit).await;

    let head = site.db.store.last_change_seq().await.unwrap();
    // The follower reaches the head within the same second (a page may show a change
    // before its round ends, when that page was not cached).
    let start = Instant::now();
    let metrics = loop {
        let (status, metrics) = get(&other.app, "/metrics").await;
        assert_eq!(status, StatusCode::OK);
        if metric(&metrics, "pressroom_stream_applied_seq", "page_cache") == Some(head as f64) {
            break metrics;
        }
        assert!(
            start.elapsed() < limit,
            "the follower is not at {head}: {metrics}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        metric(&metrics, "pressroom_stream_lag_entries", "page_cache"),
        Some(0.0)
    );
    assert!(metric(&metrics, "pressroom_stream_lag_seconds", "search_index").is_some());
    assert_eq!(get(&other.app, "/readyz").await.0, StatusCode::OK);
    let _ = other.stop.send(true);
}

async fn a_server_that_cannot_follow_answers_uncached_and_is_not_ready(db: TestDb) {
    let site = site(db).await;
    site.publish(
        "Talks in Geneva",
        "Negotiators met.",
        Timestamp::now(),
        None,
    )
    .await;
    let other = other_server(&site.db).await;
    let (status, cached) = get(&other.app, "/en/releases/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(cached.contains("Talks in Geneva"));
    // Its database goes away: the follower's reads fail from now on.
    other.state.store().close().await;
    let start = Instant::now();
    loop {
        let (status, body) = get(&other.app, "/readyz").await;
        if body.contains("not following the change stream") {
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            break;
        }
        assert!(
            start.elapsed() < stream::FOLLOW_BOUND + Duration::from_secs(3),
            "still ready though it cannot follow the stream"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, _) = get(&other.app, "/en/releases/").await;
    assert_ne!(
        status,
        StatusCode::OK,
        "a server that cannot follow served its cached (possibly stale) page"
    );
    let _ = other.stop.send(true);
}

/// A serving process prunes old entries by itself, keeping the newest.
async fn a_serving_process_prunes_old_entries(db: TestDb) {
    let site = site(db).await;
    for title in ["One", "Two", "Three"] {
        site.publish(title, "Text.", Timestamp::now(), None).await;
    }
    let before = site.db.store.changes_after(0, 100).await.unwrap().len();
    assert!(before >= 3, "{before}");
    tokio::time::sleep(Duration::from_millis(10)).await;
    let other = other_server_keeping(&site.db, SignedDuration::from_millis(1)).await;
    let start = Instant::now();
    loop {
        let left = site.db.store.changes_after(0, 100).await.unwrap();
        if left.len() == 1 {
            assert_eq!(left[0].seq, site.db.store.last_change_seq().await.unwrap());
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{} entries left",
            left.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = other.stop.send(true);
}

pressroom_store::backends!(
    a_serving_process_prunes_old_entries,
    another_servers_changes_reach_this_servers_cached_pages,
    a_server_that_cannot_follow_answers_uncached_and_is_not_ready
);
