//! Write endpoints: everything the editor does, for tokens whose scopes allow it.

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jiff::Timestamp;
use pressroom_core::Invalid;
use pressroom_core::release::RevisionInput;
use pressroom_core::user::{ApiToken, Capability, Scope};
use pressroom_core::workflow::{Action, ActionFields, ActionKind, Correction};
use pressroom_store::{By, NewRelease, TranslationDetail};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Problem;
use super::body::ApiJson;
use crate::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/releases", post(create_release))
        .route("/api/v1/releases/{id}/translations", post(add_translation))
        .route(
            "/api/v1/translations/{id}",
            get(get_translation).put(save_translation),
        )
        .route("/api/v1/translations/{id}/actions", post(act))
        .merge(
            Router::new()
                .route("/api/v1/translations/{id}/banner", post(upload_banner))
                .route(
                    "/api/v1/translations/{id}/attachments",
                    post(upload_attachment),
                )
                .layer(axum::extract::DefaultBodyLimit::max(40 << 20)),
        )
}

/// The caller of a write endpoint: a valid, unrevoked token.
pub(crate) struct Caller(ApiToken);

impl Caller {
    /// The user the token acts as.
    pub(crate) fn user(&self) -> pressroom_core::user::User {
        self.0.user.clone()
    }

    /// Refuses unless both the token's scopes and its user's role allow `capability`.
    pub(crate) fn require(&self, capability: Capability) -> Result<(), Problem> {
        if self.0.can(capability) {
            Ok(())
        } else {
            let scope = Scope::granting(capability);
            Err(Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Not allowed",
                format!(
                    "this token (acting as {}, role {}) lacks the `{scope}` permission",
                    self.0.user.username, self.0.user.role
                ),
            ))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let unauthorized = |detail: &str| {
            Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Token required",
                detail.to_owned(),
            )
        };
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let Some(secret) = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|s| !s.is_empty())
        else {
            return Err(unauthorized(
                "send an API token as `Authorization: Bearer prt_…`; an admin creates tokens under /admin/tokens",
            ));
        };
        match state.store().api_token(secret).await? {
            Some(token) => Ok(Caller(token)),
            None => Err(unauthorized("this token is unknown or revoked")),
        }
    }
}

/// The text of a revision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RevisionIn {
    title: String,
    #[serde(default)]
    lead: String,
    body: String,
    #[serde(default)]
    spokesperson_id: Option<i64>,
    #[serde(default)]
    topic_ids: Vec<i64>,
    /// Made from the title when absent.
    #[serde(default)]
    slug: Option<String>,
}

impl From<RevisionIn> for RevisionInput {
    fn from(r: RevisionIn) -> Self {
        Self {
            title: r.title,
            lead: r.lead,
            body: r.body,
            spokesperson_id: r.spokesperson_id,
            topic_ids: r.topic_ids,
            slug: r.slug,
        }
    }
}

/// A new release with its first translation.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct NewReleaseIn {
    kind: String,
    lang: String,
    #[serde(flatten)]
    #[schema(inline)]
    revision: RevisionIn,
}

/// A new translation of a release.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct NewTranslationIn {
    lang: String,
    #[serde(flatten)]
    #[schema(inline)]
    revision: RevisionIn,
}

/// A new revision of a translation, made from `version`.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct SaveIn {
    /// The translation's version this edit started from (optimistic concurrency).
    version: i64,
    #[serde(flatten)]
    #[schema(inline)]
    revision: RevisionIn,
}

/// A translation as the editor sees it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TranslationOut {
    id: i64,
    release_id: i64,
    lang: String,
    slug: String,
    state: String,
    version: i64,
    live_revision_id: Option<i64>,
    head_revision_id: i64,
    scheduled_at: Option<String>,
    title: String,
    lead: String,
    body: String,
    number_year: Option<i16>,
    number_seq: Option<i64>,
}

impl From<TranslationDetail> for TranslationOut {
    fn from(d: TranslationDetail) -> Self {
        Self {
            id: d.translation.id,
            release_id: d.release.id,
            lang: d.translation.lang,
            slug: d.translation.slug,
            state: d.translation.state.as_str().to_owned(),
            version: d.translation.version,
            live_revision_id: d.translation.live_revision_id,
            head_revision_id: d.translation.head_revision_id,
            scheduled_at: d.translation.scheduled_at.map(|t| t.to_string()),
            title: d.head.title,
            lead: d.head.lead,
            body: d.head.body,
            number_year: d.release.number.map(|n| n.year),
            number_seq: d.release.number.map(|n| n.seq),
        }
    }
}

fn id_param(text: &str) -> Result<i64, Problem> {
    text.parse()
        .map_err(|_| Problem::bad_request("the id in the address must be a number"))
}

/// Starts a release (draft).
#[utoipa::path(post, path = "/api/v1/releases", request_body = NewReleaseIn, security(("token" = [])), responses(
    (status = 201, description = "Created", body = TranslationOut),
    (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "The token may not write", body = Problem, content_type = "application/problem+json"),
    (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
))]
pub(crate) async fn create_release(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewReleaseIn>,
) -> Result<Response, Problem> {
    caller.require(Capability::Write)?;
    let new = NewRelease {
        kind: body.kind,
        lang: body.lang,
        input: body.revision.into(),
    };
    let detail = state
        .store()
        .create_release(&new, By::User(&caller.0.user))
        .await?;
    Ok((StatusCode::CREATED, Json(TranslationOut::from(detail))).into_response())
}

/// Adds a translation (draft).
#[utoipa::path(post, path = "/api/v1/releases/{id}/translations", request_body = NewTranslationIn, security(("token" = [])), params(("id" = i64, Path)), responses(
    (status = 201, description = "Created", body = TranslationOut),
    (status = 409, description = "The language exists already", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
))]
pub(crate) async fn add_translation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewTranslationIn>,
) -> Result<Response, Problem> {
    caller.require(Capability::Write)?;
    let detail = state
        .store()
        .add_translation(
            id_param(&id)?,
            &body.lang,
            &body.revision.into(),
            By::User(&caller.0.user),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(TranslationOut::from(detail))).into_response())
}

/// A translation in any state.
#[utoipa::path(get, path = "/api/v1/translations/{id}", security(("token" = [])), params(("id" = i64, Path)), responses(
    (status = 200, description = "The translation", body = TranslationOut),
    (status = 404, description = "No such translation", body = Problem, content_type = "application/problem+json"),
))]
pub(crate) async fn get_translation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    caller.require(Capability::Write)?;
    Ok(Json(TranslationOut::from(
        state.store().translation_detail(id_param(&id)?).await?,
    ))
    .into_response())
}

/// Saves a new revision.
#[utoipa::path(put, path = "/api/v1/translations/{id}", request_body = SaveIn, security(("token" = [])), params(("id" = i64, Path)), responses(
    (status = 200, description = "Saved", body = TranslationOut),
    (status = 409, description = "Someone saved since `version`, or the state does not allow editing", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
))]
pub(crate) async fn save_translation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SaveIn>,
) -> Result<Response, Problem> {
    caller.require(Capability::Write)?;
    let detail = state
        .store()
        .save_revision(
            id_param(&id)?,
            body.version,
            &body.revision.into(),
            By::User(&caller.0.user),
        )
        .await?;
    Ok(Json(TranslationOut::from(detail)).into_response())
}

/// How a change to a published text is shown.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub(crate) enum CorrectionIn {
    /// Shown publicly with its note.
    Major {
        /// The public change note.
        note: String,
    },
    /// A typo fix; no note.
    Minor,
}

/// A workflow action.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActionIn {
    /// What to do; each action names the fields it needs.
    #[schema(schema_with = action_names)]
    action: String,
    /// Refuse if the translation changed since this version.
    #[serde(default)]
    version: Option<i64>,
    /// For reject.
    #[serde(default)]
    comment: Option<String>,
    /// For force_publish.
    #[serde(default)]
    reason: Option<String>,
    /// For withdraw.
    #[serde(default)]
    explanation: Option<String>,
    /// For approve_schedule: RFC 3339 instant.
    #[serde(default)]
    publish_at: Option<String>,
    /// Required when publishing over a published text.
    #[serde(default)]
    correction: Option<CorrectionIn>,
}

/// The action names a person may send, as the document's `enum` (the scheduler's own action
/// is not one of them).
fn action_names() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(
            ActionKind::ALL
                .into_iter()
                .filter(|k| k.capability().is_some())
                .map(ActionKind::as_str),
        ))
        .description(Some(
            "reject needs comment, approve_schedule publish_at, force_publish reason, withdraw explanation",
        ))
        .build()
}

fn to_action(body: ActionIn) -> Result<(Action, Option<i64>), Problem> {
    let kind: ActionKind = body.action.parse().map_err(|i| Problem::invalid(&i))?;
    let publish_at = match body.publish_at.as_deref() {
        _ if kind != ActionKind::ApproveSchedule => None,
        text => Some(text.and_then(|t| t.parse().ok()).ok_or_else(|| {
            Problem::invalid(&Invalid::field(
                "publish_at",
                "give an RFC 3339 time such as 2026-12-01T09:30:00+04:00",
            ))
        })?),
    };
    let action = ActionFields {
        comment: body.comment.unwrap_or_default(),
        reason: body.reason.unwrap_or_default(),
        explanation: body.explanation.unwrap_or_default(),
        publish_at,
        correction: body.correction.map(|c| match c {
            CorrectionIn::Major { note } => Correction::Major { note },
            CorrectionIn::Minor => Correction::Minor,
        }),
    }
    .into_action(kind)
    .map_err(|i| Problem::invalid(&i))?;
    Ok((action, body.version))
}

/// Takes a workflow action.
#[utoipa::path(post, path = "/api/v1/translations/{id}/actions", request_body = ActionIn, security(("token" = [])), params(("id" = i64, Path)), responses(
    (status = 200, description = "Done", body = TranslationOut),
    (status = 403, description = "Not allowed for this token or role", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Not possible in the current state", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Missing or invalid fields", body = Problem, content_type = "application/problem+json"),
))]
pub(crate) async fn act(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ActionIn>,
) -> Result<Response, Problem> {
    let (action, version) = to_action(body)?;
    caller.require(action.kind().capability().unwrap_or(Capability::Administer))?;
    let id = id_param(&id)?;
    state
        .store()
        .apply(
            id,
            version,
            &action,
            By::User(&caller.0.user),
            Timestamp::now(),
        )
        .await?;
    Ok(Json(TranslationOut::from(
        state.store().translation_detail(id).await?,
    ))
    .into_response())
}

/// Reads an upload form, turning its problems (including a request that is not a
/// multipart form at all) into problem details.
async fn read_upload(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<crate::media::Upload, Problem> {
    let multipart = multipart.map_err(|rejection| {
        Problem::bad_request(format!(
            "send the upload as multipart/form-data ({})",
            rejection.body_text()
        ))
    })?;
    crate::media::read_upload(multipart)
        .await
        .map_err(Problem::from)
}

fn upload_version(upload: &crate::media::Upload) -> Result<i64, Problem> {
    upload
        .text
        .get("version")
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            Problem::invalid(&Invalid::field(
                "version",
                "send the translation's version this change starts from",
            ))
        })
}

/// The banner form, for the document (the handler reads the fields itself).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct BannerForm {
    /// One image for every crop…
    #[schema(value_type = Option<String>, format = Binary)]
    image: Option<Vec<u8>>,
    /// …or one for wide screens…
    #[schema(value_type = Option<String>, format = Binary)]
    desktop_image: Option<Vec<u8>>,
    /// …and one for phones.
    #[schema(value_type = Option<String>, format = Binary)]
    mobile_image: Option<Vec<u8>>,
    /// The focal point, percent from the left.
    focal_x: Option<f64>,
    /// The focal point, percent from the top.
    focal_y: Option<f64>,
    /// The text that replaces the image, in the translation's language.
    alt: Option<String>,
    /// The translation's version this change starts from.
    version: i64,
}

/// The attachment form, for the document.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct AttachmentForm {
    /// A PDF or office document.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The translation's version this change starts from.
    version: i64,
}

/// Sets the banner (multipart: `image` with `focal_x`/`focal_y` percentages, or
/// `desktop_image` and `mobile_image`; `alt` in the translation's language; `version`).
#[utoipa::path(post, path = "/api/v1/translations/{id}/banner", security(("token" = [])), params(("id" = i64, Path)),
    request_body(content = BannerForm, content_type = "multipart/form-data", description = "image, focal_x, focal_y, alt, version — or desktop_image and mobile_image"),
    responses(
        (status = 200, description = "Saved as a new revision", body = TranslationOut),
        (status = 409, description = "Someone saved since `version`, or the state does not allow editing", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than 40 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an acceptable image, or a field is wrong", body = Problem, content_type = "application/problem+json"),
))]
pub(crate) async fn upload_banner(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, Problem> {
    caller.require(Capability::Write)?;
    let id = id_param(&id)?;
    let upload = read_upload(multipart).await?;
    let version = upload_version(&upload)?;
    let banner_upload = crate::media::banner_upload(&upload).map_err(|i| Problem::invalid(&i))?;
    let alt = upload.text.get("alt").map_or("", String::as_str);
    let detail = state
        .set_banner(id, version, banner_upload, alt, By::User(&caller.0.user))
        .await?;
    Ok(Json(TranslationOut::from(detail)).into_response())
}

/// Adds an attachment (multipart: `file`, `version`).
#[utoipa::path(post, path = "/api/v1/translations/{id}/attachments", security(("token" = [])), params(("id" = i64, Path)),
    request_body(content = AttachmentForm, content_type = "multipart/form-data", description = "file, version"),
    responses(
        (status = 200, description = "Saved as a new revision", body = TranslationOut),
        (status = 409, description = "Someone saved since `version`, or the state does not allow editing", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than 40 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an acceptable document", body = Problem, content_type = "application/problem+json"),
))]
pub(crate) async fn upload_attachment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, Problem> {
    caller.require(Capability::Write)?;
    let id = id_param(&id)?;
    let upload = read_upload(multipart).await?;
    let version = upload_version(&upload)?;
    let Some((name, bytes)) = upload.files.get("file").cloned() else {
        return Err(Problem::invalid(&Invalid::field(
            "file",
            "send the document as the form field `file`",
        )));
    };
    let detail = state
        .add_attachment(id, version, bytes, &name, By::User(&caller.0.user))
        .await?;
    Ok(Json(TranslationOut::from(detail)).into_response())
}
