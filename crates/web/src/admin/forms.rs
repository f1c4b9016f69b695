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

    /// The revision fields of the editor form; bad numbers become field errors.
    pub(super) fn revision_input(&self) -> Result<RevisionInput, Invalid> {
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
    pub topics: Vec<pressroom_core::release::Topic>,
    pub spokespeople: Vec<pressroom_core::release::Spokesperson>,
}

impl Views {
    pub(super) async fn load(state: &AppState) -> Result<Self, WebError> {
        let store = state.store();
        Ok(Self {
            settings: store.site_settings().await?,
            kinds: store.list_kinds().await?,
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

    pub(super) fn number(&self, release: &pressroom_core::release::Release) -> Option<String> {
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
