//! Errors of the web layer. Every handler returns `Result<_, WebError>`; the response is an
//! HTML page that says what went wrong and where to go next. Faults (database down, broken
//! template) are logged with their cause and shown to the reader only as "something went
//! wrong": internals never reach a page.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use pressroom_store::StoreError;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No such page.
    #[error("not found")]
    NotFound,
    /// An unknown language in the URL; the page lists the site's languages.
    #[error("unknown language")]
    UnknownLanguage(Vec<(String, String)>),
    /// The request is malformed (bad page number, overlong parameter …).
    #[error("{0}")]
    BadRequest(String),
    /// The signed-in user may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A template failed to render.
    #[error("template: {0}")]
    Template(#[from] minijinja::Error),
    /// A theme file could not be read.
    #[error("theme: {0}")]
    Theme(String),
    /// The media storage failed.
    #[error(transparent)]
    Media(#[from] pressroom_media::StorageError),
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, message, languages) = match &self {
            WebError::NotFound | WebError::Store(StoreError::NotFound(_)) => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is no page at this address. It may have moved, or the address may be mistyped.",
                Vec::new(),
            ),
            WebError::UnknownLanguage(languages) => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "This site is not published in that language. Choose one of its languages:",
                languages.clone(),
            ),
            WebError::Forbidden(msg) => (
                StatusCode::FORBIDDEN,
                "Not allowed",
                msg.as_str(),
                Vec::new(),
            ),
            WebError::Store(e) if e.is_user_error() => {
                let status = match e {
                    StoreError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                    _ => StatusCode::CONFLICT,
                };
                let page = error_page(status, "Not done", &e.to_string(), &[]);
                return (status, Html(page)).into_response();
            }
            WebError::BadRequest(msg) => (
                StatusCode::BAD_REQUEST,
                "Bad request",
                msg.as_str(),
                Vec::new(),
            ),
            other => {
                tracing::error!(error = %other, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The server could not show this page. Please try again in a moment.",
                    Vec::new(),
                )
            }
        };
        (status, Html(error_page(status, title, message, &languages))).into_response()
    }
}

/// The error page is plain HTML built here rather than a template, so it renders even when
/// the theme or the database is what failed.
fn error_page(
    status: StatusCode,
    title: &str,
    message: &str,
    languages: &[(String, String)],
) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let links: String = languages
        .iter()
        .map(|(code, name)| {
            format!(
                "<li><a href=\"/{code}/\" hreflang=\"{code}\" lang=\"{code}\">{}</a></li>",
                escape(name)
            )
        })
        .collect();
    let list = if links.is_empty() {
        String::new()
    } else {
        format!("<ul>{links}</ul>")
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} ({code})</title></head><body><main>\
         <h1>{title}</h1><p>{message}</p>{list}<p><a href=\"/\">Go to the home page</a></p>\
         </main></body></html>\n",
        title = escape(title),
        code = status.as_u16(),
        message = escape(message),
    )
}

/// The fallback for unknown routes: a problem document under `/api/`, a page elsewhere.
pub(crate) async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        crate::api::Problem::not_found(
            "There is no API endpoint at this address; see /api/openapi.json.",
        )
        .into_response()
    } else {
        WebError::NotFound.into_response()
    }
}
