//! Crash safety with the real binary: `kill -9` during publishing load through the JSON API,
//! twice per backend. Every publication the server acknowledged must survive the restart,
//! official numbers stay gap-free and unique, and the signed log still verifies.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pressroom_core::workflow::State;
use pressroom_store::By;
use pressroom_store::testing::TestDb;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_pressroom");

/// Concurrent API clients publishing at once.
const CLIENTS: usize = 6;

/// Acknowledged publications per round before the server is killed.
const KILL_AFTER: usize = 30;

/// A publication the server answered 2xx for: the release and the number it returned.
#[derive(Debug, Clone, Copy)]
struct Ack {
    translation: i64,
    release: i64,
    seq: i64,
}

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Starts `pressroom serve` on `database_url`, signing with the key test stores use, with
    /// the API rate limit off (every client comes from 127.0.0.1).
    fn start(database_url: &str, data: &Path) -> Self {
        if !data.join("keys/signing.key").exists() {
            common::write_test_key(data);
        }
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .env("PRESSROOM_DATABASE_URL", database_url)
            .env("PRESSROOM_LOG", "warn")
            .env("PRESSROOM_BASE_URL", pressroom_store::testing::TEST_SITE)
            .env("PRESSROOM_API_REQUESTS_PER_MINUTE", "0")
            .env_remove("PRESSROOM_LISTEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let port = common::listening_port(&mut child);
        Self { child, port }
    }

    /// SIGKILL: no shutdown code runs, whatever was in flight is cut off.
    fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    fn stop(mut self) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(self.child.wait().unwrap().success(), "stops cleanly");
    }
}

/// One HTTP/1.1 request on its own connection; `None` when the connection fails (the server
/// was killed), otherwise the status and the JSON body (`Null` if not JSON).
fn call(
    port: u16,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> Option<(u16, Value)> {
    let (status, body) = common::call(port, method, path, token, body)?;
    Some((status, serde_json::from_str(&body).unwrap_or(Value::Null)))
}

/// Creates, submits (author) and approves (editor) one release; `None` unless all three were
/// answered 2xx. Panics on a non-2xx answer: under load the server must refuse nothing.
fn publish_one(port: u16, author: &str, editor: &str, title: &str) -> Option<Ack> {
    let new = json!({ "kind": "press-release", "lang": "en", "title": title, "body": "Text." });
    let (status, created) = call(port, "POST", "/api/v1/releases", author, Some(&new))?;
    assert_eq!(status, 201, "create: {created}");
    let id = created["id"].as_i64().unwrap();
    let path = format!("/api/v1/translations/{id}/actions");
    let (status, body) = call(
        port,
        "POST",
        &path,
        author,
        Some(&json!({ "action": "submit" })),
    )?;
    assert_eq!(status, 200, "submit: {body}");
    let approve = json!({ "action": "approve_publish" });
    let (status, body) = call(port, "POST", &path, editor, Some(&approve))?;
    assert_eq!(status, 200, "approve: {body}");
    assert_eq!(body["state"], "published", "{body}");
    Some(Ack {
        translation: id,
        release: body["release_id"].as_i64().unwrap(),
        seq: body["number_seq"]
            .as_i64()
            .expect("a published release has a number"),
    })
}

/// Runs `CLIENTS` publishing loops against `server`, SIGKILLs it once `KILL_AFTER`
/// publications were acknowledged, and returns the acknowledgements.
fn load_and_kill(server: Server, author: &str, editor: &str, round: usize) -> Vec<Ack> {
    let acks = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let port = server.port;
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (acks, stop) = (acks.clone(), stop.clone());
            let (author, editor) = (author.to_owned(), editor.to_owned());
            std::thread::spawn(move || {
                for i in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let title = format!("Round {round} client {c} release {i}");
                    match publish_one(port, &author, &editor, &title) {
                        Some(ack) => acks.lock().unwrap().push(ack),
                        None => return,
                    }
                }
            })
        })
        .collect();
    let start = Instant::now();
    while acks.lock().unwrap().len() < KILL_AFTER {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "only {} publications in 30 s",
            acks.lock().unwrap().len()
        );
        assert!(
            !clients.iter().all(|c| c.is_finished()),
            "every client stopped before the kill"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // Requests are still in flight: this is the point of the test.
    server.kill9();
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().expect("no client saw a refusal");
    }
    acks.lock().unwrap().clone()
}

/// Official numbers per (series, year), in order, straight from the database.
async fn numbers(url: &str) -> BTreeMap<(String, i64), Vec<i64>> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT series, CAST(year AS BIGINT), seq FROM releases WHERE seq IS NOT NULL ORDER BY seq",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    let mut out: BTreeMap<_, Vec<i64>> = BTreeMap::new();
    for (series, year, seq) in rows {
        out.entry((series, year)).or_default().push(seq);
    }
    out
}

/// Every acknowledged publication is published, publicly, with the number it was given;
/// the numbers are 1..N in their series. Returns N.
async fn check(db: &TestDb, port: u16, acks: &[Ack]) -> usize {
    for ack in acks {
        let state = db.store.translation(ack.translation).await.unwrap().state;
        assert_eq!(state, State::Published, "acknowledged {ack:?} is published");
        let path = format!("/api/v1/releases/{}", ack.release);
        let (status, body) = call(port, "GET", &path, "", None).expect("the server answers");
        assert_eq!(status, 200, "acknowledged {ack:?} is public: {body}");
        assert_eq!(
            body["seq"].as_i64(),
            Some(ack.seq),
            "{ack:?} kept its number"
        );
    }
    let numbers = numbers(&db.url).await;
    assert_eq!(numbers.len(), 1, "one series and year: {numbers:?}");
    let seqs = numbers.into_values().next().unwrap();
    let expected: Vec<i64> = (1..=seqs.len() as i64).collect();
    assert_eq!(seqs, expected, "numbers are gap-free and unique");
    assert!(seqs.len() >= acks.len());
    seqs.len()
}

async fn survives_kill_9_during_publishing(db: TestDb) {
    let people = db.people().await;
    let (author, _) = db
        .store
        .create_api_token("load author", &people.author, &["write".into()], By::Cli)
        .await
        .unwrap();
    let (editor, _) = db
        .store
        .create_api_token("load editor", &people.editor, &["review".into()], By::Cli)
        .await
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut acks = Vec::new();
    let mut server = Server::start(&db.url, data.path());
    for round in 0..2 {
        let started = Instant::now();
        let round_acks = load_and_kill(server, &author, &editor, round);
        eprintln!(
            "round {round}: {} publications acknowledged in {:?} before kill -9",
            round_acks.len(),
            started.elapsed()
        );
        acks.extend(round_acks);
        server = Server::start(&db.url, data.path());
        let numbered = check(&db, server.port, &acks).await;
        eprintln!(
            "after restart: {} acknowledged, {numbered} numbered (in flight at the kill: {})",
            acks.len(),
            numbered - acks.len()
        );
    }
    // Business as usual after two crashes: the next publication takes the next number.
    let numbered = check(&db, server.port, &acks).await;
    let next = publish_one(server.port, &author, &editor, "After the crashes").unwrap();
    assert_eq!(next.seq, numbered as i64 + 1);
    let verify = Command::new(BIN)
        .arg("--data")
        .arg(data.path())
        .args(["log", "verify"])
        .env("PRESSROOM_DATABASE_URL", &db.url)
        .env_remove("PRESSROOM_LISTEN")
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "log verify: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_survives_kill_9_during_publishing() {
    survives_kill_9_during_publishing(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_survives_kill_9_during_publishing() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    survives_kill_9_during_publishing(db).await;
}
