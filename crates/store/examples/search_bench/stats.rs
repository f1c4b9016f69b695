//! Latency samples, their percentiles per query class, and the side-by-side Markdown table.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::corpus::MixQuery;

/// One timed search.
pub struct Sample {
    pub class: &'static str,
    pub variant: &'static str,
    pub took: Duration,
}

impl Sample {
    pub fn new(query: &MixQuery, took: Duration) -> Self {
        Self {
            class: query.class,
            variant: query.variant.label(),
            took,
        }
    }
}

/// The percentile `q` (0–1) of sorted milliseconds, nearest rank.
pub fn at(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Prints one TSV line per group (each class, each variant, all):
/// `engine  clients  group  n  p50  p95  p99  searches/s`, the rate only on the `all` line.
pub fn print_tsv(engine: &str, clients: usize, samples: &[Sample], wall: Duration) {
    let mut groups: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for s in samples {
        let ms = s.took.as_secs_f64() * 1e3;
        groups.entry(format!("1 {}", s.class)).or_default().push(ms);
        groups
            .entry(format!("2 {}", s.variant))
            .or_default()
            .push(ms);
        groups.entry("3 all".to_owned()).or_default().push(ms);
    }
    for (group, mut ms) in groups {
        ms.sort_by(f64::total_cmp);
        let rate = if group == "3 all" {
            format!("{:.0}", ms.len() as f64 / wall.as_secs_f64())
        } else {
            String::new()
        };
        println!(
            "{engine}\t{clients}\t{group}\t{}\t{:.2}\t{:.2}\t{:.2}\t{rate}",
            ms.len(),
            at(&ms, 0.5),
            at(&ms, 0.95),
            at(&ms, 0.99)
        );
    }
}

/// One parsed TSV line.
struct Row {
    n: String,
    p50: f64,
    p95: f64,
    p99: f64,
    rate: String,
}

/// Reads the TSV lines of `files` and prints, for each number of clients, a table with a row
/// per group and each engine's percentiles side by side, then PostgreSQL's p99 over the API's.
pub fn table(files: &[String]) -> std::io::Result<()> {
    let mut rows: BTreeMap<(usize, String, String), Row> = BTreeMap::new();
    for file in files {
        for line in std::fs::read_to_string(file)?.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() != 8 {
                continue;
            }
            let (Ok(clients), Ok(p50), Ok(p95), Ok(p99)) =
                (f[1].parse(), f[4].parse(), f[5].parse(), f[6].parse())
            else {
                continue;
            };
            rows.insert(
                (clients, f[2].to_owned(), f[0].to_owned()),
                Row {
                    n: f[3].to_owned(),
                    p50,
                    p95,
                    p99,
                    rate: f[7].to_owned(),
                },
            );
        }
    }
    let engines = [
        ("api", "Pressroom API"),
        ("page", "Pressroom page"),
        ("pg", "PostgreSQL FTS"),
    ];
    let mut clients: Vec<usize> = rows.keys().map(|k| k.0).collect();
    clients.dedup();
    for c in clients {
        let present: Vec<_> = engines
            .iter()
            .filter(|(e, _)| rows.keys().any(|k| k.0 == c && k.2 == *e))
            .collect();
        println!(
            "\n**{c} client{}** — milliseconds per search, end to end\n",
            if c == 1 { "" } else { "s" }
        );
        let mut head = "| query class | n |".to_owned();
        let mut rule = "| --- | ---: |".to_owned();
        for (_, name) in &present {
            head.push_str(&format!(" {name} p50 | p95 | p99 |"));
            rule.push_str(" ---: | ---: | ---: |");
        }
        head.push_str(" PG p99 ÷ API p99 |");
        rule.push_str(" ---: |");
        println!("{head}\n{rule}");
        let mut groups: Vec<&String> = rows.keys().filter(|k| k.0 == c).map(|k| &k.1).collect();
        groups.dedup();
        for group in groups {
            let label = group.get(2..).unwrap_or(group);
            let label = if group.starts_with('2') {
                format!("*{label}*")
            } else if group.starts_with('3') {
                format!("**{label}**")
            } else {
                label.to_owned()
            };
            let get = |e: &str| rows.get(&(c, group.clone(), e.to_owned()));
            let n = present
                .first()
                .and_then(|(e, _)| get(e))
                .map_or(String::new(), |r| r.n.clone());
            let mut line = format!("| {label} | {n} |");
            for (e, _) in &present {
                match get(e) {
                    Some(r) => {
                        line.push_str(&format!(" {:.2} | {:.2} | {:.2} |", r.p50, r.p95, r.p99))
                    }
                    None => line.push_str(" | | |"),
                }
            }
            match (get("pg"), get("api")) {
                (Some(pg), Some(api)) => line.push_str(&format!(" {:.1}× |", pg.p99 / api.p99)),
                _ => line.push_str(" |"),
            }
            println!("{line}");
        }
        let rates: Vec<String> = present
            .iter()
            .filter_map(|(e, name)| get_rate(&rows, c, e).map(|r| format!("{name} {r} searches/s")))
            .collect();
        println!("\nThroughput: {}", rates.join("; "));
    }
    Ok(())
}

fn get_rate(rows: &BTreeMap<(usize, String, String), Row>, c: usize, e: &str) -> Option<String> {
    rows.get(&(c, "3 all".to_owned(), e.to_owned()))
        .map(|r| r.rate.clone())
}
