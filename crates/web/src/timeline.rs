//! Each language's timeline in memory: every listed release's first publication and id,
//! newest first ([`Store::public_timeline`](pressroom_store::Store::public_timeline)).
//!
//! A listing needs its total (for the page count), the years and months that have releases,
//! and, for page N, the release it starts at. Read from the database, the first two scan the
//! whole archive on every request and the third is an `OFFSET` that walks past every earlier
//! page, so page 500 cost 500 times page 1. From the timeline (16 bytes a release), the total
//! is a length, a period is a slice found by binary search, and a page starts at an index:
//! the store then reads exactly the page's rows by their key, however deep.
//!
//! A language's timeline is dropped by [`Change::Release`] of that language and by
//! [`Change::Site`], arriving as the reference data's do ([`crate::reference`]); a load that
//! overlaps a change is used once but not kept; while the stream's follower is behind, every
//! request loads it afresh.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use jiff::Timestamp;
use jiff::tz::TimeZone;
use pressroom_store::{Change, ChangeListener, StoreError, TimelineEntry};

use crate::AppState;

/// One language's listed releases.
#[derive(Debug)]
pub(crate) struct Timeline {
    /// Newest first, as the listings order them.
    entries: Vec<TimelineEntry>,
    /// The years (site time zone) that have releases, newest first.
    years: Vec<i16>,
}

impl Timeline {
    fn new(entries: Vec<TimelineEntry>, tz: &TimeZone) -> Self {
        let mut years: Vec<i16> = Vec::new();
        // Newest first: a year is new when it differs from the last one seen.
        for (at, _) in &entries {
            let year = at.to_zoned_datetime(tz.clone()).year();
            if years.last() != Some(&year) {
                years.push(year);
            }
        }
        Self { entries, years }
    }

    /// The releases first published in `[from, to)` (all of them without bounds).
    pub(crate) fn within(&self, bounds: Option<(Timestamp, Timestamp)>) -> &[TimelineEntry] {
        let Some((from, to)) = bounds else {
            return &self.entries;
        };
        // Newest first: entries at or after `to` come before the slice, those before `from` after it.
        let start = self.entries.partition_point(|(at, _)| *at >= to);
        let end = self.entries.partition_point(|(at, _)| *at >= from);
        &self.entries[start..end.max(start)]
    }

    /// The years that have releases, newest first.
    pub(crate) fn years(&self) -> &[i16] {
        &self.years
    }
}

#[derive(Default)]
pub(crate) struct Timelines {
    inner: Mutex<Kept>,
    /// Held while a timeline is read from the store, so a burst of requests after a change
    /// reads it once instead of once per request.
    loading: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Kept {
    /// Bumped by every change that drops a timeline.
    generation: u64,
    by_lang: HashMap<String, Arc<Timeline>>,
}

impl Timelines {
    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        // Plain fields, always consistent: a poisoned lock is usable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The timeline of `lang`, whose years are counted in `tz`.
    pub(crate) async fn get(
        &self,
        state: &AppState,
        lang: &str,
        tz: &TimeZone,
    ) -> Result<Arc<Timeline>, StoreError> {
        let following = state.inner.followers.cache.following();
        let kept_copy = |timelines: &Self| {
            let kept = timelines.lock();
            match kept.by_lang.get(lang) {
                Some(timeline) if following => Ok(timeline.clone()),
                _ => Err(kept.generation),
            }
        };
        if let Ok(timeline) = kept_copy(self) {
            return Ok(timeline);
        }
        let _loading = self.loading.lock().await;
        // Another request may have loaded it while this one waited.
        let since = match kept_copy(self) {
            Ok(timeline) => return Ok(timeline),
            Err(generation) => generation,
        };
        let entries = state.store().public_timeline(lang).await?;
        let timeline = Arc::new(Timeline::new(entries, tz));
        let mut kept = self.lock();
        if following && kept.generation == since {
            kept.by_lang.insert(lang.to_owned(), timeline.clone());
        }
        Ok(timeline)
    }
}

impl ChangeListener for Timelines {
    fn changed(&self, change: &Change) {
        let mut kept = self.lock();
        match change {
            Change::Release { lang, .. } => {
                kept.generation += 1;
                kept.by_lang.remove(lang);
            }
            Change::Site => {
                kept.generation += 1;
                kept.by_lang.clear();
            }
            Change::Page { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_period_is_the_slice_of_its_releases_and_years_are_local() {
        let tz = TimeZone::get("Asia/Baku").unwrap();
        let entries = vec![
            (at("2026-01-01T00:30:00Z"), 4), // 04:30 in Baku: 2026
            (at("2025-12-31T21:00:00Z"), 3), // 01:00 on 1 January in Baku: 2026
            (at("2025-12-31T19:00:00Z"), 2), // 23:00 in Baku: 2025
            (at("2024-06-01T10:00:00Z"), 1),
        ];
        let timeline = Timeline::new(entries, &tz);
        assert_eq!(timeline.years(), [2026, 2025, 2024]);
        let year = |y: i16| {
            let start = jiff::civil::date(y, 1, 1)
                .to_zoned_datetime(tz.clone())
                .unwrap()
                .timestamp();
            let end = jiff::civil::date(y + 1, 1, 1)
                .to_zoned_datetime(tz.clone())
                .unwrap()
                .timestamp();
            Some((start, end))
        };
        let ids = |s: &[TimelineEntry]| s.iter().map(|(_, id)| *id).collect::<Vec<_>>();
        assert_eq!(ids(timeline.within(year(2026))), [4, 3]);
        assert_eq!(ids(timeline.within(year(2025))), [2]);
        assert_eq!(ids(timeline.within(year(2023))), Vec::<i64>::new());
        assert_eq!(timeline.within(None).len(), 4);
    }

    #[test]
    fn a_release_change_drops_only_its_language() {
        let timelines = Timelines::default();
        let tz = TimeZone::UTC;
        for lang in ["en", "ru"] {
            timelines
                .lock()
                .by_lang
                .insert(lang.to_owned(), Arc::new(Timeline::new(Vec::new(), &tz)));
        }
        timelines.changed(&Change::Release {
            release_id: 1,
            lang: "en".to_owned(),
        });
        let kept = timelines.lock();
        assert!(!kept.by_lang.contains_key("en"));
        assert!(kept.by_lang.contains_key("ru"));
        assert_eq!(kept.generation, 1);
    }
}
