//! Banners and attachments in the editor. Each change saves a new revision with the same text
//! and the new media, so media follow the same history and workflow as words.
//!
//! Uploads are multipart forms; the guard checks their CSRF token from the query string
//! (it cannot read a multipart body without buffering the upload).

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Extension, Form, Router};
use pressroom_core::Invalid;
use pressroom_core::release::{RevisionInput, TranslationId};
use pressroom_store::{By, MediaChange, StoreError};

use super::SignedIn;
use super::forms::Fields;
use super::releases::{Editor, render_editor};
use crate::{AppState, UploadFailure, WebError};

/// The largest upload form: two camera photos.
const MAX_UPLOAD_BYTES: usize = 40 << 20;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/translations/{id}/banner", post(upload_banner))
        .route(
            "/admin/translations/{id}/attachments",
            post(upload_attachment),
        )
        .route("/admin/translations/{id}/media", post(change_media))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
}

/// Re-shows the editor with what went wrong, keeping the text as saved.
async fn refused(
    state: &AppState,
    signed: &SignedIn,
    id: TranslationId,
    invalid: Invalid,
) -> Result<Response, WebError> {
    let detail = state.store().translation_detail(id).await?;
    let input = RevisionInput::from_revision(&detail.head, &detail.translation.slug);
    let editor = Editor {
        media_errors: Some(invalid),
        ..Editor::default()
    };
    let mut response = render_editor(
        state,
        signed,
        &detail,
        &input,
        detail.translation.version,
        editor,
    )
    .await?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

fn version(text: Option<&String>) -> Result<i64, WebError> {
    text.and_then(|v| v.parse().ok()).ok_or_else(|| {
        WebError::BadRequest("The form lacks its version; reload the editor.".to_owned())
    })
}

/// An upload's problem the uploader can fix, to show in the editor; faults become errors.
fn failure(e: UploadFailure) -> Result<Invalid, WebError> {
    match e {
        UploadFailure::Invalid(invalid) | UploadFailure::Store(StoreError::Invalid(invalid)) => {
            Ok(invalid)
        }
        other => Err(other.into()),
    }
}

async fn upload_banner(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<TranslationId>,
    multipart: Multipart,
) -> Result<Response, WebError> {
    let upload = crate::media::read_upload(multipart).await?;
    let version = version(upload.text.get("version"))?;
    let banner_upload = match crate::media::banner_upload(&upload) {
        Ok(b) => b,
        Err(invalid) => return refused(&state, &signed, id, invalid).await,
    };
    let alt = upload.text.get("alt").map_or("", String::as_str);
    match state
        .set_banner(id, version, banner_upload, alt, By::User(&signed.user))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/admin/translations/{id}?done=banner")).into_response()),
        Err(e) => refused(&state, &signed, id, failure(e)?).await,
    }
}

async fn upload_attachment(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<TranslationId>,
    multipart: Multipart,
) -> Result<Response, WebError> {
    let upload = crate::media::read_upload(multipart).await?;
    let version = version(upload.text.get("version"))?;
    let Some((name, bytes)) = upload.files.get("file").cloned() else {
        return refused(
            &state,
            &signed,
            id,
            Invalid::field("file", "choose a document to attach"),
        )
        .await;
    };
    match state
        .add_attachment(id, version, bytes, &name, By::User(&signed.user))
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/admin/translations/{id}?done=attachment")).into_response())
        }
        Err(e) => refused(&state, &signed, id, failure(e)?).await,
    }
}

/// Alt text in this language, removing the banner, removing an attachment.
async fn change_media(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<TranslationId>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let fields = Fields(raw);
    let version: i64 = fields.get("version").parse().map_err(|_| {
        WebError::BadRequest("The form lacks its version; reload the editor.".to_owned())
    })?;
    let change = match fields.get("op") {
        "alt" => MediaChange::BannerAlt(fields.get("alt").to_owned()),
        "remove_banner" => MediaChange::RemoveBanner,
        "remove_attachment" => {
            MediaChange::RemoveAttachment(fields.get("attachment_id").parse().map_err(|_| {
                WebError::BadRequest("Choose an attachment from the list.".to_owned())
            })?)
        }
        _ => return Err(WebError::BadRequest("Unknown operation.".to_owned())),
    };
    match state
        .store()
        .change_media(id, version, &change, By::User(&signed.user))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/admin/translations/{id}?done=media")).into_response()),
        Err(StoreError::Invalid(invalid)) => refused(&state, &signed, id, invalid).await,
        Err(e) => Err(e.into()),
    }
}
