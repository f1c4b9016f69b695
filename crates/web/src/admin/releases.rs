//! The release editor: dashboard, list, drafting, translating, workflow actions, history.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use jiff::Timestamp;
use minijinja::context;
use pressroom_core::Invalid;
use pressroom_core::language::pick;
use pressroom_core::release::{RevisionInput, TranslationId};
use pressroom_core::workflow::{Action, Correction, State as WfState, WorkflowError};
use pressroom_store::{By, EditorialFilter, NewRelease, StoreError, TranslationDetail};
use serde::Deserialize;

use super::{Signed, page};
use crate::{AppState, WebError};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/", get(dashboard))
        .route("/admin/releases", get(list).post(create))
        .route("/admin/releases/new", get(new_form))
        .route(
            "/admin/releases/{id}/translate",
            get(translate_form).post(translate),
        )
        .route("/admin/translations/{id}", get(edit).post(save))
        .route("/admin/translations/{id}/preview", post(preview))
        .route("/admin/translations/{id}/action", post(action))
        .route("/admin/translations/{id}/history", get(history))
}

/// Form fields as sent (checkboxes repeat a name), read by name.
pub(crate) struct Fields(pub(crate) Vec<(String, String)>);

impl Fields {
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The revision fields of the editor form; bad numbers become field errors.
    fn revision_input(&self) -> Result<RevisionInput, Invalid> {
        let mut invalid = Invalid::default();
        let spokesperson_id = match self.get("spokesperson_id") {
            "" => None,
            n => n.parse().map(Some).unwrap_or_else(|_| {
                invalid.push("spokesperson_id", "choose a spokesperson from the list");
                None
            }),
        };
        let mut topic_ids = Vec::new();
        for t in self.all("topic_ids") {
            match t.parse() {
                Ok(id) => topic_ids.push(id),
                Err(_) => invalid.push("topic_ids", "choose topics from the list"),
            }
        }
        let slug = Some(self.get("slug").trim().to_owned()).filter(|s| !s.is_empty());
        let input = RevisionInput {
            title: self.get("title").to_owned(),
            lead: self.get("lead").to_owned(),
            body: self.get("body").replace("\r\n", "\n"),
            spokesperson_id,
            topic_ids,
            slug,
        };
        invalid.into_result(input)
    }
}

async fn dashboard(
    State(state): State<AppState>,
    Extension(signed): Extension<Signed>,
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

/// Reference data for showing rows and forms.
struct Views {
    settings: pressroom_core::settings::SiteSettings,
    kinds: Vec<pressroom_core::release::Kind>,
    topics: Vec<pressroom_core::release::Topic>,
    spokespeople: Vec<pressroom_core::release::Spokesperson>,
}

impl Views {
    async fn load(state: &AppState) -> Result<Self, WebError> {
        let store = state.store();
        Ok(Self {
            settings: store.site_settings().await?,
            kinds: store.list_kinds().await?,
            topics: store.list_topics().await?,
            spokespeople: store.list_spokespeople().await?,
        })
    }

    fn kind_name(&self, key: &str) -> String {
        self.kinds.iter().find(|k| k.key == key).map_or_else(
            || key.to_owned(),
            |k| pick(&k.names, "en", self.settings.default_language()).to_owned(),
        )
    }

    fn when(&self, at: Timestamp) -> String {
        at.to_zoned_datetime(self.settings.tz())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    }

    fn number(&self, release: &pressroom_core::release::Release) -> Option<String> {
        release.number.map(|n| {
            format!(
                "{}/{}{}",
                n.seq,
                n.year,
                release
                    .series
                    .as_deref()
                    .filter(|s| *s != "main")
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default()
            )
        })
    }

    fn rows(&self, rows: &[pressroom_store::EditorialRow]) -> Vec<minijinja::Value> {
        rows.iter()
            .map(|r| {
                context! {
                    id => r.translation.id,
                    title => r.title,
                    lang => r.translation.lang,
                    state => r.translation.state.as_str(),
                    live => r.translation.live_revision_id.is_some(),
                    kind => self.kind_name(&r.release.kind),
                    number => self.number(&r.release),
                    author => r.author,
                    updated => self.when(r.updated_at),
                    scheduled_at => r.translation.scheduled_at.map(|at| self.when(at)),
                    late => r.translation.scheduled_at.is_some_and(|at| Timestamp::now().duration_since(at).as_secs() > 5),
                }
            })
            .collect()
    }

    fn form_choices(&self) -> minijinja::Value {
        let fallback = self.settings.default_language();
        context! {
            kinds => self.kinds.iter().map(|k| context! { key => k.key, name => pick(&k.names, "en", fallback) }).collect::<Vec<_>>(),
            languages => self.settings.languages.iter().map(|l| context! { code => l.code, name => l.name }).collect::<Vec<_>>(),
            topics => self.topics.iter().map(|t| context! { id => t.id, name => pick(&t.names, "en", fallback) }).collect::<Vec<_>>(),
            spokespeople => self.spokespeople.iter().map(|s| context! { id => s.id, name => pick(&s.names, "en", fallback) }).collect::<Vec<_>>(),
        }
    }
}

#[derive(Debug, Deserialize, Default)]
struct ListQuery {
    state: Option<String>,
    kind: Option<String>,
    lang: Option<String>,
    author: Option<String>,
    q: Option<String>,
    page: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    Extension(signed): Extension<Signed>,
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

async fn new_form(
    State(state): State<AppState>,
    Extension(signed): Extension<Signed>,
) -> Result<Response, WebError> {
    let views = Views::load(&state).await?;
    let lang = views.settings.default_language().to_owned();
    render_new(&state, &signed, &views, &[], None, &lang, "press-release")
}

fn render_new(
    state: &AppState,
    signed: &Signed,
    views: &Views,
    fields: &[(String, String)],
    errors: Option<&Invalid>,
    lang: &str,
    kind: &str,
) -> Result<Response, WebError> {
    let values: std::collections::BTreeMap<&str, &str> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let topics: Vec<&str> = fields
        .iter()
        .filter(|(k, _)| k == "topic_ids")
        .map(|(_, v)| v.as_str())
        .collect();
    page(
        state,
        "admin/new.html",
        Some(signed),
        context! { choices => views.form_choices(), values, topics, errors => errors_map(errors), lang, kind },
    )
}

/// Field errors by field name, for the templates.
pub(crate) fn errors_map(errors: Option<&Invalid>) -> std::collections::BTreeMap<String, String> {
    let mut map = std::collections::BTreeMap::new();
    for e in errors.map(|i| i.errors.as_slice()).unwrap_or_default() {
        map.entry(e.field.clone())
            .and_modify(|m: &mut String| {
                m.push_str("; ");
                m.push_str(&e.message)
            })
            .or_insert_with(|| e.message.clone());
    }
    map
}

async fn create(
    State(state): State<AppState>,
    Extension(signed): Extension<Signed>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let fields = Fields(raw);
    let views = Views::load(&state).await?;
    let (lang, kind) = (fields.get("lang").to_owned(), fields.get("kind").to_owned());
    let result = match fields.revision_input() {
        Ok(input) => {
            state
                .store()
                .create_release(
                    &NewRelease {
                        kind: kind.clone(),
                        lang: lang.clone(),
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
            let mut response = render_new(
                &state,
                &signed,
                &views,
                &fields.0,
                Some(&invalid),
                &lang,
                &kind,
            )?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize, Default)]
struct EditQuery {
    done: Option<String>,
}

async fn edit(
    State(state): State<AppState>,
    Extension(signed): Extension<Signed>,
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
    signed: &Signed,
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
    let review = signed
        .user
        .role
        .can(pressroom_core::user::Capability::Review);
    let actions = context! {
        submit => matches!(t.state, WfState::Draft | WfState::Rejected),
        review => review && t.state == WfState::Submitted,
        unschedule => review && t.state == WfState::Scheduled,
        force => review && matches!(t.state, WfState::Draft | WfState::Submitted),
        withdraw => review && t.state == WfState::Published,
        delete => t.state == WfState::Draft && !is_live,
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
    Extension(signed): Extension<Signed>,
    Path(id): Path<TranslationId>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let fields = Fields(raw);
    let detail = state.store().translation_detail(id).await?;
    let version: i64 = fields.get("version").parse().map_err(|_| {
        WebError::BadRequest("The form lacks its version; reload the editor.".to_owned())
    })?;
    let input = match fields.revision_input() {
        Ok(input) => input,
        Err(invalid) => {
            return editor_error(&state, &signed, &detail, &fields, version, invalid).await;
        }
    };
    match state
        .store()
        .save_revision(id, version, &input, By::User(&signed.user))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/admin/translations/{id}?done=saved")).into_response()),
        Err(StoreError::Invalid(invalid)) => {
            editor_error(&state, &signed, &detail, &fields, version, invalid).await
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
            let input = fields.revision_input().unwrap_or_default();
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

async fn editor_error(
    state: &AppState,
    signed: &Signed,
    detail: &TranslationDetail,
    fields: &Fields,
    version: i64,
    invalid: Invalid,
) -> Result<Response, WebError> {
    let input = RevisionInput {
        title: fields.get("title").to_owned(),
        lead: fields.get("lead").to_owned(),
        body: fields.get("body").to_owned(),
        spokesperson_id: fields.get("spokesperson_id").parse().ok(),
        topic_ids: fields
            .all("topic_ids")
            .iter()
            .filter_map(|t| t.parse().ok())
            .collect(),
        slug: Some(fields.get("slug").to_owned()),
    };
    let mut response = render_editor(
        state,
        signed,
        detail,
        &input,
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
    Extension(signed): Extension<Signed>,
    Path(id): Path<TranslationId>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let fields = Fields(raw);
    let detail = state.store().translation_detail(id).await?;
    let version: i64 = fields
        .get("version")
        .parse()
        .unwrap_or(detail.translation.version);
    let input = RevisionInput {
        title: fields.get("title").to_owned(),
        lead: fields.get("lead").to_owned(),
        body: fields.get("body").replace("\r\n", "\n"),
        spokesperson_id: fields.get("spokesperson_id").parse().ok(),
        topic_ids: fields
            .all("topic_ids")
            .iter()
            .filter_map(|t| t.parse().ok())
            .collect(),
        slug: Some(fields.get("slug").to_owned()),
    };
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

/// Reads a workflow action from the editor's action form.
fn parse_action(fields: &Fields, tz: &jiff::tz::TimeZone) -> Result<Action, Invalid> {
    let correction = match fields.get("correction") {
        "major" => Some(Correction::Major {
            note: fields.get("change_note").to_owned(),
        }),
        "minor" => Some(Correction::Minor),
        _ => None,
    };
    Ok(match fields.get("action") {
        "submit" => Action::Submit,
        "reject" => Action::Reject {
            comment: fields.get("comment").to_owned(),
        },
        "approve_publish" => Action::ApprovePublish { correction },
        "approve_schedule" => {
            let text = fields.get("publish_at").trim();
            let at = text
                .parse::<jiff::civil::DateTime>()
                .ok()
                .and_then(|dt| dt.to_zoned_datetime(tz.clone()).ok())
                .map(|z| z.timestamp())
                .ok_or_else(|| {
                    Invalid::field(
                        "publish_at",
                        "give a date and time such as 2026-12-01T09:30",
                    )
                })?;
            Action::ApproveSchedule { at, correction }
        }
        "unschedule" => Action::Unschedule,
        "force_publish" => Action::ForcePublish {
            reason: fields.get("reason").to_owned(),
            correction,
        },
        "withdraw" => Action::Withdraw {
            explanation: fields.get("explanation").to_owned(),
        },
        "delete" => Action::Delete,
        other => {
            return Err(Invalid::field(
                "action",
                format!("`{other}` is not an action"),
            ));
        }
    })
}

async fn action(
    State(state): State<AppState>,
    Extension(signed): Extension<Signed>,
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
            let target = if kind == pressroom_core::workflow::ActionKind::Delete { "/admin/?done=deleted".to_owned() } else { format!("/admin/translations/{id}?done={}", kind.as_str()) };
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

#[derive(Debug, Deserialize, Default)]
struct TranslateQuery {
    lang: Option<String>,
}

async fn translate_form(
    State(state): State<AppState>,
    Extension(signed): Extension<Signed>,
    Path(release_id): Path<i64>,
    Query(q): Query<TranslateQuery>,
) -> Result<Response, WebError> {
    let lang = q.lang.unwrap_or_default();
    render_translate(&state, &signed, release_id, &lang, &[], None).await
}

async fn render_translate(
    state: &AppState,
    signed: &Signed,
    release_id: i64,
    lang: &str,
    fields: &[(String, String)],
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
    let values: std::collections::BTreeMap<&str, &str> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let topics: Vec<i64> = if fields.is_empty() {
        source.head.topic_ids.clone()
    } else {
        fields
            .iter()
            .filter(|(k, _)| k == "topic_ids")
            .filter_map(|(_, v)| v.parse().ok())
            .collect()
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

async fn translate(
    State(state): State<AppState>,
    Extension(signed): Extension<Signed>,
    Path(release_id): Path<i64>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let fields = Fields(raw);
    let lang = fields.get("lang").to_owned();
    let result = match fields.revision_input() {
        Ok(input) => {
            state
                .store()
                .add_translation(release_id, &lang, &input, By::User(&signed.user))
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
                &lang,
                &fields.0,
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
struct HistoryQuery {
    a: Option<String>,
    b: Option<String>,
}

async fn history(
    State(state): State<AppState>,
    Extension(signed): Extension<Signed>,
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
