//! Durable scheduled publishing with real server processes: exactly once with two servers on
//! one PostgreSQL, catch-up after downtime, and lateness measured.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use pressroom_core::release::RevisionInput;
use pressroom_core::workflow::{Action, State};
use pressroom_store::testing::TestDb;
use pressroom_store::{By, NewRelease};

const BIN: &str = env!("CARGO_BIN_EXE_pressroom");

struct Server {
    child: Child,
    port: u16,
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Server {
    /// Starts `pressroom serve` on `database_url`, signing with the key test stores use.
    fn start(database_url: &str, data: &std::path::Path) -> Self {
        let key = data.join("keys/signing.key");
        if !key.exists() {
            use std::os::unix::fs::PermissionsExt;
            std::fs::create_dir_all(key.parent().unwrap()).unwrap();
            std::fs::write(&key, format!("{}\n", "01".repeat(32))).unwrap();
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .env("PRESSROOM_DATABASE_URL", database_url)
            .env("PRESSROOM_LOG", "info")
            .env("PRESSROOM_BASE_URL", pressroom_store::testing::TEST_SITE)
            .env_remove("PRESSROOM_LISTEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let err_log = log.clone();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                err_log.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let port = common::listening_port(&mut child);
        Self { child, port, log }
    }

    fn metric(&self, name: &str) -> f64 {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            stream,
            "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    }

    fn stop(mut self) -> String {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(self.child.wait().unwrap().success(), "stops cleanly");
        self.log.lock().unwrap().clone()
    }
}

/// Drafts, submits and schedules `count` releases for `lead` from now; returns their
/// translation ids and the due time. The users (password hashing, slow on a loaded machine)
/// and the drafts are made first and the due time is taken just before the approvals, so
/// `publish_at` is still in the future when the editor schedules.
async fn schedule(db: &TestDb, count: usize, lead: SignedDuration) -> (Vec<i64>, Timestamp) {
    let people = db.people().await;
    let mut ids = Vec::new();
    for i in 0..count {
        let new = NewRelease {
            kind: "press-release".into(),
            lang: "en".into(),
            input: RevisionInput {
                title: format!("Embargoed {i}"),
                body: "Text.".into(),
                ..Default::default()
            },
        };
        let id = db
            .store
            .create_release(&new, By::User(&people.author))
            .await
            .unwrap()
            .translation
            .id;
        db.store
            .apply(
                id,
                None,
                &Action::Submit,
                By::User(&people.author),
                Timestamp::now(),
            )
            .await
            .unwrap();
        ids.push(id);
    }
    let due = Timestamp::now() + lead;
    for id in &ids {
        let action = Action::ApproveSchedule {
            at: due,
            correction: None,
        };
        db.store
            .apply(
                *id,
                None,
                &action,
                By::User(&people.editor),
                Timestamp::now(),
            )
            .await
            .unwrap();
    }
    (ids, due)
}

async fn wait_published(db: &TestDb, ids: &[i64], limit: Duration) {
    let start = Instant::now();
    loop {
        let mut done = 0;
        for id in ids {
            if db.store.translation(*id).await.unwrap().state == State::Published {
                done += 1;
            }
        }
        if done == ids.len() {
            return;
        }
        assert!(
            start.elapsed() < limit,
            "only {done} of {} published after {limit:?}",
            ids.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Lateness of each publication: published_at minus scheduled time.
async fn lateness(db: &TestDb, ids: &[i64], due: Timestamp) -> Vec<SignedDuration> {
    let mut out = Vec::new();
    for id in ids {
        let publications = db.store.publications(*id).await.unwrap();
        assert_eq!(
            publications.len(),
            1,
            "translation {id} published exactly once"
        );
        out.push(publications[0].published_at.duration_since(due));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_publish_each_scheduled_release_exactly_once() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let (ids, due) = schedule(&db, 12, SignedDuration::from_secs(4)).await;
    let (a, b) = (
        Server::start(&db.url, data.path()),
        Server::start(&db.url, data.path()),
    );
    wait_published(&db, &ids, Duration::from_secs(20)).await;
    let late = lateness(&db, &ids, due).await;
    let worst = late.iter().max().unwrap();
    eprintln!("lateness with two servers running: worst {worst:#}, all {late:?}");
    assert!(
        *worst < SignedDuration::from_secs(3),
        "published within the poll interval, worst {worst:#}"
    );
    let log = db.store.audit_log(None, 1000).await.unwrap();
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "publish_scheduled")
            .count(),
        ids.len(),
        "one audit entry each"
    );
    let total = a.metric("pressroom_scheduled_published_total")
        + b.metric("pressroom_scheduled_published_total");
    assert_eq!(
        total,
        ids.len() as f64,
        "the two servers' counters add up to the publications"
    );
    a.stop();
    b.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_catches_up_after_downtime_and_reports_lateness() {
    let db = TestDb::sqlite().await;
    let data = tempfile::tempdir().unwrap();
    let (ids, due) = schedule(&db, 2, SignedDuration::from_millis(500)).await;
    // No server runs while the publication falls due.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        db.store.translation(ids[0]).await.unwrap().state,
        State::Scheduled
    );
    let server = Server::start(&db.url, data.path());
    wait_published(&db, &ids, Duration::from_secs(10)).await;
    let late = lateness(&db, &ids, due).await;
    assert!(
        late.iter().all(|l| *l >= SignedDuration::from_secs(2)),
        "{late:?}"
    );
    assert_eq!(server.metric("pressroom_scheduled_late_total"), 2.0);
    assert!(server.metric("pressroom_scheduled_lateness_seconds_max") >= 2.0);
    let log = server.stop();
    assert!(log.contains("published late"), "lateness is logged:\n{log}");
}
