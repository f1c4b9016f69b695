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
