//! `pg URL N ROUNDS CLIENTS…`: the same corpus and query mix in PostgreSQL's full-text
//! search, built as a user would build the same search page without Pressroom's index: a
//! table of the translations, a stored `tsvector` per row in its language's configuration
//! (`simple` for Azerbaijani, which PostgreSQL has no stemmer for, `english`, `russian`; titles
//! weighted A), one GIN index, and per search `websearch_to_tsquery`, `ts_rank` (or date
//! order), `ts_headline` for the ten hits shown and one `count(*) … GROUP BY kind` for the
//! total and the kind counts. Everything lives in a throwaway schema, dropped at the end.

use std::time::{Duration, Instant};

use sqlx::postgres::PgPoolOptions;
use sqlx::{AssertSqlSafe, PgPool, Row};

use crate::corpus::{Corpus, MixQuery, query_mix};
use crate::stats::{Sample, print_tsv};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The text search configuration for a language.
fn config(lang: &str) -> &'static str {
    match lang {
        "en" => "english",
        "ru" => "russian",
        _ => "simple",
    }
}

/// The two statements of one search of the mix, in schema `s`; `$1` is the typed text.
fn statements(s: &str, q: &MixQuery) -> (String, String) {
    let query = match q.lang {
        Some(lang) => format!("websearch_to_tsquery('{}', $1)", config(lang)),
        // All languages: the text under each language's analysis.
        None => "(websearch_to_tsquery('simple', $1) || websearch_to_tsquery('english', $1) \
                 || websearch_to_tsquery('russian', $1))"
            .to_owned(),
    };
    let mut filter = "d.tsv @@ q.q".to_owned();
    if let Some(lang) = q.lang {
        filter.push_str(&format!(" AND d.lang = '{lang}'"));
    }
    if let Some(kind) = q.kind() {
        filter.push_str(&format!(" AND d.kind = '{kind}'"));
    }
    if let Some(year) = q.year_from() {
        filter.push_str(&format!(" AND d.year >= {year}"));
    }
    let order = if q.newest() {
        "d.published DESC"
    } else {
        "ts_rank(d.tsv, q.q) DESC"
    };
    let offset = (q.page() - 1) * 10;
    let page = format!(
        "WITH q AS (SELECT {query} AS q), \
         hits AS (SELECT d.id, row_number() OVER () AS pos FROM (SELECT d.id FROM {s}.docs d, q \
                  WHERE {filter} ORDER BY {order} LIMIT 10 OFFSET {offset}) d) \
         SELECT d.id, d.title, ts_headline(d.cfg, d.lead || ' ' || d.body, q.q, \
                'MaxFragments=2, MinWords=8, MaxWords=20') AS snippet \
         FROM hits h JOIN {s}.docs d ON d.id = h.id, q ORDER BY h.pos"
    );
    let counts = format!(
        "WITH q AS (SELECT {query} AS q) SELECT d.kind, count(*) AS n FROM {s}.docs d, q \
         WHERE {filter} GROUP BY d.kind"
    );
    (page, counts)
}

/// One search: the page of hits with snippets, then the counts. Returns the total.
async fn search(pool: &PgPool, page: &str, counts: &str, text: &str) -> Result<i64, Error> {
    let rows = sqlx::query(AssertSqlSafe(page.to_owned()))
        .bind(text)
        .fetch_all(pool)
        .await?;
    std::hint::black_box(rows);
    let counts = sqlx::query(AssertSqlSafe(counts.to_owned()))
        .bind(text)
        .fetch_all(pool)
        .await?;
    let mut total = 0;
    for row in counts {
        total += row.try_get::<i64, _>("n")?;
    }
    Ok(total)
}

async fn load(pool: &PgPool, s: &str, translations: usize) -> Result<(), Error> {
    sqlx::query(AssertSqlSafe(format!(
        "CREATE TABLE {s}.docs (id BIGINT PRIMARY KEY, release_id BIGINT NOT NULL, \
         lang TEXT NOT NULL, cfg REGCONFIG NOT NULL, kind TEXT NOT NULL, year SMALLINT NOT NULL, \
         published TIMESTAMPTZ NOT NULL, title TEXT NOT NULL, lead TEXT NOT NULL, body TEXT NOT NULL)"
    )))
    .execute(pool)
    .await?;
    let insert = format!(
        "INSERT INTO {s}.docs (id, release_id, lang, cfg, kind, year, published, title, lead, body) \
         SELECT id, release_id, lang, cfg::regconfig, kind, year, to_timestamp(us / 1e6), title, lead, body \
         FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::SMALLINT[], \
                     $7::BIGINT[], $8::TEXT[], $9::TEXT[], $10::TEXT[]) \
              AS t (id, release_id, lang, cfg, kind, year, us, title, lead, body)"
    );
    let tz = jiff::tz::TimeZone::get("Asia/Baku")?;
    #[derive(Default)]
    struct Columns {
        id: Vec<i64>,
        release: Vec<i64>,
        lang: Vec<String>,
        cfg: Vec<String>,
        kind: Vec<String>,
        year: Vec<i16>,
        us: Vec<i64>,
        title: Vec<String>,
        lead: Vec<String>,
        body: Vec<String>,
    }
    let mut c = Columns::default();
    let mut id = 0;
    let mut corpus = Corpus::new(translations).peekable();
    while let Some(release) = corpus.next() {
        let year = release.published.to_zoned_datetime(tz.clone()).year();
        for t in release.texts {
            id += 1;
            c.id.push(id);
            c.release.push(release.index as i64 + 1);
            c.lang.push(t.lang.to_owned());
            c.cfg.push(config(t.lang).to_owned());
            c.kind.push(release.kind.to_owned());
            c.year.push(year);
            c.us.push(release.published.as_microsecond());
            c.title.push(t.title);
            c.lead.push(t.lead);
            c.body.push(t.body);
        }
        if c.id.len() >= 3000 || corpus.peek().is_none() {
            let full = std::mem::take(&mut c);
            sqlx::query(AssertSqlSafe(insert.clone()))
                .bind(full.id)
                .bind(full.release)
                .bind(full.lang)
                .bind(full.cfg)
                .bind(full.kind)
                .bind(full.year)
                .bind(full.us)
                .bind(full.title)
                .bind(full.lead)
                .bind(full.body)
                .execute(pool)
                .await?;
        }
    }
    Ok(())
}

async fn measure(
    pool: &PgPool,
    s: &str,
    clients: usize,
    rounds: usize,
    print: bool,
) -> Result<(), Error> {
    let mix = query_mix();
    let sql: Vec<(String, String)> = mix.iter().map(|q| statements(s, q)).collect();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (mix, sql, pool) = (mix.clone(), sql.clone(), pool.clone());
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::with_capacity(rounds * mix.len());
            for i in 0..rounds * mix.len() {
                let k = (i + c * 7) % mix.len();
                let t = Instant::now();
                search(&pool, &sql[k].0, &sql[k].1, mix[k].text).await?;
                samples.push(Sample::new(&mix[k], t.elapsed()));
            }
            Ok::<_, Error>(samples)
        }));
    }
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await??);
    }
    let wall: Duration = started.elapsed();
    if print {
        print_tsv("pg", clients, &samples, wall);
    }
    Ok(())
}

async fn bench(
    pool: &PgPool,
    s: &str,
    n: usize,
    rounds: usize,
    clients: &[usize],
) -> Result<(), Error> {
    let t = Instant::now();
    load(pool, s, n).await?;
    println!("# pg load: {n} rows in {:.1} s", t.elapsed().as_secs_f64());
    // The index build on one connection, with room to sort in memory as a DBA would give it.
    let mut conn = pool.acquire().await?;
    sqlx::query("SET maintenance_work_mem = '256MB'")
        .execute(&mut *conn)
        .await?;
    let t = Instant::now();
    sqlx::query(AssertSqlSafe(format!(
        "ALTER TABLE {s}.docs ADD COLUMN tsv TSVECTOR GENERATED ALWAYS AS \
         (setweight(to_tsvector(cfg, title), 'A') || to_tsvector(cfg, lead || ' ' || body)) STORED"
    )))
    .execute(&mut *conn)
    .await?;
    let vectors = t.elapsed().as_secs_f64();
    sqlx::query(AssertSqlSafe(format!(
        "CREATE INDEX docs_tsv ON {s}.docs USING GIN (tsv)"
    )))
    .execute(&mut *conn)
    .await?;
    let took = t.elapsed().as_secs_f64();
    println!(
        "# pg indexing: {n} translations in {took:.1} s ({:.0}/s; tsvector column {vectors:.1} s, GIN index {:.1} s)",
        n as f64 / took,
        took - vectors
    );
    sqlx::query(AssertSqlSafe(format!("ANALYZE {s}.docs")))
        .execute(&mut *conn)
        .await?;
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT pg_relation_size('{s}.docs_tsv') AS gin, pg_total_relation_size('{s}.docs') AS total, \
         (SELECT sum(pg_column_size(tsv))::BIGINT FROM {s}.docs) AS vectors"
    )))
    .fetch_one(&mut *conn)
    .await?;
    let mib = |v: i64| v as f64 / (1024.0 * 1024.0);
    println!(
        "# pg size: GIN index {:.1} MiB; tsvector column {:.1} MiB; table with TOAST and indexes {:.1} MiB",
        mib(row.try_get("gin")?),
        mib(row.try_get("vectors")?),
        mib(row.try_get("total")?)
    );
    drop(conn);
    // What each text finds, beside Pressroom's totals (`http` prints those).
    for q in query_mix()
        .iter()
        .filter(|q| q.variant == crate::corpus::Variant::Plain)
    {
        let (page, counts) = statements(s, q);
        let total = search(pool, &page, &counts, q.text).await?;
        println!(
            "# pg total\t{}\t{}\t{total}",
            q.text,
            q.lang.unwrap_or("all")
        );
    }
    // A warm-up round, then the measured ones.
    measure(pool, s, 1, 1, false).await?;
    for &c in clients {
        measure(pool, s, c, rounds, true).await?;
    }
    Ok(())
}

pub async fn run(url: &str, n: usize, rounds: usize, clients: &[usize]) -> Result<(), Error> {
    let max = clients.iter().copied().max().unwrap_or(1).max(2) as u32;
    let pool = PgPoolOptions::new()
        .max_connections(max)
        .connect(url)
        .await?;
    let s = format!("bench_search_{}", std::process::id());
    sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA {s}")))
        .execute(&pool)
        .await?;
    let outcome = bench(&pool, &s, n, rounds, clients).await;
    sqlx::query(AssertSqlSafe(format!("DROP SCHEMA {s} CASCADE")))
        .execute(&pool)
        .await?;
    pool.close().await;
    outcome
}
