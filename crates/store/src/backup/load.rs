//! Loading a dump into an empty database, in one transaction: a restore that fails anywhere
//! rolls back to the empty schema it started from, never to half a site.

use std::collections::BTreeSet;

use base64::Engine;
use serde_json::Value;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, Row, Transaction};

use super::catalog::{self, Column, Kind, quoted};
use super::{BackupTable, DumpRow, tables_at};
use crate::rows::sql;
use crate::{Backend, Result, SCHEMA_VERSION, Store, StoreError};

/// Rows going into an empty database, table by table in [`super::TABLES`] order; nothing is
/// visible until [`Loader::commit`].
pub struct Loader {
    tx: Transaction<'static, Any>,
    backend: Backend,
    tables: Vec<&'static BackupTable>,
    /// Index in `tables` of the table being loaded.
    next: usize,
    current: Option<Current>,
    deferred: Vec<Deferred>,
    rows: u64,
    /// The schema version of the backup, which says which derived tables to rebuild.
    version: i64,
}

/// The table rows are going into now.
struct Current {
    table: &'static BackupTable,
    columns: Vec<Column>,
    /// `INSERT INTO t (…) VALUES`, to which each batch adds its rows' placeholders.
    insert: String,
    /// Rows waiting to go in with one statement.
    pending: Vec<Vec<Bound>>,
}

/// The most parameters one batch binds: well under SQLite's 32,766 and PostgreSQL's 65,535.
const BATCH_PARAMETERS: usize = 8_000;

/// The most rows one batch inserts; one statement per row made a PostgreSQL restore several
/// times slower.
const BATCH_ROWS: usize = 200;

/// The [`BackupTable::later`] values of one row, set once every row is in.
struct Deferred {
    table: &'static str,
    key: Vec<(String, Bound)>,
    values: Vec<(String, Bound)>,
}

/// A value converted for its target column.
#[derive(Debug, Clone)]
enum Bound {
    Int(Option<i64>),
    Text(Option<String>),
    Blob(Option<Vec<u8>>),
    Bool(Option<bool>),
}

impl Store {
    /// Checks, changing nothing, that a backup at schema `version` can be restored here: this
    /// binary knows the version, and the database holds no site (no schema yet, or an empty
    /// one no newer than the backup's).
    pub async fn check_restorable(&self, version: i64) -> Result<()> {
        if version > SCHEMA_VERSION {
            return Err(StoreError::Restore(format!(
                "the backup was taken at schema version {version}, newer than this pressroom \
                 knows (up to {SCHEMA_VERSION}); restore it with the Pressroom release that \
                 made it, or a newer one"
            )));
        }
        let found = self.schema_version().await?;
        if found == 0 {
            return Ok(());
        }
        let mut conn = self.pool.acquire().await?;
        let mut held = Vec::new();
        for table in tables_at(found).filter(|t| !t.seeded) {
            let any = sqlx::query(sql(format!("SELECT 1 FROM {} LIMIT 1", quoted(table.name))))
                .fetch_optional(&mut *conn)
                .await?;
            if any.is_some() {
                held.push(table.name);
            }
        }
        if !held.is_empty() {
            return Err(StoreError::Restore(format!(
                "the target database already holds data (in {}); restore into a new, empty \
                 database, or drop this one first if it is really to be replaced",
                held.join(", ")
            )));
        }
        if found > version {
            return Err(StoreError::Restore(format!(
                "the target database is empty but already at schema version {found}, newer \
                 than the backup's {version}; restore into a new, empty database (the \
                 restored site is migrated to {found} when it starts)"
            )));
        }
        Ok(())
    }

    /// Builds the schema of `version` in this empty database and starts loading rows into
    /// it. The schema stays if the load is abandoned; it is empty, so a restore can be
    /// tried again.
    pub async fn begin_restore(&self, version: i64) -> Result<Loader> {
        self.check_restorable(version).await?;
        self.migrate_to(version).await?;
        Ok(Loader {
            tx: self.write_tx().await?,
            backend: self.backend,
            tables: tables_at(version).collect(),
            next: 0,
            current: None,
            deferred: Vec::new(),
            rows: 0,
            version,
        })
    }
}

impl Loader {
    /// Inserts one row of `table`. Tables must come in load order ([`super::tables_at`]);
    /// the row must have exactly the target table's columns. Rows go in by batches, so a row
    /// the database refuses (a key taken, a reference missing) fails a later call or
    /// [`Loader::commit`], naming its table.
    pub async fn insert(&mut self, table: &str, row: DumpRow) -> Result<()> {
        if self.current.as_ref().is_none_or(|c| c.table.name != table) {
            self.start(table).await?;
        }
        let Some(current) = &self.current else {
            unreachable!("start sets the current table")
        };
        let names: BTreeSet<&str> = current.columns.iter().map(|c| c.name.as_str()).collect();
        if let Some(extra) = row.keys().find(|k| !names.contains(k.as_str())) {
            return Err(StoreError::Restore(format!(
                "a row of {table} has a column `{extra}` the database does not have"
            )));
        }
        let mut bound = Vec::with_capacity(current.columns.len());
        let mut later = Vec::new();
        for column in &current.columns {
            let Some(value) = row.get(&column.name) else {
                return Err(StoreError::Restore(format!(
                    "a row of {table} lacks the column `{}`",
                    column.name
                )));
            };
            let value = convert(value, column.kind, self.backend)
                .map_err(|what| StoreError::Restore(format!("{table}.{}: {what}", column.name)))?;
            if current.table.later.contains(&column.name.as_str()) {
                later.push((column.name.clone(), value));
                bound.push(null_of(column.kind, self.backend));
            } else {
                bound.push(value);
            }
        }
        if later.iter().any(|(_, v)| !is_null(v)) {
            let key = current
                .columns
                .iter()
                .zip(&bound)
                .filter(|(c, _)| c.pk > 0)
                .map(|(c, v)| (c.name.clone(), v.clone()))
                .collect();
            self.deferred.push(Deferred {
                table: current.table.name,
                key,
                values: later,
            });
        }
        let Some(current) = &mut self.current else {
            unreachable!("start sets the current table")
        };
        current.pending.push(bound);
        self.rows += 1;
        let limit = (BATCH_PARAMETERS / current.columns.len().max(1)).clamp(1, BATCH_ROWS);
        if current.pending.len() >= limit {
            self.flush().await?;
        }
        Ok(())
    }

    /// Inserts the current table's pending rows with one statement.
    async fn flush(&mut self) -> Result<()> {
        let Some(current) = &mut self.current else {
            return Ok(());
        };
        if current.pending.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut current.pending);
        let width = current.columns.len();
        let groups: Vec<String> = (0..rows.len())
            .map(|r| {
                let marks: Vec<String> =
                    (1..=width).map(|c| format!("${}", r * width + c)).collect();
                format!("({})", marks.join(", "))
            })
            .collect();
        let text = format!("{} {}", current.insert, groups.join(", "));
        let table = current.table.name;
        bind_all(sqlx::query(sql(text)), rows.into_iter().flatten().collect())
            .execute(&mut *self.tx)
            .await
            .map_err(|e| StoreError::Restore(format!("cannot insert the rows of {table}: {e}")))?;
        Ok(())
    }

    /// Moves on to `table`, which must come later in the load order.
    async fn start(&mut self, table: &str) -> Result<()> {
        let Some(offset) = self.tables[self.next..]
            .iter()
            .position(|t| t.name == table)
        else {
            return Err(StoreError::Restore(
                if self.tables.iter().any(|t| t.name == table) {
                    format!("the rows of {table} come out of order")
                } else {
                    format!("{table} is not a table of this backup's schema")
                },
            ));
        };
        self.flush().await?;
        let spec = self.tables[self.next + offset];
        self.next += offset + 1;
        let columns = catalog::columns(&mut self.tx, self.backend, table).await?;
        if spec.seeded {
            // The migration's initial row; the dump's row replaces it.
            sqlx::query(sql(format!("DELETE FROM {}", quoted(table))))
                .execute(&mut *self.tx)
                .await?;
        }
        let names: Vec<String> = columns.iter().map(|c| quoted(&c.name)).collect();
        let insert = format!(
            "INSERT INTO {} ({}) VALUES",
            quoted(table),
            names.join(", ")
        );
        self.current = Some(Current {
            table: spec,
            columns,
            insert,
            pending: Vec::new(),
        });
        Ok(())
    }

    /// Rows taken so far (the last batch goes in at the next table or at commit).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Abandons the load: nothing of it stays (the empty schema does).
    pub async fn abort(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }

    /// Sets the deferred references, moves PostgreSQL's identity sequences past the restored
    /// ids and commits: the restored database appears whole, at once.
    pub async fn commit(mut self) -> Result<u64> {
        self.flush().await?;
        for d in std::mem::take(&mut self.deferred) {
            let sets: Vec<String> = d
                .values
                .iter()
                .enumerate()
                .map(|(i, (c, _))| format!("{} = ${}", quoted(c), i + 1))
                .collect();
            let wheres: Vec<String> = d
                .key
                .iter()
                .enumerate()
                .map(|(i, (c, _))| format!("{} = ${}", quoted(c), d.values.len() + i + 1))
                .collect();
            let text = format!(
                "UPDATE {} SET {} WHERE {}",
                quoted(d.table),
                sets.join(", "),
                wheres.join(" AND ")
            );
            let values = d.values.into_iter().chain(d.key).map(|(_, v)| v).collect();
            let done = bind_all(sqlx::query(sql(text)), values)
                .execute(&mut *self.tx)
                .await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Restore(format!(
                    "a deferred reference of {} matched {} rows",
                    d.table,
                    done.rows_affected()
                )));
            }
        }
        if self.backend == Backend::Postgres {
            reset_sequences(&mut self.tx).await?;
        }
        // Derived tables (`super::DERIVED`) are not in backups: rebuilt from the loaded rows.
        if self.version >= 12 {
            crate::phrases::fill_phrases(&mut self.tx).await?;
        }
        self.tx.commit().await?;
        Ok(self.rows)
    }
}

/// Every identity (or serial) column's sequence continues after the largest restored value.
async fn reset_sequences(tx: &mut Transaction<'static, Any>) -> Result<()> {
    let columns = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
         WHERE table_schema = current_schema() \
           AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')",
    )
    .fetch_all(&mut **tx)
    .await?;
    for row in columns {
        let table: String = row.try_get("t")?;
        let column: String = row.try_get("c")?;
        sqlx::query(sql(format!(
            "SELECT setval(pg_get_serial_sequence($1, $2), \
             COALESCE((SELECT MAX({c}) FROM {t}), 0) + 1, false)",
            c = quoted(&column),
            t = quoted(&table)
        )))
        .bind(quoted(&table))
        .bind(column)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn bind_all(
    mut query: Query<'static, Any, AnyArguments>,
    values: Vec<Bound>,
) -> Query<'static, Any, AnyArguments> {
    for value in values {
        query = match value {
            Bound::Int(v) => query.bind(v),
            Bound::Text(v) => query.bind(v),
            Bound::Blob(v) => query.bind(v),
            Bound::Bool(v) => query.bind(v),
        };
    }
    query
}

fn is_null(value: &Bound) -> bool {
    matches!(
        value,
        Bound::Int(None) | Bound::Text(None) | Bound::Blob(None) | Bound::Bool(None)
    )
}

/// A `NULL` typed for a column of `kind`, so PostgreSQL sees the column's own type.
fn null_of(kind: Kind, backend: Backend) -> Bound {
    match (kind, backend) {
        (Kind::Integer, _) | (Kind::Boolean, Backend::Sqlite) => Bound::Int(None),
        (Kind::Text, _) => Bound::Text(None),
        (Kind::Blob, _) => Bound::Blob(None),
        (Kind::Boolean, Backend::Postgres) => Bound::Bool(None),
    }
}

/// A dumped value for a target column of `kind`: by the target's type, so a flag dumped as
/// SQLite's 0/1 goes into a PostgreSQL boolean and back.
fn convert(value: &Value, kind: Kind, backend: Backend) -> Result<Bound, String> {
    if value.is_null() {
        return Ok(null_of(kind, backend));
    }
    let flag = match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) if n.as_i64() == Some(0) => Some(false),
        Value::Number(n) if n.as_i64() == Some(1) => Some(true),
        _ => None,
    };
    match kind {
        Kind::Integer => match value {
            Value::Number(n) => n
                .as_i64()
                .map(|n| Bound::Int(Some(n)))
                .ok_or_else(|| format!("{n} is not a 64-bit integer")),
            Value::Bool(b) => Ok(Bound::Int(Some(i64::from(*b)))),
            other => Err(format!("expected an integer, found {other}")),
        },
        Kind::Text => match value {
            Value::String(s) => Ok(Bound::Text(Some(s.clone()))),
            other => Err(format!("expected text, found {other}")),
        },
        Kind::Blob => match value {
            Value::String(s) => base64::engine::general_purpose::STANDARD
                .decode(s)
                .map(|b| Bound::Blob(Some(b)))
                .map_err(|e| format!("not base64: {e}")),
            other => Err(format!("expected base64 bytes, found {other}")),
        },
        Kind::Boolean => match (flag, backend) {
            (Some(b), Backend::Postgres) => Ok(Bound::Bool(Some(b))),
            (Some(b), Backend::Sqlite) => Ok(Bound::Int(Some(i64::from(b)))),
            (None, _) => Err(format!("expected true or false, found {value}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Bound, Kind, convert};
    use crate::Backend;

    #[test]
    fn values_follow_the_target_column() {
        let pg = Backend::Postgres;
        let lite = Backend::Sqlite;
        assert!(matches!(
            convert(&json!(1), Kind::Boolean, pg),
            Ok(Bound::Bool(Some(true)))
        ));
        assert!(matches!(
            convert(&json!(false), Kind::Boolean, lite),
            Ok(Bound::Int(Some(0)))
        ));
        assert!(matches!(
            convert(&json!(true), Kind::Integer, pg),
            Ok(Bound::Int(Some(1)))
        ));
        assert!(matches!(
            convert(&json!("AAE="), Kind::Blob, pg),
            Ok(Bound::Blob(Some(ref b))) if b == &[0, 1]
        ));
        assert!(matches!(
            convert(&json!(null), Kind::Text, pg),
            Ok(Bound::Text(None))
        ));
        assert!(convert(&json!("7"), Kind::Integer, lite).is_err());
        assert!(convert(&json!(7), Kind::Text, lite).is_err());
        assert!(convert(&json!(2), Kind::Boolean, pg).is_err());
        assert!(convert(&json!(1.5), Kind::Integer, pg).is_err());
    }
}
