//! The first connection, made before the pool: a pool retries a failing connection until its
//! acquire timeout and then says only "pool timed out", so an unreachable server, a file that
//! is not a database, a damaged file or a folder that cannot be written would each wait 30 s
//! and hide the cause. One direct attempt, bounded by [`FIRST_CONNECTION`], reports the real
//! cause with what to do. On SQLite it also compares the file's length with the size its
//! header records, so a cut-short copy is refused at start; the full `PRAGMA quick_check`,
//! which reads every page (seconds for a database of a few GB), is [`Store::check_integrity`],
//! run by `pressroom serve` in the background once it listens and by commands that write
//! before they write.

use std::time::Duration;

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, Connection, Row};

use crate::{Backend, Result, StoreError};

/// How long the first connection may take before start-up gives up.
pub(crate) const FIRST_CONNECTION: Duration = Duration::from_secs(5);

/// Connects once to `url` and checks what it finds; the connection is then closed.
pub(crate) async fn check(backend: Backend, url: &str, options: &AnyConnectOptions) -> Result<()> {
    let attempt = async {
        let mut conn = AnyConnection::connect_with(options)
            .await
            .map_err(|e| explain(backend, url, &e))?;
        if backend == Backend::Sqlite {
            sqlx::raw_sql("PRAGMA journal_mode = WAL")
                .execute(&mut conn)
                .await
                .map_err(|e| explain(Backend::Sqlite, url, &e))?;
        }
        Ok::<_, StoreError>(conn)
    };
    match tokio::time::timeout(FIRST_CONNECTION, attempt).await {
        Ok(Ok(conn)) => {
            if backend == Backend::Sqlite {
                check_length(url)?;
            }
            let _ = conn.close().await;
            Ok(())
        }
        Ok(Err(e)) => Err(e),
        Err(_) => Err(StoreError::Open(match backend {
            Backend::Postgres => format!(
                "PostgreSQL did not answer within {} s; check that the server is running and \
                 reachable from here, and the host and port in database_url",
                FIRST_CONNECTION.as_secs()
            ),
            Backend::Sqlite => format!(
                "{} did not open within {} s: another program may hold it locked; stop it, \
                 or check the disk",
                sqlite_path(url),
                FIRST_CONNECTION.as_secs()
            ),
        })),
    }
}

/// Refuses a file shorter than the pages its header counts: a copy cut short (a full disk
/// during a copy, an interrupted transfer), the commonest damage, found without reading the
/// pages. SQLite keeps the main file at least that long whatever its write-ahead log holds;
/// a header whose count is not valid (written by an old SQLite) is not judged.
fn check_length(url: &str) -> Result<()> {
    let path = sqlite_path(url);
    let Ok(mut file) = std::fs::File::open(path) else {
        return Ok(()); // In memory, or not a plain path: the first query says what is wrong.
    };
    let mut header = [0u8; 100];
    let (Ok(meta), Ok(())) = (
        file.metadata(),
        std::io::Read::read_exact(&mut file, &mut header),
    ) else {
        return Ok(());
    };
    let be32 = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        n => u64::from(n),
    };
    let (pages, counter, valid_for) = (u64::from(be32(28)), be32(24), be32(92));
    let expected = pages * page_size;
    if pages == 0 || counter != valid_for || meta.len() >= expected {
        return Ok(());
    }
    Err(StoreError::Open(format!(
        "{path} is damaged (the file is {} bytes, its header counts {pages} pages of {page_size} \
         bytes: it was cut short); restore it from a backup, or try `sqlite3 {path} .recover`",
        meta.len()
    )))
}

/// `PRAGMA quick_check` on one connection of the pool: every page read, so a damaged file is
/// found before it serves errors or is written to. What [`Store::check_integrity`] runs.
pub(crate) async fn quick_check(conn: &mut AnyConnection, url: &str) -> Result<()> {
    let rows = sqlx::query("PRAGMA quick_check")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| explain(Backend::Sqlite, url, &e))?;
    let findings: Vec<String> = rows
        .iter()
        .filter_map(|r| r.try_get::<String, _>(0).ok())
        .collect();
    if findings.len() == 1 && findings[0] == "ok" {
        return Ok(());
    }
    let path = sqlite_path(url);
    Err(StoreError::Open(format!(
        "{path} is damaged (PRAGMA quick_check: {}); restore it from a backup, or try \
         `sqlite3 {path} .recover`",
        findings
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join("; ")
    )))
}

/// The file of an `sqlite://PATH?…` URL, for messages.
fn sqlite_path(url: &str) -> &str {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    path.split('?').next().unwrap_or(path)
}

/// The cause of a failed first connection, with what the operator can do.
fn explain(backend: Backend, url: &str, e: &sqlx::Error) -> StoreError {
    let message = match (backend, e) {
        (Backend::Sqlite, sqlx::Error::Database(db)) => {
            let path = sqlite_path(url);
            let code = db.code().and_then(|c| c.parse::<u32>().ok()).unwrap_or(0);
            match code & 0xff {
                26 => format!(
                    "{path} is not an SQLite database ({}); point --data or database_url at \
                     the site's pressroom.db, or move this file away to start a new site",
                    db.message()
                ),
                11 => format!(
                    "{path} is damaged ({}); restore it from a backup, or try \
                     `sqlite3 {path} .recover`",
                    db.message()
                ),
                8 | 14 => format!(
                    "cannot open {path} for writing ({}); check that its folder exists and that \
                     the user running pressroom may write to it (SQLite also writes \
                     pressroom.db-wal and pressroom.db-shm beside it)",
                    db.message()
                ),
                _ => format!("cannot open {path}: {}", db.message()),
            }
        }
        (Backend::Postgres, sqlx::Error::Database(db)) => format!(
            "PostgreSQL refused the connection: {}; check the user, password and database \
             name in database_url",
            db.message()
        ),
        (Backend::Postgres, sqlx::Error::Io(io)) => format!(
            "cannot reach PostgreSQL ({io}); check that the server is running and \
             reachable from here, and the host and port in database_url"
        ),
        (_, other) => format!("cannot connect: {other}"),
    };
    StoreError::Open(message)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_file_of_a_url() {
        assert_eq!(
            super::sqlite_path("sqlite:///a/pressroom.db?mode=rwc"),
            "/a/pressroom.db"
        );
        assert_eq!(super::sqlite_path("sqlite:x.db"), "x.db");
    }
}
