//! Notices of changes that readers can see, so caches of rendered pages can drop exactly what
//! went stale.
//!
//! The store calls every listener after a change commits. Today the listener is the web
//! layer's page cache in the same process; with several servers, the same [`Change`] values
//! (they serialise to small JSON) are what a PostgreSQL `NOTIFY` would carry to the others.

use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

/// A change that alters public pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// A translation of a release was published, corrected, withdrawn or scheduled-published:
    /// its release's pages (every language links the others), the listings and feeds of
    /// `lang`, and the sitemap are stale.
    Release {
        /// The release.
        release_id: i64,
        /// The language of the translation that changed.
        lang: String,
    },
    /// An editable page changed: every page of `lang` lists it in its footer.
    Page {
        /// The page.
        slug: String,
        /// Its language.
        lang: String,
    },
    /// Settings, kinds, series, topics or spokespeople changed: anything may be stale.
    Site,
}

/// Something that wants to hear about changes.
pub trait ChangeListener: Send + Sync {
    /// Called after the change has committed.
    fn changed(&self, change: &Change);
}

/// The listeners of one store (shared by its clones).
#[derive(Clone, Default)]
pub(crate) struct Listeners(Arc<RwLock<Vec<Arc<dyn ChangeListener>>>>);

impl Listeners {
    pub(crate) fn add(&self, listener: Arc<dyn ChangeListener>) {
        if let Ok(mut list) = self.0.write() {
            list.push(listener);
        }
    }

    pub(crate) fn notify(&self, change: &Change) {
        let list = match self.0.read() {
            Ok(list) => list.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        for listener in list {
            listener.changed(change);
        }
    }
}
