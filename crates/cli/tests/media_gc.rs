//! `pressroom media gc` as an operator runs it: the dry run lists and changes nothing; the real
//! run deletes only files no revision shows (and files stored but never recorded), never a
//! file a revision shows and never a file Pressroom did not name.

use std::path::Path;
use std::process::{Command, Output};

use bytes::Bytes;
use pressroom_core::media::{
    AltText, BannerVariant, CropKind, FocalPoint, MediaFile, MediaKind, NewBanner, Rect,
    RevisionMedia, VariantFormat,
};
use pressroom_core::release::RevisionInput;
use pressroom_media::storage::LocalFolder;
use pressroom_media::{MediaKey, Storage};
use pressroom_store::{By, NewRelease, Store};

const BIN: &str = env!("CARGO_BIN_EXE_pressroom");

fn pressroom(data: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
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
    cmd.env("PRESSROOM_LOG", "warn").output().unwrap()
}

/// Stores `content` as `name.ext` and returns its record.
async fn stored(folder: &LocalFolder, content: &str, name: &str, kind: MediaKind) -> MediaFile {
    let (key, sha256) = MediaKey::for_content(content.as_bytes(), name, "jpg");
    folder
        .put(&key, Bytes::from(content.to_owned()))
        .await
        .unwrap();
    MediaFile {
        key: key.to_string(),
        sha256,
        kind,
        mime: "image/jpeg".into(),
        size: content.len() as u64,
        width: Some(1200),
        height: Some(400),
    }
}

async fn banner(folder: &LocalFolder, tag: &str) -> NewBanner {
    let source = stored(
        folder,
        &format!("{tag} source"),
        "source",
        MediaKind::Source,
    )
    .await;
    let file = stored(
        folder,
        &format!("{tag} desktop"),
        "desktop-1200",
        MediaKind::Variant,
    )
    .await;
    let rect = Rect {
        x: 0,
        y: 0,
        width: 1200,
        height: 400,
    };
    NewBanner {
        release_id: None,
        source,
        mobile_source: None,
        focal: Some(FocalPoint::CENTRE),
        desktop_crop: rect,
        mobile_crop: rect,
        alt: AltText::new(),
        variants: vec![BannerVariant {
            crop: CropKind::Desktop,
            format: VariantFormat::Jpeg,
            width: 1200,
            height: 400,
            file,
        }],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gc_deletes_only_what_no_revision_shows_and_dry_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let init = Command::new(BIN)
        .arg("--data")
        .arg(data)
        .args(["init", "--admin", "chief"])
        .env("PRESSROOM_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );

    let store = Store::open(&format!(
        "sqlite://{}?mode=rwc",
        data.join("pressroom.db").display()
    ))
    .await
    .unwrap();
    let chief = store.user_by_name("chief").await.unwrap();
    let folder = LocalFolder::new(&data.join("media"));
    let new = NewRelease {
        kind: "press-release".into(),
        lang: "en".into(),
        input: RevisionInput {
            title: "Kept".into(),
            lead: "Lead.".into(),
            body: "Body.".into(),
            ..Default::default()
        },
    };
    let draft = store.create_release(&new, By::User(&chief)).await.unwrap();
    let kept = store
        .create_banner(&banner(&folder, "kept").await, By::User(&chief))
        .await
        .unwrap();
    store
        .attach_media(
            draft.head.id,
            &RevisionMedia {
                banner: Some(kept.id),
                attachments: vec![],
            },
            By::User(&chief),
        )
        .await
        .unwrap();
    let lost = store
        .create_banner(&banner(&folder, "lost").await, By::User(&chief))
        .await
        .unwrap();
    // A file stored by an upload that never got recorded, and files that are not Pressroom's.
    let unrecorded = stored(&folder, "interrupted upload", "source", MediaKind::Source).await;
    std::fs::write(data.join("media/README.txt"), "operator's notes").unwrap();
    let stray_dir = data
        .join("media")
        .join(kept.spec.source.key.split('/').next().unwrap());
    std::fs::write(stray_dir.join("notes.txt"), "not a media key").unwrap();
    store.close().await;
    std::thread::sleep(std::time::Duration::from_millis(20));

    let before = folder.list().await.unwrap();
    let dry = pressroom(data, &["media", "gc", "--dry-run", "--min-age-hours", "0"]);
    let out = String::from_utf8_lossy(&dry.stdout);
    assert!(
        dry.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    for key in [
        &lost.spec.source.key,
        &lost.spec.variants[0].file.key,
        &unrecorded.key,
    ] {
        assert!(
            out.contains(&format!("Would delete {key}")),
            "{key} in\n{out}"
        );
    }
    assert!(!out.contains(&kept.spec.source.key), "{out}");
    assert!(
        out.contains("Would delete 3 file(s)") && out.contains("1 unused banner(s)"),
        "{out}"
    );
    assert!(out.contains("Nothing was changed"));
    assert_eq!(
        folder.list().await.unwrap(),
        before,
        "the dry run deleted nothing"
    );

    // The default age spares today's uploads.
    let young = pressroom(data, &["media", "gc"]);
    assert!(String::from_utf8_lossy(&young.stdout).contains("Nothing to delete"));

    let real = pressroom(data, &["media", "gc", "--min-age-hours", "0"]);
    let out = String::from_utf8_lossy(&real.stdout);
    assert!(
        real.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&real.stderr)
    );
    assert!(out.contains("Deleted 3 file(s)"), "{out}");
    let left: Vec<String> = folder
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert!(left.contains(&kept.spec.source.key) && left.contains(&kept.spec.variants[0].file.key));
    assert!(!left.contains(&lost.spec.source.key) && !left.contains(&unrecorded.key));
    assert!(
        left.iter().any(|k| k.ends_with("/notes.txt")),
        "foreign files stay: {left:?}"
    );
    assert!(data.join("media/README.txt").is_file());

    let store = Store::open(&format!(
        "sqlite://{}?mode=rwc",
        data.join("pressroom.db").display()
    ))
    .await
    .unwrap();
    assert_eq!(
        store
            .revision_media(draft.head.id)
            .await
            .unwrap()
            .banner
            .unwrap()
            .id,
        kept.id
    );
    store.close().await;
    let again = pressroom(data, &["media", "gc", "--min-age-hours", "0"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("Nothing to delete"));
}

#[test]
fn a_bad_media_store_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("--data")
        .arg(dir.path())
        .args(["media", "gc", "--dry-run"])
        .env("PRESSROOM_MEDIA_STORE", "ftp://media.example.org")
        .env("PRESSROOM_LOG", "warn");
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("media_store"));
}

#[test]
fn help_lists_the_media_commands() {
    let out = Command::new(BIN)
        .args(["media", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && help.contains("gc"), "{help}");
    let out = Command::new(BIN)
        .args(["media", "gc", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("--dry-run") && help.contains("--min-age-hours"),
        "{help}"
    );
}
