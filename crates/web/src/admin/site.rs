//! Site administration: settings, editable pages, and the audit log.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Form, Router};
use minijinja::context;
use pressroom_core::Invalid;
use pressroom_core::language::Language;
use pressroom_core::numbering::NumberSeries;
use pressroom_store::{By, StoreError};
use serde::Deserialize;

use super::forms::{Fields, errors_map};
use super::{SignedIn, page};
use crate::{AppState, WebError};

pub(super) fn review_routes() -> Router<AppState> {
    Router::new().route("/admin/audit", get(audit))
}

pub(super) fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/admin/settings", get(settings).post(save_settings))
        .route("/admin/settings/kinds", axum::routing::post(save_kind))
        .route("/admin/pages", get(pages))
        .route("/admin/pages/{slug}/{lang}", get(edit_page).post(save_page))
}

#[derive(Debug, Deserialize, Default)]
struct AuditQuery {
    subject: Option<String>,
}

async fn audit(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Query(q): Query<AuditQuery>,
) -> Result<Response, WebError> {
    let subject = q.subject.filter(|s| !s.is_empty());
    let entries = state.store().audit_log(subject.as_deref(), 500).await?;
    let tz = state.store().site_settings().await?.tz();
    let rows: Vec<_> = entries
        .iter()
        .map(|e| {
            context! {
                at => e.at.to_zoned_datetime(tz.clone()).strftime("%Y-%m-%d %H:%M:%S").to_string(),
                actor => e.actor, action => e.action, subject => e.subject, details => e.details, flagged => e.flagged,
            }
        })
        .collect();
    page(
        &state,
        "admin/audit.html",
        Some(&signed),
        context! { rows, subject },
    )
}

#[derive(Debug, Deserialize, Default)]
struct Done {
    done: Option<String>,
}

async fn settings(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    saved_settings_page(&state, &signed, done.done, None).await
}

/// The settings page showing what is saved.
async fn saved_settings_page(
    state: &AppState,
    signed: &SignedIn,
    done: Option<String>,
    kind_errors: Option<&Invalid>,
) -> Result<Response, WebError> {
    let s = state.store().site_settings().await?;
    let series = state.store().list_series().await?;
    let main = series
        .iter()
        .find(|x| x.key == "main")
        .cloned()
        .unwrap_or_else(NumberSeries::default_main);
    let mut values = std::collections::BTreeMap::new();
    values.insert(
        "languages".to_owned(),
        s.languages
            .iter()
            .map(|l| l.code.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    );
    values.insert("time_zone".to_owned(), s.time_zone.clone());
    values.insert("number_template".to_owned(), main.template.clone());
    for l in &s.languages {
        values.insert(
            format!("title.{}", l.code),
            s.title.get(&l.code).cloned().unwrap_or_default(),
        );
        values.insert(
            format!("rights_notice.{}", l.code),
            s.rights_notice.get(&l.code).cloned().unwrap_or_default(),
        );
    }
    render_settings(
        state,
        signed,
        &values,
        s.two_person_rule,
        s.require_totp,
        done,
        None,
        kind_errors,
    )
    .await
}

#[expect(
    clippy::too_many_arguments,
    reason = "the page shows two forms, each with its own errors"
)]
async fn render_settings(
    state: &AppState,
    signed: &SignedIn,
    values: &std::collections::BTreeMap<String, String>,
    two_person_rule: bool,
    require_totp: bool,
    done: Option<String>,
    errors: Option<&Invalid>,
    kind_errors: Option<&Invalid>,
) -> Result<Response, WebError> {
    let languages: Vec<String> = values
        .get("languages")
        .map(|l| {
            l.split(',')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let kinds = state.store().list_kinds().await?;
    let series: Vec<String> = state
        .store()
        .list_series()
        .await?
        .into_iter()
        .map(|s| s.key)
        .collect();
    page(
        state,
        "admin/settings.html",
        Some(signed),
        context! { values, languages, two_person_rule, require_totp, done, errors => errors_map(errors), kinds, series, kind_errors => errors_map(kind_errors) },
    )
}

async fn save_settings(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let fields = Fields(raw);
    let mut settings = state.store().site_settings().await?;
    let mut invalid = Invalid::default();
    let mut languages = Vec::new();
    for code in fields
        .get("languages")
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        match Language::from_code(code) {
            Ok(l) => languages.push(l),
            Err(e) => invalid.push("languages", e),
        }
    }
    settings.languages = languages;
    settings.time_zone = fields.get("time_zone").trim().to_owned();
    settings.two_person_rule = fields.get("two_person_rule") == "on";
    settings.require_totp = fields.get("require_totp") == "on";
    for (name, value) in &fields.0 {
        if let Some(lang) = name.strip_prefix("title.") {
            settings
                .title
                .insert(lang.to_owned(), value.trim().to_owned());
        } else if let Some(lang) = name.strip_prefix("rights_notice.") {
            settings
                .rights_notice
                .insert(lang.to_owned(), value.trim().to_owned());
        }
    }
    let mut main = state
        .store()
        .list_series()
        .await?
        .into_iter()
        .find(|x| x.key == "main")
        .unwrap_or_else(NumberSeries::default_main);
    main.template = fields.get("number_template").trim().to_owned();
    if let Err(e) = pressroom_core::numbering::validate_template(&main.template) {
        invalid.push("number_template", e);
    }
    if let Err(e) = settings.validate() {
        invalid.errors.extend(e.errors);
    }
    let values: std::collections::BTreeMap<String, String> = fields.0.iter().cloned().collect();
    if !invalid.errors.is_empty() {
        let mut response = render_settings(
            &state,
            &signed,
            &values,
            settings.two_person_rule,
            settings.require_totp,
            None,
            Some(&invalid),
            None,
        )
        .await?;
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    }
    let by = By::User(&signed.user);
    state.store().save_site_settings(&settings, by).await?;
    state.store().save_series(&main, by).await?;
    Ok(Redirect::to("/admin/settings?done=saved").into_response())
}

/// Creates or changes a kind: its names, its number series (or none), question/answer blocks.
async fn save_kind(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let fields = Fields(raw);
    let key = fields.get("key").trim().to_owned();
    let kinds = state.store().list_kinds().await?;
    let position = kinds
        .iter()
        .position(|k| k.key == key)
        .unwrap_or(kinds.len()) as i64;
    let names: pressroom_core::language::Localized = fields
        .0
        .iter()
        .filter_map(|(name, value)| {
            name.strip_prefix("names.")
                .map(|lang| (lang.to_owned(), value.trim().to_owned()))
        })
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let kind = pressroom_core::release::Kind {
        key,
        names,
        series: Some(fields.get("series").trim().to_owned()).filter(|s| !s.is_empty()),
        question_answer: fields.get("question_answer") == "on",
    };
    match state
        .store()
        .save_kind(&kind, position, By::User(&signed.user))
        .await
    {
        Ok(()) => Ok(Redirect::to("/admin/settings?done=kind#kinds").into_response()),
        Err(StoreError::Invalid(invalid)) => {
            let mut response = saved_settings_page(&state, &signed, None, Some(&invalid)).await?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

async fn pages(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
) -> Result<Response, WebError> {
    let settings = state.store().site_settings().await?;
    let mut rows = Vec::new();
    for l in &settings.languages {
        for (slug, title) in state.store().list_pages(&l.code).await? {
            rows.push(context! { slug, title, lang => l.code });
        }
    }
    let languages: Vec<&str> = settings.languages.iter().map(|l| l.code.as_str()).collect();
    page(
        &state,
        "admin/pages.html",
        Some(&signed),
        context! { rows, languages },
    )
}

async fn edit_page(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path((slug, lang)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (title, body) = match state.store().page(&slug, &lang).await {
        Ok(p) => (p.title, p.body),
        Err(StoreError::NotFound(_)) => (String::new(), String::new()),
        Err(e) => return Err(e.into()),
    };
    page(
        &state,
        "admin/page_edit.html",
        Some(&signed),
        context! { slug, lang, title, body, errors => errors_map(None) },
    )
}

async fn save_page(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path((slug, lang)): Path<(String, String)>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let fields = Fields(raw);
    if state
        .store()
        .site_settings()
        .await?
        .language(&lang)
        .is_none()
    {
        return Err(WebError::BadRequest(format!(
            "The site does not publish in `{lang}`."
        )));
    }
    match state
        .store()
        .save_page(
            &slug,
            &lang,
            fields.get("title"),
            fields.get("body"),
            By::User(&signed.user),
        )
        .await
    {
        Ok(()) => Ok(Redirect::to("/admin/pages").into_response()),
        Err(StoreError::Invalid(invalid)) => {
            let ctx = context! { slug, lang, title => fields.get("title"), body => fields.get("body"), errors => errors_map(Some(&invalid)) };
            let mut response = page(&state, "admin/page_edit.html", Some(&signed), ctx)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}
