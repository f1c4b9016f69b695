//! Shared pieces of the editorial forms: reading posted fields, field errors for templates,
//! and the reference data (kinds, languages, topics, spokespeople) forms and lists show.

use jiff::Timestamp;
use minijinja::context;
use pressroom_core::Invalid;
use pressroom_core::language::pick;
use pressroom_core::release::RevisionInput;

use crate::{AppState, WebError};
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
}

/// A form body read into a typed struct. Unlike `axum::Form`, repeated names (checkboxes)
/// fill a `Vec`. A body that does not fit is a bad request naming what is wrong.
pub(crate) struct HtmlForm<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for HtmlForm<T> {
    type Rejection = WebError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, WebError> {
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|e| {
                WebError::BadRequest(format!("The form could not be read: {}", e.body_text()))
            })?;
        serde_html_form::from_bytes(&bytes).map(Self).map_err(|e| {
            WebError::BadRequest(format!(
                "The form could not be read ({e}); reload the page and try again."
            ))
        })
    }
}

/// The fields of a release's text as the editor, the new-release and the translate forms post
/// them (and what they show again when something was wrong). The one conversion from a form to
/// a [`RevisionInput`].
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub(super) struct RevisionForm {
    pub title: String,
    pub lead: String,
    pub body: String,
    pub slug: String,
    pub spokesperson_id: String,
    pub topic_ids: Vec<String>,
    /// The translation's version the edit started from (editor forms).
    pub version: String,
    /// The language (new release, new translation).
    pub lang: String,
    /// The kind (new release).
    pub kind: String,
}

impl RevisionForm {
    /// The typed text as a revision, with browsers' `\r\n` line endings made `\n`; ids that
    /// cannot be read are left out and reported.
    pub(super) fn read(&self) -> (RevisionInput, Invalid) {
        let mut invalid = Invalid::default();
        let spokesperson_id = match self.spokesperson_id.trim() {
            "" => None,
            n => n.parse().map(Some).unwrap_or_else(|_| {
                invalid.push("spokesperson_id", "choose a spokesperson from the list");
                None
            }),
        };
        let mut topic_ids = Vec::new();
        for t in &self.topic_ids {
            match t.trim().parse() {
                Ok(id) => topic_ids.push(id),
                Err(_) => invalid.push("topic_ids", "choose topics from the list"),
            }
        }
        let slug = Some(self.slug.trim().to_owned()).filter(|s| !s.is_empty());
        let input = RevisionInput {
            title: self.title.clone(),
            lead: self.lead.replace("\r\n", "\n"),
            body: self.body.replace("\r\n", "\n"),
            spokesperson_id,
            topic_ids,
            slug,
        };
        (input, invalid)
    }

    /// The revision, or every field error.
    pub(super) fn input(&self) -> Result<RevisionInput, Invalid> {
        let (input, invalid) = self.read();
        invalid.into_result(input)
    }

    /// The version the edit started from.
    pub(super) fn version(&self) -> Result<i64, WebError> {
        self.version.trim().parse().map_err(|_| {
            WebError::BadRequest("The form lacks its version; reload the editor.".to_owned())
        })
    }
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

/// Reference data for showing rows and forms.
pub(super) struct Views {
    pub settings: pressroom_core::settings::SiteSettings,
    pub kinds: Vec<pressroom_core::release::Kind>,
    pub series: Vec<pressroom_core::numbering::NumberSeries>,
    pub topics: Vec<pressroom_core::release::Topic>,
    pub spokespeople: Vec<pressroom_core::release::Spokesperson>,
}

impl Views {
    pub(super) async fn load(state: &AppState) -> Result<Self, WebError> {
        let store = state.store();
        Ok(Self {
            settings: store.site_settings().await?,
            kinds: store.list_kinds().await?,
            series: store.list_series().await?,
            topics: store.list_topics().await?,
            spokespeople: store.list_spokespeople().await?,
        })
    }

    pub(super) fn kind_name(&self, key: &str) -> String {
        self.kinds.iter().find(|k| k.key == key).map_or_else(
            || key.to_owned(),
            |k| pick(&k.names, "en", self.settings.default_language()).to_owned(),
        )
    }

    pub(super) fn when(&self, at: Timestamp) -> String {
        at.to_zoned_datetime(self.settings.tz())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    }

    /// The number as the series displays it in the interface language.
    pub(super) fn number(&self, release: &pressroom_core::release::Release) -> Option<String> {
        release.display_number(&self.series, "en", &self.settings.tz())
    }

    pub(super) fn rows(&self, rows: &[pressroom_store::EditorialRow]) -> Vec<minijinja::Value> {
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

    pub(super) fn form_choices(&self) -> minijinja::Value {
        let fallback = self.settings.default_language();
        context! {
            kinds => self.kinds.iter().map(|k| context! { key => k.key, name => pick(&k.names, "en", fallback) }).collect::<Vec<_>>(),
            languages => self.settings.languages.iter().map(|l| context! { code => l.code, name => l.name }).collect::<Vec<_>>(),
            topics => self.topics.iter().map(|t| context! { id => t.id, name => pick(&t.names, "en", fallback) }).collect::<Vec<_>>(),
            spokespeople => self.spokespeople.iter().map(|s| context! { id => s.id, name => pick(&s.names, "en", fallback) }).collect::<Vec<_>>(),
        }
    }
}
