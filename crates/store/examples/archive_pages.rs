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

    println!("{:<34} {:>10}", "query (en)", "ms");
    let filter = |offset: i64| ReleaseFilter {
        lang: "en".into(),
        limit: 20,
        offset,
        ..Default::default()
    };
    let time = |name: &str, ms: f64| println!("{name:<34} {ms:>10.2}");
    for (name, offset) in [
        ("listing page 1", 0),
        ("listing, last page", ((n as i64 - 1) / 20) * 20),
    ] {
        let t = Instant::now();
        let rows = db.store.list_public(&filter(offset)).await.unwrap();
        assert!(!rows.is_empty());
        time(name, t.elapsed().as_secs_f64() * 1e3);
    }
    let t = Instant::now();
    let total = db.store.count_public(&filter(0)).await.unwrap();
    assert_eq!(total, n as i64);
    time("count", t.elapsed().as_secs_f64() * 1e3);
    let t = Instant::now();
    let years = db.store.public_years("en").await.unwrap();
    time(
        &format!("years ({})", years.len()),
        t.elapsed().as_secs_f64() * 1e3,
    );
    let t = Instant::now();
    let chunks = db.store.sitemap_chunks(1_000).await.unwrap();
    let ms = t.elapsed().as_secs_f64() * 1e3;
    time(&format!("sitemap index ({} children)", chunks.len()), ms);
    let t = Instant::now();
    let entries = db.store.sitemap_entries(0, 1_000).await.unwrap();
    let ms = t.elapsed().as_secs_f64() * 1e3;
    time(&format!("sitemap child ({} urls)", entries.len()), ms);
}
