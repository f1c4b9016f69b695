//! The release page: the release in one language, with everything the design lists, in its
//! order (banner, kind and date, number, headline, lead, body … footer).

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use minijinja::context;
use pressroom_core::language::pick;
use pressroom_core::release::parse_release_segment;
use pressroom_core::slug::percent_encode;
use pressroom_store::PublicRelease;
use serde::Deserialize;

use super::{Loaded, chrome, render};
use crate::view::{Ctx, release_path};
use crate::{AppState, WebError};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/{lang}/releases/{year}/{segment}", get(release))
        .route(
            "/{lang}/releases/{year}/{segment}/revisions/{revision}",
            get(old_revision),
        )
}

/// `?revision=N`, the old address of an earlier published revision: it now answers with a
/// permanent redirect to the path form, `…/revisions/N`.
#[derive(Debug, Deserialize, Default)]
struct ReleaseQuery {
    revision: Option<String>,
}

/// Where the change history shows revision `id` of the page at `path`: the page itself for
/// the live revision, `{path}/revisions/{id}` for an earlier one (a path, so that a static
/// export holds it).
pub(crate) fn revision_url(path: &str, id: i64, live: Option<i64>) -> String {
    if Some(id) == live {
        path.to_owned()
    } else {
        format!("{path}/revisions/{id}")
    }
}

async fn release(
    State(state): State<AppState>,
    Path((lang, year, segment)): Path<(String, String, String)>,
    Query(query): Query<ReleaseQuery>,
) -> Result<Response, WebError> {
    let revision = query.revision.filter(|r| !r.is_empty());
    release_page(state, lang, year, segment, revision, false).await
}

async fn old_revision(
    State(state): State<AppState>,
    Path((lang, year, segment, revision)): Path<(String, String, String, String)>,
) -> Result<Response, WebError> {
    release_page(state, lang, year, segment, Some(revision), true).await
}

/// The release page, or an earlier revision of it (`in_path`: asked for by its path form).
async fn release_page(
    state: AppState,
    lang: String,
    year: String,
    segment: String,
    revision: Option<String>,
    in_path: bool,
) -> Result<Response, WebError> {
    let loaded = Loaded::fetch(&state, &lang).await?;
    let year: i16 = year.parse().map_err(|_| WebError::NotFound)?;
    let (key, slug) = parse_release_segment(&segment).ok_or(WebError::NotFound)?;
    let mut found = state
        .store()
        .find_public(&loaded, &lang, year, &key)
        .await?;
    let path = release_path(
        &lang,
        &found.release,
        &found.translation.slug,
        &loaded.settings,
    );
    let live = found.translation.live_revision_id;
    // An earlier revision is readable only if it was published: drafts never leak this way.
    let asked = match revision.as_deref() {
        None => None,
        Some(n) => {
            let id: i64 = n.parse().map_err(|_| match in_path {
                true => WebError::NotFound,
                false => WebError::BadRequest("The revision must be a number.".to_owned()),
            })?;
            if !found.history.iter().any(|p| p.revision_id == id) {
                return Err(WebError::NotFound);
            }
            Some(id)
        }
    };
    let address = asked.map_or_else(|| path.clone(), |id| revision_url(&path, id, live));
    if slug != found.translation.slug || (asked.is_some() && (!in_path || asked == live)) {
        return Ok(Redirect::permanent(&address).into_response());
    }
    let showing_old = match asked {
        Some(id) => {
            found.revision = state.store().revision(id).await?;
            Some(id)
        }
        None => None,
    };
    let ctx = loaded.ctx(&state, &lang);
    // Media (issue 7): the banner, Open Graph image and attachments of the revision shown.
    let shown = state.store().revision_media(found.revision.id).await?;
    let media = crate::media::release_media(&ctx, &shown, &state.config().base_url);
    let alternates: Vec<(String, String)> = std::iter::once((lang.clone(), path.clone()))
        .chain(found.other_languages.iter().map(|(code, slug)| {
            (
                code.clone(),
                release_path(code, &found.release, slug, &loaded.settings),
            )
        }))
        .collect();
    let page = release_view(
        &state,
        &ctx,
        &found,
        &path,
        &alternates,
        showing_old.is_some(),
    );
    let chrome = chrome(&state, &loaded, &lang, &path, &alternates)?;
    render(
        &state,
        "release.html",
        context! { lang, chrome, media, ..page },
        vec![
            format!("release:{}", found.release.id),
            format!("chrome:{lang}"),
        ],
    )
}

fn release_view(
    state: &AppState,
    ctx: &Ctx<'_>,
    found: &PublicRelease,
    path: &str,
    alternates: &[(String, String)],
    old_revision: bool,
) -> minijinja::Value {
    let lang = ctx.lang;
    let fallback = ctx.settings.default_language();
    let base = &state.config().base_url;
    let url = format!("{base}{path}");
    let published = found
        .release
        .first_published_at
        .unwrap_or(found.release.created_at);
    let modified = found.history.last().map_or(published, |p| p.published_at);
    let translations: Vec<_> = alternates
        .iter()
        .filter(|(code, _)| code != lang)
        .filter_map(|(code, url)| {
            ctx.settings
                .language(code)
                .map(|l| context! { code, name => l.name, url })
        })
        .collect();
    let history: Vec<_> = found
        .history
        .iter()
        .enumerate()
        .map(|(i, p)| {
            context! {
                date => ctx.date_text(p.published_at),
                note => p.correction.as_ref().and_then(|c| c.note()),
                first => i == 0,
                url => revision_url(path, p.revision_id, found.translation.live_revision_id),
                current => p.revision_id == found.revision.id,
            }
        })
        .collect();
    let withdrawal = found.translation.withdrawn_at.map(|at| {
        context! {
            notice => state.inner.i18n.text(lang, "withdrawn-on", &[("date", ctx.date_text(at).into())]),
            explanation => found.translation.withdrawal_explanation,
        }
    });
    let spokesperson = found.spokesperson.as_ref().map(|s| {
        context! { name => pick(&s.names, lang, fallback), position => pick(&s.positions, lang, fallback) }
    });
    let topics: Vec<_> = found
        .topics
        .iter()
        .map(|t| context! { name => ctx.topic_name(t), url => format!("/{lang}/topics/{}/", t.slug) })
        .collect();
    let site_title = pick(&ctx.settings.title, lang, fallback).to_owned();
    let number = ctx.number(&found.release);
    let title = &found.revision.title;
    let description = if found.revision.lead.is_empty() {
        let text = pressroom_core::markdown::plain_text(&found.revision.body);
        text.chars().take(200).collect()
    } else {
        found.revision.lead.clone()
    };
    let json_ld = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": title,
        "description": description,
        "inLanguage": lang,
        "url": url,
        "mainEntityOfPage": url,
        "datePublished": published.to_string(),
        "dateModified": modified.to_string(),
        "identifier": number,
        "articleSection": ctx.kind_name(&found.release.kind),
        "publisher": { "@type": "GovernmentOrganization", "name": site_title },
        "author": { "@type": "GovernmentOrganization", "name": site_title },
    });
    context! {
        url,
        title,
        lead => found.revision.lead,
        description,
        body_html => ctx.markdown(&found.revision.body),
        kind => ctx.kind_name(&found.release.kind),
        date => ctx.date_text(published),
        date_iso => ctx.local_date(published).to_string(),
        published_iso => published.to_string(),
        modified_iso => modified.to_string(),
        number,
        spokesperson,
        topics,
        translations,
        history => if history.len() > 1 { history } else { Vec::new() },
        withdrawal,
        old_revision,
        share => share_links(ctx, &url, title),
        // `<` is escaped so the data block can never close its script element early.
        json_ld => json_ld.to_string().replace('<', "\\u003c"),
        og_locale => lang.replace('-', "_"),
        authenticity => crate::authenticity::release_block(lang, found),
    }
}

/// Plain links to the usual networks: no third-party script, nothing loads until clicked.
fn share_links(ctx: &Ctx<'_>, url: &str, title: &str) -> Vec<minijinja::Value> {
    let u = percent_encode(url);
    let t = percent_encode(title);
    [
        ("X", format!("https://x.com/intent/post?url={u}&text={t}")),
        (
            "Facebook",
            format!("https://www.facebook.com/sharer/sharer.php?u={u}"),
        ),
        (
            "Telegram",
            format!("https://t.me/share/url?url={u}&text={t}"),
        ),
        ("WhatsApp", format!("https://wa.me/?text={t}%20{u}")),
        (
            "LinkedIn",
            format!("https://www.linkedin.com/sharing/share-offsite/?url={u}"),
        ),
        (
            ctx.text("share-email").as_str(),
            format!("mailto:?subject={t}&body={u}"),
        ),
    ]
    .into_iter()
    .map(|(name, href)| context! { name, href })
    .collect()
}
