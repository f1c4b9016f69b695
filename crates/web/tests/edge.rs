//! The site's edge, as an outside tester probes it: transport and caching headers, the sign-in
//! redirect, body limits, API rate limits, who may read `/metrics`, and readiness.

#[macro_use]
mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use common::{Site, body_text, site};
use pressroom_store::By;
use pressroom_store::testing::{TEST_PASSWORD, TestDb};
use pressroom_web::{AppState, WebConfig, router};
use tower::ServiceExt;

/// The router of `site`'s database with another configuration.
fn app_with(site: &Site, config: WebConfig) -> axum::Router {
    router(AppState::new(site.db.store.clone(), config, None).unwrap())
}

async fn send(app: &axum::Router, request: Request<Body>) -> Response {
    app.clone().oneshot(request).await.unwrap()
}

fn from(address: &str, mut request: Request<Body>) -> Request<Body> {
    let address: SocketAddr = if address.contains(':') {
        format!("[{address}]:40000")
    } else {
        format!("{address}:40000")
    }
    .parse()
    .unwrap();
    request.extensions_mut().insert(ConnectInfo(address));
    request
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn header_of(response: &Response, name: header::HeaderName) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Signs in through the form with `next`; returns the answer and the session cookie.
async fn sign_in(site: &Site, username: &str, next: &str) -> (Response, String) {
    let form = site.get("/admin/login").await;
    let cookie = header_of(&form, header::SET_COOKIE);
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let html = body_text(form).await;
    let token = html
        .split("name=\"login_csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let body = serde_urlencoded::to_string([
        ("username", username),
        ("password", TEST_PASSWORD),
        ("login_csrf", &token),
        ("next", next),
    ])
    .unwrap();
    let request = Request::post("/admin/login")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let response = send(&site.app, request).await;
    let session = header_of(&response, header::SET_COOKIE)
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();
    (response, session)
}

async fn https_sites_send_hsts_and_http_sites_never(db: TestDb) {
    let site = site(db).await;
    for uri in ["/en/", "/healthz", "/admin/login", "/nowhere"] {
        let response = site.get(uri).await;
        assert_eq!(
            header_of(&response, header::STRICT_TRANSPORT_SECURITY),
            "max-age=31536000; includeSubDomains",
            "{uri}"
        );
    }
    let http = app_with(
        &site,
        WebConfig {
            base_url: "http://127.0.0.1:8080".into(),
            ..Default::default()
        },
    );
    let response = send(&http, get("/en/")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .headers()
            .get(header::STRICT_TRANSPORT_SECURITY)
            .is_none()
    );
}

async fn a_strange_next_after_sign_in_goes_to_the_dashboard(db: TestDb) {
    let site = site(db).await;
    for next in [
        "/admin/\u{1}x",
        "/admin/x\r\nSet-Cookie: a=b",
        "/admin/ü",
        "//evil.example/",
        "/admin//evil.example",
        "/admin/\\evil",
        "https://evil.example/admin/",
    ] {
        let (response, session) = sign_in(&site, "author", next).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(
            header_of(&response, header::LOCATION),
            "/admin/",
            "{next:?}"
        );
        assert!(session.starts_with("pressroom_session="), "{next:?}");
    }
    let (response, _) = sign_in(&site, "author", "/admin/releases?lang=en").await;
    assert_eq!(
        header_of(&response, header::LOCATION),
        "/admin/releases?lang=en"
    );
}

async fn every_admin_answer_is_no_store(db: TestDb) {
    let site = site(db).await;
    let (_, author) = sign_in(&site, "author", "/admin/").await;
    let as_author = |uri: &str| {
        Request::get(uri)
            .header(header::COOKIE, &author)
            .body(Body::empty())
            .unwrap()
    };
    let cases = [
        (get("/admin/login"), StatusCode::OK),
        (get("/admin/login/code"), StatusCode::OK),
        (get("/admin/releases"), StatusCode::SEE_OTHER),
        (get("/admin/no-such-page"), StatusCode::NOT_FOUND),
        (get("/admin"), StatusCode::PERMANENT_REDIRECT),
        (as_author("/admin/users"), StatusCode::FORBIDDEN),
        (as_author("/admin/no-such-page"), StatusCode::NOT_FOUND),
        (as_author("/admin/"), StatusCode::OK),
        (
            Request::post("/admin/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("username=x&password=y&login_csrf=z"))
                .unwrap(),
            StatusCode::OK,
        ),
    ];
    for (request, status) in cases {
        let uri = request.uri().to_string();
        let response = send(&site.app, request).await;
        assert_eq!(response.status(), status, "{uri}");
        assert_eq!(
            header_of(&response, header::CACHE_CONTROL),
            "no-store",
            "{uri}"
        );
    }
}

fn big_multipart(field: &str, bytes: usize) -> (String, Vec<u8>) {
    let boundary = "edge-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"version\"\r\n\r\n1\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"big.jpg\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.resize(body.len() + bytes, b'x');
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn uploads_over_the_limit_are_413(db: TestDb) {
    let site = site(db).await;
    let input = pressroom_core::release::RevisionInput {
        title: "Too big".into(),
        lead: "A lead.".into(),
        body: "A body.".into(),
        ..Default::default()
    };
    let detail = site
        .db
        .draft("press-release", "en", input, &site.people.author)
        .await;
    let id = detail.translation.id;

    // The verify page: 1 MiB.
    let (content_type, body) = big_multipart("file", 2 << 20);
    let request = Request::post("/en/verify")
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let response = send(&site.app, request).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body_text(response).await.contains("at most 1024 KiB"));

    // The API: 40 MiB.
    let author = site.db.store.user_by_name("author").await.unwrap();
    let (token, _) = site
        .db
        .store
        .create_api_token(
            "t",
            &author,
            &["write".to_owned()],
            By::User(&site.people.admin),
        )
        .await
        .unwrap();
    let (content_type, body) = big_multipart("image", 41 << 20);
    let request = Request::post(format!("/api/v1/translations/{id}/banner"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let response = send(&site.app, request).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        header_of(&response, header::CONTENT_TYPE),
        "application/problem+json"
    );
    assert!(body_text(response).await.contains("larger than 40 MiB"));

    // The editor: 40 MiB.
    let (_, session) = sign_in(&site, "author", "/admin/").await;
    let page = send(
        &site.app,
        Request::get(format!("/admin/translations/{id}"))
            .header(header::COOKIE, &session)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let html = body_text(page).await;
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let (content_type, body) = big_multipart("image", 41 << 20);
    let request = Request::post(format!("/admin/translations/{id}/banner?csrf={csrf}"))
        .header(header::COOKIE, &session)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let response = send(&site.app, request).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body_text(response).await.contains("larger than 40 MiB"));
}

async fn the_api_limits_each_address_and_failed_tokens_more(db: TestDb) {
    let site = site(db).await;
    let app = app_with(
        &site,
        WebConfig {
            api_requests_per_minute: 20,
            api_auth_failures_per_minute: 5,
            ..Default::default()
        },
    );
    let bad_token = |address: &str| {
        from(
            address,
            Request::post("/api/v1/releases")
                .header(header::AUTHORIZATION, "Bearer prt_wrong")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{}"))
                .unwrap(),
        )
    };
    for _ in 0..5 {
        let response = send(&app, bad_token("192.0.2.7")).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = send(&app, bad_token("192.0.2.7")).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        header_of(&response, header::RETRY_AFTER)
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(
        header_of(&response, header::CONTENT_TYPE),
        "application/problem+json"
    );
    assert!(body_text(response).await.contains("wrong token"));
    // Another address is not held back by this one.
    assert_eq!(
        send(&app, bad_token("192.0.2.8")).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let mut statuses = Vec::new();
    for _ in 0..25 {
        let response = send(&app, from("198.51.100.1", get("/api/v1/releases"))).await;
        statuses.push(response.status());
    }
    assert!(
        statuses[..20].iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(statuses[20], StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        send(&app, from("198.51.100.2", get("/api/v1/releases")))
            .await
            .status(),
        StatusCode::OK
    );

    // Behind a proxy on this host, each client has its own allowance (the address the proxy
    // added last); from elsewhere the header is not trusted.
    let proxied = |client: &str| {
        from(
            "127.0.0.1",
            Request::get("/api/v1/releases")
                .header("x-forwarded-for", format!("10.9.9.9, {client}"))
                .body(Body::empty())
                .unwrap(),
        )
    };
    for _ in 0..20 {
        assert_eq!(
            send(&app, proxied("203.0.113.1")).await.status(),
            StatusCode::OK
        );
    }
    assert_eq!(
        send(&app, proxied("203.0.113.1")).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        send(&app, proxied("203.0.113.2")).await.status(),
        StatusCode::OK
    );
    let forged = |client: &str| {
        from(
            "198.51.100.1",
            Request::get("/api/v1/releases")
                .header("x-forwarded-for", client)
                .body(Body::empty())
                .unwrap(),
        )
    };
    assert_eq!(
        send(&app, forged("203.0.113.3")).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn metrics_are_for_loopback_or_the_token(db: TestDb) {
    let site = site(db).await;
    let app = app_with(
        &site,
        WebConfig {
            metrics_token: Some("a-long-metrics-token".into()),
            ..Default::default()
        },
    );
    let with = |token: &str| {
        from(
            "203.0.113.5",
            Request::get("/metrics")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
    };
    assert_eq!(
        send(&app, from("127.0.0.1", get("/metrics")))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        send(&app, from("::1", get("/metrics"))).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        send(&app, from("203.0.113.5", get("/metrics")))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&app, with("wrong")).await.status(),
        StatusCode::FORBIDDEN
    );
    let response = send(&app, with("a-long-metrics-token")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        body_text(response)
            .await
            .contains("pressroom_scheduled_published_total")
    );
    // Without a configured token, only loopback.
    assert_eq!(
        send(&site.app, from("203.0.113.5", get("/metrics")))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

/// Runs `statements` on the test database through a connection of its own.
async fn on_database(db: &TestDb, statements: &[String]) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    for statement in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
}

/// Takes the site's tables away, as a dropped PostgreSQL schema or an SQLite file removed and
/// recreated empty would.
async fn remove_the_schema(db: &TestDb) {
    if let Some(schema) = db.url.split("search_path%3D").nth(1) {
        on_database(db, &[format!("DROP SCHEMA {schema} CASCADE")]).await;
        return;
    }
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    let drops: String = tables.iter().map(|t| format!("DROP TABLE {t}; ")).collect();
    on_database(db, &[format!("PRAGMA foreign_keys = OFF; {drops}")]).await;
}

async fn readiness_checks_the_schema_and_an_outage_is_503(db: TestDb) {
    let site = site(db).await;
    let (_, session) = sign_in(&site, "author", "/admin/").await;
    let author = site.db.store.user_by_name("author").await.unwrap();
    let (token, _) = site
        .db
        .store
        .create_api_token(
            "t",
            &author,
            &["write".to_owned()],
            By::User(&site.people.admin),
        )
        .await
        .unwrap();
    let ready = site.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::OK);

    // A database migrated by a newer release is not ready for this one.
    on_database(
        &site.db,
        &[
            "INSERT INTO pressroom_schema (version, name, applied_at) VALUES (999, 'future', 0)"
                .to_owned(),
        ],
    )
    .await;
    let response = site.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(body_text(response).await.contains("version 999"));
    on_database(
        &site.db,
        &["DELETE FROM pressroom_schema WHERE version = 999".to_owned()],
    )
    .await;
    assert_eq!(site.get("/readyz").await.status(), StatusCode::OK);

    remove_the_schema(&site.db).await;
    let with_session = |uri: &str| {
        Request::get(uri)
            .header(header::COOKIE, &session)
            .body(Body::empty())
            .unwrap()
    };
    let requests = [
        get("/readyz"),
        get("/en/"),
        get("/ru/releases/"),
        get("/api/v1/releases?lang=ru"),
        with_session("/admin/"),
        with_session("/admin/releases"),
        Request::post("/api/v1/releases")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                r#"{"kind":"press-release","lang":"en","title":"T","body":"B"}"#,
            ))
            .unwrap(),
    ];
    for request in requests {
        let uri = request.uri().to_string();
        let response = send(&site.app, request).await;
        assert_eq!(
            response.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{uri}: {}",
            body_text(response).await
        );
        if uri != "/readyz" {
            assert!(
                !header_of(&response, header::RETRY_AFTER).is_empty(),
                "{uri}"
            );
        }
    }
}

/// With `trusted_proxies` set to the load balancers' range, each client behind them has its
/// own allowance, and loopback is no longer believed.
async fn only_the_configured_proxies_name_the_client(db: TestDb) {
    let site = site(db).await;
    let app = app_with(
        &site,
        WebConfig {
            api_requests_per_minute: 20,
            trusted_proxies: "10.0.0.0/8".parse().unwrap(),
            ..Default::default()
        },
    );
    let via = |peer: &str, forwarded: &str| {
        from(
            peer,
            Request::get("/api/v1/releases")
                .header("x-forwarded-for", forwarded)
                .body(Body::empty())
                .unwrap(),
        )
    };
    let mut statuses = Vec::new();
    for _ in 0..21 {
        statuses.push(send(&app, via("10.0.0.5", "203.0.113.1")).await.status());
    }
    assert!(
        statuses[..20].iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(statuses[20], StatusCode::TOO_MANY_REQUESTS);
    // Another client through another balancer of the range has its own allowance.
    assert_eq!(
        send(&app, via("10.0.0.6", "203.0.113.2")).await.status(),
        StatusCode::OK
    );
    // Loopback is not in the setting: its header is not believed, so one forged address
    // after another shares the peer's allowance.
    let mut statuses = Vec::new();
    for i in 0..21 {
        let forged = format!("198.51.100.{i}");
        statuses.push(send(&app, via("127.0.0.1", &forged)).await.status());
    }
    assert_eq!(statuses[20], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
}

pressroom_store::backends!(
    only_the_configured_proxies_name_the_client,
    readiness_checks_the_schema_and_an_outage_is_503,
    https_sites_send_hsts_and_http_sites_never,
    a_strange_next_after_sign_in_goes_to_the_dashboard,
    every_admin_answer_is_no_store,
    uploads_over_the_limit_are_413,
    the_api_limits_each_address_and_failed_tokens_more,
    metrics_are_for_loopback_or_the_token,
);
