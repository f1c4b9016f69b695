//! Schema migrations, one list per backend, applied in order in one transaction each.
//!
//! The applied versions are recorded in `pressroom_schema`. A database with a version this
//! binary does not know was migrated by a newer Pressroom: we refuse to touch it rather than
//! guess, because an older binary could write data the newer schema no longer means.

use sqlx::Row;

use crate::{Backend, Result, Store, StoreError};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sqlite: include_str!("migrations/sqlite/0001_initial.sql"),
        postgres: include_str!("migrations/postgres/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "authenticity",
        sqlite: include_str!("migrations/sqlite/0002_authenticity.sql"),
        postgres: include_str!("migrations/postgres/0002_authenticity.sql"),
    },
    Migration {
        version: 3,
        name: "media",
        sqlite: include_str!("migrations/sqlite/0003_media.sql"),
        postgres: include_str!("migrations/postgres/0003_media.sql"),
    },
    Migration {
        version: 4,
        name: "accounts",
        sqlite: include_str!("migrations/sqlite/0004_accounts.sql"),
        postgres: include_str!("migrations/postgres/0004_accounts.sql"),
    },
    Migration {
        version: 5,
        name: "second_factor",
        sqlite: include_str!("migrations/sqlite/0005_second_factor.sql"),
        postgres: include_str!("migrations/postgres/0005_second_factor.sql"),
    },
    Migration {
        version: 6,
        name: "archive indexes",
        sqlite: include_str!("migrations/sqlite/0006_archive_indexes.sql"),
        postgres: include_str!("migrations/postgres/0006_archive_indexes.sql"),
    },
    Migration {
        version: 7,
        name: "change stream",
        sqlite: include_str!("migrations/sqlite/0007_change_stream.sql"),
        postgres: include_str!("migrations/postgres/0007_change_stream.sql"),
    },
    Migration {
        version: 8,
        name: "translation search",
        sqlite: include_str!("migrations/sqlite/0008_translation_search.sql"),
        postgres: include_str!("migrations/postgres/0008_translation_search.sql"),
    },
    Migration {
        version: 9,
        name: "outbox",
        sqlite: include_str!("migrations/sqlite/0009_outbox.sql"),
        postgres: include_str!("migrations/postgres/0009_outbox.sql"),
    },
    Migration {
        version: 10,
        name: "subscribers",
        sqlite: include_str!("migrations/sqlite/0010_subscribers.sql"),
        postgres: include_str!("migrations/postgres/0010_subscribers.sql"),
    },
    Migration {
        version: 11,
        name: "imports",
        sqlite: include_str!("migrations/sqlite/0011_imports.sql"),
        postgres: include_str!("migrations/postgres/0011_imports.sql"),
    },
    Migration {
        version: 12,
        name: "revision phrases",
        sqlite: include_str!("migrations/sqlite/0012_revision_phrases.sql"),
        postgres: include_str!("migrations/postgres/0012_revision_phrases.sql"),
    },
];

/// The newest schema version this binary knows.
pub const SCHEMA_VERSION: i64 = 12;

const CREATE_VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS pressroom_schema (\
     version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

impl Store {
    /// Applies every migration the database lacks; returns the versions applied.
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        self.migrate_to(SCHEMA_VERSION).await
    }

    /// Applies the migrations the database lacks up to `target` (a restore builds the schema
    /// its backup was taken at, no newer); returns the versions applied.
    pub(crate) async fn migrate_to(&self, target: i64) -> Result<Vec<i64>> {
        // Only when missing: `IF NOT EXISTS` on an existing table makes PostgreSQL send a
        // NOTICE, which the driver logs on every start and every command (`log verify`).
        if !self.has_version_table().await? {
            sqlx::query(CREATE_VERSION_TABLE)
                .execute(&self.pool)
                .await?;
        }
        let mut applied = Vec::new();
        for migration in MIGRATIONS.iter().filter(|m| m.version <= target) {
            let mut tx = self.write_tx().await?;
            let done = sqlx::query("SELECT 1 FROM pressroom_schema WHERE version = $1")
                .bind(migration.version)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            if done {
                continue;
            }
            let sql = match self.backend {
                Backend::Sqlite => migration.sqlite,
                Backend::Postgres => migration.postgres,
            };
            sqlx::raw_sql(sql).execute(&mut *tx).await?;
            if migration.version == 8 {
                // Folding is Rust, not SQL: the existing translations' rows are written here,
                // in the migration's transaction, so the list never misses an older draft.
                crate::editorial::fill_translation_search(&mut tx).await?;
            }
            if migration.version == 12 {
                // The fingerprints are Rust too: revisions signed before are fingerprinted
                // here, so the verify page finds them from the first start.
                crate::phrases::fill_phrases(&mut tx).await?;
            }
            sqlx::query(
                "INSERT INTO pressroom_schema (version, name, applied_at) VALUES ($1, $2, $3)",
            )
            .bind(migration.version)
            .bind(migration.name)
            .bind(crate::rows::micros(jiff::Timestamp::now()))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            tracing::info!(
                version = migration.version,
                name = migration.name,
                "applied migration"
            );
            applied.push(migration.version);
        }
        Ok(applied)
    }

    /// The database's schema version (0 for an empty database).
    pub async fn schema_version(&self) -> Result<i64> {
        if !self.has_version_table().await? {
            return Ok(0);
        }
        let row = sqlx::query("SELECT MAX(version) AS v FROM pressroom_schema")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<Option<i64>, _>("v")?.unwrap_or(0))
    }

    async fn has_version_table(&self) -> Result<bool> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pressroom_schema'"
            }
            Backend::Postgres => {
                "SELECT 1 FROM information_schema.tables WHERE table_name = 'pressroom_schema' \
                                  AND table_schema = current_schema()"
            }
        };
        Ok(sqlx::query(sql).fetch_optional(&self.pool).await?.is_some())
    }
}

/// Refuses a database migrated by a newer Pressroom.
pub(crate) async fn check_not_newer(store: &Store) -> Result<()> {
    let found = store.schema_version().await?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    Ok(())
}
