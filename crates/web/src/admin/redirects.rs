//! The old site's addresses in the editorial area (admins): the table imports fill, searched
//! by old path, and a form to add, change or remove one — for the address an import could not
//! know (a category page, an old "about us").

use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use minijinja::context;
use pressroom_store::{By, REDIRECT_PAGE, StoreError};
use serde::Deserialize;

use super::forms::HtmlForm;
use super::{SignedIn, page};
use crate::{AppState, WebError};

pub(super) fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/admin/redirects", get(list).post(save))
        .route("/admin/redirects/delete", post(delete))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListQuery {
    q: String,
    offset: i64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RedirectForm {
    old_path: String,
    target: String,
}

async fn render(
    state: &AppState,
    signed: &SignedIn,
    query: &ListQuery,
    form: &RedirectForm,
    message: Option<String>,
) -> Result<Response, WebError> {
    let store = state.store();
    let offset = query.offset.max(0);
    let rows = store.list_redirects(&query.q, offset).await?;
    let total = store.count_redirects().await?;
    let redirects: Vec<_> = rows
        .iter()
        .map(|r| context! { old_path => r.old_path, target => r.target, imported => r.translation_id.is_some() })
        .collect();
    let next = (rows.len() as i64 == REDIRECT_PAGE).then_some(offset + REDIRECT_PAGE);
    let previous = (offset > 0).then(|| (offset - REDIRECT_PAGE).max(0));
    page(
        state,
        "admin/redirects.html",
        Some(signed),
        context! {
            redirects, total, q => query.q, next, previous, message,
            old_path => form.old_path, target => form.target,
        },
    )
}

async fn list(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Query(query): Query<ListQuery>,
) -> Result<Response, WebError> {
    render(&state, &signed, &query, &RedirectForm::default(), None).await
}

async fn save(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    HtmlForm(form): HtmlForm<RedirectForm>,
) -> Result<Response, WebError> {
    let query = ListQuery::default();
    match state
        .store()
        .save_redirect(&form.old_path, &form.target, By::User(&signed.user))
        .await
    {
        Ok(()) => {
            let message = format!(
                "{} now leads to {}.",
                form.old_path.trim(),
                form.target.trim()
            );
            render(
                &state,
                &signed,
                &query,
                &RedirectForm::default(),
                Some(message),
            )
            .await
        }
        Err(StoreError::Invalid(invalid)) => {
            let message = invalid
                .errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(" ");
            render(&state, &signed, &query, &form, Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn delete(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    HtmlForm(form): HtmlForm<RedirectForm>,
) -> Result<Response, WebError> {
    let message = match state
        .store()
        .delete_redirect(&form.old_path, By::User(&signed.user))
        .await
    {
        Ok(()) => format!("{} no longer redirects.", form.old_path.trim()),
        Err(StoreError::NotFound(_)) => {
            format!("{} was not a redirect.", form.old_path.trim())
        }
        Err(e) => return Err(e.into()),
    };
    let query = ListQuery::default();
    render(
        &state,
        &signed,
        &query,
        &RedirectForm::default(),
        Some(message),
    )
    .await
}
