//! The server under a connection flood, as a tester with one machine can make it: far more idle
//! sockets than the cap, plus clients sending their headers a byte at a time. Normal readers
//! must still be served at once, slow headers must be cut at the header timeout and idle
//! sockets at the idle timeout.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_pressroom");

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A fresh site served with `settings` in its config file; returns the server and its port.
fn serve(dir: &std::path::Path, settings: &str) -> (Server, u16) {
    let data = dir.join("site");
    let config = dir.join("edge.toml");
    std::fs::write(&config, settings).unwrap();
    let command = |args: &[&str]| {
        let mut cmd = Command::new(BIN);
        cmd.arg("--data").arg(&data).arg("--config").arg(&config);
        cmd.args(args).env("PRESSROOM_LOG", "warn");
        for var in [
            "PRESSROOM_LISTEN",
            "PRESSROOM_DATABASE_URL",
            "PRESSROOM_BASE_URL",
        ] {
            cmd.env_remove(var);
        }
        cmd
    };
    let init = command(&["init"]).output().unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let mut child = command(&["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let port = common::listening_port(&mut child);
    (Server(child), port)
}

/// Whether the server has closed (or refused) this socket: end of stream, a reset, or its
/// refusal text. Never blocks.
fn closed(stream: &TcpStream) -> bool {
    stream.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 256];
    let mut reader = stream;
    match reader.read(&mut buf) {
        Ok(_) => true,
        Err(e) if e.kind() == ErrorKind::WouldBlock => false,
        Err(_) => true,
    }
}

fn healthz(port: u16) -> (u16, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, started.elapsed())
}

/// Sends a request head one byte every 100 ms until the server closes the socket; returns how
/// long the server took to close it.
fn slow_header(port: u16) -> std::thread::JoinHandle<Option<Duration>> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    std::thread::spawn(move || {
        let started = Instant::now();
        let head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
            .iter()
            .chain([b'a'; 400].iter());
        for byte in head {
            if stream.write_all(&[*byte]).is_err() || closed(&stream) {
                return Some(started.elapsed());
            }
            stream.set_nonblocking(false).unwrap();
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    })
}

#[test]
fn a_flood_of_idle_and_slow_sockets_does_not_lock_out_readers() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, port) = serve(
        dir.path(),
        "header_timeout_secs = 2\nidle_timeout_secs = 4\nmax_connections = 64\n",
    );
    assert_eq!(healthz(port).0, 200);

    let flood_started = Instant::now();
    let idle: Vec<TcpStream> = (0..200)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    let slow: Vec<_> = (0..4).map(|_| slow_header(port)).collect();
    std::thread::sleep(Duration::from_millis(300));

    let (status, took) = healthz(port);
    assert_eq!(status, 200, "a normal reader is served during the flood");
    assert!(took < Duration::from_secs(1), "served in {took:?}");

    for handle in slow {
        let closed_after = handle.join().unwrap().expect("a slow header is cut off");
        assert!(
            closed_after >= Duration::from_millis(1500) && closed_after < Duration::from_secs(4),
            "slow header closed after {closed_after:?}; the header timeout is 2 s"
        );
    }

    // The header timeout has passed but not the idle timeout: the idle sockets that still hold
    // a slot (the cap, less those closed to make room) are open.
    assert!(flood_started.elapsed() < Duration::from_millis(3500));
    let open = idle.iter().filter(|s| !closed(s)).count();
    assert!(
        (32..=64).contains(&open),
        "{open} idle sockets open before the idle timeout (cap 64)"
    );
    assert_eq!(healthz(port).0, 200);

    std::thread::sleep(Duration::from_secs(4).saturating_sub(flood_started.elapsed()));
    std::thread::sleep(Duration::from_millis(1500));
    let open = idle.iter().filter(|s| !closed(s)).count();
    assert_eq!(open, 0, "idle sockets still open after the idle timeout");
    assert_eq!(healthz(port).0, 200);
}

#[test]
fn when_every_connection_is_busy_a_new_one_is_refused_and_stalled_bodies_are_cut() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, port) = serve(
        dir.path(),
        "header_timeout_secs = 2\nidle_timeout_secs = 3\nmax_connections = 8\n",
    );
    // Eight requests whose bodies never come: each is busy, so none can be closed to make room.
    let started = Instant::now();
    let stalled: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.write_all(
                b"POST /admin/login HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                  Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nuser",
            )
            .unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let mut refused = TcpStream::connect(("127.0.0.1", port)).unwrap();
    refused
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut answer = String::new();
    let _ = refused.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 503 Service Unavailable")
            && answer.contains("Retry-After: ")
            && answer.contains("Connection: close"),
        "{answer:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));

    // Nothing moves on the stalled requests: they are closed at the idle timeout, and the
    // server serves again.
    std::thread::sleep(Duration::from_secs(3).saturating_sub(started.elapsed()));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(stalled.iter().filter(|s| !closed(s)).count(), 0);
    assert_eq!(healthz(port).0, 200);
}
