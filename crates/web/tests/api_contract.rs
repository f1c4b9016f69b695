//! The OpenAPI document says what the server does: request bodies that can be valid, every
//! status an operation answers, the action names; and the server answers as documented
//! (problem documents for malformed uploads, `3.0` accepted where an integer is documented).
//! `crates/cli/tests/schemathesis.rs` checks the same against the real binary at length.

#[macro_use]
mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::api::{call, token};
use common::{body_text, site};
use pressroom_store::testing::TestDb;
use serde_json::{Value, json};
use tower::ServiceExt;

async fn document(site: &common::Site) -> Value {
    let (status, _, doc) = call(site, Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    doc
}

async fn request_bodies_can_be_valid_as_documented(db: TestDb) {
    let site = site(db).await;
    let doc = document(&site).await;
    let schemas = &doc["components"]["schemas"];
    for (name, fields) in [
        ("NewReleaseIn", &["kind", "lang", "title", "body"][..]),
        ("NewTranslationIn", &["lang", "title", "body"][..]),
        ("SaveIn", &["version", "title", "body"][..]),
    ] {
        let schema = &schemas[name];
        assert!(schema.get("allOf").is_none(), "{name}: {schema}");
        assert_eq!(schema["additionalProperties"], json!(false), "{name}");
        for field in fields {
            assert!(schema["properties"][field].is_object(), "{name}.{field}");
            assert!(
                schema["required"]
                    .as_array()
                    .unwrap()
                    .contains(&json!(field)),
                "{name} requires {field}"
            );
        }
        assert!(schema["properties"]["topic_ids"].is_object(), "{name}");
    }
    let actions = schemas["ActionIn"]["properties"]["action"]["enum"]
        .as_array()
        .expect("action is an enum");
    for name in ["submit", "reject", "approve_publish", "withdraw", "delete"] {
        assert!(actions.contains(&json!(name)), "{name} in {actions:?}");
    }
    assert!(
        !actions.contains(&json!("publish_scheduled")),
        "the scheduler's own"
    );
    for form in ["BannerForm", "AttachmentForm"] {
        assert!(
            schemas[form]["required"]
                .as_array()
                .unwrap()
                .contains(&json!("version"))
        );
    }
}

async fn every_operation_documents_its_problems(db: TestDb) {
    let site = site(db).await;
    let doc = document(&site).await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = &op["responses"];
            let documented = |s: &str| responses.get(s).is_some();
            if op.get("security").is_some() {
                for status in ["400", "401", "403"] {
                    assert!(documented(status), "{method} {path} lacks {status}");
                }
                checked += 1;
            }
            if op.get("requestBody").is_some() {
                for status in ["400", "409", "413", "422"] {
                    assert!(
                        documented(status) || (status == "409" && path == "/api/v1/releases"),
                        "{method} {path} lacks {status}"
                    );
                }
            }
            if path.contains('{') {
                assert!(documented("404"), "{method} {path} lacks 404");
            }
        }
    }
    assert!(checked >= 7, "every write operation: {checked}");
}

async fn an_upload_that_is_not_a_form_gets_a_problem_document(db: TestDb) {
    let site = site(db).await;
    let token = token(&site, "author", &["write"]).await;
    for path in [
        "/api/v1/translations/1/attachments",
        "/api/v1/translations/1/banner",
    ] {
        let response = site
            .app
            .clone()
            .oneshot(
                Request::post(path)
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        let content_type = response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        let text = body_text(response).await;
        assert_eq!(content_type, "application/problem+json", "{path}: {text}");
        assert!(text.contains("multipart/form-data"), "{text}");
    }
}

async fn integers_written_with_a_zero_fraction_are_integers(db: TestDb) {
    let site = site(db).await;
    let token = token(&site, "author", &["write"]).await;
    let (status, _, created) = call(
        &site,
        Method::POST,
        "/api/v1/releases",
        Some(&token),
        Some(
            json!({"kind": "press-release", "lang": "en", "title": "Talks", "body": "Text."})
                .to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    let version = created["version"].as_i64().unwrap();
    let body = format!(r#"{{"version": {version}.0, "title": "Talks again", "body": "Text."}}"#);
    let (status, _, saved) = call(
        &site,
        Method::PUT,
        &format!("/api/v1/translations/{id}"),
        Some(&token),
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["title"], "Talks again");
    // A real fraction is still refused, naming the field (not the value).
    let (status, _, problem) = call(
        &site,
        Method::PUT,
        &format!("/api/v1/translations/{id}"),
        Some(&token),
        Some(r#"{"version": 1.5, "title": "T", "body": "B"}"#.to_owned()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["errors"][0]["field"], "version", "{problem}");
}

pressroom_store::backends!(
    request_bodies_can_be_valid_as_documented,
    every_operation_documents_its_problems,
    an_upload_that_is_not_a_form_gets_a_problem_document,
    integers_written_with_a_zero_fraction_are_integers,
);
