//! Following the store's change stream: one mechanism, several followers.
//!
//! Each follower (the page cache, the search index) keeps the last sequence
//! it applied and, when woken, applies every entry after it — whichever server committed it,
//! and however many notifications were lost. They all wait on the store's one signal
//! ([`Store::change_signal`], fed by this process's commits and, while
//! [`Store::watch_stream`] runs, by `LISTEN/NOTIFY` and a poll), plus a timer of their own in
//! case a wake-up is missed. The outbox's sender (`outbox::follow`) reads deliveries, not
//! the stream, but waits on the same signal, so another server's publication wakes it too.
//! [`follow`] starts the watcher, the followers and the pruning of
//! old entries for a serving process.
//!
//! Each follower's [`FollowerStatus`] says how far it is ([`/metrics`](crate::metrics)) and
//! whether it is current: a page cache that cannot follow (database unreachable, or not
//! current for [`FOLLOW_BOUND`]) is bypassed, so the server answers uncached rather than
//! stale, and `/readyz` fails.

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use pressroom_store::{ChangeListener, Store, StoreError};
use tokio::sync::watch;

use crate::AppState;

/// How often the stream's head is polled, and a follower looks again without a wake-up.
pub const POLL: Duration = Duration::from_secs(1);

/// A follower that has not been current for this long is behind: the page cache is bypassed
/// and the server is not ready. A few polls, so one slow round does not flap it.
pub const FOLLOW_BOUND: Duration = Duration::from_secs(5);

/// How often old stream entries are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Entries a follower reads per batch.
const BATCH: u32 = 500;

/// How far one follower is, shared with `/metrics` and `/readyz`.
#[derive(Debug)]
pub struct FollowerStatus {
    name: &'static str,
    started: AtomicBool,
    applied: AtomicU64,
    head: AtomicU64,
    /// Whether the last round succeeded.
    ok: AtomicBool,
    /// When a round that started at this instant found nothing left to apply.
    current_at: Mutex<Option<Instant>>,
}

impl FollowerStatus {
    pub(crate) fn new(name: &'static str) -> Self {
        Self {
            name,
            started: AtomicBool::new(false),
            applied: AtomicU64::new(0),
            head: AtomicU64::new(0),
            ok: AtomicBool::new(false),
            current_at: Mutex::new(None),
        }
    }

    /// The follower's name, the `follower` label of its metrics.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The last sequence it applied.
    pub fn applied(&self) -> u64 {
        self.applied.load(Ordering::Relaxed)
    }

    /// Entries known to be committed and not yet applied.
    pub fn lag_entries(&self) -> u64 {
        self.head
            .load(Ordering::Relaxed)
            .saturating_sub(self.applied())
    }

    /// How far behind it is in time: zero while its last round found nothing left to apply,
    /// otherwise how long since a round last did.
    pub fn lag(&self) -> Duration {
        if self.ok.load(Ordering::Relaxed) && self.lag_entries() == 0 {
            Duration::ZERO
        } else {
            self.behind_for()
        }
    }

    /// How long since a round that reached the head started (zero before it started).
    fn behind_for(&self) -> Duration {
        self.lock().map_or(Duration::ZERO, |at| at.elapsed())
    }

    /// Whether it follows the stream: not started (a test, a tool: in-process changes only)
    /// or current within [`FOLLOW_BOUND`].
    pub fn following(&self) -> bool {
        !self.started.load(Ordering::Relaxed) || self.behind_for() <= FOLLOW_BOUND
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.current_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn caught_up(&self, round_started: Instant, applied: u64) {
        self.applied.store(applied, Ordering::Relaxed);
        self.head.fetch_max(applied, Ordering::Relaxed);
        *self.lock() = Some(round_started);
        self.ok.store(true, Ordering::Relaxed);
    }
}

/// Runs `round` (which applies everything after the follower's sequence and returns the
/// sequence it reached) on every wake-up and every [`POLL`] until `shutdown`, recording its
/// progress in `status`. A failed round is logged and retried; the status then ages past
/// [`FOLLOW_BOUND`] and says the follower is behind.
pub async fn run<F, Fut, E>(
    store: &Store,
    status: &FollowerStatus,
    mut shutdown: watch::Receiver<bool>,
    mut round: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<u64, E>>,
    E: std::fmt::Display,
{
    let mut signal = store.change_signal();
    // The first round gets the bound's time before the follower counts as behind.
    *status.lock() = Some(Instant::now());
    status.started.store(true, Ordering::Relaxed);
    let mut failing = false;
    loop {
        if *shutdown.borrow() {
            break;
        }
        status
            .head
            .fetch_max(*signal.borrow_and_update(), Ordering::Relaxed);
        let started = Instant::now();
        match round().await {
            Ok(seq) => {
                status.caught_up(started, seq);
                if failing {
                    tracing::info!(
                        follower = status.name,
                        seq,
                        "following the change stream again"
                    );
                    failing = false;
                }
            }
            Err(e) => {
                status.ok.store(false, Ordering::Relaxed);
                if !failing {
                    tracing::warn!(follower = status.name, error = %e, "cannot follow the change stream; retrying");
                }
                failing = true;
            }
        }
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            _ = signal.changed() => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Applies to the in-memory copies (the page cache, the reference data, the timelines) every entry after
/// `applied` and returns the sequence reached. A gap (the entries were pruned while this
/// server was away) drops them whole.
pub(crate) async fn catch_up_cache(
    store: &Store,
    copies: &[&dyn ChangeListener],
    mut applied: u64,
) -> Result<u64, StoreError> {
    loop {
        let batch = store.changes_after(applied, BATCH).await?;
        let Some(first) = batch.first() else {
            return Ok(applied);
        };
        if first.seq != applied + 1 {
            tracing::warn!(
                applied,
                oldest = first.seq,
                "the change stream was pruned past the page cache; dropping it"
            );
            for copy in copies {
                copy.changed(&pressroom_store::Change::Site);
            }
        }
        for entry in &batch {
            for copy in copies {
                copy.changed(&entry.change);
            }
            applied = entry.seq;
        }
        if batch.len() < BATCH as usize {
            return Ok(applied);
        }
    }
}

/// Follows the stream for a serving process until `shutdown`: the store's watcher, the page
/// cache, the search index, and the pruning of entries older than `keep` (the newest is
/// always kept, so a follower can tell a gap from an empty stream).
pub async fn follow(state: AppState, keep: SignedDuration, shutdown: watch::Receiver<bool>) {
    let store = state.store().clone();
    let watcher = {
        let (store, shutdown) = (store.clone(), shutdown.clone());
        tokio::spawn(async move { store.watch_stream(POLL, shutdown).await })
    };
    let cache = {
        let (state, shutdown) = (state.clone(), shutdown.clone());
        tokio::spawn(async move { follow_cache(&state, shutdown).await })
    };
    let search = {
        let (state, shutdown) = (state.clone(), shutdown.clone());
        tokio::spawn(async move {
            crate::search_feed::follow(&state, shutdown).await;
        })
    };
    prune(&store, keep, shutdown).await;
    let _ = tokio::join!(watcher, cache, search);
}

/// The page cache's follower. It starts at the stream's head: the cache is empty then.
async fn follow_cache(state: &AppState, shutdown: watch::Receiver<bool>) {
    let store = state.store();
    let status = &state.inner.followers.cache;
    // Unset until the first round reads the head.
    let applied = AtomicU64::new(u64::MAX);
    run(store, status, shutdown, || async {
        let from = match applied.load(Ordering::Relaxed) {
            u64::MAX => store.last_change_seq().await?,
            seq => seq,
        };
        let copies: [&dyn ChangeListener; 3] = [
            state.inner.cache.as_ref(),
            state.inner.reference.as_ref(),
            state.inner.timelines.as_ref(),
        ];
        let reached = catch_up_cache(store, &copies, from).await?;
        applied.store(reached, Ordering::Relaxed);
        Ok::<_, StoreError>(reached)
    })
    .await;
}

/// Deletes stream entries older than `keep`, and subscriptions left unconfirmed past
/// their link's lifetime, every [`PRUNE_EVERY`] (several servers doing it is harmless: the
/// delete is the same).
async fn prune(store: &Store, keep: SignedDuration, mut shutdown: watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            break;
        }
        match store.prune_changes(Timestamp::now() - keep).await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "pruned old change-stream entries"),
            Err(e) => tracing::warn!(error = %e, "cannot prune the change stream; will retry"),
        }
        // A subscription never confirmed within its link's lifetime is forgotten: the
        // address was typed by someone who did not open the mail, perhaps not its owner.
        let unconfirmed = Timestamp::now() - pressroom_core::subscription::PENDING_FOR;
        match store.prune_pending_subscribers(unconfirmed).await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "forgot unconfirmed subscriptions"),
            Err(e) => {
                tracing::warn!(error = %e, "cannot forget unconfirmed subscriptions; will retry")
            }
        }
        tokio::select! {
            () = tokio::time::sleep(PRUNE_EVERY) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Every follower of one site.
#[derive(Debug)]
pub(crate) struct Followers {
    pub(crate) cache: FollowerStatus,
    pub(crate) search: FollowerStatus,
}

impl Default for Followers {
    fn default() -> Self {
        Self {
            cache: FollowerStatus::new("page_cache"),
            search: FollowerStatus::new("search_index"),
        }
    }
}

impl Followers {
    pub(crate) fn all(&self) -> [&FollowerStatus; 2] {
        [&self.cache, &self.search]
    }
}
