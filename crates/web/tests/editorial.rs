//! The editorial area through HTTP, as press officers use it: sign-in, drafting, review,
//! publication, correction, withdrawal, force publish, conflicts, CSRF, throttling, and the
//! permission matrix of every admin route for every role.

#[macro_use]
mod common;

use axum::http::{Method, StatusCode, header};
use common::browser::Browser;
use common::{Site, body_text, site};
use pressroom_store::testing::{TEST_PASSWORD, TestDb};

async fn signed_in<'a>(site: &'a Site, username: &str) -> Browser<'a> {
    let mut browser = Browser::new(site);
    let (status, location, body) = browser.sign_in(username, TEST_PASSWORD).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/admin/"),
        "{body}"
    );
    browser
}

/// Drafts a release through the editor; returns the translation's editor URL.
async fn draft(browser: &mut Browser<'_>, title: &str) -> String {
    browser.get("/admin/releases/new").await;
    let (status, location, body) = browser
        .post(
            "/admin/releases",
            &[
                ("kind", "press-release"),
                ("lang", "en"),
                ("title", title),
                ("lead", "Lead."),
                ("body", "Body text."),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    location.split('?').next().unwrap().to_owned()
}

fn version_of(html: &str) -> String {
    html.split("name=\"version\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

async fn act(
    browser: &mut Browser<'_>,
    editor_url: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let (_, html) = browser.get(editor_url).await;
    let version = version_of(&html);
    let mut form = vec![("version", version.as_str())];
    form.extend_from_slice(fields);
    browser.post(&format!("{editor_url}/action"), &form).await
}

async fn the_press_service_day_through_http(db: TestDb) {
    let site = site(db).await;
    let mut author = signed_in(&site, "author").await;
    let url = draft(&mut author, "Minister meets delegation").await;
    let (status, location, _) = act(&mut author, &url, &[("action", "submit")]).await;
    assert_eq!(
        (status, location.ends_with("done=submit")),
        (StatusCode::SEE_OTHER, true)
    );
    // An author cannot approve.
    let (status, _, body) = act(&mut author, &url, &[("action", "approve_publish")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("your role (author) cannot approve and publish"),
        "{body}"
    );

    // An editor who wrote the latest revision cannot approve it (two-person rule)…
    let mut editor = signed_in(&site, "editor").await;
    let own = draft(&mut editor, "Editor's own text").await;
    act(&mut editor, &own, &[("action", "submit")]).await;
    let (status, _, body) = act(&mut editor, &own, &[("action", "approve_publish")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("two-person rule"), "{body}");

    // …but approves the author's, which gets its number and goes public.
    let (status, _, body) = act(&mut editor, &url, &[("action", "approve_publish")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let (_, html) = editor.get(&url).await;
    let year = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Baku").unwrap())
        .year();
    // Shown as the series displays it (the default template is `No:{seq}/{yy}`).
    assert!(html.contains(&format!("No:1/{:02}", year % 100)), "{html}");
    let public = format!("/en/releases/{year}/1-minister-meets-delegation");
    assert!(
        site.page(&public)
            .await
            .contains("<h1>Minister meets delegation</h1>")
    );

    // A correction: edit, submit, approve as major with a note; readers see the note.
    let (_, html) = author.get(&url).await;
    let version = version_of(&html);
    let (status, _, body) = author
        .post(
            &url,
            &[
                ("version", &version),
                ("title", "Minister meets delegation"),
                ("lead", "Lead."),
                ("body", "Corrected body."),
                ("slug", "minister-meets-delegation"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    act(&mut author, &url, &[("action", "submit")]).await;
    let (status, _, body) = act(
        &mut editor,
        &url,
        &[
            ("action", "approve_publish"),
            ("correction", "major"),
            ("change_note", "Corrected the venue"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let page = site.page(&public).await;
    assert!(
        page.contains("Corrected body.") && page.contains(": Corrected the venue"),
        "{page}"
    );

    // A withdrawal keeps the page with its notice.
    let (status, _, _) = act(
        &mut editor,
        &url,
        &[("action", "withdraw"), ("explanation", "Issued in error.")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(site.page(&public).await.contains("Issued in error."));

    // A force publish is flagged in the audit log.
    let forced = draft(&mut author, "Urgent statement").await;
    let (status, _, body) = act(
        &mut editor,
        &forced,
        &[
            ("action", "force_publish"),
            ("reason", "Minister's orders, night shift"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let (_, audit) = editor.get("/admin/audit").await;
    assert!(
        audit.contains("force_publish <strong>flagged for review</strong>"),
        "{audit}"
    );
    assert!(
        audit.contains("Minister&#39;s orders, night shift"),
        "the reason is logged"
    );
}

async fn form_errors_keep_what_was_typed(db: TestDb) {
    let site = site(db).await;
    let mut author = signed_in(&site, "author").await;
    author.get("/admin/releases/new").await;
    let (status, _, body) = author
        .post(
            "/admin/releases",
            &[
                ("kind", "answer"),
                ("lang", "en"),
                ("title", ""),
                ("lead", "My careful lead"),
                ("body", "No blocks"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("My careful lead") && body.contains("No blocks"),
        "typed text is kept"
    );
    assert!(body.contains("id=\"title-error\">is required"), "{body}");
    assert!(
        body.contains(":::question"),
        "the body error explains the blocks"
    );
    let (_, list) = author.get("/admin/releases").await;
    assert!(list.contains("Nothing here."), "nothing was saved");
}

async fn two_people_editing_at_once_lose_nothing(db: TestDb) {
    let site = site(db).await;
    let mut author = signed_in(&site, "author").await;
    let mut editor = signed_in(&site, "editor").await;
    let url = draft(&mut author, "Shared draft").await;
    let (_, html) = author.get(&url).await;
    let version = version_of(&html);
    editor.get(&url).await;
    let (status, _, _) = editor
        .post(
            &url,
            &[
                ("version", &version),
                ("title", "Shared draft"),
                ("body", "Editor's text."),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, body) = author
        .post(
            &url,
            &[
                ("version", &version),
                ("title", "Shared draft"),
                ("body", "Author's text."),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body.contains("Someone else saved first")
            && body.contains("Author&#39;s text.")
            && body.contains("Editor&#39;s text."),
        "{body}"
    );
    let (_, editor_page) = author.get(&url).await;
    assert!(
        editor_page.contains("Editor&#39;s text."),
        "the first save stands"
    );
}

async fn forms_without_the_session_token_are_refused(db: TestDb) {
    let site = site(db).await;
    let mut author = signed_in(&site, "author").await;
    author.get("/admin/releases/new").await;
    author.csrf = "forged".into();
    let (status, _, body) = author
        .post(
            "/admin/releases",
            &[
                ("kind", "press-release"),
                ("lang", "en"),
                ("title", "Forged"),
                ("body", "x"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("did not come from this site"));
    let (_, list) = author.get("/admin/releases").await;
    assert!(!list.contains("Forged"));
    // The login form has its own token.
    let mut stranger = Browser::new(&site);
    let response = stranger
        .request(
            Method::POST,
            "/admin/login",
            &[
                ("username", "author"),
                ("password", TEST_PASSWORD),
                ("login_csrf", "x"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK, "re-shows the form");
    assert!(body_text(response).await.contains("expired"));
}

async fn repeated_failures_lock_the_account_with_growing_waits(db: TestDb) {
    let site = site(db).await;
    let mut browser = Browser::new(&site);
    for _ in 0..4 {
        let (status, _, body) = browser.sign_in("author", "wrong password!").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("username or password is not right"));
    }
    browser.sign_in("author", "wrong password!").await;
    let (status, _, body) = browser.sign_in("author", TEST_PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "locked even with the right password"
    );
    assert!(body.contains("Too many failed attempts"));
    let log = site
        .db
        .store
        .audit_log(Some("user:author"), 20)
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"signin.lockout")
            && actions.contains(&"signin.locked")
            && actions.contains(&"signin.failure"),
        "{actions:?}"
    );
    // Other accounts are not affected.
    let (status, _, _) = Browser::new(&site).sign_in("editor", TEST_PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

async fn signing_out_ends_the_session(db: TestDb) {
    let site = site(db).await;
    let mut author = signed_in(&site, "author").await;
    let (status, location, _) = author.post("/admin/logout", &[]).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/admin/login")
    );
    let response = author.request(Method::GET, "/admin/", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        response.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/admin/login")
    );
}

/// Every admin route for an anonymous visitor and each role: allowed, or refused.
async fn permission_matrix(db: TestDb) {
    let site = site(db).await;
    let mut admin = signed_in(&site, "admin").await;
    let url = draft(&mut admin, "Matrix").await;
    let id = url.rsplit('/').next().unwrap().to_owned();
    let release = site
        .db
        .store
        .translation(id.parse().unwrap())
        .await
        .unwrap()
        .release_id;
    // (method, path, lowest role allowed: 1 author, 2 editor, 3 admin)
    let routes: Vec<(Method, String, u8)> = vec![
        (Method::GET, "/admin/".into(), 1),
        (Method::GET, "/admin/releases".into(), 1),
        (Method::GET, "/admin/releases/new".into(), 1),
        (Method::POST, "/admin/releases".into(), 1),
        (Method::GET, format!("/admin/translations/{id}"), 1),
        (Method::POST, format!("/admin/translations/{id}"), 1),
        (Method::POST, format!("/admin/translations/{id}/preview"), 1),
        (Method::POST, format!("/admin/translations/{id}/action"), 1),
        (Method::GET, format!("/admin/translations/{id}/history"), 1),
        (
            Method::GET,
            format!("/admin/releases/{release}/translate?lang=ru"),
            1,
        ),
        (
            Method::POST,
            format!("/admin/releases/{release}/translate"),
            1,
        ),
        (Method::GET, "/admin/account".into(), 1),
        (Method::POST, "/admin/account/password".into(), 1),
        (Method::POST, "/admin/account/totp".into(), 1),
        (Method::GET, "/admin/audit".into(), 2),
        (Method::GET, "/admin/users".into(), 3),
        (Method::POST, "/admin/users".into(), 3),
        (Method::GET, "/admin/tokens".into(), 3),
        (Method::POST, "/admin/tokens".into(), 3),
        (Method::GET, "/admin/settings".into(), 3),
        (Method::POST, "/admin/settings".into(), 3),
        (Method::POST, "/admin/settings/kinds".into(), 3),
        (Method::GET, "/admin/pages".into(), 3),
        (Method::GET, "/admin/pages/privacy/en".into(), 3),
        (Method::POST, "/admin/pages/privacy/en".into(), 3),
    ];
    let mut browsers = vec![(0u8, Browser::new(&site))];
    for (level, name) in [(1, "author"), (2, "editor"), (3, "admin")] {
        browsers.push((level, signed_in(&site, name).await));
    }
    for (method, path, needed) in &routes {
        for (level, browser) in browsers.iter_mut() {
            let (status, location) = if *method == Method::POST {
                // An empty (but properly tokened) form: allowed roles get a validation answer
                // or a redirect, refused ones a 403 before anything is read.
                let (status, location, _) = browser
                    .post(path, &[("op", "noop"), ("step", "noop")])
                    .await;
                (status, location)
            } else {
                let response = browser.request(Method::GET, path, &[]).await;
                let location = response
                    .headers()
                    .get(header::LOCATION)
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default();
                (response.status(), location)
            };
            let to_sign_in = location.starts_with("/admin/login");
            match (*level, *level >= *needed) {
                (0, _) => assert!(
                    status == StatusCode::SEE_OTHER && to_sign_in,
                    "anonymous {method} {path} goes to sign-in, got {status}"
                ),
                (_, true) => assert!(
                    status != StatusCode::FORBIDDEN && !to_sign_in,
                    "level {level} should be allowed {method} {path}, got {status}"
                ),
                (_, false) => assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "level {level} must be refused {method} {path}"
                ),
            }
        }
    }
}

async fn admins_add_and_rename_kinds(db: TestDb) {
    let site = site(db).await;
    let mut admin = signed_in(&site, "admin").await;
    admin.get("/admin/settings").await;
    let (status, _, body) = admin
        .post(
            "/admin/settings/kinds",
            &[("key", "Bad Key"), ("names.en", "Bad")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("lowercase letters and hyphens"), "{body}");
    let (status, location, _) = admin
        .post(
            "/admin/settings/kinds",
            &[
                ("key", "briefing"),
                ("names.en", "Briefing"),
                ("names.ru", "Брифинг"),
                ("series", ""),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/admin/settings?done=kind#kinds")
    );
    let (status, _, _) = admin
        .post(
            "/admin/settings/kinds",
            &[
                ("key", "statement"),
                ("names.en", "Official statement"),
                ("series", "main"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let kinds = site.db.store.list_kinds().await.unwrap();
    let briefing = kinds.iter().find(|k| k.key == "briefing").unwrap();
    assert_eq!(
        (briefing.series.as_deref(), briefing.names["ru"].as_str()),
        (None, "Брифинг")
    );
    assert_eq!(
        kinds.iter().find(|k| k.key == "statement").unwrap().names["en"],
        "Official statement"
    );
    let mut author = signed_in(&site, "author").await;
    let (_, form) = author.get("/admin/releases/new").await;
    assert!(
        form.contains("value=\"briefing\""),
        "authors can choose the new kind"
    );
}

/// The editor names each translation's own language (it once said `en` for every one), and a
/// translation into Russian is saved as Russian.
async fn the_editor_shows_each_translations_language(db: TestDb) {
    let site = site(db).await;
    let mut author = signed_in(&site, "author").await;
    browser_new_release(&mut author).await;
    let (status, location, body) = author
        .post(
            "/admin/releases",
            &[
                ("kind", "press-release"),
                ("lang", "az"),
                ("title", "Nazir nümayəndə heyətini qəbul etdi"),
                ("body", "Mətn."),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let az_url = location.split('?').next().unwrap().to_owned();
    let (_, html) = author.get(&az_url).await;
    assert!(html.contains("Press release · az ·"), "{html}");
    assert!(
        html.contains("<html lang=\"en\">"),
        "the interface stays English: {html}"
    );
    assert!(html.contains("class=\"editor\" lang=\"az\""), "{html}");
    let release_id = html
        .split("/translate?lang=")
        .next()
        .and_then(|before| before.rsplit('/').next())
        .unwrap()
        .to_owned();
    let translate = format!("/admin/releases/{release_id}/translate");
    let (_, form) = author.get(&format!("{translate}?lang=ru")).await;
    assert!(form.contains("name=\"lang\" value=\"ru\""), "{form}");
    let (status, location, body) = author
        .post(
            &translate,
            &[
                ("lang", "ru"),
                ("title", "Министр принял делегацию"),
                ("body", "Текст."),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let (_, html) = author.get(location.split('?').next().unwrap()).await;
    assert!(html.contains("Press release · ru ·"), "{html}");
}

/// The releases list finds a draft by a word of its body, typed without diacritics; the
/// public search never does.
async fn the_list_finds_drafts_by_their_body(db: TestDb) {
    let site = site(db).await;
    let mut author = signed_in(&site, "author").await;
    let (status, _, body) = author
        .post(
            "/admin/releases",
            &[
                ("kind", "press-release"),
                ("lang", "az"),
                ("title", "Görüş"),
                ("lead", "Qısa məlumat."),
                ("body", "Nazir Şuşada bərpa işləri ilə tanış olub."),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    draft(&mut author, "Unrelated note").await;
    let (status, html) = author.get("/admin/releases?q=SUSADA+berpa").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Görüş"), "{html}");
    assert!(!html.contains("Unrelated note"), "{html}");
    assert!(html.contains("value=\"SUSADA berpa\""), "{html}");
    pressroom_web::search_feed::catch_up(&site.db.store, site.state.search())
        .await
        .unwrap();
    let (status, html) = author.get("/az/search?q=susada").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("Görüş"),
        "a draft is never a public result: {html}"
    );
}

async fn browser_new_release(browser: &mut Browser<'_>) {
    let (status, _) = browser.get("/admin/releases/new").await;
    assert_eq!(status, StatusCode::OK);
}

pressroom_store::backends!(
    the_editor_shows_each_translations_language,
    the_press_service_day_through_http,
    form_errors_keep_what_was_typed,
    two_people_editing_at_once_lose_nothing,
    forms_without_the_session_token_are_refused,
    repeated_failures_lock_the_account_with_growing_waits,
    signing_out_ends_the_session,
    permission_matrix,
    admins_add_and_rename_kinds,
    the_list_finds_drafts_by_their_body,
);
