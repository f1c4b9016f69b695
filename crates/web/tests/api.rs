//! The JSON API v1 and its OpenAPI document, through the real router.

#[macro_use]
mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::api::{call, token};
use common::{Site, at, body_text, jpeg, site};
use pressroom_store::By;
use pressroom_store::testing::TestDb;
use serde_json::{Value, json};
use tower::ServiceExt;

async fn the_openapi_document_describes_the_api(db: TestDb) {
    let site = site(db).await;
    let (status, _, doc) = call(&site, Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{doc}");
    for path in [
        "/api/v1/releases",
        "/api/v1/releases/{id}",
        "/api/v1/translations/{id}/actions",
        "/api/v1/topics",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    assert!(doc["components"]["securitySchemes"]["token"].is_object());
}

async fn public_endpoints_read_published_releases(db: TestDb) {
    let site = site(db).await;
    site.publish(
        "Minister meets delegation",
        "Body **text**.",
        at("2021-10-04T07:30:00Z"),
        Some("Министр встретился"),
    )
    .await;
    let (status, _, list) = call(&site, Method::GET, "/api/v1/releases?lang=en", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["number"], "No:1/21");
    assert_eq!(
        list["items"][0]["url"],
        "https://mfa.example.org/en/releases/2021/1-minister-meets-delegation"
    );
    let id = list["items"][0]["id"].as_i64().unwrap();
    let (status, _, detail) = call(
        &site,
        Method::GET,
        &format!("/api/v1/releases/{id}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["translations"].as_array().unwrap().len(), 2);
    assert!(
        detail["translations"][0]["body_html"]
            .as_str()
            .unwrap()
            .contains("<strong>text</strong>")
    );
    for (uri, expected) in [
        ("/api/v1/releases?page=0", StatusCode::BAD_REQUEST),
        ("/api/v1/releases?per_page=1000", StatusCode::BAD_REQUEST),
        ("/api/v1/releases?lang=xx", StatusCode::NOT_FOUND),
        ("/api/v1/releases/abc", StatusCode::BAD_REQUEST),
        ("/api/v1/releases/999", StatusCode::NOT_FOUND),
        ("/api/v1/nothing", StatusCode::NOT_FOUND),
    ] {
        let (status, content_type, problem) = call(&site, Method::GET, uri, None, None).await;
        assert_eq!(status, expected, "{uri}");
        assert_eq!(content_type, "application/problem+json", "{uri}");
        assert_eq!(problem["status"], expected.as_u16(), "{uri}");
    }
    let (_, _, bad_page) = call(&site, Method::GET, "/api/v1/releases?page=0", None, None).await;
    assert_eq!(bad_page["errors"][0]["field"], "page");
}

async fn tokens_write_and_review_within_their_scopes(db: TestDb) {
    let site = site(db).await;
    let writer = token(&site, "author", &["write"]).await;
    let reviewer = token(&site, "editor", &["write", "review"]).await;
    let new =
        json!({ "kind": "press-release", "lang": "en", "title": "From the API", "body": "Text." })
            .to_string();
    let (status, _, _) = call(
        &site,
        Method::POST,
        "/api/v1/releases",
        None,
        Some(new.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = call(
        &site,
        Method::POST,
        "/api/v1/releases",
        Some("prt_nonsense"),
        Some(new.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, created) = call(
        &site,
        Method::POST,
        "/api/v1/releases",
        Some(&writer),
        Some(new),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    let actions = format!("/api/v1/translations/{id}/actions");
    let (status, _, _) = call(
        &site,
        Method::POST,
        &actions,
        Some(&writer),
        Some(json!({ "action": "submit" }).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let approve = json!({ "action": "approve_publish" }).to_string();
    let (status, _, problem) = call(
        &site,
        Method::POST,
        &actions,
        Some(&writer),
        Some(approve.clone()),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a write-only token cannot approve: {problem}"
    );
    let (status, _, done) = call(
        &site,
        Method::POST,
        &actions,
        Some(&reviewer),
        Some(approve),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["state"], "published");
    assert_eq!(done["number_seq"], 1);

    // Editing the published text needs the current version; a stale one is a conflict.
    let path = format!("/api/v1/translations/{id}");
    let edit = |version: i64| {
        json!({ "version": version, "title": "From the API", "body": "Changed." }).to_string()
    };
    let (status, _, saved) = call(
        &site,
        Method::PUT,
        &path,
        Some(&writer),
        Some(edit(done["version"].as_i64().unwrap())),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (status, _, conflict) = call(
        &site,
        Method::PUT,
        &path,
        Some(&writer),
        Some(edit(done["version"].as_i64().unwrap())),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");
    // Publishing over it needs a correction.
    call(
        &site,
        Method::POST,
        &actions,
        Some(&writer),
        Some(json!({ "action": "submit" }).to_string()),
    )
    .await;
    let (status, _, problem) = call(
        &site,
        Method::POST,
        &actions,
        Some(&reviewer),
        Some(json!({ "action": "approve_publish" }).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "correction");
    let major = json!({ "action": "approve_publish", "correction": { "kind": "major", "note": "Changed the text" } }).to_string();
    assert_eq!(
        call(&site, Method::POST, &actions, Some(&reviewer), Some(major))
            .await
            .0,
        StatusCode::OK
    );

    // A revoked token stops working at once.
    let tokens = site.db.store.list_api_tokens().await.unwrap();
    let writer_id = tokens
        .iter()
        .find(|t| t.user.username == "author")
        .unwrap()
        .id;
    site.db
        .store
        .revoke_api_token(writer_id, By::User(&site.people.admin))
        .await
        .unwrap();
    assert_eq!(
        call(&site, Method::GET, &path, Some(&writer), None).await.0,
        StatusCode::UNAUTHORIZED
    );
}

async fn bad_bodies_are_refused_naming_the_field(db: TestDb) {
    let site = site(db).await;
    let writer = token(&site, "author", &["write"]).await;
    let cases = [
        (
            json!({ "kind": "press-release", "lang": "en", "body": "x" }).to_string(),
            StatusCode::BAD_REQUEST,
            "title",
        ),
        (
            json!({ "kind": "press-release", "lang": "en", "title": 5, "body": "x" }).to_string(),
            StatusCode::BAD_REQUEST,
            "",
        ),
        ("{not json".to_owned(), StatusCode::BAD_REQUEST, ""),
        (
            json!({ "kind": "rumour", "lang": "xx", "title": " ", "body": "x" }).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "kind",
        ),
    ];
    for (body, expected, field) in cases {
        let (status, content_type, problem) = call(
            &site,
            Method::POST,
            "/api/v1/releases",
            Some(&writer),
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, expected, "{body}: {problem}");
        assert_eq!(content_type, "application/problem+json");
        if !field.is_empty() {
            assert!(
                problem["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["field"] == field),
                "{body}: {problem}"
            );
        }
    }
    let huge = json!({ "kind": "press-release", "lang": "en", "title": "Big", "body": "x".repeat(2 << 20) }).to_string();
    let (status, _, problem) = call(
        &site,
        Method::POST,
        "/api/v1/releases",
        Some(&writer),
        Some(huge),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
    let (status, _, list) = call(&site, Method::GET, "/api/v1/releases?lang=en", None, None).await;
    assert_eq!(
        (status, list["total"].as_i64()),
        (StatusCode::OK, Some(0)),
        "nothing was created"
    );
    assert!(
        site.db
            .store
            .editorial_list(&pressroom_store::EditorialFilter {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap()
            .is_empty()
    );
}

/// A multipart body with text fields and one file field.
fn multipart(fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> (String, Vec<u8>) {
    let boundary = "XpressroomXboundaryX";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    let (name, file_name, bytes) = file;
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(
    site: &Site,
    uri: &str,
    token: &str,
    content_type: String,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let request = Request::post(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let response = site.app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    (
        status,
        serde_json::from_str(&body_text(response).await).unwrap_or(Value::Null),
    )
}

async fn banners_and_attachments_are_uploaded_through_the_api(db: TestDb) {
    let site = site(db).await;
    let writer = token(&site, "author", &["write"]).await;
    let reviewer = token(&site, "editor", &["write", "review"]).await;
    let new = json!({ "kind": "press-release", "lang": "en", "title": "With a picture", "body": "Text." }).to_string();
    let (_, _, created) = call(
        &site,
        Method::POST,
        "/api/v1/releases",
        Some(&writer),
        Some(new),
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    let version = created["version"].as_i64().unwrap().to_string();
    let path = format!("/api/v1/translations/{id}/banner");

    // A PDF named .jpg is refused, naming the field, and nothing is stored.
    let pdf = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
    let (content_type, body) = multipart(
        &[("version", &version), ("alt", "A coast")],
        ("image", "photo.jpg", pdf),
    );
    let (status, problem) = upload(&site, &path, &writer, content_type, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "image");
    assert_eq!(
        std::fs::read_dir(site.media.path())
            .map(|d| d.count())
            .unwrap_or(0),
        0,
        "nothing stored"
    );

    // Without alt text it uploads, but cannot be published.
    let (content_type, body) = multipart(
        &[("version", &version), ("focal_x", "70"), ("focal_y", "40")],
        ("image", "coast.jpg", &jpeg(1600, 1000)),
    );
    let (status, saved) = upload(&site, &path, &writer, content_type, body).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let actions = format!("/api/v1/translations/{id}/actions");
    call(
        &site,
        Method::POST,
        &actions,
        Some(&writer),
        Some(json!({ "action": "submit" }).to_string()),
    )
    .await;
    let (status, _, problem) = call(
        &site,
        Method::POST,
        &actions,
        Some(&reviewer),
        Some(json!({ "action": "approve_publish" }).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "banner_alt");

    // With alt text (a new upload over the submitted revision) it publishes with a <picture>.
    let version = saved["version"].as_i64().unwrap() + 1;
    let (content_type, body) = multipart(
        &[
            ("version", &version.to_string()),
            ("alt", "The coast at Lankara"),
        ],
        ("image", "coast.jpg", &jpeg(1600, 1000)),
    );
    let (status, saved) = upload(&site, &path, &writer, content_type, body).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let doc = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let (content_type, body) = multipart(
        &[("version", &saved["version"].to_string())],
        ("file", "statement.pdf", doc),
    );
    let (status, saved) = upload(
        &site,
        &format!("/api/v1/translations/{id}/attachments"),
        &writer,
        content_type,
        body,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (status, _, done) = call(
        &site,
        Method::POST,
        &actions,
        Some(&reviewer),
        Some(json!({ "action": "approve_publish" }).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let year = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Baku").unwrap())
        .year();
    let html = site
        .page(&format!("/en/releases/{year}/1-with-a-picture"))
        .await;
    assert!(
        html.contains("<picture") && html.contains("alt=\"The coast at Lankara\""),
        "{html}"
    );
    assert!(html.contains("statement.pdf"), "the attachment is listed");
}

pressroom_store::backends!(
    the_openapi_document_describes_the_api,
    public_endpoints_read_published_releases,
    tokens_write_and_review_within_their_scopes,
    bad_bodies_are_refused_naming_the_field,
    banners_and_attachments_are_uploaded_through_the_api,
);
