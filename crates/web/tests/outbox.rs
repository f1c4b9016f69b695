//! Webhooks end to end, on both backends: an admin adds receivers in the editorial area, a
//! publication's deliveries are POSTed to a receiver written in Python from the Standard
//! Webhooks specification alone (`tests/python/webhook_receiver.py`), which checks every
//! signature; a receiver that fails is retried later, one that answers 410 is switched off, and
//! the admin sees each attempt and can resend.

#[macro_use]
mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use axum::http::StatusCode;
use common::browser::Browser;
use common::{Site, site};
use jiff::Timestamp;
use pressroom_core::signing::SignedDocument;
use pressroom_store::DeliveryState;
use pressroom_store::testing::{TEST_PASSWORD, TestDb};
use pressroom_web::outbox::{client, send_due};

/// The Python receiver, stopped when dropped.
struct Receiver {
    child: Child,
    port: u16,
    secret_dir: PathBuf,
    log_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Receiver {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let secret_dir = dir.path().join("secrets");
        let log_file = dir.path().join("log.jsonl");
        std::fs::create_dir(&secret_dir).unwrap();
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/python/webhook_receiver.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(&secret_dir)
            .arg(&log_file)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the independent webhook receiver");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the receiver did not start: {line:?}"));
        Receiver {
            child,
            port,
            secret_dir,
            log_file,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Gives the receiver the secret Pressroom made for its endpoint `path`.
    fn know(&self, path: &str, secret: &str) {
        std::fs::write(self.secret_dir.join(path.trim_start_matches('/')), secret).unwrap();
    }

    fn received(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.log_file)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn admin(site: &Site) -> Browser<'_> {
    let mut browser = Browser::new(site);
    let (status, _, body) = browser.sign_in("admin", TEST_PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    browser
}

/// Adds a receiver through the admin form; returns the secret the page showed.
async fn add_receiver(browser: &mut Browser<'_>, url: &str, events: &[&str]) -> String {
    let mut form = vec![("op", "create"), ("url", url), ("description", "Newsroom")];
    form.extend(events.iter().map(|e| ("events", *e)));
    let (status, _, html) = browser.post("/admin/webhooks", &form).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    html.split("<code>whsec_")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .map(|s| format!("whsec_{s}"))
        .unwrap_or_else(|| panic!("the new secret is shown once: {html}"))
}

async fn deliveries_reach_an_independent_receiver_signed(db: TestDb) {
    let receiver = Receiver::start();
    let site = site(db).await;
    let mut admin = admin(&site).await;
    for (path, events) in [
        ("/ok", &[][..]),
        ("/gone", &["release.published"][..]),
        ("/broken", &["release.published"][..]),
    ] {
        let secret = add_receiver(&mut admin, &receiver.url(path), events).await;
        receiver.know(path, &secret);
    }
    let (status, _, html) = admin
        .post(
            "/admin/webhooks",
            &[
                ("op", "create"),
                ("url", "ftp://example.org"),
                ("events", "release.deleted"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("http or https") && html.contains("release.published"),
        "{html}"
    );
    assert!(
        html.contains("value=\"ftp://example.org\""),
        "what was typed is kept: {html}"
    );

    let id = site
        .publish(
            "Statement on the border",
            "The commission met.",
            Timestamp::now(),
            None,
        )
        .await;
    let http = client().unwrap();
    assert_eq!(send_due(&site.state, &http).await.unwrap(), 3);

    let got = receiver.received();
    assert_eq!(got.len(), 3, "{got:#?}");
    for entry in &got {
        assert_eq!(
            entry["verified"], true,
            "the Python receiver verified it: {entry}"
        );
        assert_eq!(entry["content_type"], "application/json");
    }
    let ok = got.iter().find(|e| e["path"] == "/ok").unwrap();
    let body = &ok["body"];
    assert_eq!(body["type"], "release.published");
    assert_eq!(body["data"]["translation_id"], id);
    assert_eq!(body["data"]["title"], "Statement on the border");
    assert!(
        body["data"]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://mfa.example.org/en/releases/"),
        "{body}"
    );
    let signed: SignedDocument = serde_json::from_value(body["data"]["signed"].clone()).unwrap();
    let keys = site.db.store.signing_keys().await.unwrap();
    let payload = signed
        .verify(&keys)
        .expect("the release inside is the ministry's, signed");
    assert_eq!(payload.title, "Statement on the border");

    // 410 switched its receiver off; 500 will be tried again; the admin sees both.
    let hooks = site.db.store.webhooks().await.unwrap();
    let gone = hooks.iter().find(|h| h.url.ends_with("/gone")).unwrap();
    assert!(!gone.enabled);
    assert_eq!(
        gone.disabled_reason.as_deref(),
        Some("the receiver answered 410 Gone")
    );
    let all = site
        .db
        .store
        .deliveries(&pressroom_store::DeliveryFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let state_of = |suffix: &str| {
        let hook = hooks.iter().find(|h| h.url.ends_with(suffix)).unwrap();
        all.iter().find(|d| d.target_id == hook.id).unwrap().clone()
    };
    assert_eq!(state_of("/ok").state, DeliveryState::Sent);
    assert_eq!(state_of("/gone").state, DeliveryState::Failed);
    let broken = state_of("/broken");
    assert_eq!(broken.state, DeliveryState::Queued);
    assert_eq!(
        broken.last_error.as_deref(),
        Some("HTTP 500: database down")
    );
    assert_eq!(
        send_due(&site.state, &http).await.unwrap(),
        0,
        "not due yet"
    );

    let (status, html) = admin.get("/admin/deliveries").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("HTTP 500: database down"), "{html}");
    let (status, html) = admin.get("/admin/deliveries?state=failed").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("/admin/deliveries/{}", state_of("/gone").id)),
        "{html}"
    );
    assert!(
        !html.contains(&format!("/admin/deliveries/{}\"", broken.id)),
        "{html}"
    );
    assert_eq!(
        admin.get("/admin/deliveries?state=lost").await.0,
        StatusCode::BAD_REQUEST
    );

    // Resending the accepted one: the receiver sees the same id again and drops the repeat.
    let sent = state_of("/ok");
    let (status, html) = admin.get(&format!("/admin/deliveries/{}", sent.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("accepted with HTTP 204"), "{html}");
    let (status, location, body) = admin
        .post(&format!("/admin/deliveries/{}/resend", sent.id), &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location, format!("/admin/deliveries/{}", sent.id));
    assert_eq!(send_due(&site.state, &http).await.unwrap(), 1);
    let again = receiver.received();
    let last = again.last().unwrap();
    assert_eq!(last["id"], ok["id"]);
    assert_eq!(last["repeat"], true);
    let (status, _, _) = admin
        .post(&format!("/admin/deliveries/{}/resend", broken.id), &[])
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a queued delivery is not resent"
    );

    // Only admins see distribution.
    let mut editor = Browser::new(&site);
    editor.sign_in("editor", TEST_PASSWORD).await;
    assert_eq!(
        editor.get("/admin/deliveries").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(editor.get("/admin/webhooks").await.0, StatusCode::FORBIDDEN);
}

/// A receiver that cannot be reached leaves the delivery queued with a reason; publishing
/// itself never waits for it.
async fn an_unreachable_receiver_never_blocks_publishing(db: TestDb) {
    let site = site(db).await;
    let mut admin = admin(&site).await;
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    add_receiver(&mut admin, &format!("http://127.0.0.1:{port}/in"), &[]).await;
    site.publish("Statement", "Body.", Timestamp::now(), None)
        .await;
    assert_eq!(send_due(&site.state, &client().unwrap()).await.unwrap(), 1);
    let all = site
        .db
        .store
        .deliveries(&pressroom_store::DeliveryFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all[0].state, DeliveryState::Queued);
    assert_eq!(
        all[0].last_error.as_deref(),
        Some("the receiver refused or dropped the connection")
    );
    let (_, metrics) = Browser::at(&site, "127.0.0.1").get("/metrics").await;
    assert!(metrics.contains("pressroom_outbox_queued 1"), "{metrics}");
    assert!(
        metrics.contains("pressroom_outbox_retried_total 1"),
        "{metrics}"
    );
}

/// A stand-in for the Telegram Bot API on loopback: records every `sendMessage` and answers
/// as the real one does (403 for a chat the bot is not in).
async fn fake_bot_api() -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<(String, serde_json::Value)>>>,
) {
    use axum::extract::{Path, State};
    use axum::routing::post;
    type Posts = std::sync::Arc<std::sync::Mutex<Vec<(String, serde_json::Value)>>>;
    let posts: Posts = Default::default();
    async fn send(
        State(posts): State<Posts>,
        Path(bot): Path<String>,
        axum::Json(body): axum::Json<serde_json::Value>,
    ) -> (StatusCode, axum::Json<serde_json::Value>) {
        posts.lock().unwrap().push((bot, body.clone()));
        if body["chat_id"] == "@removed_bot" {
            let refusal = serde_json::json!({"ok": false, "error_code": 403,
                "description": "Forbidden: bot is not a member of the channel chat"});
            return (StatusCode::FORBIDDEN, axum::Json(refusal));
        }
        (
            StatusCode::OK,
            axum::Json(serde_json::json!({"ok": true, "result": {"message_id": 1}})),
        )
    }
    let app = axum::Router::new()
        .route("/{bot}/sendMessage", post(send))
        .with_state(posts.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, posts)
}

const TOKEN: &str = "123456789:AAEhBP0av28sdfXyzEXAMPLEtoken_abc-d";

/// Telegram channels get a post in their own language, and corrections and withdrawals say
/// so; a channel the Bot API refuses is switched off with the reason.
async fn channels_get_posts_in_their_language(db: TestDb) {
    use pressroom_core::workflow::{Action, Correction};
    use pressroom_store::By;
    let (api, posts) = fake_bot_api().await;
    let site = site(db).await;
    let mut admin = admin(&site).await;
    for (name, chat, lang) in [
        ("AZ", "@mfa_az_press", "az"),
        ("RU", "@mfa_ru_press", "ru"),
        ("Old", "@removed_bot", "az"),
    ] {
        let (status, location, html) = admin
            .post(
                "/admin/webhooks",
                &[
                    ("op", "create_channel"),
                    ("channel_name", name),
                    ("chat_id", chat),
                    ("token", TOKEN),
                    ("channel_lang", lang),
                    ("api_base", &api),
                ],
            )
            .await;
        assert_eq!(
            (status, location.as_str()),
            (StatusCode::SEE_OTHER, "/admin/webhooks"),
            "{html}"
        );
    }
    let (status, _, html) = admin
        .post(
            "/admin/webhooks",
            &[
                ("op", "create_channel"),
                ("channel_name", "Bad"),
                ("chat_id", "my channel"),
                ("token", "not-a-token"),
                ("channel_lang", "fr"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("BotFather")
            && html.contains("@name")
            && html.contains("languages: az, en, ru"),
        "{html}"
    );
    assert!(
        !html.contains("not-a-token"),
        "a typed token is never shown back"
    );
    let (_, html) = admin.get("/admin/webhooks").await;
    assert!(!html.contains(TOKEN), "the page never shows a token");

    let people = &site.people;
    let detail = site
        .db
        .draft(
            "press-release",
            "az",
            pressroom_core::release::RevisionInput {
                title: "Nazir <Bakı> & Gəncə".into(),
                body: "Mətn.".into(),
                ..Default::default()
            },
            &people.author,
        )
        .await;
    let id = detail.translation.id;
    site.db
        .submit_and_approve(id, people, Timestamp::now())
        .await;
    let http = client().unwrap();
    assert_eq!(
        send_due(&site.state, &http).await.unwrap(),
        2,
        "the two az channels, not ru"
    );
    let sent = posts.lock().unwrap().clone();
    let az = sent
        .iter()
        .find(|(_, b)| b["chat_id"] == "@mfa_az_press")
        .unwrap();
    assert_eq!(az.0, format!("bot{TOKEN}"));
    let text = az.1["text"].as_str().unwrap();
    assert_eq!(az.1["parse_mode"], "HTML");
    assert!(
        text.starts_with("<b>Nazir &lt;Bakı&gt; &amp; Gəncə</b>\nNo:1/26 · "),
        "{text}"
    );
    assert!(
        text.ends_with("https://mfa.example.org/az/releases/2026/1-nazir-baki-gence"),
        "{text}"
    );
    let channels = site.db.store.channels().await.unwrap();
    let old = channels
        .iter()
        .find(|c| c.chat_id == "@removed_bot")
        .unwrap();
    assert!(!old.enabled);
    assert_eq!(
        old.disabled_reason.as_deref(),
        Some("the Bot API refused a post with HTTP 403")
    );
    let (_, html) = admin.get("/admin/deliveries?state=failed").await;
    assert!(html.contains("bot is not a member"), "{html}");
    assert!(!html.contains(TOKEN), "{html}");

    let store = &site.db.store;
    let t = store.translation(id).await.unwrap();
    store
        .save_revision(
            id,
            t.version,
            &pressroom_core::release::RevisionInput {
                title: "Nazir Gəncədə".into(),
                body: "Mətn.".into(),
                ..Default::default()
            },
            By::User(&people.author),
        )
        .await
        .unwrap();
    store
        .apply(
            id,
            None,
            &Action::Submit,
            By::User(&people.author),
            Timestamp::now(),
        )
        .await
        .unwrap();
    let correction = Action::ApprovePublish {
        correction: Some(Correction::Major {
            note: "Şəhərin adı düzəldildi".into(),
        }),
    };
    store
        .apply(
            id,
            None,
            &correction,
            By::User(&people.editor),
            Timestamp::now(),
        )
        .await
        .unwrap();
    store
        .apply(
            id,
            None,
            &Action::Withdraw {
                explanation: "Səhvən dərc edilib.".into(),
            },
            By::User(&people.editor),
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        send_due(&site.state, &http).await.unwrap(),
        2,
        "the switched-off channel gets nothing"
    );
    let texts: Vec<String> = posts.lock().unwrap()[2..]
        .iter()
        .map(|(_, b)| b["text"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("Düzəliş: <b>Nazir Gəncədə</b>")
                && t.contains("Şəhərin adı düzəldildi")),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("Geri çağırılıb: <b>") && t.contains("Səhvən dərc edilib.")),
        "{texts:?}"
    );
}

pressroom_store::backends!(
    deliveries_reach_an_independent_receiver_signed,
    an_unreachable_receiver_never_blocks_publishing,
    channels_get_posts_in_their_language,
);
