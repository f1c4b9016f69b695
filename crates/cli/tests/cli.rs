//! The `pressroom` binary as an operator uses it: exit codes, messages, files it writes, and a
//! demo server that answers and stops cleanly on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
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
    ] {
        cmd.env_remove(var);
    }
    cmd.env("PRESSROOM_LOG", "warn");
    cmd
}

fn run(cmd: &mut Command, stdin: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_lists_every_command() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = text(&out.stdout);
    for command in [
        "init",
        "serve",
        "migrate",
        "user",
        "demo",
        "keys",
        "log",
        "verify",
        "subscribers",
        "content",
        "backup",
        "restore",
    ] {
        assert!(help.contains(command), "{command} missing from\n{help}");
    }
    let user_help = text(
        &Command::new(BIN)
            .args(["user", "--help"])
            .output()
            .unwrap()
            .stdout,
    );
    for sub in ["add", "list", "disable", "set-password", "set-role"] {
        assert!(user_help.contains(sub), "{sub} missing from\n{user_help}");
    }
}

#[test]
fn bad_configuration_names_the_file_and_key_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pressroom.toml");
    std::fs::write(&file, "listen = \"not-an-address\"\n").unwrap();
    let out = run(&mut pressroom(dir.path(), &["migrate"]), "");
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(&file.display().to_string()) && err.contains("`listen`"),
        "{err}"
    );

    std::fs::remove_file(&file).unwrap();
    let out = run(
        pressroom(dir.path(), &["migrate"]).env("PRESSROOM_DATABASE_URL", "mysql://x"),
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("PRESSROOM_DATABASE_URL"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn init_creates_a_site_once_and_users_are_managed_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("site");
    let out = run(
        &mut pressroom(&data, &["init", "--password-stdin"]),
        "a long admin passphrase\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(data.join("pressroom.toml").is_file() && data.join("pressroom.db").is_file());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(data.join("pressroom.db"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the database holds secrets: {mode:o}");
    assert!(
        !text(&out.stdout).contains("a long admin passphrase"),
        "a typed password is never echoed"
    );

    let again = run(&mut pressroom(&data, &["init"]), "");
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("already holds a Pressroom site"),
        "{}",
        text(&again.stderr)
    );

    let add = run(
        &mut pressroom(
            &data,
            &[
                "user", "add", "leyla", "--role", "author", "--name", "Leyla H.",
            ],
        ),
        "",
    );
    assert!(add.status.success(), "{}", text(&add.stderr));
    assert!(text(&add.stdout).contains("Password (shown only now): "));
    let bad_role = run(
        &mut pressroom(&data, &["user", "add", "x1y", "--role", "boss"]),
        "",
    );
    assert_eq!(bad_role.status.code(), Some(1));
    assert!(text(&bad_role.stderr).contains("author, editor or admin"));
    assert!(
        run(
            &mut pressroom(&data, &["user", "set-role", "leyla", "editor"]),
            ""
        )
        .status
        .success()
    );
    assert!(
        run(&mut pressroom(&data, &["user", "disable", "leyla"]), "")
            .status
            .success()
    );
    let list = text(&run(&mut pressroom(&data, &["user", "list"]), "").stdout);
    let leyla = list.lines().find(|l| l.starts_with("leyla")).unwrap();
    assert!(
        leyla.contains("editor") && leyla.contains("disabled"),
        "{list}"
    );
    let missing = run(&mut pressroom(&data, &["user", "disable", "nobody"]), "");
    assert!(text(&missing.stderr).contains("user `nobody` not found"));
}

#[test]
fn a_database_from_a_newer_pressroom_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        run(&mut pressroom(dir.path(), &["migrate"]), "")
            .status
            .success()
    );
    let db = dir.path().join("pressroom.db");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO pressroom_schema (version, name, applied_at) VALUES (999, 'future', 0)",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    });
    let out = run(
        &mut pressroom(dir.path(), &["serve", "--listen", "127.0.0.1:0"]),
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("schema is at version 999, newer than this pressroom"),
        "{err}"
    );
}

fn http_get(port: u16, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response)
}

#[test]
fn the_demo_serves_every_language_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = pressroom(dir.path(), &["demo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut port = 0;
    let mut printed = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if let Some(rest) = line.split("running at http://127.0.0.1:").nth(1) {
            port = rest.trim_end_matches('/').parse().unwrap();
            break;
        }
    }
    // Keep reading what the server prints, so it never writes into a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    assert!(port > 0, "no address printed:\n{printed}");
    assert!(printed.contains("Loaded 30 releases"), "{printed}");
    assert_eq!(http_get(port, "/healthz").0, 200);
    assert_eq!(http_get(port, "/readyz").0, 200);
    for lang in ["az", "en", "ru"] {
        let (status, listing) = http_get(port, &format!("/{lang}/releases/"));
        assert_eq!(status, 200, "{lang}");
        let link = listing
            .split(&format!("href=\"/{lang}/releases/2026/"))
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let (status, page) = http_get(port, &format!("/{lang}/releases/2026/{link}"));
        assert_eq!(status, 200, "{lang} {link}");
        assert!(page.contains("<h1>"), "{page}");
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");

    // The content leaves as JSON Lines: a line per translation, every publication signed.
    let export = dir.path().join("content.jsonl");
    let out = run(
        &mut pressroom(dir.path(), &["content", "export", export.to_str().unwrap()]),
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&export)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= 30, "{} lines", lines.len());
    assert!(!dir.path().join("content.jsonl.partial").exists());
    for line in &lines {
        assert_eq!(line["format"], "pressroom-content/1");
        let published = line["publications"].as_array().unwrap().len();
        assert_eq!(
            line["signed"].as_array().unwrap().len(),
            published,
            "{line}"
        );
        assert!(!line["revisions"].as_array().unwrap().is_empty());
        if published > 0 {
            let url = line["url"].as_str().unwrap();
            assert!(url.contains("/releases/"), "{url}");
        }
    }
    assert!(
        lines
            .iter()
            .any(|l| l["number"].as_str().unwrap().starts_with("No:")),
        "numbers as the pages show them"
    );

    // A mailing list from an earlier system: checked whole, one bad line imports nothing.
    let list = dir.path().join("list.csv");
    std::fs::write(
        &list,
        "email,lang\nreader@example.org,en\nnot-an-address,az\n",
    )
    .unwrap();
    let out = run(
        &mut pressroom(
            dir.path(),
            &["subscribers", "import", list.to_str().unwrap()],
        ),
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("nothing was imported") && err.contains("line 3"),
        "{err}"
    );
    std::fs::write(
        &list,
        "reader@example.org,en\nokuyucu@example.az,az,daily\n",
    )
    .unwrap();
    for expected in ["Imported 2 subscriber(s)", "Imported 0 subscriber(s)"] {
        let out = run(
            &mut pressroom(
                dir.path(),
                &["subscribers", "import", list.to_str().unwrap()],
            ),
            "",
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains(expected),
            "{}",
            text(&out.stdout)
        );
    }

    // A second run reuses the demo as it is.
    let mut again = pressroom(dir.path(), &["demo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(again.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("Reusing the demo site"), "{first}");
    // Stop it only once it serves, when its signal handler is in place.
    lines
        .by_ref()
        .map(Result::unwrap)
        .find(|l| l.contains("running at"))
        .unwrap();
    std::thread::spawn(move || lines.for_each(drop));
    Command::new("kill")
        .args(["-TERM", &again.id().to_string()])
        .status()
        .unwrap();
    assert!(again.wait().unwrap().success());
}

/// Runs `args` and returns the exit code, standard error and how long it took.
fn timed(cmd: &mut Command) -> (Option<i32>, String, Duration) {
    let started = std::time::Instant::now();
    let out = run(cmd, "");
    (out.status.code(), text(&out.stderr), started.elapsed())
}

#[test]
fn start_up_failures_are_quick_and_say_the_cause_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let fast = Duration::from_secs(5);

    // PostgreSQL on a closed port.
    for command in ["serve", "migrate"] {
        let (code, err, took) = timed(
            pressroom(dir.path(), &[command])
                .env("PRESSROOM_DATABASE_URL", "postgres://127.0.0.1:1/x"),
        );
        assert_eq!(code, Some(1), "{command}: {err}");
        assert!(took < fast, "{command} took {took:?}");
        assert!(
            err.contains("postgres://127.0.0.1:1/x")
                && err.contains("cannot reach PostgreSQL")
                && err.contains("check that the server is running"),
            "{command}: {err}"
        );
        assert!(!err.contains("pool timed out"), "{err}");
    }

    // A text file where the database should be.
    let text_site = dir.path().join("text");
    std::fs::create_dir(&text_site).unwrap();
    std::fs::write(
        text_site.join("pressroom.db"),
        "these are my notes, not a database\n".repeat(200),
    )
    .unwrap();
    for command in ["serve", "migrate"] {
        let (code, err, took) = timed(&mut pressroom(&text_site, &[command]));
        assert_eq!(code, Some(1), "{err}");
        assert!(took < fast, "{command} took {took:?}");
        assert!(
            err.contains("pressroom.db is not an SQLite database")
                && err.contains("move this file away"),
            "{command}: {err}"
        );
    }

    // A truncated copy of a real site's database.
    let site = dir.path().join("site");
    let init = run(
        &mut pressroom(&site, &["init", "--password-stdin"]),
        "a long admin passphrase\n",
    );
    assert!(init.status.success(), "{}", text(&init.stderr));
    let db = site.join("pressroom.db");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // Everything into the main file first, as a backup copy would be taken.
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 100_000, "{} bytes", bytes.len());
    let cut = dir.path().join("cut");
    std::fs::create_dir(&cut).unwrap();
    std::fs::write(cut.join("pressroom.db"), &bytes[..bytes.len() / 2]).unwrap();
    for command in ["serve", "migrate"] {
        let (code, err, took) = timed(&mut pressroom(&cut, &[command]));
        assert_eq!(code, Some(1), "{err}");
        assert!(took < fast, "{command} took {took:?}");
        assert!(
            err.contains("pressroom.db is damaged") && err.contains("restore it from a backup"),
            "{command}: {err}"
        );
    }

    // A folder that cannot be written: a read-only file system (permissions do not stop root).
    let read_only = Path::new("/sys/kernel");
    if read_only.is_dir() && std::fs::write(read_only.join("pressroom.db"), "").is_err() {
        let (code, err, took) = timed(&mut pressroom(read_only, &["migrate"]));
        assert_eq!(code, Some(1), "{err}");
        assert!(took < fast, "took {took:?}");
        assert!(
            err.contains("cannot open /sys/kernel/pressroom.db for writing")
                && err.contains("may write to it"),
            "{err}"
        );
    }
}

#[test]
fn log_verify_on_postgresql_prints_no_driver_notice() {
    let Ok(base) = std::env::var("PRESSROOM_TEST_DATABASE_URL") else {
        assert!(std::env::var("PRESSROOM_TEST_REQUIRE_POSTGRES").is_err());
        eprintln!("skipping: PRESSROOM_TEST_DATABASE_URL is not set");
        return;
    };
    let schema = format!("cli_notice_{}", std::process::id());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let admin = |statement: String| {
        rt.block_on(async {
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&base).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        })
    };
    admin(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
    ));
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let dir = tempfile::tempdir().unwrap();
    let init = run(
        pressroom(dir.path(), &["init", "--password-stdin"]).env("PRESSROOM_DATABASE_URL", &url),
        "a long admin passphrase\n",
    );
    assert!(init.status.success(), "{}", text(&init.stderr));
    let verify = run(
        pressroom(dir.path(), &["log", "verify"])
            .env("PRESSROOM_DATABASE_URL", &url)
            .env("PRESSROOM_LOG", "info"),
        "",
    );
    admin(format!("DROP SCHEMA {schema} CASCADE"));
    assert!(verify.status.success(), "{}", text(&verify.stderr));
    assert!(text(&verify.stdout).contains("The publication log is intact"));
    let err = text(&verify.stderr);
    assert!(!err.to_lowercase().contains("notice"), "{err}");
}
