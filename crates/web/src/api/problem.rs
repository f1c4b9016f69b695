//! RFC 9457 problem details: every API error, with the bad fields named.

use axum::Json;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use pressroom_core::Invalid;
use pressroom_core::workflow::WorkflowError;
use pressroom_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An error, as `application/problem+json`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong and how to fix it.
    pub detail: String,
    /// The fields that were wrong, when the input was.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

/// One bad field.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FieldProblem {
    /// The field's name in the request.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl Problem {
    pub(crate) fn new(
        status: StatusCode,
        kind: &str,
        title: &str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            kind: format!("https://pressroom.example/problems/{kind}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub(crate) fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    pub(crate) fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Bad request",
            detail,
        )
    }

    pub(crate) fn invalid(invalid: &Invalid) -> Self {
        let mut p = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "Invalid input",
            invalid.to_string(),
        );
        p.errors = invalid
            .errors
            .iter()
            .map(|e| FieldProblem {
                field: e.field.clone(),
                message: e.message.clone(),
            })
            .collect();
        p
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (
            status,
            [(CONTENT_TYPE, "application/problem+json")],
            Json(self),
        )
            .into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static(crate::error::RETRY_AFTER_SECONDS),
            );
        }
        response
    }
}

impl From<crate::WebError> for Problem {
    /// Through the same table as the HTML pages ([`crate::WebError::answer`]); invalid input
    /// names its fields.
    fn from(e: crate::WebError) -> Self {
        if let crate::WebError::Store(
            StoreError::Invalid(invalid) | StoreError::Workflow(WorkflowError::Invalid(invalid)),
        ) = &e
        {
            return Self::invalid(invalid);
        }
        let answer = e.answer();
        let detail = match &e {
            crate::WebError::Store(StoreError::NotFound(what)) => format!("{what} not found"),
            _ if answer.status.is_server_error() => e.public_message(),
            other => other.to_string(),
        };
        Self::new(answer.status, answer.kind, answer.title, detail)
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        crate::WebError::Store(e).into()
    }
}

impl From<crate::UploadFailure> for Problem {
    fn from(e: crate::UploadFailure) -> Self {
        crate::WebError::from(e).into()
    }
}
