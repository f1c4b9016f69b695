//! What the database itself says about its tables: their names and each column's declared
//! type and primary-key position. Dumping reads values by the source's types and loading
//! converts them by the target's, which is what lets SQLite's `INTEGER` flag become
//! PostgreSQL's `BOOLEAN` (or `BLOB` become `BYTEA`) without a per-column list to keep.

use sqlx::{AnyConnection, Row};

use crate::rows::sql;
use crate::{Backend, Result, StoreError};

/// How a column's values are read, written and shown in a dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Any integer type: a JSON number.
    Integer,
    /// Text: a JSON string.
    Text,
    /// Bytes (`BLOB`, `BYTEA`): a JSON string in base64.
    Blob,
    /// A boolean (PostgreSQL `BOOLEAN`, SQLite `BOOLEAN` affinity): JSON `true`/`false`.
    Boolean,
}

/// One column of a table.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub name: String,
    pub kind: Kind,
    /// Position in the primary key (1-based), 0 when not part of it.
    pub pk: i64,
}

/// The tables of the current schema (SQLite's own `sqlite_…` tables left out).
pub(crate) async fn tables(conn: &mut AnyConnection, backend: Backend) -> Result<Vec<String>> {
    let query = match backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
        }
    };
    let rows = sqlx::query(query).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>("name")?))
        .collect()
}

/// The columns of `table` in their declared order; an error for a type a dump cannot carry.
pub(crate) async fn columns(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
) -> Result<Vec<Column>> {
    let rows = match backend {
        Backend::Sqlite => {
            sqlx::query("SELECT name, type, pk FROM pragma_table_info($1) ORDER BY cid")
                .bind(table)
                .fetch_all(&mut *conn)
                .await?
        }
        Backend::Postgres => {
            sqlx::query(
                "SELECT c.column_name::text AS name, c.data_type::text AS type, \
                 COALESCE((SELECT k.ordinal_position::bigint \
                   FROM information_schema.table_constraints t \
                   JOIN information_schema.key_column_usage k \
                     ON k.constraint_name = t.constraint_name AND k.table_schema = t.table_schema \
                   WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = c.table_schema \
                     AND t.table_name = c.table_name AND k.column_name = c.column_name), 0) AS pk \
                 FROM information_schema.columns c \
                 WHERE c.table_schema = current_schema() AND c.table_name = $1 \
                 ORDER BY c.ordinal_position",
            )
            .bind(table)
            .fetch_all(&mut *conn)
            .await?
        }
    };
    if rows.is_empty() {
        return Err(StoreError::Restore(format!(
            "the database has no table `{table}`"
        )));
    }
    rows.iter()
        .map(|r| {
            let name: String = r.try_get("name")?;
            let declared: String = r.try_get("type")?;
            let kind = kind(&declared).ok_or_else(|| {
                StoreError::Restore(format!(
                    "column {table}.{name} has type {declared}, which backups do not carry yet; \
                     add it to the store's backup catalog"
                ))
            })?;
            Ok(Column {
                name,
                kind,
                pk: r.try_get("pk")?,
            })
        })
        .collect()
}

/// The kind of a declared type, by SQLite's affinity rules (which also read PostgreSQL's
/// names right): `INT` anywhere is an integer, `CHAR`/`CLOB`/`TEXT` text, `BLOB`/`BYTEA` bytes.
fn kind(declared: &str) -> Option<Kind> {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") {
        Some(Kind::Integer)
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        Some(Kind::Text)
    } else if t.contains("BLOB") || t == "BYTEA" {
        Some(Kind::Blob)
    } else if t.starts_with("BOOL") {
        Some(Kind::Boolean)
    } else {
        None
    }
}

/// `"name"`: identifiers come from the catalog, quoted so no name is read as a keyword.
pub(crate) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The rows of `table` in primary-key order (so a dump is the same however rows were
/// stored), with `columns` selected by name.
pub(crate) fn select_all(table: &str, columns: &[Column]) -> sqlx::AssertSqlSafe<String> {
    let list: Vec<String> = columns.iter().map(|c| quoted(&c.name)).collect();
    let mut key: Vec<&Column> = columns.iter().filter(|c| c.pk > 0).collect();
    key.sort_by_key(|c| c.pk);
    let order: Vec<String> = if key.is_empty() {
        (1..=columns.len()).map(|i| i.to_string()).collect()
    } else {
        key.iter().map(|c| quoted(&c.name)).collect()
    };
    sql(format!(
        "SELECT {} FROM {} ORDER BY {}",
        list.join(", "),
        quoted(table),
        order.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::{Kind, kind};

    #[test]
    fn declared_types_of_both_backends() {
        for (t, k) in [
            ("INTEGER", Kind::Integer),
            ("BIGINT", Kind::Integer),
            ("bigint", Kind::Integer),
            ("integer", Kind::Integer),
            ("TEXT", Kind::Text),
            ("character varying", Kind::Text),
            ("BLOB", Kind::Blob),
            ("bytea", Kind::Blob),
            ("boolean", Kind::Boolean),
        ] {
            assert_eq!(kind(t), Some(k), "{t}");
        }
        assert_eq!(kind("double precision"), None);
    }
}
