//! Errors of the web layer. Every handler returns `Result<_, WebError>`; the response is an
//! HTML page that says what went wrong and where to go next. Faults (database down, broken
//! template) are logged with their cause and shown to the reader only as "something went
//! wrong": internals never reach a page.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use pressroom_core::workflow::WorkflowError;
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
    /// The request body is over its documented limit (413); the message says the limit.
    #[error("{0}")]
    TooLarge(String),
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
    /// The search index could not be opened (at start: its folder is in use by another
    /// process or unreadable) or failed while searching; the message says which and the fix.
    #[error("{0}")]
    Search(String),
    /// The media storage failed.
    #[error(transparent)]
    Media(#[from] pressroom_media::StorageError),
    /// The `[mail]` configuration cannot be used; the message says what to fix.
    #[error("{0}")]
    Mail(String),
}

/// How a failure is answered: the status and, for problem documents, a type name and a title.
/// The one table for both the HTML pages and the API's `application/problem+json`, so a refused
/// workflow action or a database outage gets the same status on either surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Answer {
    /// The HTTP status.
    pub status: StatusCode,
    /// The problem type's last path segment (`https://pressroom.example/problems/{kind}`).
    pub kind: &'static str,
    /// A short summary.
    pub title: &'static str,
}

const fn answer_of(status: StatusCode, kind: &'static str, title: &'static str) -> Answer {
    Answer {
        status,
        kind,
        title,
    }
}

/// Seconds a client is asked to wait (`Retry-After`) while the database is unreachable.
pub(crate) const RETRY_AFTER_SECONDS: &str = "5";

/// The answer to a store error.
pub(crate) fn store_answer(e: &StoreError) -> Answer {
    match e {
        StoreError::Invalid(_) | StoreError::Workflow(WorkflowError::Invalid(_)) => {
            answer_of(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "Invalid input")
        }
        StoreError::Workflow(
            WorkflowError::Forbidden { .. } | WorkflowError::SchedulerOnly { .. },
        ) => answer_of(StatusCode::FORBIDDEN, "forbidden", "Not allowed"),
        StoreError::Workflow(_) => answer_of(StatusCode::CONFLICT, "workflow", "Not possible now"),
        StoreError::NotFound(_) => answer_of(StatusCode::NOT_FOUND, "not-found", "Not found"),
        StoreError::Conflict { .. } => answer_of(StatusCode::CONFLICT, "conflict", "Edit conflict"),
        StoreError::Duplicate(_) => answer_of(StatusCode::CONFLICT, "duplicate", "Already exists"),
        e if e.is_unavailable() => answer_of(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Temporarily unavailable",
        ),
        _ => answer_of(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
        ),
    }
}

impl WebError {
    /// The answer to this error (see [`Answer`]).
    pub(crate) fn answer(&self) -> Answer {
        match self {
            WebError::NotFound | WebError::UnknownLanguage(_) => {
                answer_of(StatusCode::NOT_FOUND, "not-found", "Not found")
            }
            WebError::BadRequest(_) => {
                answer_of(StatusCode::BAD_REQUEST, "bad-request", "Bad request")
            }
            WebError::TooLarge(_) => {
                answer_of(StatusCode::PAYLOAD_TOO_LARGE, "too-large", "Too large")
            }
            WebError::Forbidden(_) => answer_of(StatusCode::FORBIDDEN, "forbidden", "Not allowed"),
            WebError::Store(e) => store_answer(e),
            WebError::Template(_)
            | WebError::Theme(_)
            | WebError::Mail(_)
            | WebError::Media(_)
            | WebError::Search(_) => answer_of(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
            ),
        }
    }

    /// What the person is told: the message for their own mistakes, a generic sentence for
    /// faults (which are logged here with their cause, never shown).
    pub(crate) fn public_message(&self) -> String {
        let answer = self.answer();
        if answer.status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(error = %self, "database unavailable");
            return "The service is briefly unavailable; please try again in a few seconds."
                .to_owned();
        }
        if answer.status.is_server_error() {
            tracing::error!(error = %self, "request failed");
            return "The server could not complete this request. Please try again in a moment."
                .to_owned();
        }
        match self {
            WebError::NotFound | WebError::Store(StoreError::NotFound(_)) => {
                "There is no page at this address. It may have moved, or the address may be mistyped.".to_owned()
            }
            WebError::UnknownLanguage(_) => {
                "This site is not published in that language. Choose one of its languages:".to_owned()
            }
            other => other.to_string(),
        }
    }
}

impl From<crate::UploadFailure> for WebError {
    fn from(e: crate::UploadFailure) -> Self {
        match e {
            crate::UploadFailure::Invalid(invalid) => WebError::Store(StoreError::Invalid(invalid)),
            crate::UploadFailure::Store(e) => WebError::Store(e),
            crate::UploadFailure::Storage(e) => WebError::Media(e),
            crate::UploadFailure::NoStorage => WebError::Media(pressroom_media::StorageError::new(
                "media",
                "no media storage is configured on this server",
            )),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let answer = self.answer();
        let message = self.public_message();
        let title = match answer.status {
            StatusCode::NOT_FOUND => "Page not found",
            StatusCode::BAD_REQUEST => "Bad request",
            StatusCode::PAYLOAD_TOO_LARGE => "Too large",
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT => "Not done",
            StatusCode::SERVICE_UNAVAILABLE => "Temporarily unavailable",
            _ => "Something went wrong",
        };
        let languages = match &self {
            WebError::UnknownLanguage(languages) => languages.clone(),
            _ => Vec::new(),
        };
        let page = error_page(answer.status, title, &message, &languages);
        let mut response = (answer.status, Html(page)).into_response();
        if answer.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        response
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
