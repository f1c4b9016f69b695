//! JSON request bodies of the API: their problems become problem details naming the field.

use axum::Json;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;

use super::Problem;
use super::problem::FieldProblem;

/// A JSON body whose problems (bad JSON, wrong types, missing fields, too large) become
/// problem details naming the field. A number with a zero fraction (`3.0`) counts as an
/// integer, as JSON Schema (and so the OpenAPI document) says it is.
pub(crate) struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let bad_body = |detail: String, field: Option<String>| {
            let mut problem = Problem::new(
                StatusCode::BAD_REQUEST,
                "bad-body",
                "Bad request body",
                detail.clone(),
            );
            if let Some(field) = field.filter(|f| !f.is_empty()) {
                problem.errors.push(FieldProblem {
                    field,
                    message: detail,
                });
            }
            problem
        };
        let mut value = match Json::<serde_json::Value>::from_request(request, state).await {
            Ok(Json(value)) => value,
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too-large",
                    "Request too large",
                    format!("the body is larger than {} bytes", super::MAX_BODY_BYTES),
                ));
            }
            Err(rejection) => return Err(bad_body(rejection.body_text(), None)),
        };
        integral_numbers_as_integers(&mut value);
        serde_path_to_error::deserialize(value)
            .map(Self)
            .map_err(|e| {
                let path = e.path().to_string();
                let message = e.inner().to_string();
                // A missing or unknown field is reported at the level above it, by name.
                let field = if path == "." {
                    message.split('`').nth(1).map(str::to_owned)
                } else {
                    Some(path.clone())
                };
                bad_body(format!("{path}: {message}"), field)
            })
    }
}

/// Rewrites `3.0` as `3` everywhere in `value`, so integer fields accept it.
fn integral_numbers_as_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0) {
                // Only within i64, where the conversion is exact.
                if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) {
                    #[allow(clippy::cast_possible_truncation)]
                    let i = f as i64;
                    *n = i.into();
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        serde_json::Value::Object(fields) => {
            fields.values_mut().for_each(integral_numbers_as_integers);
        }
        _ => {}
    }
}
