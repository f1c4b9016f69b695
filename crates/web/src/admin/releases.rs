//! The release editor: saving revisions, preview, conflicts and workflow actions.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use jiff::Timestamp;
use minijinja::context;
use pressroom_core::Invalid;
use pressroom_core::release::{RevisionInput, TranslationId};
use pressroom_core::workflow::{
    self, Action, ActionFields, ActionKind, Correction, State as WfState, WorkflowError,
};
use pressroom_store::{By, StoreError, TranslationDetail};
use serde::Deserialize;

use super::forms::{Fields, HtmlForm, RevisionForm, Views, errors_map};
use super::{SignedIn, page};
use crate::{AppState, WebError};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/", get(super::lists::dashboard))
        .route(
            "/admin/releases",
            get(super::lists::list).post(super::lists::create),
        )
        .route("/admin/releases/new", get(super::lists::new_form))
        .route(
            "/admin/releases/{id}/translate",
            get(super::translate::translate_form).post(super::translate::translate),
        )
        .route("/admin/translations/{id}", get(edit).post(save))
        .route("/admin/translations/{id}/preview", post(preview))
        .route("/admin/translations/{id}/action", post(action))
        .route(
            "/admin/translations/{id}/history",
            get(super::translate::history),
        )
}

#[derive(Debug, Deserialize, Default)]
struct EditQuery {
    done: Option<String>,
}

async fn edit(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<TranslationId>,
    Query(q): Query<EditQuery>,
) -> Result<Response, WebError> {
    let detail = state.store().translation_detail(id).await?;
    let input = RevisionInput::from_revision(&detail.head, &detail.translation.slug);
    render_editor(
        &state,
        &signed,
        &detail,
        &input,
        detail.translation.version,
        Editor {
            done: q.done,
            ..Editor::default()
        },
    )
    .await
}

/// What the editor page shows besides the translation.
#[derive(Default)]
pub(super) struct Editor {
    pub done: Option<String>,
    pub errors: Option<Invalid>,
    pub action_error: Option<String>,
    pub preview_html: Option<String>,
    /// Why a banner or attachment change was refused.
    pub media_errors: Option<Invalid>,
}

pub(super) async fn render_editor(
    state: &AppState,
    signed: &SignedIn,
    detail: &TranslationDetail,
    input: &RevisionInput,
    version: i64,
    editor: Editor,
) -> Result<Response, WebError> {
    let views = Views::load(state).await?;
    let store = state.store();
    let siblings = store.translations_of(detail.release.id).await?;
    let present: Vec<&str> = siblings
        .iter()
        .filter(|t| t.state != WfState::Deleted)
        .map(|t| t.lang.as_str())
        .collect();
    let missing: Vec<_> = views
        .settings
        .languages
        .iter()
        .filter(|l| !present.contains(&l.code.as_str()))
        .map(|l| context! { code => l.code, name => l.name })
        .collect();
    let others: Vec<_> = siblings
        .iter()
        .filter(|t| t.id != detail.translation.id && t.state != WfState::Deleted)
        .map(|t| context! { id => t.id, lang => t.lang, state => t.state.as_str() })
        .collect();
    let kind = store.kind(&detail.release.kind).await?;
    let t = &detail.translation;
    let is_live = t.live_revision_id.is_some();
    // Buttons for exactly what the workflow would accept from this person now.
    let offered = workflow::available(t.state, signed.user.role, is_live);
    let offers = |kind: ActionKind| offered.contains(&kind);
    let actions = context! {
        submit => offers(ActionKind::Submit),
        review => offers(ActionKind::ApprovePublish),
        unschedule => offers(ActionKind::Unschedule),
        force => offers(ActionKind::ForcePublish),
        withdraw => offers(ActionKind::Withdraw),
        delete => offers(ActionKind::Delete),
        correction => is_live,
    };
    let public_url = match (is_live, detail.release.first_published_at) {
        (true, Some(_)) => Some(crate::view::release_path(
            &t.lang,
            &detail.release,
            &t.slug,
            &views.settings,
        )),
        _ => None,
    };
    let head_author = store
        .user(detail.head.author_id)
        .await
        .map(|u| u.username)
        .unwrap_or_default();
    let shown = store.revision_media(detail.head.id).await?;
    let media = context! {
        banner => shown.banner.as_ref().map(|b| {
            let smallest = |crop| b.variants(crop, pressroom_core::media::VariantFormat::Jpeg).first().map(|v| format!("/media/{}", v.file.key));
            context! {
                desktop => smallest(pressroom_core::media::CropKind::Desktop),
                mobile => smallest(pressroom_core::media::CropKind::Mobile),
                alt => b.spec.alt.get(&t.lang).cloned().unwrap_or_default(),
            }
        }),
        attachments => shown.attachments.iter().map(|a| context! {
            id => a.id,
            name => a.spec.file_name,
            format => format!("{:?}", a.spec.format).to_uppercase(),
            kib => a.spec.file.size.div_ceil(1024),
            url => format!("/media/{}", a.spec.file.key),
        }).collect::<Vec<_>>(),
        errors => errors_map(editor.media_errors.as_ref()),
        storage => state.media().is_some(),
    };
    page(
        state,
        "admin/editor.html",
        Some(signed),
        context! {
            media,
            id => t.id,
            release_id => detail.release.id,
            lang => t.lang,
            state => t.state.as_str(),
            is_live,
            version,
            kind => views.kind_name(&detail.release.kind),
            question_answer => kind.question_answer,
            number => views.number(&detail.release),
            scheduled_at => t.scheduled_at.map(|at| views.when(at)),
            head_author,
            values => context! { title => input.title, lead => input.lead, body => input.body, slug => input.slug, spokesperson_id => input.spokesperson_id },
            topics => input.topic_ids,
            choices => views.form_choices(),
            errors => errors_map(editor.errors.as_ref()),
            action_error => editor.action_error,
            done => editor.done,
            preview_html => editor.preview_html,
            actions, missing, others, public_url,
            time_zone => views.settings.time_zone,
        },
    )
}

async fn save(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<TranslationId>,
    HtmlForm(form): HtmlForm<RevisionForm>,
) -> Result<Response, WebError> {
    let detail = state.store().translation_detail(id).await?;
    let version = form.version()?;
    let (input, invalid) = form.read();
    if !invalid.errors.is_empty() {
        return editor_error(&state, &signed, &detail, &input, version, invalid).await;
    }
    match state
        .store()
        .save_revision(id, version, &input, By::User(&signed.user))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/admin/translations/{id}?done=saved")).into_response()),
        Err(StoreError::Invalid(invalid)) => {
            editor_error(&state, &signed, &detail, &input, version, invalid).await
        }
        Err(StoreError::Conflict { current, .. }) => {
            let views = Views::load(&state).await?;
            let theirs = state.store().translation_detail(id).await?;
            let their_author = state
                .store()
                .user(theirs.head.author_id)
                .await
                .map(|u| u.username)
                .unwrap_or_default();
            let diff = pressroom_core::diff::lines(&theirs.head.body, &input.body);
            let mut response = page(
                &state,
                "admin/conflict.html",
                Some(&signed),
                context! {
                    id, current,
                    theirs => context! { title => theirs.head.title, lead => theirs.head.lead, body => theirs.head.body, author => their_author, at => views.when(theirs.head.created_at) },
                    yours => context! { title => input.title, lead => input.lead, body => input.body, slug => input.slug },
                    topics => input.topic_ids,
                    spokesperson_id => input.spokesperson_id,
                    diff,
                },
            )?;
            *response.status_mut() = StatusCode::CONFLICT;
            Ok(response)
        }
        Err(StoreError::Workflow(e)) => {
            let mut response = render_editor(
                &state,
                &signed,
                &detail,
                &input,
                version,
                Editor {
                    action_error: Some(e.to_string()),
                    ..Editor::default()
                },
            )
            .await?;
            *response.status_mut() = StatusCode::CONFLICT;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

/// Shows the editor again with what was typed and what is wrong with it.
async fn editor_error(
    state: &AppState,
    signed: &SignedIn,
    detail: &TranslationDetail,
    input: &RevisionInput,
    version: i64,
    invalid: Invalid,
) -> Result<Response, WebError> {
    let mut response = render_editor(
        state,
        signed,
        detail,
        input,
        version,
        Editor {
            errors: Some(invalid),
            ..Editor::default()
        },
    )
    .await?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

/// Shows the typed text rendered as readers would see it, keeping everything typed.
async fn preview(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<TranslationId>,
    HtmlForm(form): HtmlForm<RevisionForm>,
) -> Result<Response, WebError> {
    let detail = state.store().translation_detail(id).await?;
    let version = form.version().unwrap_or(detail.translation.version);
    let (input, _) = form.read();
    let labels = pressroom_core::markdown::QaLabels {
        question: &state
            .inner
            .i18n
            .text(&detail.translation.lang, "question", &[]),
        answer: &state
            .inner
            .i18n
            .text(&detail.translation.lang, "answer", &[]),
    };
    let preview_html = pressroom_core::markdown::render(&input.body, &labels);
    render_editor(
        &state,
        &signed,
        &detail,
        &input,
        version,
        Editor {
            preview_html: Some(preview_html),
            ..Editor::default()
        },
    )
    .await
}

/// Reads a workflow action from the editor's action form. The time to publish at is typed in
/// the site's time zone.
fn parse_action(fields: &Fields, tz: &jiff::tz::TimeZone) -> Result<Action, Invalid> {
    let kind: ActionKind = fields.get("action").parse()?;
    let correction = match fields.get("correction") {
        "major" => Some(Correction::Major {
            note: fields.get("change_note").to_owned(),
        }),
        "minor" => Some(Correction::Minor),
        _ => None,
    };
    let publish_at = match fields.get("publish_at").trim() {
        _ if kind != ActionKind::ApproveSchedule => None,
        text => Some(
            text.parse::<jiff::civil::DateTime>()
                .ok()
                .and_then(|dt| dt.to_zoned_datetime(tz.clone()).ok())
                .map(|z| z.timestamp())
                .ok_or_else(|| {
                    Invalid::field(
                        "publish_at",
                        "give a date and time such as 2026-12-01T09:30",
                    )
                })?,
        ),
    };
    ActionFields {
        comment: fields.get("comment").to_owned(),
        reason: fields.get("reason").to_owned(),
        explanation: fields.get("explanation").to_owned(),
        publish_at,
        correction,
    }
    .into_action(kind)
}

async fn action(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<TranslationId>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let fields = Fields(raw);
    let settings = state.store().site_settings().await?;
    let detail = state.store().translation_detail(id).await?;
    let version = fields.get("version").parse().ok();
    let result = match parse_action(&fields, &settings.tz()) {
        Ok(action) => state
            .store()
            .apply(
                id,
                version,
                &action,
                By::User(&signed.user),
                Timestamp::now(),
            )
            .await
            .map(|_| action.kind()),
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    let message = match result {
        Ok(kind) => {
            let target = if kind == ActionKind::Delete { "/admin/?done=deleted".to_owned() } else { format!("/admin/translations/{id}?done={}", kind.as_str()) };
            return Ok(Redirect::to(&target).into_response());
        }
        Err(StoreError::Workflow(WorkflowError::Invalid(invalid)) | StoreError::Invalid(invalid)) => invalid.to_string(),
        Err(StoreError::Conflict { .. }) => "Someone changed this translation since you opened it; review the current version and try again.".to_owned(),
        Err(StoreError::Workflow(e)) => e.to_string(),
        Err(e) => return Err(e.into()),
    };
    let input = RevisionInput::from_revision(&detail.head, &detail.translation.slug);
    let mut response = render_editor(
        &state,
        &signed,
        &detail,
        &input,
        detail.translation.version,
        Editor {
            action_error: Some(message),
            ..Editor::default()
        },
    )
    .await?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}
