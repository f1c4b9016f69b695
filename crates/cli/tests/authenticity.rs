//! Authenticity end to end, through the binary and its HTTP server, as a reader and an
//! operator meet it: the demo's signed releases verify with an independent Python verifier
//! written from `docs/signing.md`, a revision changed in the database is caught by
//! `pressroom log verify` and by the verify page, and key rotation keeps old releases valid.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_pressroom");

fn pressroom(data: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("--data").arg(data).args(args);
    for var in [
        "PRESSROOM_LISTEN",
        "PRESSROOM_DATA_DIR",
        "PRESSROOM_DATABASE_URL",
        "PRESSROOM_CONFIG",
        "PRESSROOM_BASE_URL",
        "PRESSROOM_SIGNING_KEY",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("PRESSROOM_LOG", "warn");
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn output(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().unwrap()
}

/// `pressroom demo` on a data folder, stopped with SIGTERM when dropped.
struct Demo {
    child: Child,
    port: u16,
}

impl Demo {
    fn start(data: &Path) -> Self {
        let mut child = pressroom(data, &["demo", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut port = 0;
        for line in lines.by_ref() {
            if let Some(rest) = line.unwrap().split("running at http://127.0.0.1:").nth(1) {
                port = rest.trim_end_matches('/').parse().unwrap();
                break;
            }
        }
        std::thread::spawn(move || lines.for_each(drop));
        assert!(port > 0, "the demo did not start");
        Self { child, port }
    }

    fn request(&self, head: &str, body: &[u8]) -> (u16, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let response = text(&response);
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    fn get(&self, path: &str) -> String {
        let head = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        let (status, body) = self.request(&head, b"");
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    fn post_text(&self, path: &str, text: &str) -> (u16, String) {
        let mut form = String::from("text=");
        for b in text.bytes() {
            if b.is_ascii_alphanumeric() {
                form.push(char::from(b));
            } else {
                form.push_str(&format!("%{b:02X}"));
            }
        }
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
            form.len()
        );
        self.request(&head, form.as_bytes())
    }

    /// Downloads keys.json, every log page and the signed form of every published revision
    /// into `dir`; returns (keys file, log pages, signed files).
    fn download(&self, dir: &Path) -> (PathBuf, Vec<PathBuf>, Vec<PathBuf>) {
        let keys = dir.join("keys.json");
        std::fs::write(&keys, self.get("/.well-known/pressroom/keys.json")).unwrap();
        let mut pages = Vec::new();
        let mut revisions = Vec::new();
        let mut next = Some("/.well-known/pressroom/log".to_owned());
        while let Some(url) = next {
            let body = self.get(&url);
            let page: serde_json::Value = serde_json::from_str(&body).unwrap();
            for e in page["entries"].as_array().unwrap() {
                if e["entry"]["action"] != "withdraw" {
                    revisions.push(e["entry"]["revision_id"].as_i64().unwrap());
                }
            }
            let path = dir.join(format!("log-{}.json", pages.len() + 1));
            std::fs::write(&path, body).unwrap();
            pages.push(path);
            next = page["next"].as_str().map(str::to_owned);
        }
        let signed = revisions
            .iter()
            .map(|id| {
                let path = dir.join(format!("revision-{id}.signed.json"));
                let body = self.get(&format!("/api/v1/revisions/{id}/signed.json"));
                std::fs::write(&path, body).unwrap();
                path
            })
            .collect();
        (keys, pages, signed)
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// Runs the Python verifier; it must be present (CI installs `cryptography`).
fn python_verifier(keys: &Path, pages: &[PathBuf], files: &[PathBuf]) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/python/verify_signed.py");
    let mut cmd = Command::new("python3");
    cmd.arg(script).arg("--keys").arg(keys);
    if !pages.is_empty() {
        cmd.arg("--log").args(pages);
    }
    let out = cmd.arg("--").args(files).output().expect(
        "python3 is needed for the independent verifier: install it and `python3 -m pip install cryptography`",
    );
    assert!(
        !text(&out.stdout).is_empty() || !text(&out.stderr).contains("No module named"),
        "the Python verifier needs the cryptography package: {}",
        text(&out.stderr)
    );
    out
}

#[test]
fn the_demo_releases_verify_with_an_independent_python_verifier() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("site");
    let files = dir.path().join("downloads");
    std::fs::create_dir_all(&files).unwrap();
    let demo = Demo::start(&data);
    let (keys, pages, signed) = demo.download(&files);
    assert!(
        signed.len() >= 60,
        "three languages of ~25 releases, got {}",
        signed.len()
    );

    // A release page links to its signed form, which is among those downloaded.
    let listing = demo.get("/en/releases/");
    let link = listing
        .split("href=\"/en/releases/2026/")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .find(|l| !l.is_empty())
        .expect("a release in the listing");
    let page = demo.get(&format!("/en/releases/2026/{link}"));
    let signed_link = page
        .split("href=\"/api/v1/revisions/")
        .nth(1)
        .expect("the release page links to its signed form");
    let id = signed_link.split('/').next().unwrap();
    assert!(
        signed
            .iter()
            .any(|p| p.ends_with(format!("revision-{id}.signed.json")))
    );
    drop(demo);

    let out = python_verifier(&keys, &pages, &signed);
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}{}", text(&out.stderr));
    assert_eq!(
        report.lines().filter(|l| l.starts_with("OK ")).count(),
        signed.len() + 1
    );

    // The verifier can fail: a changed body is refused.
    let forged_path = files.join("forged.signed.json");
    let original = std::fs::read_to_string(&signed[0]).unwrap();
    let forged = original.replacen("\"body\":\"", "\"body\":\"Forged. ", 1);
    assert_ne!(forged, original);
    std::fs::write(&forged_path, forged).unwrap();
    let out = python_verifier(&keys, &[], std::slice::from_ref(&forged_path));
    assert!(!out.status.success());
    assert!(
        text(&out.stdout).contains("does not match"),
        "{}",
        text(&out.stdout)
    );

    // `pressroom verify` says the same, offline.
    let genuine = output(
        pressroom(&data, &["verify"])
            .arg(&signed[0])
            .arg("--keys")
            .arg(&keys),
    );
    assert!(genuine.status.success(), "{}", text(&genuine.stderr));
    assert!(
        text(&genuine.stdout).starts_with("genuine: "),
        "{}",
        text(&genuine.stdout)
    );
    let modified = output(
        pressroom(&data, &["verify"])
            .arg(&forged_path)
            .arg("--keys")
            .arg(&keys),
    );
    assert_eq!(modified.status.code(), Some(1));
    assert!(
        text(&modified.stderr).contains("modified:"),
        "{}",
        text(&modified.stderr)
    );
}

#[test]
fn a_revision_changed_in_the_database_is_caught_by_log_verify_and_the_verify_page() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("site");
    drop(Demo::start(&data));
    let intact = output(&mut pressroom(&data, &["log", "verify"]));
    assert!(intact.status.success(), "{}", text(&intact.stderr));
    assert!(text(&intact.stdout).contains("The publication log is intact"));

    // Someone with access to the database rewrites a published English revision.
    let db = data.join("pressroom.db");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (seq, body) = rt.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        use sqlx::Row;
        let row = sqlx::query(
            "SELECT l.seq, l.revision_id FROM publication_log l JOIN translations t \
             ON t.id = l.translation_id WHERE l.action = 'publish' AND t.lang = 'en' \
             ORDER BY l.seq LIMIT 1 OFFSET 4",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        let (seq, revision): (i64, i64) = (row.get("seq"), row.get("revision_id"));
        sqlx::query("DROP TRIGGER revisions_append_only_update")
            .execute(&pool)
            .await
            .unwrap();
        let body: String = sqlx::query(
            "UPDATE revisions SET body = body || ' The ministry also approves the forged \
             dam project.' WHERE id = $1 RETURNING body",
        )
        .bind(revision)
        .fetch_one(&pool)
        .await
        .unwrap()
        .get("body");
        pool.close().await;
        (seq, body)
    });

    let broken = output(&mut pressroom(&data, &["log", "verify"]));
    assert_eq!(broken.status.code(), Some(1));
    let err = text(&broken.stderr);
    assert!(
        err.contains(&format!("does not match at entry {seq}:"))
            && err.contains("changed in the database"),
        "{err}"
    );

    // A reader pastes what the page now says: the verify page shows it is not what was signed.
    let demo = Demo::start(&data);
    let (status, html) = demo.post_text("/en/verify", &body);
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("<h2 id=\"result-title\">Modified</h2>"),
        "{html}"
    );
    assert!(html.contains("forged dam project.</ins>"), "{html}");
}

#[test]
fn releases_signed_before_a_key_rotation_still_verify() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("site");
    let files = dir.path().join("downloads");
    std::fs::create_dir_all(&files).unwrap();
    let old_key = {
        let demo = Demo::start(&data);
        let (_, _, signed) = demo.download(&files);
        signed[0].clone()
    };
    let key_file = data.join("keys").join("signing.key");
    let before = std::fs::read_to_string(&key_file).unwrap();
    let rotated = output(&mut pressroom(&data, &["keys", "rotate"]));
    assert!(rotated.status.success(), "{}", text(&rotated.stderr));
    assert_ne!(std::fs::read_to_string(&key_file).unwrap(), before);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the key file is private");
    }
    let list = text(&output(&mut pressroom(&data, &["keys", "list"])).stdout);
    assert_eq!(
        list.lines().filter(|l| l.contains("retired")).count(),
        1,
        "{list}"
    );
    assert_eq!(
        list.lines().filter(|l| l.contains("current")).count(),
        1,
        "{list}"
    );

    // The server signs with the new key; the old key stays published and still vouches for
    // what it signed.
    let demo = Demo::start(&data);
    let keys = files.join("keys-after.json");
    std::fs::write(&keys, demo.get("/.well-known/pressroom/keys.json")).unwrap();
    drop(demo);
    let parsed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&keys).unwrap()).unwrap();
    assert_eq!(parsed["keys"].as_array().unwrap().len(), 2);
    let out = output(
        pressroom(&data, &["verify"])
            .arg(&old_key)
            .arg("--keys")
            .arg(&keys),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = python_verifier(&keys, &[], std::slice::from_ref(&old_key));
    assert!(out.status.success(), "{}", text(&out.stdout));
    let log = output(&mut pressroom(&data, &["log", "verify"]));
    assert!(log.status.success(), "{}", text(&log.stderr));

    // A key file others can read is refused.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = output(&mut pressroom(&data, &["serve", "--listen", "127.0.0.1:0"]));
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text(&out.stderr).contains("chmod 600"),
            "{}",
            text(&out.stderr)
        );
    }
}
