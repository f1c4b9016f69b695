//! Throwaway databases for tests, on SQLite always and on PostgreSQL when
//! `PRESSROOM_TEST_DATABASE_URL` is set. Each PostgreSQL test gets its own schema, so tests run
//! in parallel without seeing each other; the schema is dropped when the [`TestDb`] is.
//! With `PRESSROOM_TEST_REQUIRE_POSTGRES=1` (as CI sets it) a missing URL fails the test
//! instead of skipping it. Every test store signs with [`test_key`]`(1)` for [`TEST_SITE`], as
//! a real server signs with the site's key.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use pressroom_core::signing::{Ed25519Key, Sign};

use jiff::Timestamp;
use pressroom_core::release::{RevisionInput, TranslationId};
use pressroom_core::settings::SiteSettings;
use pressroom_core::user::{Role, User};
use pressroom_core::workflow::Action;

use crate::rows::sql;
use crate::{Backend, By, NewRelease, Store, TranslationDetail};

/// A release text titled `title`, with a one-sentence lead and body.
pub fn sample_text(title: &str) -> RevisionInput {
    RevisionInput {
        title: title.into(),
        lead: "Lead.".into(),
        body: "Body text.".into(),
        ..Default::default()
    }
}

/// A store on a fresh, empty database.
pub struct TestDb {
    /// The store, migrated.
    pub store: Store,
    /// The URL it was opened with.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

/// Users of the three roles, for tests that act as someone.
pub struct People {
    /// Role author.
    pub author: User,
    /// Role editor.
    pub editor: User,
    /// A second editor, for the two-person rule.
    pub editor2: User,
    /// Role admin.
    pub admin: User,
}

/// The password every test user has.
pub const TEST_PASSWORD: &str = "correct horse battery staple";

/// The site address test stores sign for.
pub const TEST_SITE: &str = "https://mfa.example.org";

/// A fixed signing key for tests; `n` picks one of many (rotation tests need a second).
pub fn test_key(n: u8) -> Arc<dyn Sign> {
    Arc::new(Ed25519Key::from_seed(&[n; 32]))
}

/// `store` signing with test key 1.
async fn signed(store: Store) -> Store {
    store
        .use_signer(test_key(1), TEST_SITE)
        .await
        .expect("register the test signing key")
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    /// A migrated SQLite database in a temporary folder.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        let store = signed(Store::open(&url).await.expect("open SQLite")).await;
        Self {
            store,
            url,
            _dir: Some(dir),
            pg_schema: None,
        }
    }

    /// A migrated SQLite database in `folder`, which the caller owns (a size-limited file
    /// system, say).
    pub async fn sqlite_in(folder: &std::path::Path) -> Self {
        let url = format!("sqlite://{}?mode=rwc", folder.join("test.db").display());
        let store = signed(Store::open(&url).await.expect("open SQLite")).await;
        Self {
            store,
            url,
            _dir: None,
            pg_schema: None,
        }
    }

    /// A migrated PostgreSQL schema of its own, or `None` when no test server is configured.
    pub async fn postgres() -> Option<Self> {
        let (base, schema, url) = Self::postgres_schema().await?;
        let store = signed(Store::open(&url).await.expect("open PostgreSQL schema")).await;
        Some(Self {
            store,
            url,
            _dir: None,
            pg_schema: Some((base, schema)),
        })
    }

    /// A new, empty PostgreSQL schema: the base URL, its name and the URL that uses it.
    async fn postgres_schema() -> Option<(String, String, String)> {
        let Ok(base) = std::env::var("PRESSROOM_TEST_DATABASE_URL") else {
            assert!(
                std::env::var("PRESSROOM_TEST_REQUIRE_POSTGRES").is_err(),
                "PRESSROOM_TEST_REQUIRE_POSTGRES is set but PRESSROOM_TEST_DATABASE_URL is not"
            );
            eprintln!("skipping: PRESSROOM_TEST_DATABASE_URL is not set");
            return None;
        };
        let schema = format!(
            "t_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            Timestamp::now().as_millisecond() % 1_000_000
        );
        let admin = Store::connect(&base)
            .await
            .expect("connect to PRESSROOM_TEST_DATABASE_URL");
        sqlx::query(sql(format!("CREATE SCHEMA {schema}")))
            .execute(&admin.pool)
            .await
            .expect("create schema");
        admin.close().await;
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        Some((base, schema, url))
    }

    /// A database with no schema at all (connected, not migrated, no signing key): what a
    /// restore starts from. `None` for PostgreSQL without a test server.
    pub async fn empty(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary folder");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                let store = Store::connect(&url).await.expect("connect to SQLite");
                Some(Self {
                    store,
                    url,
                    _dir: Some(dir),
                    pg_schema: None,
                })
            }
            Backend::Postgres => {
                let (base, schema, url) = Self::postgres_schema().await?;
                let store = Store::connect(&url)
                    .await
                    .expect("connect to PostgreSQL schema");
                Some(Self {
                    store,
                    url,
                    _dir: None,
                    pg_schema: Some((base, schema)),
                })
            }
        }
    }

    /// A fresh database on `backend`; `None` for PostgreSQL without a test server.
    pub async fn new(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => Some(Self::sqlite().await),
            Backend::Postgres => Self::postgres().await,
        }
    }

    /// Drafts a release of `kind` in `lang` with `input`, as `by`.
    pub async fn draft(
        &self,
        kind: &str,
        lang: &str,
        input: RevisionInput,
        by: &User,
    ) -> TranslationDetail {
        let new = NewRelease {
            kind: kind.into(),
            lang: lang.into(),
            input,
        };
        self.store
            .create_release(&new, By::User(by))
            .await
            .expect("create a release")
    }

    /// Submits (as the author) and approves (as the editor) a translation at `when`: the
    /// two-person path to a first publication.
    pub async fn submit_and_approve(&self, id: TranslationId, people: &People, when: Timestamp) {
        self.store
            .apply(id, None, &Action::Submit, By::User(&people.author), when)
            .await
            .expect("submit");
        self.store
            .apply(
                id,
                None,
                &Action::ApprovePublish { correction: None },
                By::User(&people.editor),
                when,
            )
            .await
            .expect("approve and publish");
    }

    /// Sets the site up with default settings (languages az, en, ru) and one user per role.
    pub async fn people(&self) -> People {
        self.store
            .bootstrap(&SiteSettings::default(), By::Cli)
            .await
            .expect("bootstrap");
        let add = |name: &'static str, role: Role| async move {
            self.store
                .create_user(name, name, role, TEST_PASSWORD, By::Cli)
                .await
                .expect("create user")
        };
        People {
            author: add("author", Role::Author).await,
            editor: add("editor", Role::Editor).await,
            editor2: add("editor2", Role::Editor).await,
            admin: add("admin", Role::Admin).await,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((base, schema)) = self.pg_schema.take() else {
            return;
        };
        // Drop runs outside async; use a small runtime of our own on a plain thread.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(admin) = Store::connect(&base).await {
                    let _ = sqlx::query(sql(format!("DROP SCHEMA {schema} CASCADE")))
                        .execute(&admin.pool)
                        .await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}

/// Runs each named `async fn(TestDb)` as two tests: `sqlite::NAME` and `postgres::NAME` (the
/// latter skips, or fails under `PRESSROOM_TEST_REQUIRE_POSTGRES`, without a test server).
#[macro_export]
macro_rules! backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($crate::testing::TestDb::sqlite().await).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some(db) = $crate::testing::TestDb::postgres().await {
                    super::$name(db).await;
                }
            })*
        }
    };
}
