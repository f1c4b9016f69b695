//! How the public read queries scale with the archive: fills a fresh database with N published
//! releases in three languages, then times each query a public page makes, uncached.
//!
//!   cargo run --release -p pressroom-store --example archive_pages -- [N] [sqlite|postgres]
//!
//! SQLite is a temporary file; PostgreSQL is a throwaway schema in the database named by
//! `PRESSROOM_TEST_DATABASE_URL`. `bench/archive_pages.sh` runs both.

use std::time::Instant;

use jiff::{SignedDuration, Timestamp};
use pressroom_store::testing::{TestDb, sample_text};
use pressroom_store::{By, ReleaseFilter};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5_000);
    let db = match args.next().as_deref() {
        Some("postgres") => TestDb::postgres()
            .await
            .expect("set PRESSROOM_TEST_DATABASE_URL to a PostgreSQL database to fill"),
        _ => TestDb::sqlite().await,
    };
    let people = db.people().await;
    let started = Instant::now();
    let first = Timestamp::from_second(1_600_000_000).unwrap();
    for i in 0..n {
        let at = first + SignedDuration::from_hours(6 * i as i64);
        let detail = db
            .draft(
                "press-release",
                "az",
                sample_text(&format!("Bəyanat {i}")),
                &people.author,
            )
            .await;
        let mut ids = vec![detail.translation.id];
        for lang in ["en", "ru"] {
            let t = db
                .store
                .add_translation(
                    detail.release.id,
                    lang,
                    &sample_text(&format!("Statement {i} {lang}")),
                    By::User(&people.author),
                )
                .await
                .expect("translate");
            ids.push(t.translation.id);
        }
        for id in ids {
            db.submit_and_approve(id, &people, at).await;
        }
        if i > 0 && i % 500 == 0 {
            eprintln!("{i} of {n} releases published");
        }
    }
    eprintln!("{n} releases in {:.1} s", started.elapsed().as_secs_f64());

    if db.url.starts_with("postgres") {
        // A live server's autovacuum keeps statistics; a freshly filled schema has none.
        let pool = sqlx::AnyPool::connect(&db.url).await.expect("connect");
        sqlx::query("ANALYZE")
            .execute(&pool)
            .await
            .expect("analyze");
        pool.close().await;
    }
    println!("{:<34} {:>10} {:>10}", "query (en)", "first ms", "best ms");
    let filter = |offset: i64| ReleaseFilter {
        lang: "en".into(),
        limit: 20,
        offset,
        ..Default::default()
    };
    // The first run (statement preparation, cold pages) and the best of five.
    macro_rules! time {
        ($name:expr, $query:expr) => {{
            let mut runs = Vec::new();
            let mut out = None;
            for _ in 0..5 {
                let t = Instant::now();
                out = Some($query.await.unwrap());
                runs.push(t.elapsed().as_secs_f64() * 1e3);
            }
            let best = runs.iter().copied().fold(f64::MAX, f64::min);
            let out = out.unwrap();
            println!("{:<34} {:>10.2} {:>10.2}", $name(&out), runs[0], best);
            out
        }};
    }
    let last = ((n as i64 - 1) / 20) * 20;
    let rows = time!(
        |_: &Vec<_>| "listing page 1".to_owned(),
        db.store.list_public(&filter(0))
    );
    assert_eq!(rows.len(), 20);
    let rows = time!(
        |_: &Vec<_>| "listing, last page (offset)".to_owned(),
        db.store.list_public(&filter(last))
    );
    assert!(!rows.is_empty());
    let timeline = time!(
        |t: &Vec<_>| format!("timeline ({} releases)", t.len()),
        db.store.public_timeline("en")
    );
    let keyed = ReleaseFilter {
        start_at: timeline.get(last as usize).copied(),
        ..filter(0)
    };
    let by_key = time!(
        |_: &Vec<_>| "listing, last page (by key)".to_owned(),
        db.store.list_public(&keyed)
    );
    assert_eq!(by_key, rows);
    let total = time!(
        |_: &i64| "count".to_owned(),
        db.store.count_public(&filter(0))
    );
    assert_eq!(total, n as i64);
    time!(
        |c: &Vec<_>| format!("sitemap index ({} children)", c.len()),
        db.store.sitemap_chunks(1_000)
    );
    time!(
        |e: &Vec<_>| format!("sitemap child ({} urls)", e.len()),
        db.store.sitemap_entries(0, 1_000)
    );
}
