//! Pressroom's persistence: SQLite (the embedded default) and PostgreSQL (for several servers)
//! through one code path.
//!
//! Every query is written once, in portable SQL run through sqlx's `Any` driver with `$1, $2 …`
//! placeholders. Backend-specific code exists only where it must: migrations (types, triggers),
//! how a write transaction starts (SQLite takes the write lock up front with `BEGIN IMMEDIATE`;
//! PostgreSQL locks rows with `FOR UPDATE`). Instants are stored as UTC microseconds.
//!
//! # Layout
//!
//! - [`Store`]: opening, migrating, health; `open`: the first connection's checks (real causes
//!   within seconds, `PRAGMA quick_check` on SQLite).
//! - `migrate`: schema versions per backend; a database newer than the binary is refused.
//! - `users`, `catalog` (settings, kinds, series, topics, spokespeople, pages): plain records.
//! - `releases`: releases, translations and immutable revisions, with optimistic concurrency.
//! - `workflow`: applying workflow actions, allocating numbers, scheduled publication.
//! - `public`: the read queries of the public site; `editorial`: those of the editorial area.
//! - `accounts`: sessions, login throttling, API tokens, TOTP secrets.
//! - `media`: stored files, banners, attachments and which revision shows them.
//! - `changes`: the change stream (every change readers see, numbered in commit order);
//!   `wake`: other servers' commits wake this one's followers (`LISTEN/NOTIFY`, a poll).
//! - `audit`: the append-only audit log.
//! - `authenticity`: signing keys, signing each publication inside its transaction, and the
//!   hash-chained publication log. The private key never reaches the store: a
//!   [`pressroom_core::signing::Sign`] given with [`Store::use_signer`] signs.
//! - `backup`: logical, backend-neutral dumps taken in one snapshot, and loading them into
//!   an empty database (`pressroom backup` / `restore`, SQLite ⇄ PostgreSQL).
//! - `verification`: checking the log, and the texts and files readers bring.
//! - [`testing`] (feature `test-support`): throwaway databases for tests on both backends.

mod accounts;
mod audit;
mod authenticity;
mod backup;
mod catalog;
mod changes;
mod channels;
mod editorial;
mod error;
mod import;
mod media;
mod migrate;
mod open;
mod outbox;
mod phrases;
mod public;
mod receivers;
mod redirects;
mod reference;
mod releases;
mod rows;
mod searchable;
mod second_factor;
mod subscribers;
mod users;
mod verification;
mod wake;
mod workflow;

#[cfg(feature = "test-support")]
pub mod testing;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Connection, Row, Transaction};

pub use accounts::{SESSION_IDLE, Session, SignInRefusal, random_token};
pub use audit::AuditEntry;
pub use authenticity::LOG_PAGE;
pub use backup::{
    BackupTable, DERIVED, DumpRow, Loader, Snapshot, TABLES, backup_table, tables_at,
};
pub use changes::{Change, ChangeListener, NOTIFY_CHANNEL, StreamEntry};
pub use channels::{Channel, NewChannel, TELEGRAM_API};
pub use editorial::{EditorialFilter, EditorialRow};
pub use error::StoreError;
pub use import::{ImportRun, PreparedImport, Verdict};
pub use media::gc::MediaGarbage;
pub use media::{MediaChange, ShownMedia};
pub use migrate::SCHEMA_VERSION;
pub use outbox::{
    Delivery, DeliveryAttempt, DeliveryFilter, DeliveryState, Finished, NewWebhook, OutboxStats,
    Outcome, Webhook,
};
pub use pressroom_core::import::{ImportFile, ImportRelease, ImportTranslation};
pub use public::{PublicRelease, PublicSummary, ReleaseFilter, SitemapEntry, TimelineEntry};
pub use redirects::{REDIRECT_PAGE, Redirect};
pub use reference::{PageLink, SiteReference};
pub use releases::{NewRelease, TranslationDetail};
pub use searchable::SearchableText;
pub use second_factor::CodeRefusal;
pub use subscribers::{
    Choices, MAIL_CHANNELS, Subscriber, SubscriberCounts, SubscriberEntry, SubscriberState,
};
pub use users::{By, generate_password};
pub use verification::{LogProblem, LogReport};
pub use workflow::{DuePublication, ImportedNumber};

/// Result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// The database of one Pressroom site.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The PostgreSQL address, for the connection that `LISTEN`s ([`Store::watch_stream`]).
    url: Option<Arc<str>>,
    listeners: changes::Listeners,
    /// The site's signer; publishing refuses to proceed without one, so that every published
    /// revision is signed.
    signing: Option<Arc<authenticity::Signing>>,
    /// What [`Store::check_integrity`] found wrong, shared by every clone.
    damage: Arc<std::sync::OnceLock<String>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("signing", &self.signing)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects to `url` (`sqlite://path` or `postgres://…`) and brings the schema up to date.
    pub async fn open(url: &str) -> Result<Self> {
        let store = Self::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without migrating; refuses a database whose schema is newer than this binary.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::BadUrl(
                "use sqlite://PATH for an SQLite file or postgres://USER@HOST/DB for PostgreSQL"
                    .to_owned(),
            ));
        };
        let options =
            AnyConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl(format!("{e}")))?;
        open::check(backend, url, &options).await?;
        let pool_options = AnyPoolOptions::new()
            // Short enough that during a database outage a reader gets a 503 within seconds
            // rather than waiting half a minute; long enough for any queue of healthy requests.
            .acquire_timeout(Duration::from_secs(8))
            // A failed COMMIT (SQLite on a full disk) rolls the transaction back inside the
            // database, but the driver still counts it as open; such a connection could never
            // begin again, so it is closed here and the pool opens a fresh one.
            .before_acquire(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }));
        let pool = match backend {
            Backend::Sqlite => {
                pool_options
                    .max_connections(8)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL lets readers work while one writer writes; the busy timeout
                            // makes writers queue instead of failing under contention.
                            sqlx::raw_sql(
                                "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                                 PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL;",
                            )
                            .execute(conn)
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                pool_options
                    .max_connections(16)
                    .connect_with(options)
                    .await?
            }
        };
        let store = Self {
            pool,
            backend,
            url: (backend == Backend::Postgres).then(|| Arc::from(url)),
            listeners: changes::Listeners::default(),
            signing: None,
            damage: Arc::default(),
        };
        migrate::check_not_newer(&store).await?;
        Ok(store)
    }

    /// Registers a listener for changes that readers can see (the page cache).
    pub fn subscribe(&self, listener: Arc<dyn ChangeListener>) {
        self.listeners.add(listener);
    }

    /// Tells the listeners and followers about a committed change, recorded as `seq`
    /// ([`changes::record`]).
    pub(crate) fn notify(&self, change: &Change, seq: u64) {
        self.listeners.notify(change, seq);
    }

    /// Which backend this store uses.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Reads every page of an SQLite database (`PRAGMA quick_check`) and refuses a damaged
    /// one with what to do, as a failed start would; PostgreSQL checks its own pages. Not
    /// part of [`Store::connect`]: on a file of a few GB it takes seconds, which a restart
    /// should not wait for, so `pressroom serve` runs it in the background once it listens
    /// (a damaged file then makes the server unready, [`Store::damage`]) and the commands
    /// that write run it first.
    pub async fn check_integrity(&self) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Ok(());
        }
        let mut conn = self.pool.acquire().await?;
        let file: String = sqlx::query("SELECT file FROM pragma_database_list WHERE name = 'main'")
            .fetch_one(&mut *conn)
            .await?
            .try_get("file")?;
        let found = open::quick_check(&mut conn, &format!("sqlite://{file}")).await;
        if let Err(StoreError::Open(message)) = &found {
            let _ = self.damage.set(message.clone());
        }
        found
    }

    /// Why the database is damaged, once [`Store::check_integrity`] found it so.
    pub fn damage(&self) -> Option<&str> {
        self.damage.get().map(String::as_str)
    }

    /// Whether the database answers (see [`Store::schema_version`] for readiness).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection, waiting for those in use.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once, so two
    /// writers queue on the busy timeout instead of deadlocking when a reader upgrades.
    pub(crate) async fn write_tx(&self) -> Result<Transaction<'static, Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// `FOR UPDATE` where the backend locks rows (PostgreSQL); SQLite's write transaction
    /// already holds the database lock.
    pub(crate) fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }
}
