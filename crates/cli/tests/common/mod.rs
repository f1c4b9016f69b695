//! What the tests that run the real binary share: reading the address a started server
//! prints, the fixed test signing key, and bare HTTP/1.1 requests on loopback.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Child;
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
    body: Option<&serde_json::Value>,
) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let body = body.map(serde_json::Value::to_string).unwrap_or_default();
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
