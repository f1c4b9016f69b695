//! Imports through HTTP: `POST /api/v1/import/releases` with a token of the `import` scope
//! (a dry run writes nothing, one refused release refuses the request, a banner comes as
//! base64), the old addresses answering 301, and the admin's redirect table.

#[macro_use]
mod common;

use axum::http::{Method, StatusCode, header};
use base64::Engine;
use common::api::{call, token};
use common::browser::Browser;
use common::{body_text, jpeg, site};
use pressroom_store::testing::{TEST_PASSWORD, TestDb};
use serde_json::{Value, json};

fn release(source: &str, number: i64, old_url: &str) -> Value {
    json!({
        "source_id": source,
        "kind": "press-release",
        "number": number,
        "published_at": "2019-05-06T08:00:00Z",
        "topics": ["Energy"],
        "translations": [
            { "lang": "en", "title": format!("Statement {number}"), "body": "The text.", "old_urls": [old_url] },
            { "lang": "ru", "title": format!("Заявление {number}"), "body": "Текст." }
        ]
    })
}

async fn scripted_migrations_go_through_the_api(db: TestDb) {
    let site = site(db).await;
    let importer = token(&site, "admin", &["import"]).await;
    let manager = token(&site, "admin", &["admin", "write", "review"]).await;
    let url = "/api/v1/import/releases";
    let body = |releases: Vec<Value>, dry_run: bool| {
        Some(json!({ "releases": releases, "dry_run": dry_run }).to_string())
    };

    let (status, _, problem) = call(
        &site,
        Method::POST,
        url,
        Some(&manager),
        body(vec![release("a", 41, "/news/41")], false),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the import scope is its own: {problem}"
    );
    assert!(
        problem["detail"].as_str().unwrap().contains("`import`"),
        "{problem}"
    );

    let (status, _, report) = call(
        &site,
        Method::POST,
        url,
        Some(&importer),
        body(vec![release("a", 41, "/news/41")], true),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["imported"], 1);
    assert_eq!(report["translations"], 2);
    let (_, _, list) = call(&site, Method::GET, "/api/v1/releases?lang=en", None, None).await;
    assert_eq!(list["total"], 0, "a dry run writes nothing");

    // One refused release (a repeated number) refuses the request.
    let (status, _, problem) = call(
        &site,
        Method::POST,
        url,
        Some(&importer),
        body(
            vec![release("a", 41, "/news/41"), release("b", 41, "/news/41b")],
            false,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "releases[1]");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("No:41/19"),
        "{problem}"
    );
    let (_, _, list) = call(&site, Method::GET, "/api/v1/releases?lang=en", None, None).await;
    assert_eq!(list["total"], 0);

    let (status, _, problem) = call(
        &site,
        Method::POST,
        url,
        Some(&importer),
        Some(json!({ "releases": [{ "kind": "press-release" }] }).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("source_id"),
        "{problem}"
    );

    let mut with_banner = release("a", 41, "/news/41");
    with_banner["banner"] = json!({
        "data": base64::engine::general_purpose::STANDARD.encode(jpeg(1600, 800)),
        "alt": { "en": "The minister at the podium", "ru": "Министр на трибуне" }
    });
    let (status, _, report) = call(
        &site,
        Method::POST,
        url,
        Some(&importer),
        body(vec![with_banner, release("b", 42, "/news/42")], false),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["imported"], 2);
    let (_, _, list) = call(&site, Method::GET, "/api/v1/releases?lang=en", None, None).await;
    assert_eq!(list["total"], 2);
    let numbers: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_str().unwrap())
        .collect();
    assert!(
        numbers.contains(&"No:41/19") && numbers.contains(&"No:42/19"),
        "{numbers:?}"
    );

    // The old address leads to the page, whose banner came with it.
    let response = site.get("/news/41").await;
    assert_eq!(response.status(), StatusCode::MOVED_PERMANENTLY);
    let page = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(page, "/en/releases/2019/41-statement-41");
    let html = site.page(&page).await;
    assert!(html.contains("The minister at the podium"), "{html}");
    assert!(html.contains("<picture"), "{html}");

    // Again: skipped, nothing doubled.
    let (status, _, report) = call(
        &site,
        Method::POST,
        url,
        Some(&importer),
        body(vec![release("a", 41, "/news/41")], false),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        (report["imported"].as_i64(), report["skipped"].as_i64()),
        (Some(0), Some(1))
    );
}

async fn an_admin_edits_the_redirect_table(db: TestDb) {
    let site = site(db).await;
    let mut admin = Browser::new(&site);
    admin.sign_in("admin", TEST_PASSWORD).await;
    let (status, _, html) = admin
        .post(
            "/admin/redirects",
            &[
                ("old_path", "/about-us.html"),
                ("target", "/en/pages/about"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("/about-us.html now leads to /en/pages/about"),
        "{html}"
    );
    let response = site.get("/about-us.html").await;
    assert_eq!(response.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(response.headers()[header::LOCATION], "/en/pages/about");
    let (status, _, html) = admin
        .post(
            "/admin/redirects",
            &[
                ("old_path", "about"),
                ("target", "https://elsewhere.example/"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("starting with `/`"), "{html}");
    let (status, html) = admin.get("/admin/redirects?q=about").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<code>/about-us.html</code>"), "{html}");
    admin
        .post("/admin/redirects/delete", &[("old_path", "/about-us.html")])
        .await;
    assert_eq!(
        site.get("/about-us.html").await.status(),
        StatusCode::NOT_FOUND
    );

    let mut editor = Browser::new(&site);
    editor.sign_in("editor", TEST_PASSWORD).await;
    let (status, _) = editor.get("/admin/redirects").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let _ = body_text;
}

pressroom_store::backends!(
    scripted_migrations_go_through_the_api,
    an_admin_edits_the_redirect_table,
);
