//! E-mail subscriptions end to end, on both backends, against a real SMTP server on loopback
//! (`tests/python/smtp_sink.py`, aiosmtpd): the public form with double opt-in, a release
//! mailed as it is published, its correction to the same people, RFC 8058's one-click
//! unsubscribe, a daily digest, an SMTP server that refuses, asks to try later or drops the
//! connection, and an admin's export and erasure of one subscriber. Messages are read with
//! Python's `email` package, and their HTML goes through the Nu checker when it is installed.

#[macro_use]
mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::browser::Browser;
use common::{Site, body_text, site_configured};
use jiff::{SignedDuration, Timestamp};
use pressroom_core::subscription::Frequency;
use pressroom_core::workflow::{Action, Correction};
use pressroom_store::testing::{TEST_PASSWORD, TestDb};
use pressroom_store::{By, Choices, DeliveryFilter, DeliveryState, SubscriberEntry};
use pressroom_web::outbox::{client, send_due};
use pressroom_web::{MailConfig, MailSecurity};
use serde_json::Value;
use tower::ServiceExt;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The SMTP sink, stopped when dropped.
struct Sink {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Sink {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new("python3")
            .arg(workspace_root().join("tests/python/smtp_sink.py"))
            .arg(dir.path())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the SMTP sink (pip install aiosmtpd)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                panic!("the SMTP sink did not start (is aiosmtpd installed?): {line:?}")
            });
        Sink { child, port, dir }
    }

    fn mode(&self, mode: &str) {
        std::fs::write(self.dir.path().join("mode"), mode).unwrap();
    }

    /// Every accepted message's log line.
    fn received(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("log.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn file(&self, entry: &Value) -> PathBuf {
        self.dir.path().join(entry["file"].as_str().unwrap())
    }

    /// The decoded subject, text and HTML of a message, as Python's `email` reads them.
    fn parts(&self, entry: &Value) -> Value {
        let out = Command::new("python3")
            .arg(workspace_root().join("tests/python/mail_parts.py"))
            .arg(self.file(entry))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn config(&self) -> MailConfig {
        MailConfig {
            host: "127.0.0.1".into(),
            port: Some(self.port),
            security: MailSecurity::None,
            from: "Press service <press@mfa.example.org>".into(),
            timeout: Duration::from_secs(3),
            ..Default::default()
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn mail_site(db: TestDb, sink: &Sink) -> Site {
    let mail = sink.config();
    site_configured(db, |c| c.mail = Some(mail)).await
}

/// A public form post, as a browser sends it (no session, no CSRF token).
async fn post_form(site: &Site, uri: &str, body: &str) -> (StatusCode, String) {
    let response = site
        .app
        .clone()
        .oneshot(
            Request::post(uri)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body.to_owned()))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    (status, body_text(response).await)
}

/// Sends what is due until nothing is, as the outbox worker would.
async fn drain(site: &Site) -> usize {
    let http = client().unwrap();
    let mut total = 0;
    loop {
        let n = send_due(&site.state, &http).await.unwrap();
        if n == 0 {
            return total;
        }
        total += n;
    }
}

/// The part of `text` from `start` to the next whitespace.
fn link_in(text: &str, start: &str) -> String {
    let at = text
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {text}"));
    text[at..].split_whitespace().next().unwrap().to_owned()
}

/// Runs the Nu checker over HTML files (skipped when not installed, unless required).
fn nu_check(files: &[PathBuf]) {
    let jar = workspace_root().join("node_modules/vnu-jar/build/dist/vnu.jar");
    if !jar.is_file() || Command::new("java").arg("-version").output().is_err() {
        assert!(
            std::env::var("PRESSROOM_REQUIRE_TOOLS").is_err(),
            "PRESSROOM_REQUIRE_TOOLS is set but the Nu HTML Checker is missing"
        );
        eprintln!("skipping the Nu HTML Checker: not installed");
        return;
    }
    let out = Command::new("java")
        .arg("-jar")
        .arg(&jar)
        .args(["--errors-only", "--format", "text"])
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the Nu HTML Checker found errors in mail HTML:\n{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
}

async fn subscribe_confirm_receive_correct_unsubscribe(db: TestDb) {
    let sink = Sink::start();
    let site = mail_site(db, &sink).await;
    let store = &site.db.store;

    // The footer of every page has the short form; the full form offers the choices.
    let home = site.page("/en/").await;
    assert!(home.contains("action=\"/en/subscribe\""), "{home}");
    let form = site.page("/az/subscribe").await;
    assert!(form.contains("E-poçtla abunə olun"), "{form}");

    // A malformed address, or one trying to add a header, is refused and nothing is stored.
    for bad in ["not-an-address", "a@example.org%0D%0ABcc:%20x@example.org"] {
        let (status, html) = post_form(&site, "/en/subscribe", &format!("email={bad}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
        assert!(html.contains("is not an e-mail address"), "{html}");
    }
    let (status, html) = post_form(
        &site,
        "/en/subscribe",
        "email=a%40example.org&scope=chosen&kinds=nonsense",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("nonsense"), "{html}");
    assert_eq!(store.subscriber_counts().await.unwrap().pending, 0);
    assert_eq!(drain(&site).await, 0, "no mail for a refused form");

    // Subscribing: "check your inbox", one confirmation mail.
    let (status, html) = post_form(
        &site,
        "/en/subscribe",
        "email=Ayla%40Example.org&scope=all&frequency=immediate",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Check your inbox"), "{html}");
    assert_eq!(drain(&site).await, 1);
    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["rcpt_tos"][0], "Ayla@example.org");
    assert_eq!(mails[0]["problems"], serde_json::json!([]), "{}", mails[0]);
    let confirm = sink.parts(&mails[0]);
    assert!(
        confirm["subject"]
            .as_str()
            .unwrap()
            .starts_with("Confirm your subscription"),
        "{confirm}"
    );
    let link = link_in(
        confirm["text"].as_str().unwrap(),
        "https://mfa.example.org/en/subscription/",
    );
    assert!(link.ends_with("/confirm"), "{link}");
    let path = link.trim_start_matches("https://mfa.example.org");

    // Asking again at once answers the same, and sends nothing (the per-address allowance);
    // nobody learns from the answer whether the address is subscribed.
    let (status, again) = post_form(&site, "/en/subscribe", "email=ayla%40example.org").await;
    assert_eq!(status, StatusCode::OK);
    assert!(again.contains("Check your inbox"));
    assert_eq!(drain(&site).await, 0);

    // Following the link shows a button; only the POST confirms (mail scanners follow links).
    let page = site.page(path).await;
    assert!(page.contains("Confirm my subscription"), "{page}");
    assert_eq!(store.subscriber_counts().await.unwrap().pending, 1);
    let (status, html) = post_form(&site, path, "").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("your subscription is confirmed"), "{html}");
    assert_eq!(store.subscriber_counts().await.unwrap().immediate, 1);

    // A publication reaches the subscriber: multipart, in order, with the one-click headers.
    let id = site
        .publish(
            "Statement on the border talks",
            "The commission **met** today.",
            Timestamp::now(),
            None,
        )
        .await;
    assert_eq!(drain(&site).await, 1);
    let mails = sink.received();
    let release = &mails[1];
    assert_eq!(release["problems"], serde_json::json!([]), "{release}");
    assert_eq!(release["has_text"], true);
    assert_eq!(release["has_html"], true);
    assert_eq!(
        release["List-Unsubscribe-Post"],
        "List-Unsubscribe=One-Click"
    );
    let unsubscribe = release["List-Unsubscribe"]
        .as_str()
        .unwrap()
        .trim_matches(['<', '>'])
        .to_owned();
    assert!(
        unsubscribe.starts_with("https://mfa.example.org/en/subscription/")
            && unsubscribe.ends_with("/unsubscribe"),
        "{unsubscribe}"
    );
    let parts = sink.parts(release);
    assert_eq!(parts["subject"], "Statement on the border talks");
    let text = parts["text"].as_str().unwrap();
    assert!(text.contains("The commission **met** today."), "{text}");
    assert!(
        text.contains("/api/v1/revisions/"),
        "the signed form is linked: {text}"
    );
    let html = parts["html"].as_str().unwrap();
    assert!(html.contains("<strong>met</strong>"), "{html}");
    assert!(
        html.contains("https://mfa.example.org/en/releases/"),
        "{html}"
    );

    // A correction goes to the same person, saying so, with its note.
    let t = store.translation(id).await.unwrap();
    store
        .save_revision(
            id,
            t.version,
            &pressroom_core::release::RevisionInput {
                title: "Statement on the border talks".into(),
                body: "The commission met on Tuesday.".into(),
                ..Default::default()
            },
            By::User(&site.people.author),
        )
        .await
        .unwrap();
    store
        .apply(
            id,
            None,
            &Action::Submit,
            By::User(&site.people.author),
            Timestamp::now(),
        )
        .await
        .unwrap();
    let correction = Action::ApprovePublish {
        correction: Some(Correction::Major {
            note: "The day of the meeting was added.".into(),
        }),
    };
    store
        .apply(
            id,
            None,
            &correction,
            By::User(&site.people.editor),
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(drain(&site).await, 1);
    let mails = sink.received();
    let corrected = sink.parts(&mails[2]);
    assert_eq!(
        corrected["subject"],
        "Correction: Statement on the border talks"
    );
    assert!(
        corrected["text"]
            .as_str()
            .unwrap()
            .contains("The day of the meeting was added."),
        "{corrected}"
    );

    // The mail's HTML is valid HTML.
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (n, mail) in mails.iter().enumerate() {
        let path = dir.path().join(format!("mail{n}.html"));
        std::fs::write(&path, sink.parts(mail)["html"].as_str().unwrap()).unwrap();
        files.push(path);
    }
    nu_check(&files);

    // RFC 8058: the mail client POSTs `List-Unsubscribe=One-Click`, without cookies.
    let one_click = unsubscribe.trim_start_matches("https://mfa.example.org");
    let (status, html) = post_form(&site, one_click, "List-Unsubscribe=One-Click").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("You are unsubscribed"), "{html}");
    assert_eq!(
        store.find_subscriber("ayla@example.org").await.unwrap(),
        None
    );
    assert!(
        store
            .deliveries(&DeliveryFilter {
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap()
            .is_empty(),
        "the address's deliveries went with it"
    );
    let (status, _) = post_form(&site, one_click, "List-Unsubscribe=One-Click").await;
    assert_eq!(status, StatusCode::OK, "unsubscribing twice is fine");
    assert_eq!(
        site.get(path).await.status(),
        StatusCode::NOT_FOUND,
        "the old link is dead"
    );
    site.publish("After leaving", "Nothing for them.", Timestamp::now(), None)
        .await;
    assert_eq!(drain(&site).await, 0);
    assert_eq!(sink.received().len(), 3);
}

async fn digests_failures_export_and_erase(db: TestDb) {
    let sink = Sink::start();
    let site = mail_site(db, &sink).await;
    let store = &site.db.store;
    let daily = Choices {
        langs: vec!["en".into()],
        frequency: Frequency::Daily,
        ..Default::default()
    };
    let each = Choices {
        langs: vec!["en".into()],
        ..Default::default()
    };
    let added = store
        .import_subscribers(&[
            SubscriberEntry {
                at: "line 1".into(),
                email: "digest@example.org".into(),
                lang: "en".into(),
                choices: daily,
            },
            SubscriberEntry {
                at: "line 2".into(),
                email: "each@example.org".into(),
                lang: "ru".into(),
                choices: each,
            },
        ])
        .await
        .unwrap();
    assert_eq!(added, 2);

    // Two releases published two days ago are in one digest (due at eight the next morning,
    // long past); the other subscriber got each on its own, with Russian around it.
    let two_days_ago = Timestamp::now() - SignedDuration::from_hours(48);
    site.publish("First of the day", "One.", two_days_ago, None)
        .await;
    site.publish("Second of the day", "Two.", two_days_ago, None)
        .await;
    assert_eq!(drain(&site).await, 4, "two deliveries each");
    let mails = sink.received();
    assert_eq!(
        mails.len(),
        3,
        "two single mails and one digest: {mails:#?}"
    );
    let digest = mails
        .iter()
        .find(|m| m["rcpt_tos"][0] == "digest@example.org")
        .unwrap();
    let parts = sink.parts(digest);
    let subject = parts["subject"].as_str().unwrap();
    assert!(subject.contains("releases of"), "{subject}");
    let text = parts["text"].as_str().unwrap();
    assert!(
        text.contains("First of the day") && text.contains("Second of the day"),
        "{text}"
    );
    let single = mails
        .iter()
        .find(|m| m["rcpt_tos"][0] == "each@example.org")
        .unwrap();
    assert!(
        sink.parts(single)["text"]
            .as_str()
            .unwrap()
            .contains("Отписаться"),
        "the subscriber's language"
    );

    // A server that refuses: the delivery fails at once, with the reason, without the address.
    sink.mode("refuse");
    site.publish("Refused", "Three.", Timestamp::now(), None)
        .await;
    drain(&site).await;
    let failed = store
        .deliveries(&DeliveryFilter {
            state: Some(DeliveryState::Failed),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    let error = failed[0].last_error.clone().unwrap();
    assert!(
        error.contains("refused") && !error.contains("each@example.org"),
        "{error}"
    );

    // One that asks to try later, or drops the connection: queued for a retry, nothing lost.
    for mode in ["tempfail", "drop"] {
        sink.mode(mode);
        site.publish(
            &format!("Try later ({mode})"),
            "Four.",
            Timestamp::now(),
            None,
        )
        .await;
        drain(&site).await;
        let queued = store
            .deliveries(&DeliveryFilter {
                state: Some(DeliveryState::Queued),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        let last = queued.iter().max_by_key(|d| d.id).expect("still queued");
        assert!(last.last_error.is_some(), "{last:?}");
    }
    sink.mode("accept");

    // The admin finds one subscriber by address, exports everything stored, and erases it.
    let mut admin = Browser::new(&site);
    admin.sign_in("admin", TEST_PASSWORD).await;
    let (status, _, html) = admin
        .post("/admin/subscribers", &[("email", "EACH@example.org")])
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("each@example.org"), "{html}");
    let found = store
        .find_subscriber("each@example.org")
        .await
        .unwrap()
        .unwrap();
    let (status, json) = admin
        .get(&format!("/admin/subscribers/{}/export", found.id))
        .await;
    assert_eq!(status, StatusCode::OK);
    let export: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(export["subscriber"]["email"], "each@example.org");
    assert!(
        export["deliveries"].as_array().unwrap().len() >= 4,
        "{export}"
    );
    assert!(
        !json.contains(&found.token),
        "the link secret is not exported"
    );
    let (status, _, html) = admin
        .post(&format!("/admin/subscribers/{}/erase", found.id), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("was erased"), "{html}");
    assert_eq!(
        store.find_subscriber("each@example.org").await.unwrap(),
        None
    );
    let audit = store.audit_log(None, 50).await.unwrap();
    let erased = audit
        .iter()
        .find(|e| e.action == "subscriber.erase")
        .unwrap();
    assert!(
        !format!("{erased:?}").contains("each@example.org"),
        "{erased:?}"
    );

    // An editor cannot reach the page.
    let mut editor = Browser::new(&site);
    editor.sign_in("editor", TEST_PASSWORD).await;
    assert_eq!(
        editor.get("/admin/subscribers").await.0,
        StatusCode::FORBIDDEN
    );
}

async fn without_a_mail_server_there_is_no_form(db: TestDb) {
    let site = common::site(db).await;
    let home = site.page("/en/").await;
    assert!(!home.contains("/en/subscribe"), "{home}");
    assert_eq!(
        site.get("/en/subscribe").await.status(),
        StatusCode::NOT_FOUND
    );
}

pressroom_store::backends!(
    subscribe_confirm_receive_correct_unsubscribe,
    digests_failures_export_and_erase,
    without_a_mail_server_there_is_no_form,
);
