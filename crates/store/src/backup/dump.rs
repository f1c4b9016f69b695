//! Reading a consistent dump while the site serves: one read transaction for everything
//! (SQLite's WAL keeps the snapshot its first read saw; PostgreSQL's `REPEATABLE READ READ
//! ONLY` does the same), so a publication committed halfway through is either wholly in the
//! backup or not at all.

use base64::Engine;
use futures_util::TryStreamExt;
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::catalog::{self, Column, Kind};
use super::{BackupTable, DumpRow, tables_at};
use crate::rows::sql;
use crate::{Backend, Result, Store, StoreError};

/// A consistent read of the whole database, for a backup.
pub struct Snapshot {
    tx: Transaction<'static, Any>,
    backend: Backend,
    version: i64,
}

impl Store {
    /// Starts a snapshot of the database as it is now; writers carry on meanwhile.
    pub async fn snapshot(&self) -> Result<Snapshot> {
        let mut tx = match self.backend {
            Backend::Sqlite => self.pool.begin().await?,
            Backend::Postgres => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?
            }
        };
        // The first read fixes the snapshot (SQLite starts a deferred transaction's read
        // there; PostgreSQL takes its snapshot at the first statement).
        let version: Option<i64> = sqlx::query("SELECT MAX(version) AS v FROM pressroom_schema")
            .fetch_one(&mut *tx)
            .await?
            .try_get("v")?;
        Ok(Snapshot {
            tx,
            backend: self.backend,
            version: version.unwrap_or(0),
        })
    }

    /// The tables the database's catalog lists, `pressroom_schema` included: what a test
    /// compares with [`super::TABLES`].
    pub async fn catalog_tables(&self) -> Result<Vec<String>> {
        let mut conn = self.pool.acquire().await?;
        catalog::tables(&mut conn, self.backend).await
    }
}

impl Snapshot {
    /// The schema version the snapshot was taken at.
    pub fn schema_version(&self) -> i64 {
        self.version
    }

    /// Which backend the snapshot reads.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The tables this snapshot's backup holds, in load order.
    pub fn tables(&self) -> Vec<&'static BackupTable> {
        tables_at(self.version).collect()
    }

    /// The number of rows in each table of [`Snapshot::tables`].
    pub async fn row_counts(&mut self) -> Result<Vec<(&'static str, u64)>> {
        let mut counts = Vec::new();
        for table in self.tables() {
            let n: i64 = sqlx::query(sql(format!(
                "SELECT COUNT(*) AS n FROM {}",
                catalog::quoted(table.name)
            )))
            .fetch_one(&mut *self.tx)
            .await?
            .try_get("n")?;
            counts.push((table.name, u64::try_from(n).unwrap_or(0)));
        }
        Ok(counts)
    }

    /// Calls `each` with every row of `table` in primary-key order; returns how many.
    pub async fn rows<E: From<StoreError>>(
        &mut self,
        table: &str,
        mut each: impl FnMut(DumpRow) -> Result<(), E>,
    ) -> Result<u64, E> {
        let columns = catalog::columns(&mut self.tx, self.backend, table).await?;
        let query = catalog::select_all(table, &columns);
        let backend = self.backend;
        let mut stream = sqlx::query(query).fetch(&mut *self.tx);
        let mut n = 0;
        while let Some(row) = stream.try_next().await.map_err(StoreError::from)? {
            each(dump_row(&row, &columns, backend, table)?)?;
            n += 1;
        }
        Ok(n)
    }

    /// Ends the read.
    pub async fn finish(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

fn dump_row(row: &AnyRow, columns: &[Column], backend: Backend, table: &str) -> Result<DumpRow> {
    let mut out = DumpRow::new();
    for (i, column) in columns.iter().enumerate() {
        let value = read(row, i, column.kind, backend)
            .map_err(|e| StoreError::Corrupt(format!("{table}.{}: {e}", column.name)))?;
        out.insert(column.name.clone(), value);
    }
    Ok(out)
}

fn read(row: &AnyRow, i: usize, kind: Kind, backend: Backend) -> Result<Value, sqlx::Error> {
    Ok(match kind {
        Kind::Integer => row
            .try_get::<Option<i64>, _>(i)?
            .map_or(Value::Null, Value::from),
        Kind::Text => row
            .try_get::<Option<String>, _>(i)?
            .map_or(Value::Null, Value::from),
        Kind::Blob => row
            .try_get::<Option<Vec<u8>>, _>(i)?
            .map_or(Value::Null, |b| {
                Value::from(base64::engine::general_purpose::STANDARD.encode(b))
            }),
        Kind::Boolean => match backend {
            Backend::Postgres => row
                .try_get::<Option<bool>, _>(i)?
                .map_or(Value::Null, Value::from),
            Backend::Sqlite => row
                .try_get::<Option<i64>, _>(i)?
                .map_or(Value::Null, |n| Value::from(n != 0)),
        },
    })
}
