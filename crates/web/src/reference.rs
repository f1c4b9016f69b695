//! The site's reference data in memory ([`SiteReference`]: settings, kinds, series, topics,
//! spokespeople, pages). Every public page needs it and it changes a few times a year, so
//! reading it on every request (six queries) was a large part of an uncached page's cost.
//!
//! The copy is dropped by the changes that touch it — [`Change::Site`] and [`Change::Page`] —
//! which reach it like the page cache's: at once from this process's commits (the store's
//! listener) and from the change stream for other servers' ([`crate::stream`]). A load that
//! overlaps a change is served but not kept (a generation counter, as in the page cache), so
//! a change can never be hidden by a read that started before it. While the stream's follower
//! is behind, every request reads the store, as the page cache is bypassed then.

use std::sync::{Arc, Mutex, PoisonError};

use pressroom_store::{Change, ChangeListener, SiteReference, StoreError};

use crate::AppState;

/// The kept copy and the generation it was read at.
#[derive(Default)]
pub(crate) struct ReferenceCache {
    inner: Mutex<Kept>,
    /// Held while the data is read from the store, so a burst of requests after a change
    /// reads it once instead of once per request.
    loading: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Kept {
    /// Bumped by every change that touches the reference data.
    generation: u64,
    current: Option<Arc<SiteReference>>,
}

impl ReferenceCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        // The lock guards two plain fields, always consistent: a poisoned lock is usable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The reference data: the kept copy, or a fresh read (kept unless a change landed
    /// while it was read, or the change stream's follower is behind).
    pub(crate) async fn get(&self, state: &AppState) -> Result<Arc<SiteReference>, StoreError> {
        let following = state.inner.followers.cache.following();
        let kept_copy = |cache: &Self| {
            let kept = cache.lock();
            match &kept.current {
                Some(current) if following => Ok(current.clone()),
                _ => Err(kept.generation),
            }
        };
        if let Ok(current) = kept_copy(self) {
            return Ok(current);
        }
        let _loading = self.loading.lock().await;
        // Another request may have read it while this one waited.
        let since = match kept_copy(self) {
            Ok(current) => return Ok(current),
            Err(generation) => generation,
        };
        let fresh = Arc::new(state.store().site_reference().await?);
        let mut kept = self.lock();
        if following && kept.generation == since {
            kept.current = Some(fresh.clone());
        }
        Ok(fresh)
    }
}

impl ChangeListener for ReferenceCache {
    fn changed(&self, change: &Change) {
        if matches!(change, Change::Site | Change::Page { .. }) {
            let mut kept = self.lock();
            kept.generation += 1;
            kept.current = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_release_change_keeps_the_copy_and_a_site_change_drops_it() {
        let cache = ReferenceCache::default();
        cache.lock().current = Some(Arc::new(SiteReference::default()));
        cache.changed(&Change::Release {
            release_id: 1,
            lang: "en".to_owned(),
        });
        assert!(cache.lock().current.is_some());
        cache.changed(&Change::Page {
            slug: "privacy".to_owned(),
            lang: "en".to_owned(),
        });
        assert!(cache.lock().current.is_none());
        assert_eq!(cache.lock().generation, 1);
    }
}
