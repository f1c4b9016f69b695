//! The dashboard, the release list, and starting a release.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use minijinja::context;
use pressroom_core::Invalid;
use pressroom_core::workflow::State as WfState;
use pressroom_store::{By, EditorialFilter, NewRelease, StoreError};
use serde::Deserialize;

use super::forms::{HtmlForm, RevisionForm, Views, errors_map};
use super::{SignedIn, page};
use crate::{AppState, WebError};

pub(super) async fn dashboard(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
) -> Result<Response, WebError> {
    let store = state.store();
    let mine = EditorialFilter {
        author: Some(signed.user.id),
        limit: 20,
        ..Default::default()
    };
    let mut my_drafts = store
        .editorial_list(&EditorialFilter {
            state: Some(WfState::Draft),
            ..mine.clone()
        })
        .await?;
    my_drafts.extend(
        store
            .editorial_list(&EditorialFilter {
                state: Some(WfState::Rejected),
                ..mine
            })
            .await?,
    );
    let waiting = store
        .editorial_list(&EditorialFilter {
            state: Some(WfState::Submitted),
            limit: 50,
            ..Default::default()
        })
        .await?;
    let scheduled = store
        .editorial_list(&EditorialFilter {
            state: Some(WfState::Scheduled),
            limit: 50,
            ..Default::default()
        })
        .await?;
    let recent = store
        .editorial_list(&EditorialFilter {
            state: Some(WfState::Published),
            limit: 10,
            ..Default::default()
        })
        .await?;
    let now = Timestamp::now();
    let late: Vec<_> = scheduled
        .iter()
        .filter(|r| {
            r.translation
                .scheduled_at
                .is_some_and(|at| now.duration_since(at).as_secs() > 5)
        })
        .collect();
    let views = Views::load(&state).await?;
    page(
        &state,
        "admin/dashboard.html",
        Some(&signed),
        context! {
            my_drafts => views.rows(&my_drafts),
            waiting => views.rows(&waiting),
            scheduled => views.rows(&scheduled),
            recent => views.rows(&recent),
            late => late.len(),
        },
    )
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct ListQuery {
    state: Option<String>,
    kind: Option<String>,
    lang: Option<String>,
    author: Option<String>,
    q: Option<String>,
    page: Option<String>,
}

pub(super) async fn list(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Query(query): Query<ListQuery>,
) -> Result<Response, WebError> {
    let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let state_filter = match nonempty(&query.state) {
        Some(s) => Some(s.parse::<WfState>().map_err(WebError::BadRequest)?),
        None => None,
    };
    let author = match nonempty(&query.author) {
        Some(name) => Some(
            state
                .store()
                .user_by_name(&name)
                .await
                .map_err(|_| WebError::BadRequest(format!("There is no user `{name}`.")))?
                .id,
        ),
        None => None,
    };
    let page_no: i64 = match nonempty(&query.page) {
        Some(p) => p
            .parse()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| {
                WebError::BadRequest("The page must be a number from 1 to 10000.".to_owned())
            })?,
        None => 1,
    };
    let filter = EditorialFilter {
        state: state_filter,
        kind: nonempty(&query.kind),
        lang: nonempty(&query.lang),
        author,
        search: nonempty(&query.q).map(|q| q.chars().take(200).collect()),
        limit: 50,
        offset: (page_no - 1) * 50,
    };
    let rows = state.store().editorial_list(&filter).await?;
    let views = Views::load(&state).await?;
    let users: Vec<String> = state
        .store()
        .list_users()
        .await?
        .into_iter()
        .map(|u| u.username)
        .collect();
    let states: Vec<&str> = WfState::ALL
        .iter()
        .filter(|s| **s != WfState::Deleted)
        .map(|s| s.as_str())
        .collect();
    page(
        &state,
        "admin/releases.html",
        Some(&signed),
        context! {
            rows => views.rows(&rows),
            choices => views.form_choices(),
            states, users,
            query => context! { state => query.state, kind => query.kind, lang => query.lang, author => query.author, q => query.q },
            page_no,
            more => rows.len() == 50,
        },
    )
}

pub(super) async fn new_form(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
) -> Result<Response, WebError> {
    let views = Views::load(&state).await?;
    let lang = views.settings.default_language().to_owned();
    let form = RevisionForm {
        lang,
        kind: "press-release".to_owned(),
        ..RevisionForm::default()
    };
    render_new(&state, &signed, &views, &form, None)
}

fn render_new(
    state: &AppState,
    signed: &SignedIn,
    views: &Views,
    form: &RevisionForm,
    errors: Option<&Invalid>,
) -> Result<Response, WebError> {
    let (values, topics, lang, kind) = (form, &form.topic_ids, &form.lang, &form.kind);
    page(
        state,
        "admin/new.html",
        Some(signed),
        context! { choices => views.form_choices(), values, topics, errors => errors_map(errors), lang, kind },
    )
}

pub(super) async fn create(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    HtmlForm(form): HtmlForm<RevisionForm>,
) -> Result<Response, WebError> {
    let views = Views::load(&state).await?;
    let result = match form.input() {
        Ok(input) => {
            state
                .store()
                .create_release(
                    &NewRelease {
                        kind: form.kind.clone(),
                        lang: form.lang.clone(),
                        input,
                    },
                    By::User(&signed.user),
                )
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
            let mut response = render_new(&state, &signed, &views, &form, Some(&invalid))?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}
