//! SQLite on a full disk: writes fail cleanly while it is full, leave nothing half-written,
//! and work again by themselves within seconds of space returning.
//!
//! The test mounts a small tmpfs, which needs root; elsewhere it says so and skips (CI runs as
//! root, and with `PRESSROOM_REQUIRE_TOOLS` set a failed mount fails the test).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use pressroom_store::testing::{TestDb, sample_text};
use pressroom_store::{By, NewRelease};

/// A tmpfs of a few MiB, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(mib: u32) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(Self { dir }),
            other => {
                let why = match other {
                    Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_owned(),
                    Err(e) => e.to_string(),
                };
                assert!(
                    std::env::var("PRESSROOM_REQUIRE_TOOLS").is_err(),
                    "cannot mount a tmpfs for the disk-full test: {why}"
                );
                eprintln!("skipping the disk-full test: cannot mount a tmpfs ({why}); run as root");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the disk to the last byte with a file of its own.
    fn fill(&self) -> PathBuf {
        let filler = self.path().join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let block = vec![0xA5_u8; 64 << 10];
        while file.write_all(&block).is_ok() {}
        let small = [0xA5_u8; 512];
        while file.write_all(&small).is_ok() {}
        while file.write_all(&[0xA5]).is_ok() {}
        let _ = file.sync_all();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

fn new_release(title: &str) -> NewRelease {
    NewRelease {
        kind: "press-release".into(),
        lang: "en".into(),
        input: sample_text(title),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_recover_by_themselves_after_the_disk_was_full() {
    let Some(disk) = SmallDisk::mount(8) else {
        return;
    };
    let db = TestDb::sqlite_in(disk.path()).await;
    let people = db.people().await;
    let before = db
        .draft("press-release", "en", sample_text("Before"), &people.author)
        .await;
    db.submit_and_approve(before.translation.id, &people, Timestamp::now())
        .await;

    let filler = disk.fill();
    // While the disk is full every write fails, with an error and not a panic; enough of them
    // that each pooled connection meets the failure.
    let body = "A long paragraph that needs pages of its own. ".repeat(400);
    let mut failures = 0;
    for i in 0..40 {
        let mut new = new_release(&format!("While full {i}"));
        new.input.body = body.clone();
        if db
            .store
            .create_release(&new, By::User(&people.author))
            .await
            .is_err()
        {
            failures += 1;
        }
    }
    assert!(failures > 0, "the disk was full but every write succeeded");

    std::fs::remove_file(filler).unwrap();
    let started = Instant::now();
    let after = loop {
        match db
            .store
            .create_release(&new_release("After"), By::User(&people.author))
            .await
        {
            Ok(detail) => break detail,
            Err(e) if started.elapsed() < Duration::from_secs(10) => {
                eprintln!("not yet writable: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("writes did not recover within 10 s of space returning: {e}"),
        }
    };
    // Every connection in the pool writes again, not just one: a run of writes and a
    // publication (number 2 follows number 1: nothing from the full disk took a number).
    for i in 0..20 {
        db.store
            .create_release(
                &new_release(&format!("Later {i}")),
                By::User(&people.author),
            )
            .await
            .unwrap_or_else(|e| panic!("write {i} after recovery failed: {e}"));
    }
    db.submit_and_approve(after.translation.id, &people, Timestamp::now())
        .await;
    let release = db.store.release(after.release.id).await.unwrap();
    assert_eq!(release.number.map(|n| n.seq), Some(2));
    db.store.ping().await.unwrap();
}
