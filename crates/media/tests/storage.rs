//! The storage contract, run against a local folder and against a real S3-compatible server
//! (moto, from PyPI) started on a free loopback port by the test itself. Without moto the S3
//! test skips with a message; with `PRESSROOM_REQUIRE_TOOLS=1` (as CI sets it) it fails.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use pressroom_media::storage::{LocalFolder, S3Settings, S3Storage};
use pressroom_media::{MediaKey, Storage};

fn key(content: &[u8], name: &str, ext: &str) -> MediaKey {
    MediaKey::for_content(content, name, ext).0
}

/// What every store must do.
async fn contract(store: &dyn Storage) {
    let photo = key(b"photo bytes", "desktop-1200", "webp");
    let report = key(b"report bytes", "annual-report", "pdf");
    assert_eq!(store.get(&photo).await.unwrap(), None, "empty at first");
    assert!(store.list().await.unwrap().is_empty());

    let before = SystemTime::now() - Duration::from_secs(5);
    store
        .put(&photo, Bytes::from_static(b"photo bytes"))
        .await
        .unwrap();
    store
        .put(&report, Bytes::from_static(b"report bytes"))
        .await
        .unwrap();
    // Content-addressed: writing the same key again is harmless.
    store
        .put(&photo, Bytes::from_static(b"photo bytes"))
        .await
        .unwrap();
    assert_eq!(
        store.get(&photo).await.unwrap().as_deref(),
        Some(&b"photo bytes"[..])
    );

    let listed = store.list().await.unwrap();
    let mut keys: Vec<&str> = listed.iter().map(|o| o.key.as_str()).collect();
    keys.sort_unstable();
    let mut expected = vec![photo.as_str(), report.as_str()];
    expected.sort_unstable();
    assert_eq!(keys, expected, "{}", store.describe());
    let report_entry = listed.iter().find(|o| o.key == report.as_str()).unwrap();
    assert_eq!(report_entry.size, 12);
    assert!(
        report_entry.modified > before,
        "modification time is reported"
    );

    store.delete(&photo).await.unwrap();
    store.delete(&photo).await.unwrap();
    assert_eq!(store.get(&photo).await.unwrap(), None);
    assert_eq!(
        store
            .list()
            .await
            .unwrap()
            .iter()
            .map(|o| o.key.as_str())
            .collect::<Vec<_>>(),
        vec![report.as_str()]
    );
    // A larger file survives byte for byte.
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let big_key = key(&big, "source", "jpg");
    store.put(&big_key, Bytes::from(big.clone())).await.unwrap();
    assert_eq!(store.get(&big_key).await.unwrap().unwrap().len(), big.len());
    assert_eq!(store.get(&big_key).await.unwrap().unwrap(), big);
}

#[tokio::test]
async fn a_local_folder_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let folder = LocalFolder::new(&dir.path().join("media"));
    contract(&folder).await;
    // Files are laid out as their URLs; stray files of others are listed, never written over.
    let listed = folder.list().await.unwrap();
    assert!(dir.path().join("media").join(&listed[0].key).is_file());
    assert!(folder.describe().contains("media"));
}

#[tokio::test]
async fn open_chooses_the_store_from_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let default = pressroom_media::storage::open("", dir.path()).unwrap();
    assert!(default.describe().starts_with("folder "));
    let s3 = pressroom_media::storage::open("s3://press-media/site", dir.path()).unwrap();
    assert_eq!(s3.describe(), "s3://press-media/site");
    assert!(pressroom_media::storage::open("s3://", dir.path()).is_err());
    assert!(pressroom_media::storage::open("ftp://x", dir.path()).is_err());
}

/// moto's S3 server on a free loopback port, stopped when dropped.
struct Moto {
    child: Child,
    port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto_missing(why: &str) -> Option<Moto> {
    assert!(
        std::env::var("PRESSROOM_REQUIRE_TOOLS").is_err(),
        "PRESSROOM_REQUIRE_TOOLS is set but moto is missing ({why}): python3 -m pip install 'moto[server]'"
    );
    eprintln!("skipping the S3 test: {why}; install it with python3 -m pip install 'moto[server]'");
    None
}

fn start_moto() -> Option<Moto> {
    let check = Command::new("python3")
        .args(["-c", "import moto.server, flask, flask_cors"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !check.is_ok_and(|s| s.success()) {
        return moto_missing("python3 cannot import moto.server");
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
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
    let moto = Moto { child, port };
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if http(port, "GET", "/").is_some_and(|r| r.starts_with("HTTP/1.")) {
            return Some(moto);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("moto did not answer on 127.0.0.1:{port} within 60 s");
}

/// A bare HTTP/1.1 request on loopback; the status line and headers of the answer.
fn http(port: u16, method: &str, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    Some(answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_s3_compatible_bucket_keeps_the_contract() {
    let Some(moto) = tokio::task::spawn_blocking(start_moto).await.unwrap() else {
        return;
    };
    let created = http(moto.port, "PUT", "/pressroom-media").unwrap_or_default();
    assert!(
        created.starts_with("HTTP/1.1 200"),
        "create bucket: {created}"
    );
    for prefix in ["", "site-a"] {
        let store = S3Storage::new(&S3Settings {
            bucket: "pressroom-media".into(),
            prefix: prefix.into(),
            endpoint: Some(format!("http://127.0.0.1:{}", moto.port)),
            region: Some("us-east-1".into()),
            access_key_id: Some("testing".into()),
            secret_access_key: Some("testing".into()),
            allow_http: true,
        })
        .unwrap();
        if prefix.is_empty() {
            contract(&store).await;
        } else {
            // A second site in the same bucket sees only its own folder.
            assert!(store.list().await.unwrap().is_empty(), "prefix isolates");
            contract(&store).await;
        }
    }
    drop(moto);
}
