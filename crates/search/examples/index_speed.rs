//! Indexing and query speed of the crate alone, on generated translations.
//!
//! ```sh
//! cargo run --release -p pressroom-search --example index_speed -- 20000
//! ```
//!
//! Builds an index of N generated translations (`bench/corpus.rs`, the corpus and query mix
//! every benchmark shares: a fixed seed, a third in each of Azerbaijani, English and Russian)
//! in a temporary folder, then runs a fixed query mix and prints the
//! indexing rate, the size on disk and query latencies. `QUERY_ROUNDS=N` runs the mix N times
//! (20 by default, the first a warm-up); `PER_QUERY=1` also prints each query's mean time and
//! total. `bench/search.sh` (issue 11) measures the whole path over HTTP; this isolates the
//! index.

use std::time::{Duration, Instant};

use pressroom_core::numbering::{Number, numbering_year};
use pressroom_search::{
    DocNumber, Filters, Order, SearchDoc, SearchError, SearchIndex, SearchRequest,
};

#[path = "../../../bench/corpus.rs"]
mod corpus;

/// The corpus's translations as index documents, numbered per year as the store numbers them.
fn generate(count: usize) -> Vec<SearchDoc> {
    let mut year_seq = (0, 0);
    let mut docs = Vec::with_capacity(count);
    let mut translation_id = 0;
    for release in corpus::Corpus::new(count) {
        let year = numbering_year(release.published, &jiff::tz::TimeZone::UTC);
        year_seq = if year_seq.0 == year {
            (year, year_seq.1 + 1)
        } else {
            (year, 1)
        };
        let seq = year_seq.1;
        for text in release.texts {
            translation_id += 1;
            docs.push(SearchDoc {
                release_id: release.index as i64 + 1,
                translation_id,
                lang: text.lang.to_owned(),
                kind: release.kind.to_owned(),
                topics: release.topics.iter().map(|t| (*t).to_owned()).collect(),
                number: Some(DocNumber {
                    series: "main".to_owned(),
                    number: Number { year, seq },
                    display: format!("No:{seq}/{:02}", year % 100),
                }),
                first_published: release.published,
                year,
                title: text.title,
                lead: text.lead,
                body_markdown: text.body,
                spokesperson: None,
                withdrawn: false,
                url: format!("/{}/releases/{year}/{seq}-x", text.lang),
            });
        }
    }
    docs
}

fn folder_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => folder_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

fn query_mix() -> Vec<SearchRequest> {
    corpus::query_mix()
        .into_iter()
        .map(|q| {
            let mut request = SearchRequest::new(q.text);
            request.lang = q.lang.map(str::to_owned);
            request.filters = Filters {
                kinds: q.kind().map(str::to_owned).into_iter().collect(),
                year_from: q.year_from(),
                ..Filters::default()
            };
            if q.newest() {
                request.order = Order::Newest;
            }
            request.page = q.page();
            request
        })
        .collect()
}

fn main() -> Result<(), SearchError> {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let docs = generate(count);
    let dir = tempfile::tempdir().map_err(|source| SearchError::Io {
        path: std::env::temp_dir(),
        source,
    })?;
    let index = SearchIndex::open(dir.path().join("search"))?.index;

    let started = Instant::now();
    let rows = docs.into_iter().map(Ok::<_, std::io::Error>);
    index.rebuild(rows, count as u64, 1, |_, _| {})?;
    let took = started.elapsed();
    println!(
        "indexed {count} translations in {:.1} s: {:.0} per second; {:.1} MiB on disk",
        took.as_secs_f64(),
        count as f64 / took.as_secs_f64(),
        folder_size(dir.path()) as f64 / (1024.0 * 1024.0)
    );

    let mix = query_mix();
    let mut times: Vec<Duration> = Vec::new();
    let rounds: usize = std::env::var("QUERY_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20)
        .max(2);
    for round in 0..rounds {
        for request in &mix {
            let started = Instant::now();
            let results = index.search(request)?;
            if round > 0 {
                times.push(started.elapsed());
            }
            std::hint::black_box(results);
        }
    }
    if std::env::var_os("PER_QUERY").is_some() {
        for (i, request) in mix.iter().enumerate() {
            let mine: Vec<f64> = times
                .iter()
                .skip(i)
                .step_by(mix.len())
                .map(|d| d.as_secs_f64() * 1e3)
                .collect();
            let mean = mine.iter().sum::<f64>() / mine.len() as f64;
            let total = index.search(request)?.total;
            println!(
                "{mean:7.2} ms  {total:6}  {:?} {:?} kinds={:?} {:?} p{}",
                request.text, request.lang, request.filters.kinds, request.order, request.page
            );
        }
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q) as usize];
    println!(
        "{} searches ({} kinds × {} rounds): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        times.len(),
        mix.len(),
        rounds - 1,
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3
    );
    Ok(())
}
