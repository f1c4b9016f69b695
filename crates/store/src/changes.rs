//! The change stream: every committed change that readers can see, with a sequence number.
//!
//! A change is written to the `changes` table in the same transaction as what it describes
//! ([`record`]), so the stream can never disagree with the data. Followers (every server's page
//! cache and search index) keep the last sequence they applied and
//! read what came after it ([`Store::changes_after`]); [`Store::change_signal`] wakes them in
//! this process, and a follower also polls, so a missed wake-up only delays it.
//!
//! After the commit the store also calls its in-process listeners (the page cache) directly.
//! On PostgreSQL [`record`] also sends a `NOTIFY` on [`NOTIFY_CHANNEL`] (delivered at commit),
//! which [`Store::watch_stream`] turns into the same wake-up in every other server.

use std::sync::{Arc, RwLock};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};
use tokio::sync::watch;

use crate::rows::{instant, micros};
use crate::{Backend, Result, Store, StoreError};

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

/// One entry of the change stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEntry {
    /// Its sequence: consecutive, in commit order.
    pub seq: u64,
    /// When it committed.
    pub at: Timestamp,
    /// What changed.
    pub change: Change,
}

/// The listeners of one store (shared by its clones), and the in-process wake-up of
/// followers: the newest sequence this process committed.
#[derive(Clone)]
pub(crate) struct Listeners {
    list: Arc<RwLock<Vec<Arc<dyn ChangeListener>>>>,
    committed: Arc<watch::Sender<u64>>,
    /// Bumped when deliveries are written without a change (mails about a subscription), so
    /// this process's sender wakes for them too.
    outbox: Arc<watch::Sender<u64>>,
}

impl Default for Listeners {
    fn default() -> Self {
        Self {
            list: Arc::default(),
            committed: Arc::new(watch::channel(0).0),
            outbox: Arc::new(watch::channel(0).0),
        }
    }
}

impl Listeners {
    pub(crate) fn add(&self, listener: Arc<dyn ChangeListener>) {
        if let Ok(mut list) = self.list.write() {
            list.push(listener);
        }
    }

    pub(crate) fn notify(&self, change: &Change, seq: u64) {
        let list = match self.list.read() {
            Ok(list) => list.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        for listener in list {
            listener.changed(change);
        }
        self.saw(seq);
    }

    pub(crate) fn saw(&self, seq: u64) {
        self.committed.send_if_modified(|last| {
            let newer = seq > *last;
            if newer {
                *last = seq;
            }
            newer
        });
    }
}

/// The PostgreSQL channel a commit that appends to the stream notifies, with its sequence as
/// the payload.
pub const NOTIFY_CHANNEL: &str = "pressroom_changes";

/// Appends `change` to the stream inside the caller's write transaction and gives its
/// sequence; pass that to [`Store::notify`] after the commit.
///
/// Bumping `change_head` locks its row until the transaction ends (SQLite's write lock is
/// already exclusive), so sequences follow commit order with no gaps: a follower that has
/// read entry N has seen every earlier one. Call it last, just before the commit, so the lock
/// is held briefly.
///
/// On PostgreSQL the transaction also notifies [`NOTIFY_CHANNEL`]: the server delivers it to
/// every listening server when (and only if) the transaction commits, so other servers wake
/// at once instead of at their next poll. SQLite has no such thing, and needs none: one
/// process writes it (a second one on the same file polls).
pub(crate) async fn record(
    conn: &mut AnyConnection,
    backend: Backend,
    change: &Change,
    at: Timestamp,
) -> Result<u64> {
    let row = sqlx::query("UPDATE change_head SET seq = seq + 1 WHERE id = 1 RETURNING seq")
        .fetch_one(&mut *conn)
        .await?;
    let seq: i64 = row.try_get("seq")?;
    let json = serde_json::to_string(change)
        .map_err(|e| StoreError::Corrupt(format!("change does not serialise: {e}")))?;
    sqlx::query("INSERT INTO changes (seq, at, change) VALUES ($1, $2, $3)")
        .bind(seq)
        .bind(micros(at))
        .bind(json)
        .execute(&mut *conn)
        .await?;
    if backend == Backend::Postgres {
        // Wrapped in a count: `pg_notify` returns `void`, which the `Any` driver cannot decode.
        sqlx::query("SELECT count(*) AS n FROM (SELECT pg_notify($1, $2)) AS sent")
            .bind(NOTIFY_CHANNEL)
            .bind(seq.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(seq as u64)
}

impl Store {
    /// Up to `limit` entries after sequence `after`, oldest first. An entry older than the
    /// oldest kept ([`Store::prune_changes`]) is gone: a follower whose first entry is not
    /// `after + 1` has missed some and must rebuild what it derives.
    pub async fn changes_after(&self, after: u64, limit: u32) -> Result<Vec<StreamEntry>> {
        let rows =
            sqlx::query("SELECT seq, at, change FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2")
                .bind(after as i64)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                let text: String = row.try_get("change")?;
                let change = serde_json::from_str(&text).map_err(|e| {
                    StoreError::Corrupt(format!("change stream entry does not parse: {e}"))
                })?;
                Ok(StreamEntry {
                    seq: row.try_get::<i64, _>("seq")? as u64,
                    at: instant(row.try_get("at")?)?,
                    change,
                })
            })
            .collect()
    }

    /// The sequence of the newest committed change (0 before the first). A snapshot read
    /// after this value reflects at least every change up to it.
    pub async fn last_change_seq(&self) -> Result<u64> {
        let row = sqlx::query("SELECT seq FROM change_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("seq")? as u64)
    }

    /// Deletes entries committed before `before`, always keeping the newest, and says how
    /// many went. Followers that were away longer rebuild instead of replaying.
    pub async fn prune_changes(&self, before: Timestamp) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM changes WHERE at < $1 AND seq < (SELECT seq FROM change_head WHERE id = 1)",
        )
        .bind(micros(before))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Wakes a follower when a change commits: the value is the newest sequence this process
    /// knows of. Its own commits show at once; other servers' commits show only while
    /// [`Store::watch_stream`] runs (at once on PostgreSQL, within a poll on SQLite).
    pub fn change_signal(&self) -> watch::Receiver<u64> {
        self.listeners.committed.subscribe()
    }

    /// Wakes this process's outbox sender for deliveries written without a change.
    pub fn outbox_signal(&self) -> watch::Receiver<u64> {
        self.listeners.outbox.subscribe()
    }

    pub(crate) fn notify_outbox(&self) {
        self.listeners
            .outbox
            .send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Raises the value [`Store::change_signal`] gives, if `seq` is newer: the stream's head
    /// as another server's notification or a poll found it.
    pub(crate) fn saw_head(&self, seq: u64) {
        self.listeners.saw(seq);
    }
}
