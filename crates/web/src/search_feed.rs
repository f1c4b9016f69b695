//! Keeps the search index in step with the store, by the change stream.
//!
//! The index is derived data: it records the last change-stream sequence it reflects, and
//! [`catch_up`] reads what came after it — the same whether this server made the change,
//! another server did, or this one was down when it happened. A release change re-reads that
//! release's published translations; a site change (kinds, series, topics, spokespeople,
//! settings: names, numbers and years shown in hits) or a gap in the stream (entries pruned
//! while the server was away) rebuilds the whole index beside the served one, which keeps
//! answering until the swap.
//!
//! `follow` runs `catch_up` in the shared follower loop ([`crate::stream`]): whenever a
//! change commits, here or on another server, and every [`crate::stream::POLL`].

use std::collections::BTreeSet;
use std::sync::mpsc;

use pressroom_core::numbering::{NumberSeries, numbering_year};
use pressroom_core::settings::SiteSettings;
use pressroom_search::{DocNumber, RebuildStats, SearchDoc, SearchError, SearchIndex, Update};
use pressroom_store::{Change, SearchableText, Store, StoreError};
use tokio::sync::watch;

use crate::view::release_path;

/// Stream entries read per batch, and releases per page of a rebuild.
const BATCH: u32 = 500;

/// Why the index could not be brought up to date; the follower logs it and tries again.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// Reading the store failed.
    #[error("reading the store for the search index: {0}")]
    Store(#[from] StoreError),
    /// Writing the index failed.
    #[error("writing the search index: {0}")]
    Search(#[from] SearchError),
    /// The blocking index task ended abnormally.
    #[error("the search index task stopped: {0}")]
    Task(String),
}

/// What one [`catch_up`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaughtUp {
    /// Nothing was new.
    Current,
    /// Stream entries were applied, up to this sequence.
    Applied {
        /// Entries read.
        entries: usize,
        /// The index's sequence now.
        seq: u64,
    },
    /// The whole index was rebuilt.
    Rebuilt {
        /// Why.
        reason: String,
        /// Translations indexed.
        indexed: u64,
        /// The stream sequence the rebuild read at.
        seq: u64,
    },
}

/// Brings `index` up to date with `store`: a rebuild when the index has no sequence (new,
/// damaged, another format) or when the stream no longer reaches back to it, otherwise the
/// entries after its sequence. Safe to call at any time, from several tasks: the index refuses
/// a batch that does not start where it is.
pub async fn catch_up(store: &Store, index: &SearchIndex) -> Result<CaughtUp, FeedError> {
    let Some(mut seq) = index.last_seq() else {
        return rebuild(store, index, "the index is new or unreadable", |_, _| {}).await;
    };
    let mut entries = 0;
    loop {
        let batch = store.changes_after(seq, BATCH).await?;
        let Some(last) = batch.last().map(|e| e.seq) else {
            break;
        };
        if batch[0].seq != seq + 1 {
            let reason = format!(
                "the change stream was pruned past the index (index at {seq}, oldest kept {})",
                batch[0].seq
            );
            return rebuild(store, index, &reason, |_, _| {}).await;
        }
        if batch.iter().any(|e| e.change == Change::Site) {
            return rebuild(store, index, "site settings or names changed", |_, _| {}).await;
        }
        let releases: BTreeSet<i64> = batch
            .iter()
            .filter_map(|e| match e.change {
                Change::Release { release_id, .. } => Some(release_id),
                _ => None,
            })
            .collect();
        let site = Site::load(store).await?;
        let mut updates = Vec::new();
        for id in releases {
            updates.push(Update::DeleteRelease(id));
            for text in store.searchable(id - 1, id).await? {
                updates.push(Update::Upsert(site.doc(text)));
            }
        }
        let writer = index.clone();
        tokio::task::spawn_blocking(move || writer.apply(seq, last, updates))
            .await
            .map_err(|e| FeedError::Task(e.to_string()))??;
        entries += batch.len();
        seq = last;
        if batch.len() < BATCH as usize {
            break;
        }
    }
    Ok(if entries == 0 {
        CaughtUp::Current
    } else {
        CaughtUp::Applied { entries, seq }
    })
}

/// Rebuilds the whole index from the store, beside the served one, and swaps it in.
/// `progress(done, total)` is called every few hundred translations.
///
/// The stream sequence is read before the texts, so the rebuilt index claims no more than it
/// holds: a change committed during the walk is applied again by the next [`catch_up`].
pub async fn rebuild(
    store: &Store,
    index: &SearchIndex,
    reason: &str,
    progress: impl FnMut(u64, u64) + Send + 'static,
) -> Result<CaughtUp, FeedError> {
    let seq = store.last_change_seq().await?;
    let (total, last_release) = store.searchable_extent().await?;
    let site = Site::load(store).await?;
    // The walk reads the store (async) and feeds the blocking rebuild through a bounded
    // channel, so memory stays at a few pages of texts however large the archive.
    let (send, receive) = mpsc::sync_channel::<Result<SearchDoc, StoreError>>(BATCH as usize * 3);
    let writer = index.clone();
    let building =
        tokio::task::spawn_blocking(move || writer.rebuild(receive, total, seq, progress));
    let mut after = 0;
    while after < last_release {
        let upto = after.saturating_add(i64::from(BATCH)).min(last_release);
        let page = store.searchable(after, upto).await;
        let page = match page {
            Ok(page) => page,
            Err(e) => {
                let _ = send.send(Err(e));
                break;
            }
        };
        let send_page = send.clone();
        let site_page = site.clone();
        // `send` blocks while the index catches up: never on an async worker.
        let delivered = tokio::task::spawn_blocking(move || {
            page.into_iter()
                .all(|text| send_page.send(Ok(site_page.doc(text))).is_ok())
        })
        .await
        .map_err(|e| FeedError::Task(e.to_string()))?;
        if !delivered {
            break; // The rebuild stopped; its result says why.
        }
        after = upto;
    }
    drop(send);
    let stats: RebuildStats = building
        .await
        .map_err(|e| FeedError::Task(e.to_string()))??;
    Ok(CaughtUp::Rebuilt {
        reason: reason.to_owned(),
        indexed: stats.indexed,
        seq,
    })
}

/// Follows the change stream until `shutdown` turns true (the shared follower loop,
/// [`crate::stream::run`]): a catch-up on every wake-up and every poll. Failures are logged
/// and retried on the next round, so a database outage only delays the index.
pub(crate) async fn follow(state: &crate::AppState, shutdown: watch::Receiver<bool>) {
    let (store, index) = (state.store(), state.search());
    let status = &state.inner.followers.search;
    crate::stream::run(store, status, shutdown, || async {
        match catch_up(store, index).await? {
            CaughtUp::Current => {}
            CaughtUp::Applied { entries, seq } => {
                tracing::debug!(entries, seq, "search index applied changes");
            }
            CaughtUp::Rebuilt {
                reason,
                indexed,
                seq,
            } => tracing::info!(%reason, indexed, seq, "search index rebuilt"),
        }
        Ok::<_, FeedError>(index.last_seq().unwrap_or(0))
    })
    .await;
}

/// What turning a stored text into a [`SearchDoc`] needs from the site: read once per batch.
#[derive(Clone)]
struct Site {
    settings: SiteSettings,
    series: Vec<NumberSeries>,
}

impl Site {
    async fn load(store: &Store) -> Result<Self, StoreError> {
        Ok(Self {
            settings: store.site_settings().await?,
            series: store.list_series().await?,
        })
    }

    fn doc(&self, text: SearchableText) -> SearchDoc {
        let tz = self.settings.tz();
        let release = &text.release;
        // A searchable text is published, so the release has a first publication; the
        // creation time stands in only for a row a manual edit left inconsistent.
        let first_published = release.first_published_at.unwrap_or(release.created_at);
        let number = match (&release.series, release.number) {
            (Some(series), Some(number)) => Some(DocNumber {
                series: series.clone(),
                number,
                display: release
                    .display_number(&self.series, &text.lang, &tz)
                    .unwrap_or_else(|| format!("{}/{}", number.seq, number.year % 100)),
            }),
            _ => None,
        };
        SearchDoc {
            release_id: release.id,
            translation_id: text.translation_id,
            url: release_path(&text.lang, release, &text.slug, &self.settings),
            kind: release.kind.clone(),
            topics: text.topics,
            number,
            first_published,
            year: numbering_year(first_published, &tz),
            title: text.title,
            lead: text.lead,
            body_markdown: text.body,
            spokesperson: text
                .spokesperson
                .and_then(|p| p.names.get(&text.lang).cloned()),
            withdrawn: text.withdrawn,
            lang: text.lang,
        }
    }
}
