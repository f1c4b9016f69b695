//! Signed forms, keys, the log and the verify page through the real router, on SQLite and
//! (when configured) PostgreSQL.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use jiff::Timestamp;
use pressroom_core::release::RevisionInput;
use pressroom_core::signing::{KeysDocument, SignedDocument};
use pressroom_core::workflow::Action;
use pressroom_store::testing::{People, TestDb};
use pressroom_store::{Backend, By, NewRelease};
use pressroom_web::search_feed::catch_up;
use pressroom_web::{AppState, WebConfig, router};
use tower::ServiceExt;

const BODY: &str = "**Baku, 4 October.** The Minister of Water and Coastal Affairs met the \
                    delegation of the coastal states to discuss the reopening of the northern \
                    dam in spring.\n\nThe parties agreed to meet again in November.";

struct Site {
    db: TestDb,
    people: People,
    state: AppState,
    app: axum::Router,
}

async fn site(db: TestDb) -> Site {
    let people = db.people().await;
    let state = AppState::new(
        db.store.clone(),
        WebConfig {
            base_url: "https://mfa.example.org".into(),
            theme_dir: None,
            cache_bytes: 8 << 20,
            ..Default::default()
        },
        None,
    )
    .unwrap();
    Site {
        app: router(state.clone()),
        state,
        db,
        people,
    }
}

async fn body_text(response: Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 10 << 20)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

impl Site {
    async fn send(&self, request: Request<Body>) -> (StatusCode, String) {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        (status, body_text(response).await)
    }

    async fn get(&self, uri: &str) -> (StatusCode, String) {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    async fn post_text(&self, lang: &str, text: &str) -> (StatusCode, String) {
        let mut form = String::from("text=");
        for b in text.bytes() {
            if b.is_ascii_alphanumeric() {
                form.push(char::from(b));
            } else {
                form.push_str(&format!("%{b:02X}"));
            }
        }
        let request = Request::post(format!("/{lang}/verify"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .unwrap();
        self.send(request).await
    }

    async fn post_file(&self, bytes: &[u8]) -> (StatusCode, String) {
        let boundary = "XpressroomX";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.json\"\r\n\
             Content-Type: application/json\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let request = Request::post("/en/verify")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// Publishes an English press release; returns its translation id.
    async fn publish(&self, title: &str, body: &str) -> i64 {
        let new = NewRelease {
            kind: "press-release".into(),
            lang: "en".into(),
            input: RevisionInput {
                title: title.into(),
                lead: "Talks on the dam.".into(),
                body: body.into(),
                ..Default::default()
            },
        };
        let store = &self.db.store;
        let id = store
            .create_release(&new, By::User(&self.people.author))
            .await
            .unwrap()
            .translation
            .id;
        let at: Timestamp = "2026-10-04T07:30:00Z".parse().unwrap();
        store
            .apply(id, None, &Action::Submit, By::User(&self.people.author), at)
            .await
            .unwrap();
        let approve = Action::ApprovePublish { correction: None };
        store
            .apply(id, None, &approve, By::User(&self.people.editor), at)
            .await
            .unwrap();
        id
    }
}

async fn every_release_offers_its_signed_form_and_the_keys_verify_it(db: TestDb) {
    let site = site(db).await;
    let id = site.publish("Minister met coastal states", BODY).await;
    let revision = site
        .db
        .store
        .translation(id)
        .await
        .unwrap()
        .live_revision_id
        .unwrap();
    let (status, html) = site
        .get("/en/releases/2026/1-minister-met-coastal-states")
        .await;
    assert_eq!(status, StatusCode::OK);
    let signed_url = format!("/api/v1/revisions/{revision}/signed.json");
    assert!(html.contains(&format!("href=\"{signed_url}\"")), "{html}");
    assert!(html.contains("href=\"/en/verify\""), "{html}");
    let authenticity = html.find("class=\"authenticity\"").unwrap();
    assert!(authenticity < html.find("class=\"share\"").unwrap());

    let (status, signed) = site.get(&signed_url).await;
    assert_eq!(status, StatusCode::OK);
    let (status, keys) = site.get("/.well-known/pressroom/keys.json").await;
    assert_eq!(status, StatusCode::OK);
    let keys = KeysDocument::parse(&keys).unwrap();
    assert_eq!(keys.site, "https://mfa.example.org");
    let payload = SignedDocument::parse(&signed)
        .unwrap()
        .verify(&keys.keys)
        .unwrap();
    assert_eq!(payload.title, "Minister met coastal states");
    assert_eq!(payload.number.unwrap().display, "No:1/26");

    for bad in [
        "/api/v1/revisions/999999/signed.json",
        "/api/v1/revisions/x/signed.json",
    ] {
        assert_eq!(site.get(bad).await.0, StatusCode::NOT_FOUND, "{bad}");
    }
}

async fn the_log_is_published_with_its_signed_head_and_pages(db: TestDb) {
    let site = site(db).await;
    for i in 0..3 {
        site.publish(&format!("Release number {i}"), BODY).await;
    }
    let (status, text) = site.get("/.well-known/pressroom/log").await;
    assert_eq!(status, StatusCode::OK);
    let log: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(log["format"], "pressroom-log/1");
    assert_eq!(log["size"], 3);
    assert_eq!(log["entries"].as_array().unwrap().len(), 3);
    assert_eq!(
        log["head"]["entry_sha256"],
        log["entries"][2]["entry_sha256"]
    );
    assert!(log["next"].is_null());
    let (_, page) = site.get("/.well-known/pressroom/log-from-3").await;
    let page: serde_json::Value = serde_json::from_str(&page).unwrap();
    assert_eq!(page["entries"].as_array().unwrap().len(), 1);
    assert_eq!(page["entries"][0]["entry"]["seq"], 3);
    // The old query form leads to the page's path (a static export holds only paths).
    let (status, _) = site.get("/.well-known/pressroom/log?from=3").await;
    assert_eq!(status, StatusCode::PERMANENT_REDIRECT);
    let (status, _) = site.get("/.well-known/pressroom/log-from-03").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for bad in ["?from=0", "?from=x", "?from=-1"] {
        let (status, _) = site.get(&format!("/.well-known/pressroom/log{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

async fn the_verify_page_answers_in_every_language(db: TestDb) {
    let site = site(db).await;
    site.publish("Minister met coastal states", BODY).await;
    for lang in ["az", "en", "ru"] {
        let (status, html) = site.get(&format!("/{lang}/verify")).await;
        assert_eq!(status, StatusCode::OK, "{lang}");
        assert!(html.contains("enctype=\"multipart/form-data\""));
        assert!(
            !html.contains("style=") && !html.contains("<script>"),
            "CSP-clean: no inline style or script"
        );
    }
    assert_eq!(site.get("/xx/verify").await.0, StatusCode::NOT_FOUND);

    let (status, html) = site.post_text("en", BODY).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("<h2 id=\"result-title\">Genuine</h2>"),
        "{html}"
    );
    assert!(html.contains("href=\"/en/releases/2026/1-minister-met-coastal-states\""));

    let forged = BODY.replace("in spring", "next year");
    let (status, html) = site.post_text("ru", &forged).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<h2 id=\"result-title\">Изменено</h2>"),
        "{html}"
    );
    assert!(
        html.contains("<del>in spring.</del>") || html.contains("<del>spring.</del>"),
        "{html}"
    );
    assert!(html.contains("<ins>next year.</ins>"), "{html}");

    let (_, html) = site
        .post_text(
            "az",
            "A football match was won on penalties after extra time.",
        )
        .await;
    assert!(
        html.contains("<h2 id=\"result-title\">Tapılmadı</h2>"),
        "{html}"
    );
    let (status, html) = site.post_text("en", "   ").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("Paste the text of a statement"), "{html}");
    let (status, html) = site.post_text("en", "too short").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("at least 6 words"), "{html}");
}

/// With the search index current, a pasted text is compared only with the index's candidates;
/// while the index is behind, with every signed revision. Either way the verdict is the same.
async fn the_verify_page_finds_texts_through_the_index_and_without_it(db: TestDb) {
    let site = site(db).await;
    site.publish("Minister met coastal states", BODY).await;
    site.publish(
        "Fisheries agreement",
        "The ministry signed an agreement on fisheries in the southern lagoon with \
         neighbouring provinces, valid for ten years.",
    )
    .await;
    site.publish(
        "Consular hours",
        "Consular sections abroad keep extended opening hours during the holiday season \
         for citizens who need travel documents.",
    )
    .await;
    catch_up(&site.db.store, site.state.search()).await.unwrap();
    let verdict = |html: &str| {
        html.split("<h2 id=\"result-title\">")
            .nth(1)
            .and_then(|rest| rest.split("</h2>").next())
            .unwrap_or("")
            .to_owned()
    };

    let forged = BODY.replace("in spring", "next year");
    let (_, html) = site.post_text("en", &forged).await;
    assert_eq!(verdict(&html), "Modified", "{html}");
    assert!(html.contains("<ins>next year.</ins>"), "{html}");
    let (_, html) = site
        .post_text(
            "en",
            "signed an agreement on fisheries in the southern lagoon",
        )
        .await;
    assert_eq!(verdict(&html), "Genuine", "an excerpt: {html}");

    // Published after the index caught up: the index is behind, every revision is read.
    let late = "The ministry condemns the shelling of the border village and calls on the \
                other side to respect the ceasefire agreed in March.";
    site.publish("Statement on shelling", late).await;
    let changed = late.replace("in March", "in April");
    let (_, html) = site.post_text("en", &changed).await;
    assert_eq!(
        verdict(&html),
        "Modified",
        "while the index is behind: {html}"
    );
    catch_up(&site.db.store, site.state.search()).await.unwrap();
    let (_, html) = site.post_text("en", &changed).await;
    assert_eq!(verdict(&html), "Modified", "through the index: {html}");
    assert!(html.contains("<ins>April.</ins>"), "{html}");
    let (_, html) = site
        .post_text(
            "en",
            "A football match was won on penalties after extra time.",
        )
        .await;
    assert_eq!(verdict(&html), "Not found", "{html}");
}

async fn uploaded_files_are_checked_and_bad_uploads_get_400(db: TestDb) {
    let site = site(db).await;
    let id = site.publish("Minister met coastal states", BODY).await;
    let revision = site
        .db
        .store
        .translation(id)
        .await
        .unwrap()
        .live_revision_id
        .unwrap();
    let (_, signed) = site
        .get(&format!("/api/v1/revisions/{revision}/signed.json"))
        .await;
    let (status, html) = site.post_file(signed.as_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("<h2 id=\"result-title\">Genuine</h2>"),
        "{html}"
    );

    let forged = signed.replace("northern dam", "southern dam");
    let (_, html) = site.post_file(forged.as_bytes()).await;
    assert!(
        html.contains("<h2 id=\"result-title\">Modified</h2>"),
        "{html}"
    );
    assert!(html.contains("<ins>southern</ins>"), "{html}");

    for (bad, message) in [
        (&b"not json"[..], "not a signed Pressroom file"),
        (&b"\xff\xfe\x00"[..], "not UTF-8"),
        (
            &b"{\"format\":\"other/1\"}"[..],
            "not a signed Pressroom file",
        ),
    ] {
        let (status, html) = site.post_file(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{html}");
        assert!(html.contains(message), "{message}: {html}");
    }
    let huge = vec![b'x'; 2 * 1024 * 1024];
    let (status, html) = site.post_file(&huge).await;
    assert_eq!(
        status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "over the limit is 413"
    );
    assert!(html.contains("too large"), "{html}");
    let request = Request::post("/en/verify")
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=nope")
        .body(Body::from("garbage"))
        .unwrap();
    assert_eq!(site.send(request).await.0, StatusCode::BAD_REQUEST);
    let request = Request::post("/en/verify")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("garbage"))
        .unwrap();
    assert_eq!(site.send(request).await.0, StatusCode::BAD_REQUEST);
}

/// Someone with database access rewrites a published revision: the page shows the forgery,
/// and the verify page says it is not what was signed.
async fn a_revision_changed_in_the_database_is_shown_as_modified(db: TestDb) {
    let site = site(db).await;
    let id = site.publish("Minister met coastal states", BODY).await;
    let revision = site
        .db
        .store
        .translation(id)
        .await
        .unwrap()
        .live_revision_id
        .unwrap();
    let forged = BODY.replace("in November", "never");
    let pool = sqlx::AnyPool::connect(&site.db.url).await.unwrap();
    let drop = match site.db.store.backend() {
        Backend::Sqlite => "DROP TRIGGER revisions_append_only_update",
        Backend::Postgres => "DROP TRIGGER revisions_append_only ON revisions",
    };
    sqlx::query(drop).execute(&pool).await.unwrap();
    sqlx::query("UPDATE revisions SET body = $1 WHERE id = $2")
        .bind(&forged)
        .bind(revision)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let (_, page) = site
        .get("/en/releases/2026/1-minister-met-coastal-states")
        .await;
    assert!(
        page.contains("meet again never"),
        "the forgery is on the page"
    );
    let (status, html) = site.post_text("en", &forged).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<h2 id=\"result-title\">Modified</h2>"),
        "{html}"
    );
    assert!(html.contains("<ins>never.</ins>"), "{html}");
}

pressroom_store::backends!(
    every_release_offers_its_signed_form_and_the_keys_verify_it,
    the_log_is_published_with_its_signed_head_and_pages,
    the_verify_page_answers_in_every_language,
    the_verify_page_finds_texts_through_the_index_and_without_it,
    uploaded_files_are_checked_and_bad_uploads_get_400,
    a_revision_changed_in_the_database_is_shown_as_modified,
);
