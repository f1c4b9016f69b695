//! Exactly once across servers: two `pressroom serve` processes on one PostgreSQL database
//! publish releases to confirmed e-mail subscribers (a real SMTP server on loopback,
//! `tests/python/smtp_sink.py`) and to a webhook receiver written from the Standard Webhooks
//! specification alone (`tests/python/webhook_receiver.py`), while one server is `kill -9`ed
//! in the middle of sending.
//!
//! Every mail and every webhook must arrive, every signature must verify, and the only
//! repeats allowed are what the killed server handed over without recording it — those carry
//! the same `Message-ID` or `webhook-id` as the first copy, so a receiver de-duplicates them,
//! and there are at most one round's worth of them.
//!
//! `PRESSROOM_ONCE_RELEASES` (200) and `PRESSROOM_ONCE_SUBSCRIBERS` (1,000) set the scale.
//! Needs PostgreSQL and aiosmtpd; without them it says so and passes, except under
//! `PRESSROOM_REQUIRE_TOOLS=1` (CI), where a missing tool fails it.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Process, publish};
use pressroom_core::subscription::Frequency;
use pressroom_store::testing::TestDb;
use pressroom_store::{By, Choices, NewWebhook, SubscriberEntry};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_pressroom");
/// Messages one server has in flight at most: the outbox's claim size.
const ONE_ROUND: usize = 64;
/// How long the test waits for everything to be sent, after the last publication: the
/// killed server's claims run out after the outbox's one-minute lease.
const DEADLINE: Duration = Duration::from_secs(600);

fn required() -> bool {
    std::env::var_os("PRESSROOM_REQUIRE_TOOLS").is_some()
}

fn skip(why: &str) {
    assert!(!required(), "PRESSROOM_REQUIRE_TOOLS is set but {why}");
    eprintln!("skipping the exactly-once test: {why}");
}

fn scale(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/python")
        .join(name)
}

/// Starts one of the Python servers and reads the port it prints.
fn start_python(name: &str, args: &[&std::ffi::OsStr]) -> (Process, u16) {
    let mut child = Command::new("python3")
        .arg(script(name))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("listening on ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{name} printed {line:?}, not its port"));
    (Process(child), port)
}

fn start_server(url: &str, data: &Path, smtp: u16) -> (Process, u16) {
    common::write_test_key(data);
    std::fs::write(
        data.join("pressroom.toml"),
        format!(
            "[mail]\nhost = \"127.0.0.1\"\nport = {smtp}\nsecurity = \"none\"\n\
             from = \"Press service <press@example.org>\"\n"
        ),
    )
    .unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .env("PRESSROOM_DATABASE_URL", url)
        .env("PRESSROOM_LOG", "warn")
        .env("PRESSROOM_BASE_URL", "https://press.example.org")
        .env("PRESSROOM_API_REQUESTS_PER_MINUTE", "0")
        .env_remove("PRESSROOM_LISTEN")
        .env_remove("PRESSROOM_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let port = common::listening_port(&mut child);
    (Process(child), port)
}

fn lines(file: &Path) -> Vec<Value> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// What arrived, by message id: each id's copies, which must all say the same.
fn by_id(entries: &[Value], id: impl Fn(&Value) -> String) -> HashMap<String, Vec<&Value>> {
    let mut all: HashMap<String, Vec<&Value>> = HashMap::new();
    for entry in entries {
        all.entry(id(entry)).or_default().push(entry);
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_send_every_message_once_through_a_kill() {
    let Some(db) = TestDb::postgres().await else {
        return skip("PRESSROOM_TEST_DATABASE_URL is not set (the servers share PostgreSQL)");
    };
    let has_aiosmtpd = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_aiosmtpd {
        return skip("aiosmtpd is missing (python3 -m pip install aiosmtpd)");
    }
    let releases = scale("PRESSROOM_ONCE_RELEASES", 200);
    let subscribers = scale("PRESSROOM_ONCE_SUBSCRIBERS", 1_000);
    let dir = tempfile::tempdir().unwrap();
    let (sink_dir, secrets) = (dir.path().join("sink"), dir.path().join("secrets"));
    std::fs::create_dir_all(&sink_dir).unwrap();
    std::fs::create_dir_all(&secrets).unwrap();
    let hooks_log = dir.path().join("webhooks.jsonl");
    // Quick: the mails' format is checked by web/tests/subscriptions.rs; parsing each of
    // these would make Python the bottleneck.
    let (_sink, smtp) = start_python("smtp_sink.py", &[sink_dir.as_os_str(), "--quick".as_ref()]);
    let (_receiver, receiver) = start_python(
        "webhook_receiver.py",
        &[secrets.as_os_str(), hooks_log.as_os_str()],
    );

    let people = db.people().await;
    let token = |name: &'static str, user, scope: &'static str| {
        let store = db.store.clone();
        async move {
            store
                .create_api_token(name, user, &[scope.to_owned()], By::Cli)
                .await
                .unwrap()
                .0
        }
    };
    let author = token("once author", &people.author, "write").await;
    let editor = token("once editor", &people.editor, "review").await;
    let (_, secret) = db
        .store
        .add_webhook(
            &NewWebhook {
                url: format!("http://127.0.0.1:{receiver}/ok"),
                description: "Newsroom".into(),
                events: vec![],
            },
            By::Cli,
        )
        .await
        .unwrap();
    std::fs::write(secrets.join("ok"), secret.to_string()).unwrap();
    let list: Vec<SubscriberEntry> = (0..subscribers)
        .map(|i| SubscriberEntry {
            at: format!("line {}", i + 1),
            email: format!("reader{i}@example.org"),
            lang: ["az", "en", "ru"][i % 3].into(),
            choices: Choices {
                frequency: Frequency::Immediate,
                ..Default::default()
            },
        })
        .collect();
    assert_eq!(
        db.store.import_subscribers(&list).await.unwrap(),
        subscribers as u64
    );

    let (mut doomed, first) = start_server(&db.url, &dir.path().join("server-0"), smtp);
    let (_survivor, second) = start_server(&db.url, &dir.path().join("server-1"), smtp);
    let mails_log = sink_dir.join("log.jsonl");
    let expected_mails = releases * subscribers;
    let started = Instant::now();

    // Publications alternate between the servers; the first is killed once a tenth of the
    // mails have arrived (well before the last publication, so it dies while sending).
    let killed = tokio::task::spawn_blocking({
        let (author, editor, mails_log) = (author.clone(), editor.clone(), mails_log.clone());
        move || {
            let mut killed_at = None;
            for i in 0..releases {
                let alive = if killed_at.is_some() {
                    second
                } else {
                    [first, second][i % 2]
                };
                publish(alive, &author, &editor, &format!("Exactly once {i}"));
                let arrived = std::fs::read_to_string(&mails_log).map_or(0, |t| t.lines().count());
                if killed_at.is_none() && (arrived * 10 >= expected_mails || i == releases / 2) {
                    // SIGKILL: no shutdown, no chance to record what it was sending.
                    doomed.0.kill().unwrap();
                    doomed.0.wait().unwrap();
                    killed_at = Some((i, arrived));
                }
            }
            killed_at.unwrap()
        }
    })
    .await
    .unwrap();
    let (killed_after, arrived_at_kill) = killed;
    eprintln!(
        "server 0 killed after publication {killed_after}, with {arrived_at_kill} mails arrived"
    );

    let expected = (expected_mails + releases) as u64;
    let waiting = Instant::now();
    let stats = loop {
        let stats = db.store.outbox_stats(jiff::Timestamp::now()).await.unwrap();
        if stats.sent + stats.failed >= expected || waiting.elapsed() > DEADLINE {
            break stats;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let took = started.elapsed();
    assert_eq!(
        (stats.sent, stats.failed, stats.queued, stats.sending),
        (expected, 0, 0, 0),
        "every delivery sent within {DEADLINE:?} of the last publication"
    );

    let mails = lines(&mails_log);
    let mail_ids = by_id(&mails, |m| m["Message-ID"].as_str().unwrap().into());
    assert_eq!(
        mail_ids.len(),
        expected_mails,
        "one distinct mail per release and subscriber"
    );
    let mut pairs = HashSet::new();
    for copies in mail_ids.values() {
        let first = copies[0];
        for copy in copies {
            assert_eq!(
                copy["rcpt_tos"], first["rcpt_tos"],
                "a repeat goes to the same reader"
            );
            assert_eq!(copy["Subject"], first["Subject"]);
        }
        let to = first["rcpt_tos"][0].as_str().unwrap().to_owned();
        assert!(pairs.insert((to, first["Subject"].to_string())), "{first}");
    }
    let mail_repeats = mails.len() - mail_ids.len();

    let hooks = lines(&hooks_log);
    assert!(
        hooks.iter().all(|h| h["verified"] == true),
        "every webhook signature verifies"
    );
    let hook_ids = by_id(&hooks, |h| h["id"].as_str().unwrap().into());
    assert_eq!(hook_ids.len(), releases, "one webhook per publication");
    let titles: HashSet<&str> = hook_ids
        .values()
        .map(|copies| {
            copies[0]["body"]["data"]["title"]
                .as_str()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(
        titles.len(),
        releases,
        "each publication's own webhook: {titles:?}"
    );
    let hook_repeats = hooks.len() - hook_ids.len();

    eprintln!(
        "{releases} releases × {subscribers} subscribers through 2 servers, one killed: \
         {expected_mails} mails and {releases} webhooks in {took:?} \
         ({:.0} mails/s); repeats with the same id: {mail_repeats} mails, {hook_repeats} webhooks",
        expected_mails as f64 / took.as_secs_f64()
    );
    assert!(
        mail_repeats + hook_repeats <= ONE_ROUND,
        "only what the killed server had in flight may come twice"
    );
}
