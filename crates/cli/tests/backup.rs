//! `pressroom backup` and `pressroom restore` as an operator runs them: a backup of the demo
//! taken while it serves, restored into a new folder (and, with a test server, into
//! PostgreSQL and from there back to SQLite), serves the same public pages byte for byte and
//! its publication log verifies; a restore into a site, of a cut-short, damaged or newer
//! file, or one that fails halfway, says what is wrong and leaves the target as it was.

mod common;

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use bytes::Bytes;
use pressroom_core::signing::to_hex;
use pressroom_media::storage::LocalFolder;
use pressroom_media::{MediaKey, Storage};
use pressroom_store::testing::TestDb;
use pressroom_store::{Backend, Store, StoreError};
use sha2::{Digest, Sha256};

const BIN: &str = env!("CARGO_BIN_EXE_pressroom");

/// Every site in these tests claims one address, so pages from different ports compare.
const BASE_URL: &str = "http://press.example.org";

fn pressroom(data: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("--data").arg(data).args(args);
    for var in [
        "PRESSROOM_LISTEN",
        "PRESSROOM_DATA_DIR",
        "PRESSROOM_DATABASE_URL",
        "PRESSROOM_CONFIG",
        "PRESSROOM_MEDIA_STORE",
        "PRESSROOM_SIGNING_KEY",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("PRESSROOM_BASE_URL", BASE_URL)
        .env("PRESSROOM_LOG", "warn");
    cmd
}

#[track_caller]
fn succeeds(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command that must fail; returns its standard error.
#[track_caller]
fn fails(cmd: &mut Command) -> String {
    let out: Output = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn start(cmd: &mut Command) -> (Child, u16) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let port = common::listening_port(&mut child);
    (child, port)
}

fn stop(mut child: Child) {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}

/// The public pages a reader sees, by path: status and body.
fn pages(port: u16, paths: &[String]) -> Vec<(String, u16, String)> {
    paths
        .iter()
        .map(|p| {
            let (status, body) = common::call(port, "GET", p, "", None).expect(p);
            (p.clone(), status, body)
        })
        .collect()
}

/// Every page type of the public site, with a release found through its listing.
fn paths_of(port: u16, media: &MediaKey) -> Vec<String> {
    let (_, listing) = common::call(port, "GET", "/en/releases/", "", None).unwrap();
    let release = listing
        .split("href=\"/en/releases/2026/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a release in the listing");
    [
        "/en/",
        "/az/",
        "/ru/releases/",
        "/en/releases/",
        &format!("/en/releases/2026/{release}"),
        "/en/releases/2026/",
        "/en/feed.atom",
        "/ru/feed.json",
        "/sitemap.xml",
        "/en/pages/privacy",
        "/.well-known/pressroom/keys.json",
        "/.well-known/pressroom/log",
        &format!("/media/{media}"),
    ]
    .iter()
    .map(|p| p.to_string())
    .collect()
}

#[track_caller]
fn same_pages(expected: &[(String, u16, String)], port: u16, what: &str) {
    let paths: Vec<String> = expected.iter().map(|(p, _, _)| p.clone()).collect();
    for ((path, status, body), (_, s, b)) in expected.iter().zip(pages(port, &paths)) {
        assert_eq!((*status, body), (s, &b), "{path} after {what}");
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_site_serves_the_same_pages_on_sqlite_and_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir(&site).unwrap();
    std::fs::write(site.join("pressroom.toml"), "page_cache_mb = 16\n").unwrap();
    let (demo, port) = start(&mut pressroom(&site, &["demo", "--listen", "127.0.0.1:0"]));
    let photo = b"not really a JPEG, but bytes to keep".to_vec();
    let (media, _) = MediaKey::for_content(&photo, "photo", "jpg");
    LocalFolder::new(&site.join("media"))
        .put(&media, Bytes::from(photo))
        .await
        .unwrap();
    let paths = paths_of(port, &media);
    let before = pages(port, &paths);
    for (path, status, _) in &before {
        assert_eq!(*status, 200, "{path}");
    }

    // Taken while the demo serves.
    let file = dir.path().join("site.tar.gz");
    let said = succeeds(&mut pressroom(&site, &["backup", file.to_str().unwrap()]));
    assert!(
        said.contains("1 media file(s)") && said.contains("mode 0600"),
        "{said}"
    );
    assert_eq!(mode(&file), 0o600, "the backup holds the key");
    assert!(!dir.path().join("site.tar.gz.partial").exists());
    stop(demo);

    let copy = dir.path().join("copy");
    let said = succeeds(&mut pressroom(&copy, &["restore", file.to_str().unwrap()]));
    assert!(said.contains("Restored"), "{said}");
    assert_eq!(mode(&copy.join("keys/signing.key")), 0o600);
    assert_eq!(
        mode(&copy.join("pressroom.toml")),
        0o600,
        "the config may hold secrets"
    );
    assert_eq!(
        std::fs::read_to_string(copy.join("pressroom.toml")).unwrap(),
        "page_cache_mb = 16\n"
    );
    let verified = succeeds(&mut pressroom(&copy, &["log", "verify"]));
    assert!(verified.contains("intact"), "{verified}");
    let (server, port) = start(&mut pressroom(&copy, &["serve", "--listen", "127.0.0.1:0"]));
    same_pages(&before, port, "a restore into SQLite");
    stop(server);

    // SQLite → PostgreSQL → SQLite, each through a backup file.
    let Some(pg) = TestDb::empty(Backend::Postgres).await else {
        return;
    };
    let on_pg = dir.path().join("on-pg");
    let restored = pressroom(
        &on_pg,
        &["restore", file.to_str().unwrap(), "--database", &pg.url],
    )
    .output()
    .unwrap();
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let with_pg = |args: &[&str]| {
        let mut cmd = pressroom(&on_pg, args);
        cmd.env("PRESSROOM_DATABASE_URL", &pg.url);
        cmd
    };
    assert!(succeeds(&mut with_pg(&["log", "verify"])).contains("intact"));
    let (server, port) = start(&mut with_pg(&["serve", "--listen", "127.0.0.1:0"]));
    same_pages(&before, port, "a restore into PostgreSQL");
    stop(server);
    let from_pg = dir.path().join("from-pg.tar.gz");
    succeeds(&mut with_pg(&["backup", from_pg.to_str().unwrap()]));
    let back = dir.path().join("back");
    succeeds(&mut pressroom(
        &back,
        &["restore", from_pg.to_str().unwrap()],
    ));
    let (server, port) = start(&mut pressroom(&back, &["serve", "--listen", "127.0.0.1:0"]));
    same_pages(&before, port, "SQLite → PostgreSQL → SQLite");
    stop(server);
}

/// Every row of the site's database, in table order: what "unchanged" is compared by.
async fn rows(data: &Path) -> Vec<Vec<pressroom_store::DumpRow>> {
    let store = Store::connect(&format!(
        "sqlite://{}?mode=rw",
        data.join("pressroom.db").display()
    ))
    .await
    .unwrap();
    let mut snapshot = store.snapshot().await.unwrap();
    let mut all = Vec::new();
    for table in snapshot.tables() {
        let mut rows = Vec::new();
        snapshot
            .rows::<StoreError>(table.name, |r| {
                rows.push(r);
                Ok(())
            })
            .await
            .unwrap();
        all.push(rows);
    }
    snapshot.finish().await.unwrap();
    store.close().await;
    all
}

/// The members of a backup file, in order.
fn members(file: &Path) -> Vec<(String, Vec<u8>)> {
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(file).unwrap());
    let mut archive = tar::Archive::new(gz);
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let path = e.path().unwrap().to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            e.read_to_end(&mut bytes).unwrap();
            (path, bytes)
        })
        .collect()
}

/// Writes `members` as a backup file; with `fix`, the manifest's checksums are made to match
/// (a file someone edited with care rather than a damaged one).
fn write_members(file: &Path, mut members: Vec<(String, Vec<u8>)>, fix: bool) {
    if fix {
        let mut manifest: serde_json::Value = serde_json::from_slice(&members[0].1).unwrap();
        for (i, (path, bytes)) in members.iter().enumerate().skip(1) {
            let entry = &mut manifest["members"][i - 1];
            assert_eq!(entry["path"], path.as_str());
            entry["size"] = bytes.len().into();
            entry["sha256"] = to_hex(&Sha256::digest(bytes)).into();
            if let Some(table) = path
                .strip_prefix("db/")
                .and_then(|p| p.strip_suffix(".jsonl"))
            {
                let lines = bytes.iter().filter(|b| **b == b'\n').count();
                for t in manifest["tables"].as_array_mut().unwrap() {
                    if t["name"] == table {
                        t["rows"] = lines.into();
                    }
                }
            }
        }
        members[0].1 = serde_json::to_vec(&manifest).unwrap();
    }
    let out = std::fs::File::create(file).unwrap();
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        out,
        flate2::Compression::fast(),
    ));
    for (path, bytes) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o600);
        tar.append_data(&mut header, path, &bytes[..]).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

fn with_manifest(
    members: &[(String, Vec<u8>)],
    key: &str,
    value: serde_json::Value,
) -> Vec<(String, Vec<u8>)> {
    let mut changed = members.to_vec();
    let mut manifest: serde_json::Value = serde_json::from_slice(&changed[0].1).unwrap();
    manifest[key] = value;
    changed[0].1 = serde_json::to_vec(&manifest).unwrap();
    changed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_refuses_what_it_cannot_restore_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    succeeds(&mut pressroom(&site, &["init", "--admin", "chief"]));
    let file = dir.path().join("site.tar.gz");
    succeeds(&mut pressroom(&site, &["backup", file.to_str().unwrap()]));
    let good = members(&file);
    assert_eq!(good[0].0, "manifest.json", "the manifest comes first");

    // Into a folder that holds a site: nothing of it changes.
    let before = rows(&site).await;
    let key = std::fs::read(site.join("keys/signing.key")).unwrap();
    let err = fails(&mut pressroom(&site, &["restore", file.to_str().unwrap()]));
    assert!(
        err.contains("already") && err.contains("Nothing was changed"),
        "{err}"
    );
    assert_eq!(rows(&site).await, before);
    assert_eq!(std::fs::read(site.join("keys/signing.key")).unwrap(), key);
    // A database that holds a site is refused even with the key moved away.
    std::fs::rename(site.join("keys/signing.key"), dir.path().join("key")).unwrap();
    let err = fails(&mut pressroom(&site, &["restore", file.to_str().unwrap()]));
    assert!(
        err.contains("target database already holds data") && err.contains("users"),
        "{err}"
    );
    assert_eq!(rows(&site).await, before);
    assert!(!site.join("keys/signing.key").exists());

    let bytes = std::fs::read(&file).unwrap();
    let cut = dir.path().join("cut.tar.gz");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let flipped = dir.path().join("flipped.tar.gz");
    let mut damaged = bytes.clone();
    damaged[bytes.len() / 2] ^= 0x20;
    std::fs::write(&flipped, &damaged).unwrap();
    // A byte changed inside a member, the archive itself intact: only the checksum tells.
    let edited = dir.path().join("edited.tar.gz");
    let mut changed = good.clone();
    let users = changed
        .iter_mut()
        .find(|(p, _)| p == "db/users.jsonl")
        .unwrap();
    let at = users.1.windows(5).position(|w| w == b"chief").unwrap();
    users.1[at] = b'C';
    write_members(&edited, changed, false);
    let newer_format = dir.path().join("newer-format.tar.gz");
    write_members(
        &newer_format,
        with_manifest(&good, "format_version", 99.into()),
        false,
    );
    let newer_schema = dir.path().join("newer-schema.tar.gz");
    write_members(
        &newer_schema,
        with_manifest(&good, "schema_version", 999.into()),
        false,
    );
    let short = dir.path().join("short.tar.gz");
    write_members(&short, good[..good.len() - 1].to_vec(), false);
    let not_json = dir.path().join("not-json.tar.gz");
    let mut changed = good.clone();
    changed
        .iter_mut()
        .find(|(p, _)| p == "db/settings.jsonl")
        .unwrap()
        .1
        .extend_from_slice(b"{\"key\": \n");
    write_members(&not_json, changed, true);

    for (file, expected) in [
        (&cut, "not a complete Pressroom backup"),
        (&flipped, "not a complete Pressroom backup"),
        (&edited, "`db/users.jsonl` does not match its checksum"),
        (&newer_format, "backup format 99, newer than this pressroom"),
        (
            &newer_schema,
            "schema version 999, newer than this pressroom",
        ),
        (&not_json, "is not a JSON row"),
        (&short, "it ends before `config/pressroom.toml`"),
    ] {
        let target = dir.path().join("target");
        let err = fails(&mut pressroom(
            &target,
            &["restore", file.to_str().unwrap()],
        ));
        assert!(
            err.contains(expected) && err.contains("Nothing was changed"),
            "{}: {err}",
            file.display()
        );
        assert!(!target.exists(), "{} created the target", file.display());
    }

    // Consistent checksums and counts, but a row twice (its primary key taken): the load
    // fails halfway, after earlier tables went in, and everything it wrote goes.
    let broken = dir.path().join("broken.tar.gz");
    let mut changed = good.clone();
    let audit = changed
        .iter_mut()
        .find(|(p, _)| p == "db/audit_log.jsonl")
        .unwrap();
    let first_line = audit
        .1
        .split_inclusive(|b| *b == b'\n')
        .next()
        .unwrap()
        .to_vec();
    audit.1.extend_from_slice(&first_line);
    write_members(&broken, changed, true);
    let target = dir.path().join("target");
    let err = fails(&mut pressroom(
        &target,
        &["restore", broken.to_str().unwrap()],
    ));
    assert!(err.contains("the restore failed and was undone"), "{err}");
    let left: Vec<PathBuf> = std::fs::read_dir(&target)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");

    // The good file still restores there.
    succeeds(&mut pressroom(
        &target,
        &["restore", file.to_str().unwrap()],
    ));
    assert_eq!(rows(&target).await, before);
}

/// Media in an S3 bucket: backed up from one prefix, restored into another (which must be
/// empty: a second restore there is refused).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_in_s3_are_backed_up_and_restored() {
    let Some(moto) = common::Moto::start("press-media") else {
        return;
    };
    let in_s3 = |data: &Path, prefix: &str, args: &[&str]| {
        let mut cmd = pressroom(data, args);
        cmd.envs(moto.env()).env(
            "PRESSROOM_MEDIA_STORE",
            format!("s3://press-media/{prefix}"),
        );
        cmd
    };
    let bucket = |prefix: &str| {
        pressroom_media::storage::S3Storage::new(&pressroom_media::storage::S3Settings {
            bucket: "press-media".into(),
            prefix: prefix.into(),
            endpoint: Some(format!("http://127.0.0.1:{}", moto.port)),
            region: Some("us-east-1".into()),
            access_key_id: Some("testing".into()),
            secret_access_key: Some("testing".into()),
            allow_http: true,
        })
        .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    succeeds(&mut in_s3(&site, "old", &["init"]));
    let photo = b"a banner's bytes".to_vec();
    let (key, _) = MediaKey::for_content(&photo, "banner", "webp");
    bucket("old")
        .put(&key, Bytes::from(photo.clone()))
        .await
        .unwrap();
    let file = dir.path().join("site.tar.gz");
    let said = succeeds(&mut in_s3(
        &site,
        "old",
        &["backup", file.to_str().unwrap()],
    ));
    assert!(said.contains("1 media file(s)"), "{said}");

    let copy = dir.path().join("copy");
    succeeds(&mut in_s3(
        &copy,
        "new",
        &["restore", file.to_str().unwrap()],
    ));
    assert_eq!(
        bucket("new").get(&key).await.unwrap().as_deref(),
        Some(&photo[..])
    );
    let again = dir.path().join("again");
    let err = fails(&mut in_s3(
        &again,
        "new",
        &["restore", file.to_str().unwrap()],
    ));
    assert!(
        err.contains("s3://press-media/new already holds 1 file(s)"),
        "{err}"
    );
    assert!(!again.exists());
}
