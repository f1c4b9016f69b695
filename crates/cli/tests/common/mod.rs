//! What the tests that run the real binary share: reading the address a started server
//! prints, the fixed test signing key, bare HTTP/1.1 requests on loopback, child processes
//! that end with the test, and publishing through the JSON API.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::net::TcpStream;
use std::path::Path;
use std::process::Child;

use serde_json::{Value, json};
use std::time::Duration;

/// Reads a started `pressroom serve`'s standard output until it prints its address, and
/// returns the port; the rest of the output is drained in the background.
pub fn listening_port(child: &mut Child) -> u16 {
    let mut lines = BufReader::new(child.stdout.take().expect("stdout is piped")).lines();
    let port = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.split("running at http://127.0.0.1:")
                .nth(1)
                .map(|p| p.trim_end_matches('/').parse().unwrap())
        })
        .expect("the server printed its address");
    std::thread::spawn(move || lines.for_each(drop));
    port
}

/// Writes the key test stores sign with to `DATA/keys/signing.key` (mode 0600), so the
/// server and the test's store sign alike.
pub fn write_test_key(data: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let key = data.join("keys/signing.key");
    std::fs::create_dir_all(key.parent().unwrap()).unwrap();
    std::fs::write(&key, format!("{}\n", "01".repeat(32))).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// One HTTP/1.1 request on its own connection, with a bearer `token` unless it is empty and
/// a JSON `body`: the status and the body, `None` when the connection failed (a killed
/// server).
pub fn call(
    port: u16,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let auth = if token.is_empty() {
        String::new()
    } else {
        format!("Authorization: Bearer {token}\r\n")
    };
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

/// A free port on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed when dropped.
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The JSON of a body, `Null` when it is not JSON.
pub fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// Publishes one English release through `port`; its id and its release page's path.
pub fn publish(port: u16, author: &str, editor: &str, title: &str) -> (i64, String) {
    let new = json!({ "kind": "press-release", "lang": "en", "title": title, "body": "Text." });
    let (status, created) = call(port, "POST", "/api/v1/releases", author, Some(&new)).unwrap();
    assert_eq!(status, 201, "create: {created}");
    let id = json_of(&created)["id"].as_i64().unwrap();
    let path = format!("/api/v1/translations/{id}/actions");
    let submit = json!({ "action": "submit" });
    let (status, body) = call(port, "POST", &path, author, Some(&submit)).unwrap();
    assert_eq!(status, 200, "submit: {body}");
    let approve = json!({ "action": "approve_publish" });
    let (status, body) = call(port, "POST", &path, editor, Some(&approve)).unwrap();
    assert_eq!(status, 200, "approve: {body}");
    let release = json_of(&body)["release_id"].as_i64().unwrap();
    let (_, detail) = call(
        port,
        "GET",
        &format!("/api/v1/releases/{release}"),
        "",
        None,
    )
    .unwrap();
    let url = json_of(&detail)["translations"][0]["url"]
        .as_str()
        .expect("the release has a public address")
        .to_owned();
    let path = url
        .trim_start_matches("https://press.example.org")
        .to_owned();
    (release, path)
}

/// moto's S3 server on a free loopback port with `bucket` created, stopped when dropped;
/// `None` (a skip) without moto, unless `PRESSROOM_REQUIRE_TOOLS` is set (CI), which fails.
pub struct Moto {
    child: Child,
    /// Its port.
    pub port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    /// Starts moto and creates `bucket`.
    pub fn start(bucket: &str) -> Option<Self> {
        use std::process::{Command, Stdio};
        let check = Command::new("python3")
            .args(["-c", "import moto.server, flask, flask_cors"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !check.is_ok_and(|s| s.success()) {
            assert!(
                std::env::var("PRESSROOM_REQUIRE_TOOLS").is_err(),
                "PRESSROOM_REQUIRE_TOOLS is set but moto is missing: python3 -m pip install 'moto[server]'"
            );
            eprintln!(
                "skipping the S3 part: moto is missing (python3 -m pip install 'moto[server]')"
            );
            return None;
        }
        let port = free_port();
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let moto = Self { child, port };
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if call(port, "PUT", &format!("/{bucket}"), "", None).is_some_and(|(s, _)| s == 200) {
                return Some(moto);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("moto did not answer on 127.0.0.1:{port} within 60 s");
    }

    /// The `AWS_*` variables that point the S3 client at this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "AWS_ENDPOINT_URL",
                format!("http://127.0.0.1:{}", self.port),
            ),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
            ("AWS_ALLOW_HTTP", "true".to_owned()),
        ]
    }
}

/// A command of the binary on data folder `data`, with the environment variables that would
/// point it elsewhere removed and quiet logs.
pub fn pressroom(data: &Path, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pressroom"));
    cmd.arg("--data").arg(data).args(args);
    for var in [
        "PRESSROOM_LISTEN",
        "PRESSROOM_DATA_DIR",
        "PRESSROOM_DATABASE_URL",
        "PRESSROOM_CONFIG",
        "PRESSROOM_BASE_URL",
        "PRESSROOM_MEDIA_STORE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("PRESSROOM_LOG", "warn");
    cmd
}

/// A real JPEG photo-like image of `width` × `height`.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&image)
        .unwrap();
    out
}
