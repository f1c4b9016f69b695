//! `POST /api/v1/import/releases`: scripted migrations from another system. The same checks
//! and writes as `pressroom import` (the store's import run), for up to [`MAX_RELEASES`]
//! releases a request, with files as base64. A request with one refused release imports
//! nothing and answers every reason; `dry_run` answers the report without writing.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use pressroom_core::user::Capability;
use pressroom_store::{By, ImportFile, ImportRelease, Verdict};
use serde::Deserialize;
use utoipa::ToSchema;

use super::Problem;
use super::body::ApiJson;
use super::problem::FieldProblem;
use super::write::Caller;
use crate::AppState;
use crate::import::{ImportBytes, ImportReport, PrepareError, prepare};

/// Most releases one request may carry.
pub(crate) const MAX_RELEASES: usize = 500;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/import/releases", post(import_releases))
        .layer(axum::extract::DefaultBodyLimit::max(64 << 20))
}

/// Releases of an archive, each with its historical number and date, its translations and
/// old addresses (see `docs/import.md` for every field).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImportIn {
    /// The releases, each an object with `source_id`, `kind`, `number`, `published_at`,
    /// `translations` (`lang`, `title`, `body`, `lead`, `slug`, `old_urls`), `topics`,
    /// `spokesperson`, `banner` and `attachments` (`data` in base64, `name`, `alt`).
    #[schema(min_items = 1, max_items = 500)]
    releases: Vec<ImportRelease>,
    /// Answer what would happen, and write nothing.
    #[serde(default)]
    dry_run: bool,
}

#[utoipa::path(post, path = "/api/v1/import/releases", request_body = ImportIn, security(("token" = [])), responses(
    (status = 200, description = "Imported (or, on a dry run, checked): the report", body = ImportReport),
    (status = 403, description = "The token lacks the `import` scope", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "A number was taken by a concurrent import meanwhile; send the request again", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "A release was refused; nothing was imported", body = Problem, content_type = "application/problem+json"),
))]
pub(crate) async fn import_releases(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ImportIn>,
) -> Result<Json<ImportReport>, Problem> {
    caller.require(Capability::Import)?;
    if body.releases.is_empty() || body.releases.len() > MAX_RELEASES {
        return Err(Problem::invalid(&pressroom_core::Invalid::field(
            "releases",
            format!(
                "send 1 to {MAX_RELEASES} releases a request; this one has {}",
                body.releases.len()
            ),
        )));
    }
    let store = state.store();
    let mut run = store.begin_import().await?;
    let mut report = ImportReport::default();
    let mut wanted = Vec::new();
    for (i, release) in body.releases.iter().enumerate() {
        let verdict = store.check_import(&mut run, release).await?;
        report.add(&format!("releases[{i}]"), release, &verdict);
        if matches!(verdict, Verdict::Import { .. }) {
            wanted.push(i);
        }
    }
    let mut prepared = Vec::with_capacity(wanted.len());
    let mut releases: Vec<Option<ImportRelease>> = body.releases.into_iter().map(Some).collect();
    for i in wanted {
        let Some(release) = releases[i].take() else {
            continue;
        };
        let origin = format!("releases[{i}]");
        let bytes = match files(&release) {
            Ok(bytes) => bytes,
            Err(reason) => {
                report.refuse_late(&origin, &release, reason);
                continue;
            }
        };
        match prepare(state.media(), release.clone(), bytes, body.dry_run).await {
            Ok(p) => prepared.push(p),
            Err(PrepareError::Invalid(invalid)) => {
                report.refuse_late(
                    &origin,
                    &release,
                    PrepareError::Invalid(invalid).to_string(),
                );
            }
            Err(e @ PrepareError::Storage(_)) => {
                return Err(Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage",
                    "Media storage unavailable",
                    e.to_string(),
                ));
            }
        }
    }
    if report.refused > 0 {
        let mut problem = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "import-refused",
            "Nothing imported",
            format!(
                "{} of the releases were refused, so nothing was imported; fix them and send the request again",
                report.refused
            ),
        );
        problem.errors = report
            .lines
            .iter()
            .filter(|l| l.outcome == "refuse")
            .flat_map(|l| {
                l.messages.iter().map(|m| FieldProblem {
                    field: l.origin.clone(),
                    message: m.clone(),
                })
            })
            .collect();
        return Err(problem);
    }
    if !body.dry_run {
        // One transaction: a request is imported whole or not at all.
        store
            .import_releases(&mut run, &prepared, By::User(&caller.user()))
            .await?;
    }
    Ok(Json(report))
}

/// The bytes of a release's files: the API takes them only as base64 `data`.
fn files(release: &ImportRelease) -> Result<ImportBytes, String> {
    let decode = |what: &str, f: &ImportFile| {
        if !f.file.is_empty() {
            return Err(format!(
                "{what}: the API takes files as base64 in `data`, not as a path or URL (`{}`)",
                f.file
            ));
        }
        let data = f.data.as_deref().unwrap_or_default();
        base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .map(bytes::Bytes::from)
            .map_err(|e| format!("{what}: `data` is not standard base64 ({e})"))
    };
    Ok(ImportBytes {
        banner: release
            .banner
            .as_ref()
            .map(|b| decode("banner", b))
            .transpose()?,
        attachments: release
            .attachments
            .iter()
            .map(|a| decode(&format!("attachment {}", a.display_name()), a))
            .collect::<Result<_, _>>()?,
    })
}
