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
        (
            status,
            [(CONTENT_TYPE, "application/problem+json")],
            Json(self),
        )
            .into_response()
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(invalid)
            | StoreError::Workflow(WorkflowError::Invalid(invalid)) => Self::invalid(&invalid),
            StoreError::Workflow(w @ WorkflowError::Forbidden { .. }) => Self::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Not allowed",
                w.to_string(),
            ),
            StoreError::Workflow(w) => Self::new(
                StatusCode::CONFLICT,
                "workflow",
                "Not possible now",
                w.to_string(),
            ),
            StoreError::NotFound(what) => Self::not_found(format!("{what} not found")),
            e @ StoreError::Conflict { .. } => Self::new(
                StatusCode::CONFLICT,
                "conflict",
                "Edit conflict",
                e.to_string(),
            ),
            StoreError::Duplicate(msg) => {
                Self::new(StatusCode::CONFLICT, "duplicate", "Already exists", msg)
            }
            other => {
                tracing::error!(error = %other, "API request failed");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "The server could not complete the request; try again shortly.",
                )
            }
        }
    }
}
