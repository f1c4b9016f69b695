//! `pressroom demo`: a fictional ministry to look at and click through.
//!
//! The content (`demo/content.toml`) is written for this project: the Ministry of Water and
//! Coastal Affairs of the invented Republic of Kaspiana, about thirty releases in Azerbaijani,
//! English and Russian. Loading goes through the same store operations the editorial area
//! uses — drafted by an author, approved by an editor, numbered at publication — so the demo
//! also exercises the real workflow. A data folder that already holds the demo is reused.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use jiff::{SignedDuration, Timestamp};
use pressroom_core::language::{Language, Localized};
use pressroom_core::numbering::{DEFAULT_SERIES, numbering_year};
use pressroom_core::release::RevisionInput;
use pressroom_core::settings::SiteSettings;
use pressroom_core::user::{Role, User};
use pressroom_core::workflow::{Action, Correction};
use pressroom_store::{By, ImportedNumber, NewRelease, Store};
use serde::Deserialize;

use crate::commands::{open_store, serve_store};
use crate::config::Config;

/// The demo's content, embedded so the binary needs no files beside it.
const CONTENT: &str = include_str!("../demo/content.toml");

/// Every demo account's password; printed at start, fine for a site on loopback.
pub const DEMO_PASSWORD: &str = "pressroom-demo";

/// The setting that marks a data folder as the demo's: `filling` while loading, then `ready`.
const MARKER: &str = "demo";

/// The demo accounts: (username, display name, role, what they do).
const PEOPLE: &[(&str, &str, Role, &str)] = &[
    (
        "admin",
        "Site administrator",
        Role::Admin,
        "users and settings",
    ),
    (
        "editor",
        "Head of the press service",
        Role::Editor,
        "reviews and publishes",
    ),
    (
        "author",
        "Press officer",
        Role::Author,
        "drafts and translates",
    ),
];

#[derive(Debug, Deserialize)]
struct Content {
    site: SiteContent,
    spokespeople: Vec<SpokespersonContent>,
    topics: Vec<TopicContent>,
    pages: Vec<PageContent>,
    releases: Vec<ReleaseContent>,
}

#[derive(Debug, Deserialize)]
struct SiteContent {
    title: Localized,
    rights_notice: Localized,
}

#[derive(Debug, Deserialize)]
struct SpokespersonContent {
    key: String,
    name: Localized,
    position: Localized,
}

#[derive(Debug, Deserialize)]
struct TopicContent {
    slug: String,
    name: Localized,
}

#[derive(Debug, Deserialize)]
struct PageContent {
    slug: String,
    title: Localized,
    body: Localized,
}

#[derive(Debug, Deserialize)]
struct ReleaseContent {
    kind: String,
    published: Option<String>,
    state: String,
    #[serde(default)]
    topics: Vec<String>,
    spokesperson: Option<String>,
    number: Option<i64>,
    schedule_in_hours: Option<i64>,
    translations: BTreeMap<String, TranslationContent>,
}

#[derive(Debug, Deserialize)]
struct TranslationContent {
    title: String,
    #[serde(default)]
    lead: String,
    body: String,
    original_body: Option<String>,
    change_note: Option<String>,
    withdrawal: Option<String>,
}

/// `pressroom demo`: fill the data folder if it is new, then serve it.
pub(crate) async fn run(config: &Config) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    // The demo runs alone on its folder, so it may make its own key.
    let store = crate::authenticity::signing_store(config, store, true).await?;
    match store.setting(MARKER).await?.as_deref() {
        Some("ready") => println!("Reusing the demo site in {}", config.data_dir.display()),
        Some(_) => bail!(
            "an earlier demo load into {} was interrupted; delete that folder and run `pressroom demo` again",
            config.data_dir.display()
        ),
        None if !store.list_users().await?.is_empty() => bail!(
            "{} holds a Pressroom site that is not the demo; nothing was changed. Choose an empty folder with --data",
            config.data_dir.display()
        ),
        None => {
            println!(
                "Loading the demo ministry into {} …",
                config.data_dir.display()
            );
            let count = load(&store, Timestamp::now()).await?;
            println!("Loaded {count} releases.");
        }
    }
    serve_store(config, store, |address| {
        println!("\nPressroom demo is running at http://{address}/");
        println!("Demo accounts (password `{DEMO_PASSWORD}` for each):");
        for (username, _, role, what) in PEOPLE {
            println!("  {username:<8} {role:<7} {what}");
        }
        println!("Stop it with Ctrl+C.");
    })
    .await
}

/// Loads the demo content into an empty store; returns the number of releases.
pub(crate) async fn load(store: &Store, now: Timestamp) -> anyhow::Result<usize> {
    let content: Content =
        toml::from_str(CONTENT).context("the embedded demo content is not valid")?;
    store.put_setting(MARKER, "filling", By::Cli).await?;
    let settings = SiteSettings {
        title: content.site.title.clone(),
        languages: ["az", "en", "ru"]
            .iter()
            .map(|c| Language::from_code(c))
            .collect::<Result<_, _>>()
            .map_err(anyhow::Error::msg)?,
        time_zone: "Asia/Baku".to_owned(),
        rights_notice: content.site.rights_notice.clone(),
        two_person_rule: true,
        require_totp: false,
    };
    store.bootstrap(&settings, By::Cli).await?;
    let mut users: BTreeMap<&str, User> = BTreeMap::new();
    for (username, name, role, _) in PEOPLE {
        users.insert(
            username,
            store
                .create_user(username, name, *role, DEMO_PASSWORD, By::Cli)
                .await?,
        );
    }
    let (author, editor) = (&users["author"], &users["editor"]);
    let mut topic_ids = BTreeMap::new();
    for t in &content.topics {
        topic_ids.insert(
            t.slug.clone(),
            store.create_topic(&t.slug, &t.name, By::Cli).await?.id,
        );
    }
    let mut spokespeople = BTreeMap::new();
    for s in &content.spokespeople {
        spokespeople.insert(
            s.key.clone(),
            store
                .create_spokesperson(&s.key, &s.name, &s.position, By::Cli)
                .await?
                .id,
        );
    }
    for page in &content.pages {
        for (lang, title) in &page.title {
            let body = page
                .body
                .get(lang)
                .with_context(|| format!("page {} has no {lang} body", page.slug))?;
            store
                .save_page(&page.slug, lang, title, body, By::Cli)
                .await?;
        }
    }
    let tz = settings.tz();
    for (i, release) in content.releases.iter().enumerate() {
        load_release(
            store,
            release,
            &topic_ids,
            &spokespeople,
            author,
            editor,
            now,
            &tz,
        )
        .await
        .with_context(|| format!("demo release {} ({})", i + 1, release.kind))?;
    }
    store.put_setting(MARKER, "ready", By::Cli).await?;
    Ok(content.releases.len())
}

#[expect(
    clippy::too_many_arguments,
    reason = "a loader step that needs the whole demo context"
)]
async fn load_release(
    store: &Store,
    release: &ReleaseContent,
    topic_ids: &BTreeMap<String, i64>,
    spokespeople: &BTreeMap<String, i64>,
    author: &User,
    editor: &User,
    now: Timestamp,
    tz: &jiff::tz::TimeZone,
) -> anyhow::Result<()> {
    let topics = release
        .topics
        .iter()
        .map(|slug| {
            topic_ids
                .get(slug)
                .copied()
                .with_context(|| format!("unknown topic `{slug}`"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let spokesperson_id = match &release.spokesperson {
        Some(key) => Some(
            *spokespeople
                .get(key)
                .with_context(|| format!("unknown spokesperson `{key}`"))?,
        ),
        None => None,
    };
    let input = |t: &TranslationContent, body: &str| RevisionInput {
        title: t.title.clone(),
        lead: t.lead.clone(),
        body: body.to_owned(),
        spokesperson_id,
        topic_ids: topics.clone(),
        slug: None,
    };
    let published: Option<Timestamp> = match &release.published {
        Some(text) => Some(
            text.parse()
                .with_context(|| format!("`{text}` is not a date and time with offset"))?,
        ),
        None => None,
    };
    // The source language first, then the translations in a fixed order.
    let mut langs: Vec<&String> = release.translations.keys().collect();
    langs.sort_by_key(|l| match l.as_str() {
        "az" => 0,
        "en" => 1,
        _ => 2,
    });
    let mut release_id = None;
    for (position, lang) in langs.into_iter().enumerate() {
        let t = &release.translations[lang];
        let first_body = t.original_body.as_deref().unwrap_or(&t.body);
        let detail = match release_id {
            None => {
                let new = NewRelease {
                    kind: release.kind.clone(),
                    lang: lang.clone(),
                    input: input(t, first_body),
                };
                let detail = store.create_release(&new, By::User(author)).await?;
                if let (Some(seq), Some(at)) = (release.number, published) {
                    let number = ImportedNumber {
                        series: DEFAULT_SERIES.to_owned(),
                        year: numbering_year(at, tz),
                        seq,
                    };
                    store
                        .import_number(detail.release.id, &number, By::User(editor))
                        .await?;
                }
                release_id = Some(detail.release.id);
                detail
            }
            Some(id) => {
                store
                    .add_translation(id, lang, &input(t, first_body), By::User(author))
                    .await?
            }
        };
        let id = detail.translation.id;
        // Translations follow the source text by forty minutes each, as they do in real life.
        let at = published.map(|p| p + SignedDuration::from_mins(40 * position as i64));
        match (release.state.as_str(), at) {
            ("draft", _) => {}
            ("submitted", _) => {
                store
                    .apply(id, None, &Action::Submit, By::User(author), now)
                    .await?;
            }
            ("scheduled", _) => {
                let due = now + SignedDuration::from_hours(release.schedule_in_hours.unwrap_or(24));
                store
                    .apply(id, None, &Action::Submit, By::User(author), now)
                    .await?;
                let schedule = Action::ApproveSchedule {
                    at: due,
                    correction: None,
                };
                store
                    .apply(id, None, &schedule, By::User(editor), now)
                    .await?;
            }
            ("published" | "corrected" | "withdrawn", Some(at)) => {
                store
                    .apply(id, None, &Action::Submit, By::User(author), at)
                    .await?;
                let approve = Action::ApprovePublish { correction: None };
                store
                    .apply(id, None, &approve, By::User(editor), at)
                    .await?;
                let later = at + SignedDuration::from_hours(26);
                if release.state == "corrected" {
                    let note = t
                        .change_note
                        .clone()
                        .context("a corrected release needs change_note")?;
                    let version = store.translation(id).await?.version;
                    store
                        .save_revision(id, version, &input(t, &t.body), By::User(author))
                        .await?;
                    store
                        .apply(id, None, &Action::Submit, By::User(author), later)
                        .await?;
                    let correct = Action::ApprovePublish {
                        correction: Some(Correction::Major { note }),
                    };
                    store
                        .apply(id, None, &correct, By::User(editor), later)
                        .await?;
                }
                if release.state == "withdrawn" {
                    let explanation = t
                        .withdrawal
                        .clone()
                        .context("a withdrawn release needs withdrawal")?;
                    store
                        .apply(
                            id,
                            None,
                            &Action::Withdraw { explanation },
                            By::User(editor),
                            later,
                        )
                        .await?;
                }
            }
            (state, _) => bail!("state `{state}` needs a `published` time or is not a demo state"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use pressroom_core::workflow::State;
    use pressroom_store::ReleaseFilter;
    use pressroom_store::testing::TestDb;

    use super::*;

    #[tokio::test]
    async fn the_demo_loads_every_kind_of_release() {
        let db = TestDb::sqlite().await;
        let now: Timestamp = "2026-11-29T10:00:00Z".parse().unwrap();
        let count = load(&db.store, now).await.unwrap();
        assert!(count >= 25, "about thirty releases, got {count}");
        assert_eq!(
            db.store.setting(MARKER).await.unwrap().as_deref(),
            Some("ready")
        );
        for lang in ["az", "en", "ru"] {
            let filter = ReleaseFilter {
                lang: lang.into(),
                limit: 100,
                ..Default::default()
            };
            assert!(
                db.store.count_public(&filter).await.unwrap() >= 20,
                "{lang}"
            );
            assert!(db.store.page("privacy", lang).await.is_ok());
            assert!(db.store.page("terms", lang).await.is_ok());
        }
        assert_eq!(
            db.store.numbers_in("main", 2025).await.unwrap()[..2],
            [214, 215],
            "imported numbers kept"
        );
        let numbers_2026 = db.store.numbers_in("main", 2026).await.unwrap();
        assert_eq!(
            numbers_2026,
            (1..=numbers_2026.len() as i64).collect::<Vec<_>>(),
            "gap-free in 2026"
        );
        assert_eq!(
            db.store.next_due().await.unwrap(),
            Some(now + SignedDuration::from_hours(30))
        );
        let log = db.store.audit_log(None, 10_000).await.unwrap();
        assert!(log.iter().any(|e| e.action == "withdraw"));
        assert!(
            log.iter()
                .any(|e| e.details.contains("Major") || e.details.contains("major"))
        );
        let en = ReleaseFilter {
            lang: "en".into(),
            limit: 100,
            ..Default::default()
        };
        let listed = db.store.list_public(&en).await.unwrap();
        assert!(listed.iter().any(|s| s.withdrawn));
        let states: Vec<State> = {
            let mut states = Vec::new();
            for s in &listed {
                for t in db.store.translations_of(s.release.id).await.unwrap() {
                    states.push(t.state);
                }
            }
            states
        };
        assert!(states.contains(&State::Published) && states.contains(&State::Withdrawn));
    }
}
