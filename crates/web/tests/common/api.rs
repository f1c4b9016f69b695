//! Calls to the JSON API for the API tests: a request with an optional token and JSON body,
//! answered with its status, content type and JSON.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use pressroom_store::By;
use serde_json::Value;
use tower::ServiceExt;

use super::{Site, body_text};

pub async fn call(
    site: &Site,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<String>,
) -> (StatusCode, String, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let response = site
        .app
        .clone()
        .oneshot(
            request
                .body(body.map_or_else(Body::empty, Body::from))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = body_text(response).await;
    (
        status,
        content_type,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

pub async fn token(site: &Site, user: &str, scopes: &[&str]) -> String {
    let user = site.db.store.user_by_name(user).await.unwrap();
    let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
    site.db
        .store
        .create_api_token("test", &user, &scopes, By::User(&site.people.admin))
        .await
        .unwrap()
        .0
}
