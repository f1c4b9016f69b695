//! A damaged SQLite file: refused at once when it was cut short (its length is checked when
//! the store connects), and found by `Store::check_integrity` (every page read, which a
//! restart does not wait for) when a page inside it is garbage.

use pressroom_store::testing::TestDb;
use pressroom_store::{Store, StoreError};

/// A site's database in `dir`, everything written into the main file, closed.
async fn site_file(dir: &std::path::Path) -> (String, std::path::PathBuf) {
    let db = TestDb::sqlite_in(dir).await;
    let url = db.url.clone();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    db.store.close().await;
    (url, dir.join("test.db"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_cut_short_is_refused_when_the_store_connects() {
    let dir = tempfile::tempdir().unwrap();
    let (url, file) = site_file(dir.path()).await;
    let bytes = std::fs::read(&file).unwrap();
    let page = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    // Only the last page missing: the schema still reads, so nothing else would notice.
    std::fs::write(&file, &bytes[..bytes.len() - page]).unwrap();
    match Store::connect(&url).await {
        // SQLite's own first read, or the length check after it, says so: either way with
        // the fix, and without reading every page.
        Err(StoreError::Open(message)) => assert!(
            message.contains("is damaged") && message.contains("restore it from a backup"),
            "{message}"
        ),
        other => panic!("expected a damaged file, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garbage_page_is_found_by_the_integrity_check() {
    let dir = tempfile::tempdir().unwrap();
    let (url, file) = site_file(dir.path()).await;
    let mut bytes = std::fs::read(&file).unwrap();
    let page = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    // The last page: a b-tree page of the last migration, not one start-up reads.
    let last = bytes.len() - page;
    bytes[last..].fill(0xA5);
    std::fs::write(&file, &bytes).unwrap();
    let store = Store::connect(&url).await.expect("the length is right");
    assert_eq!(store.damage(), None);
    match store.check_integrity().await {
        Err(StoreError::Open(message)) => {
            assert!(
                message.contains("is damaged") && message.contains("restore it from a backup"),
                "{message}"
            );
            assert_eq!(store.damage(), Some(message.as_str()), "readiness says so");
        }
        other => panic!("expected a damaged file, got {other:?}"),
    }
}
