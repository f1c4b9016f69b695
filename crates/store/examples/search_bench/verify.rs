//! `verify ADDR N ROUNDS CLIENTS [STOP]`: issue 12's verify-page benchmark. Pasted texts made
//! from the corpus of `fill N` (English translations spread over the whole archive) are
//! POSTed to `/en/verify` over keep-alive connections, and each answer's verdict is checked,
//! so a fast wrong answer cannot pass for a fast right one. Prints one TSV line per case:
//! `label  case  n  requests/s  p50  p99` (milliseconds).
//!
//! With `STOP` (a path such as `/api/v1/search?q=x`), the run ends as soon as that path stops
//! answering 503, and only the requests sent before are counted: the "index unavailable"
//! measurement against a server still rebuilding its index.

use std::time::{Duration, Instant};

use crate::corpus::Corpus;
use crate::http::{Client, encode};
use crate::stats::at;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// How many texts of the archive each case is made from.
const TEXTS: usize = 24;

/// One pasted text and the verdict the page must give it.
#[derive(Clone)]
struct Paste {
    case: &'static str,
    text: String,
    expect: &'static str,
}

/// Words replaced in a modified text: a few, far enough apart to leave it recognisable.
fn forge(text: &str) -> String {
    text.split(' ')
        .enumerate()
        .map(|(i, w)| if i % 12 == 5 { "forged" } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The cases, from English texts spread evenly over a corpus of `n` translations.
fn pastes(n: usize) -> Vec<Paste> {
    let step = (n / 3 / TEXTS).max(1);
    let mut out = Vec::new();
    for release in Corpus::new(n).filter(|r| r.kind != "answer" && r.index % step == 0) {
        let Some(text) = release.texts.iter().find(|t| t.lang == "en") else {
            continue;
        };
        let full = format!("{}\n\n{}\n\n{}", text.title, text.lead, text.body);
        let paragraph = text
            .body
            .split("\n\n")
            .nth(1)
            .unwrap_or(&text.body)
            .to_owned();
        let reversed: Vec<&str> = paragraph.split(' ').rev().collect();
        out.push(Paste {
            case: "exact copy",
            text: full.clone(),
            expect: "Genuine",
        });
        out.push(Paste {
            case: "passage",
            text: paragraph.clone(),
            expect: "Genuine",
        });
        out.push(Paste {
            case: "modified passage",
            text: forge(&paragraph),
            expect: "Modified",
        });
        out.push(Paste {
            case: "modified full text",
            text: forge(&full),
            expect: "Modified",
        });
        out.push(Paste {
            case: "unknown",
            text: reversed.join(" "),
            expect: "Not found",
        });
        if out.len() >= TEXTS * 5 {
            break;
        }
    }
    out
}

/// The verdict heading of a verify page.
fn verdict(html: &str) -> &str {
    html.split("<h2 id=\"result-title\">")
        .nth(1)
        .and_then(|rest| rest.split("</h2>").next())
        .unwrap_or("(no verdict)")
}

async fn stopped(addr: &str, stop: Option<&str>) -> Result<bool, Error> {
    let Some(path) = stop else { return Ok(false) };
    let mut probe = Client::connect(addr).await?;
    Ok(probe.request("GET", path, None).await? != 503)
}

pub async fn run(
    addr: &str,
    n: usize,
    rounds: usize,
    clients: usize,
    label: &str,
    stop: Option<&str>,
) -> Result<(), Error> {
    let pastes = pastes(n);
    let bodies: Vec<String> = pastes
        .iter()
        .map(|p| format!("text={}", encode(&p.text)))
        .collect();
    if stop.is_none() {
        // Warm-up: every paste once, its verdict checked.
        let mut warm = Client::connect(addr).await?;
        for (p, body) in pastes.iter().zip(&bodies) {
            let status = warm.request("POST", "/en/verify", Some(body)).await?;
            let html = String::from_utf8_lossy(&warm.body);
            if status != 200 || verdict(&html) != p.expect {
                return Err(format!(
                    "{} answered {status} {:?}, expected {:?}",
                    p.case,
                    verdict(&html),
                    p.expect
                )
                .into());
            }
        }
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (pastes, bodies, addr) = (pastes.clone(), bodies.clone(), addr.to_owned());
        let stop = stop.map(str::to_owned);
        tasks.push(tokio::spawn(async move {
            let mut client = Client::connect(&addr).await?;
            let mut samples: Vec<(&'static str, Duration)> = Vec::new();
            for i in 0..rounds * pastes.len() {
                if stopped(&addr, stop.as_deref()).await? {
                    break;
                }
                let k = (i + c * 7) % pastes.len();
                let t = Instant::now();
                let status = client
                    .request("POST", "/en/verify", Some(&bodies[k]))
                    .await?;
                let took = t.elapsed();
                let html = String::from_utf8_lossy(&client.body);
                if status != 200 || verdict(&html) != pastes[k].expect {
                    return Err::<_, Error>(
                        format!(
                            "{} answered {status} {:?}, expected {:?}",
                            pastes[k].case,
                            verdict(&html),
                            pastes[k].expect
                        )
                        .into(),
                    );
                }
                samples.push((pastes[k].case, took));
            }
            Ok(samples)
        }));
    }
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await??);
    }
    let wall = started.elapsed().as_secs_f64();
    let mut cases: Vec<&str> = Vec::new();
    for p in &pastes {
        if !cases.contains(&p.case) {
            cases.push(p.case);
        }
    }
    cases.push("all");
    for case in cases {
        let mut ms: Vec<f64> = samples
            .iter()
            .filter(|(c, _)| case == "all" || *c == case)
            .map(|(_, t)| t.as_secs_f64() * 1e3)
            .collect();
        ms.sort_by(f64::total_cmp);
        // Requests/s of a case: its share of the run's requests over the run's time.
        println!(
            "{label}\t{case}\t{}\t{:.1}\t{:.2}\t{:.2}",
            ms.len(),
            ms.len() as f64 / wall,
            at(&ms, 0.5),
            at(&ms, 0.99)
        );
    }
    Ok(())
}
