//! Translating a release beside its source, and the revision history with diffs.

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use pressroom_core::Invalid;
use pressroom_core::release::TranslationId;
use pressroom_core::workflow::State as WfState;
use pressroom_store::{By, StoreError};
use serde::Deserialize;

use super::forms::{HtmlForm, RevisionForm, Views, errors_map};
use super::{SignedIn, page};
use crate::{AppState, WebError};

#[derive(Debug, Deserialize, Default)]
pub(super) struct TranslateQuery {
    lang: Option<String>,
}

pub(super) async fn translate_form(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(release_id): Path<i64>,
    Query(q): Query<TranslateQuery>,
) -> Result<Response, WebError> {
    let lang = q.lang.unwrap_or_default();
    render_translate(&state, &signed, release_id, &lang, None, None).await
}

async fn render_translate(
    state: &AppState,
    signed: &SignedIn,
    release_id: i64,
    lang: &str,
    typed: Option<&RevisionForm>,
    errors: Option<&Invalid>,
) -> Result<Response, WebError> {
    let views = Views::load(state).await?;
    let language = views
        .settings
        .language(lang)
        .ok_or_else(|| WebError::BadRequest(format!("The site does not publish in `{lang}`.")))?
        .clone();
    let siblings = state.store().translations_of(release_id).await?;
    let source = siblings
        .iter()
        .filter(|t| t.state != WfState::Deleted)
        .min_by_key(|t| {
            views
                .settings
                .languages
                .iter()
                .position(|l| l.code == t.lang)
                .unwrap_or(usize::MAX)
        })
        .ok_or(WebError::NotFound)?;
    let source = state.store().translation_detail(source.id).await?;
    // A fresh form starts from the source's topics; a form sent back keeps what was chosen.
    let values = typed.cloned().unwrap_or_default();
    let topics: Vec<String> = match typed {
        Some(form) => form.topic_ids.clone(),
        None => source.head.topic_ids.iter().map(i64::to_string).collect(),
    };
    page(
        state,
        "admin/translate.html",
        Some(signed),
        context! {
            release_id,
            lang => language.code, lang_name => language.name, dir => language.dir.as_str(),
            source => context! { lang => source.translation.lang, title => source.head.title, lead => source.head.lead, body => source.head.body },
            spokesperson_id => source.head.spokesperson_id,
            values, topics,
            choices => views.form_choices(),
            errors => errors_map(errors),
        },
    )
}

pub(super) async fn translate(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(release_id): Path<i64>,
    HtmlForm(form): HtmlForm<RevisionForm>,
) -> Result<Response, WebError> {
    let result = match form.input() {
        Ok(input) => {
            state
                .store()
                .add_translation(release_id, &form.lang, &input, By::User(&signed.user))
                .await
        }
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    match result {
        Ok(detail) => Ok(Redirect::to(&format!(
            "/admin/translations/{}?done=created",
            detail.translation.id
        ))
        .into_response()),
        Err(StoreError::Invalid(invalid)) => {
            let mut response = render_translate(
                &state,
                &signed,
                release_id,
                &form.lang,
                Some(&form),
                Some(&invalid),
            )
            .await?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct HistoryQuery {
    a: Option<String>,
    b: Option<String>,
}

pub(super) async fn history(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<TranslationId>,
    Query(q): Query<HistoryQuery>,
) -> Result<Response, WebError> {
    let store = state.store();
    let detail = store.translation_detail(id).await?;
    let revisions = store.revisions(id).await?;
    let publications = store.publications(id).await?;
    let views = Views::load(&state).await?;
    let users = store.list_users().await?;
    let rows: Vec<_> = revisions
        .iter()
        .rev()
        .map(|r| {
            let published = publications.iter().find(|p| p.revision_id == r.id);
            context! {
                id => r.id, seq => r.seq, title => r.title,
                author => users.iter().find(|u| u.id == r.author_id).map(|u| u.username.clone()),
                at => views.when(r.created_at),
                published => published.map(|p| views.when(p.published_at)),
                note => published.and_then(|p| p.correction.as_ref().and_then(|c| c.note().map(str::to_owned))),
                live => detail.translation.live_revision_id == Some(r.id),
            }
        })
        .collect();
    let pick_revision = |text: &Option<String>,
                         default: Option<i64>|
     -> Result<Option<&pressroom_core::release::Revision>, WebError> {
        match text.as_deref().filter(|s| !s.is_empty()) {
            Some(t) => {
                let n: i64 = t.parse().map_err(|_| {
                    WebError::BadRequest("Choose revisions from the list.".to_owned())
                })?;
                revisions
                    .iter()
                    .find(|r| r.id == n)
                    .map(Some)
                    .ok_or(WebError::NotFound)
            }
            None => Ok(default.and_then(|d| revisions.iter().find(|r| r.id == d))),
        }
    };
    let default_b = revisions.last().map(|r| r.id);
    let default_a = revisions
        .len()
        .checked_sub(2)
        .and_then(|i| revisions.get(i))
        .map(|r| r.id);
    let (a, b) = (
        pick_revision(&q.a, default_a)?,
        pick_revision(&q.b, default_b)?,
    );
    let diff = match (a, b) {
        (Some(a), Some(b)) => {
            let text = |r: &pressroom_core::release::Revision| {
                format!("# {}\n\n{}\n\n{}", r.title, r.lead, r.body)
            };
            Some(
                context! { a => a.seq, b => b.seq, a_id => a.id, b_id => b.id, lines => pressroom_core::diff::lines(&text(a), &text(b)) },
            )
        }
        _ => None,
    };
    page(
        &state,
        "admin/history.html",
        Some(&signed),
        context! { id, lang => detail.translation.lang, title => detail.head.title, rows, diff },
    )
}
