//! Subscribing by e-mail, with no account: the form (`/{lang}/subscribe`, also in every
//! page's footer), and the pages behind the links in every mail — confirm, manage, unsubscribe
//! (`/{lang}/subscription/{token}…`), where the secret token is the only credential.
//!
//! Links in mail are fetched by scanners and previews, so a `GET` never changes anything: the
//! confirmation and unsubscribe pages show a button that `POST`s. The one exception to a page
//! is RFC 8058's one-click unsubscribe, a `POST` with `List-Unsubscribe=One-Click` from the mail
//! client, answered with a page all the same.
//!
//! The form's answer is the same whatever the address's state (new, pending, subscribed), and
//! the store writes a mail only within the per-address allowance; a bucket per client address
//! and one for the whole site limit how fast the form can be used at all. None of these pages
//! is cached: they depend on the token's subscription, which may end at any moment.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use minijinja::context;
use pressroom_core::language::pick;
use pressroom_core::subscription::{DIGEST_HOUR, Frequency};
use pressroom_store::{Choices, StoreError, Subscriber, SubscriberState};
use serde::{Deserialize, Serialize};

use super::{Loaded, all_languages, chrome};
use crate::admin::forms::{HtmlForm, errors_map};
use crate::api::Buckets;
use crate::client::ClientAddress;
use crate::{AppState, WebError};

/// Form posts a minute from one client address, and from everyone together: enough for a
/// newsroom behind one address, too few to mail-bomb through the form.
const PER_CLIENT_PER_MINUTE: usize = 6;
const SITE_PER_MINUTE: usize = 300;

/// The form's rate limits.
pub(crate) struct SubscribeLimits {
    per_client: Buckets,
    site: Buckets,
}

impl Default for SubscribeLimits {
    fn default() -> Self {
        Self {
            per_client: Buckets::new(PER_CLIENT_PER_MINUTE),
            site: Buckets::new(SITE_PER_MINUTE),
        }
    }
}

impl SubscribeLimits {
    /// Takes one post from `client`'s allowance and the site's.
    fn take(&self, client: &str) -> Result<(), std::time::Duration> {
        let now = std::time::Instant::now();
        self.per_client.take(client, 1.0, now)?;
        self.site.take("site", 1.0, now)
    }
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/{lang}/subscribe", get(form_page).post(subscribe))
        .route("/{lang}/subscription/{token}", get(manage).post(save))
        .route(
            "/{lang}/subscription/{token}/confirm",
            get(confirm_page).post(confirm),
        )
        .route(
            "/{lang}/subscription/{token}/unsubscribe",
            get(unsubscribe_page).post(unsubscribe),
        )
}

/// What the subscription form posts. `website` is a field people never see (it is hidden by
/// the stylesheet and skipped by keyboard and screen readers); a form that fills it in was
/// filled in by a robot, which is told "check your inbox" and nothing is done.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SubscribeForm {
    email: String,
    /// `all`, or `chosen` for the lists below.
    scope: String,
    langs: Vec<String>,
    kinds: Vec<String>,
    topics: Vec<String>,
    frequency: String,
    website: String,
}

impl SubscribeForm {
    fn choices(&self, lang: &str) -> Choices {
        let chosen = self.scope == "chosen";
        Choices {
            // Releases in the page's language unless other languages were picked.
            langs: if self.langs.is_empty() {
                vec![lang.to_owned()]
            } else {
                self.langs.clone()
            },
            kinds: if chosen {
                self.kinds.clone()
            } else {
                Vec::new()
            },
            topics: if chosen {
                self.topics.clone()
            } else {
                Vec::new()
            },
            frequency: Frequency::from_name(&self.frequency).unwrap_or_default(),
        }
    }
}

/// An option of the form's lists, with whether it is ticked.
#[derive(Serialize)]
struct Option_ {
    value: String,
    label: String,
    checked: bool,
}

/// The lists the form offers, ticked as `choices` says.
fn options(loaded: &Loaded, lang: &str, choices: &Choices) -> minijinja::Value {
    let fallback = loaded.settings.default_language();
    let langs: Vec<Option_> = loaded
        .settings
        .languages
        .iter()
        .map(|l| Option_ {
            value: l.code.clone(),
            label: l.name.clone(),
            checked: choices.langs.contains(&l.code),
        })
        .collect();
    let kinds: Vec<Option_> = loaded
        .kinds
        .iter()
        .map(|k| Option_ {
            value: k.key.clone(),
            label: pick(&k.names, lang, fallback).to_owned(),
            checked: choices.kinds.contains(&k.key),
        })
        .collect();
    let topics: Vec<Option_> = loaded
        .topics
        .iter()
        .map(|t| Option_ {
            value: t.slug.clone(),
            label: pick(&t.names, lang, fallback).to_owned(),
            checked: choices.topics.contains(&t.slug),
        })
        .collect();
    context! {
        langs,
        kinds,
        topics,
        chosen => !choices.kinds.is_empty() || !choices.topics.is_empty(),
        daily => choices.frequency == Frequency::Daily,
        digest_hour => DIGEST_HOUR,
    }
}

/// Renders a subscription page: never cached, never stored by a browser or proxy.
fn page(state: &AppState, status: StatusCode, ctx: minijinja::Value) -> Result<Response, WebError> {
    let html = state.inner.templates.render("subscribe.html", ctx)?;
    let mut response = (status, Html(html)).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The frame and lists of a subscription page in `lang`; `step` says which part to show.
async fn frame(
    state: &AppState,
    lang: &str,
    path: &str,
    step: &str,
    choices: &Choices,
    extra: minijinja::Value,
) -> Result<minijinja::Value, WebError> {
    let loaded = Loaded::fetch(state, lang).await?;
    let alternates = if path.contains("/subscription/") {
        Vec::new()
    } else {
        all_languages(&loaded.settings, lang, path)
    };
    let chrome = chrome(state, &loaded, lang, path, &alternates)?;
    Ok(context! {
        lang,
        chrome,
        step,
        action => path,
        options => options(&loaded, lang, choices),
        ..extra
    })
}

fn mail_enabled(state: &AppState) -> Result<(), WebError> {
    if state.inner.mailer.is_some() {
        Ok(())
    } else {
        Err(WebError::NotFound)
    }
}

async fn form_page(
    State(state): State<AppState>,
    Path(lang): Path<String>,
) -> Result<Response, WebError> {
    mail_enabled(&state)?;
    let choices = Choices {
        langs: vec![lang.clone()],
        ..Choices::default()
    };
    let path = format!("/{lang}/subscribe");
    let ctx = frame(&state, &lang, &path, "form", &choices, context! {}).await?;
    page(&state, StatusCode::OK, ctx)
}

async fn subscribe(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    ClientAddress(client): ClientAddress,
    HtmlForm(form): HtmlForm<SubscribeForm>,
) -> Result<Response, WebError> {
    mail_enabled(&state)?;
    let path = format!("/{lang}/subscribe");
    let choices = form.choices(&lang);
    if state.inner.subscribe_limits.take(&client).is_err() {
        let ctx = frame(&state, &lang, &path, "limited", &choices, context! {}).await?;
        return page(&state, StatusCode::TOO_MANY_REQUESTS, ctx);
    }
    let email = form.email.trim().to_owned();
    if form.website.is_empty() {
        match state
            .store()
            .request_subscription(&email, &lang, &choices)
            .await
        {
            Ok(mailed) => tracing::info!(mailed, "subscription requested"),
            Err(StoreError::Invalid(invalid)) => {
                let ctx = frame(
                    &state,
                    &lang,
                    &path,
                    "form",
                    &choices,
                    context! { email, errors => errors_map(Some(&invalid)) },
                )
                .await?;
                return page(&state, StatusCode::UNPROCESSABLE_ENTITY, ctx);
            }
            Err(e) => return Err(e.into()),
        }
    }
    let ctx = frame(
        &state,
        &lang,
        &path,
        "check-inbox",
        &choices,
        context! { email },
    )
    .await?;
    page(&state, StatusCode::OK, ctx)
}

/// The subscription of a link's token, or the "this link is not valid" page.
async fn by_token(
    state: &AppState,
    lang: &str,
    token: &str,
) -> Result<Result<Subscriber, Response>, WebError> {
    match state.store().subscriber_by_token(token).await {
        Ok(subscriber) => Ok(Ok(subscriber)),
        Err(StoreError::NotFound(_)) => {
            let path = format!("/{lang}/subscribe");
            let ctx = frame(
                state,
                lang,
                &path,
                "unknown",
                &Choices::default(),
                context! {},
            )
            .await?;
            Ok(Err(page(state, StatusCode::NOT_FOUND, ctx)?))
        }
        Err(e) => Err(e.into()),
    }
}

/// The manage page of `subscriber`, with `notice` (a step name) on top.
async fn manage_page(
    state: &AppState,
    lang: &str,
    subscriber: &Subscriber,
    token: &str,
    notice: &str,
    errors: Option<&pressroom_core::Invalid>,
) -> Result<Response, WebError> {
    let path = format!("/{lang}/subscription/{token}");
    let step = match subscriber.state {
        SubscriberState::Pending => "confirm",
        SubscriberState::Confirmed => "manage",
    };
    let ctx = frame(
        state,
        lang,
        &path,
        step,
        &subscriber.choices,
        context! {
            notice,
            email => subscriber.email,
            confirm_action => format!("{path}/confirm"),
            unsubscribe_url => format!("{path}/unsubscribe"),
            errors => errors_map(errors),
        },
    )
    .await?;
    let status = if errors.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page(state, status, ctx)
}

async fn manage(
    State(state): State<AppState>,
    Path((lang, token)): Path<(String, String)>,
) -> Result<Response, WebError> {
    match by_token(&state, &lang, &token).await? {
        Ok(subscriber) => manage_page(&state, &lang, &subscriber, &token, "", None).await,
        Err(response) => Ok(response),
    }
}

async fn save(
    State(state): State<AppState>,
    Path((lang, token)): Path<(String, String)>,
    HtmlForm(form): HtmlForm<SubscribeForm>,
) -> Result<Response, WebError> {
    let subscriber = match by_token(&state, &lang, &token).await? {
        Ok(subscriber) => subscriber,
        Err(response) => return Ok(response),
    };
    match state
        .store()
        .update_subscription(&token, &form.choices(&lang))
        .await
    {
        Ok(saved) => manage_page(&state, &lang, &saved, &token, "saved", None).await,
        Err(StoreError::Invalid(invalid)) => {
            manage_page(&state, &lang, &subscriber, &token, "", Some(&invalid)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn confirm_page(
    State(state): State<AppState>,
    Path((lang, token)): Path<(String, String)>,
) -> Result<Response, WebError> {
    match by_token(&state, &lang, &token).await? {
        Ok(subscriber) => manage_page(&state, &lang, &subscriber, &token, "", None).await,
        Err(response) => Ok(response),
    }
}

async fn confirm(
    State(state): State<AppState>,
    Path((lang, token)): Path<(String, String)>,
) -> Result<Response, WebError> {
    if let Err(response) = by_token(&state, &lang, &token).await? {
        return Ok(response);
    }
    let subscriber = state.store().confirm_subscription(&token).await?;
    manage_page(&state, &lang, &subscriber, &token, "confirmed", None).await
}

async fn unsubscribe_page(
    State(state): State<AppState>,
    Path((lang, token)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let subscriber = match by_token(&state, &lang, &token).await? {
        Ok(subscriber) => subscriber,
        Err(response) => return Ok(response),
    };
    let path = format!("/{lang}/subscription/{token}/unsubscribe");
    let ctx = frame(
        &state,
        &lang,
        &path,
        "unsubscribe",
        &subscriber.choices,
        context! { email => subscriber.email },
    )
    .await?;
    page(&state, StatusCode::OK, ctx)
}

/// The page's button and RFC 8058's one-click POST alike: the subscription ends (unknown
/// tokens too answer "unsubscribed": it may have ended a moment ago in another tab).
async fn unsubscribe(
    State(state): State<AppState>,
    Path((lang, token)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let gone = state.store().unsubscribe(&token).await?;
    tracing::info!(gone, "unsubscribed");
    let path = format!("/{lang}/subscribe");
    let ctx = frame(
        &state,
        &lang,
        &path,
        "unsubscribed",
        &Choices::default(),
        context! {},
    )
    .await?;
    page(&state, StatusCode::OK, ctx)
}
