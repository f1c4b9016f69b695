//! The index on disk: reopening, detecting what needs a rebuild, rebuilding while searching,
//! one process per folder, changes in sequence.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use pressroom_search::{FORMAT_VERSION, RebuildReason, SearchError, SearchIndex, Update};

use crate::fixtures::{BUILT_AT, archive, archive_index, found_set};

fn reopen(dir: &Path) -> (SearchIndex, Option<RebuildReason>) {
    let opened = SearchIndex::open(dir).expect("open");
    (opened.index, opened.rebuild)
}

/// The folder of the generation being served.
fn generation(dir: &Path) -> PathBuf {
    let name = fs::read_to_string(dir.join("CURRENT")).expect("CURRENT");
    dir.join(name.trim())
}

/// The largest file of the served generation: a segment file, not the metadata.
fn largest_segment_file(dir: &Path) -> PathBuf {
    let mut files: Vec<(u64, PathBuf)> = fs::read_dir(generation(dir))
        .expect("generation folder")
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().ends_with(".json"))
        .map(|e| (e.metadata().expect("metadata").len(), e.path()))
        .collect();
    files.sort();
    files.pop().expect("a segment file").1
}

#[test]
fn the_index_is_shared_across_threads() {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<SearchIndex>();
}

#[test]
fn a_new_folder_needs_a_build_and_serves_nothing_meanwhile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (index, rebuild) = reopen(&dir.path().join("search"));
    assert_eq!(rebuild, Some(RebuildReason::Missing));
    assert_eq!(index.last_seq(), None);
    assert_eq!(found_set(&index, "border", None), Vec::<i64>::new());
    let refused = index.apply(0, 1, [Update::Delete(1)]);
    assert!(
        matches!(refused, Err(SearchError::OutOfSequence { at: None, .. })),
        "{refused:?}"
    );
}

#[test]
fn reopening_keeps_documents_and_the_last_sequence() {
    let (dir, index) = archive_index();
    let path = index.dir().to_owned();
    assert_eq!(index.last_seq(), Some(BUILT_AT));
    index
        .apply(BUILT_AT, BUILT_AT + 5, [Update::Delete(42)])
        .expect("apply");
    drop(index);
    let (index, rebuild) = reopen(&path);
    assert_eq!(rebuild, None);
    assert_eq!(index.last_seq(), Some(BUILT_AT + 5));
    assert_eq!(found_set(&index, "border", Some("en")), [12, 72]);
    drop(dir);
}

#[test]
fn changes_apply_only_in_sequence() {
    let (_dir, index) = archive_index();
    let gap = index.apply(BUILT_AT + 1, BUILT_AT + 2, [Update::Delete(12)]);
    assert!(
        matches!(gap, Err(SearchError::OutOfSequence { given, at: Some(at) }) if given == BUILT_AT + 1 && at == BUILT_AT),
        "{gap:?}"
    );
    let backwards = index.apply(BUILT_AT, BUILT_AT - 1, [Update::Delete(12)]);
    assert!(backwards.is_err());
    assert_eq!(
        found_set(&index, "border", Some("en")),
        [12, 42, 72],
        "nothing applied"
    );
    // A bad document refuses its whole batch.
    let mut bad = archive().remove(0);
    bad.lang = "not a language".into();
    let refused = index.apply(
        BUILT_AT,
        BUILT_AT + 1,
        [Update::Delete(12), Update::Upsert(bad)],
    );
    assert!(matches!(
        refused,
        Err(SearchError::BadDocument {
            translation_id: 11,
            ..
        })
    ));
    assert_eq!(index.last_seq(), Some(BUILT_AT));
    assert_eq!(found_set(&index, "border", Some("en")), [12, 42, 72]);
}

#[test]
fn a_second_process_is_refused_the_folder() {
    let (_dir, index) = archive_index();
    let second = SearchIndex::open(index.dir());
    assert!(matches!(second, Err(SearchError::Busy(_))), "{second:?}");
    let path = index.dir().to_owned();
    drop(index);
    assert!(
        SearchIndex::open(&path).is_ok(),
        "the lock goes with the index"
    );
}

#[test]
fn a_damaged_segment_file_is_detected() {
    let (_dir, index) = archive_index();
    let path = index.dir().to_owned();
    drop(index);
    let file = largest_segment_file(&path);
    let mut bytes = fs::read(&file).expect("read");
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 16] {
        *b ^= 0x5a;
    }
    fs::write(&file, &bytes).expect("write");
    let (index, rebuild) = reopen(&path);
    assert!(
        matches!(rebuild, Some(RebuildReason::Corrupt(_))),
        "{rebuild:?}"
    );
    assert_eq!(index.last_seq(), None);
    assert_eq!(found_set(&index, "border", None), Vec::<i64>::new());
    // Rebuilding brings it back.
    let rows = archive().into_iter().map(Ok::<_, std::io::Error>);
    index
        .rebuild(rows, 11, BUILT_AT, |_, _| {})
        .expect("rebuild");
    assert_eq!(found_set(&index, "border", Some("en")), [12, 42, 72]);
}

#[test]
fn a_truncated_segment_file_or_garbage_metadata_is_detected() {
    let (_dir, index) = archive_index();
    let path = index.dir().to_owned();
    drop(index);
    let file = largest_segment_file(&path);
    let len = fs::metadata(&file).expect("metadata").len();
    fs::OpenOptions::new()
        .write(true)
        .open(&file)
        .and_then(|f| f.set_len(len / 3))
        .expect("truncate");
    let (index, rebuild) = reopen(&path);
    assert!(
        matches!(rebuild, Some(RebuildReason::Corrupt(_))),
        "{rebuild:?}"
    );
    let rows = archive().into_iter().map(Ok::<_, std::io::Error>);
    index
        .rebuild(rows, 11, BUILT_AT, |_, _| {})
        .expect("rebuild");
    drop(index);

    fs::write(generation(&path).join("meta.json"), "{not json").expect("write");
    let (index, rebuild) = reopen(&path);
    assert!(
        matches!(rebuild, Some(RebuildReason::Corrupt(_))),
        "{rebuild:?}"
    );
    drop(index);

    fs::write(path.join("CURRENT"), "../../etc\n").expect("write");
    let (_index, rebuild) = reopen(&path);
    assert!(
        matches!(rebuild, Some(RebuildReason::Corrupt(_))),
        "{rebuild:?}"
    );
}

#[test]
fn an_index_of_an_older_format_is_detected() {
    let (_dir, index) = archive_index();
    let path = index.dir().to_owned();
    drop(index);
    // What an older version would have committed: the same files, format 0 in the payload.
    let old = tantivy::Index::open_in_dir(generation(&path)).expect("tantivy opens it");
    let mut writer: tantivy::IndexWriter = old.writer(15_000_000).expect("writer");
    let mut commit = writer.prepare_commit().expect("prepare");
    commit.set_payload(r#"{"format":0,"seq":3}"#);
    commit.commit().expect("commit");
    drop(writer);
    let (index, rebuild) = reopen(&path);
    assert_eq!(
        rebuild,
        Some(RebuildReason::Format {
            found: 0,
            expected: FORMAT_VERSION
        })
    );
    assert_eq!(index.last_seq(), None);
    assert!(rebuild.is_some_and(|r| r.to_string().contains("format 0")));
}

#[test]
fn a_rebuild_swaps_in_while_searches_keep_being_answered() {
    let (_dir, index) = archive_index();
    let path = index.dir().to_owned();
    let old_generation = generation(&path);
    let stop = Arc::new(AtomicBool::new(false));
    let searches = Arc::new(AtomicUsize::new(0));
    let searcher = {
        let (index, stop, searches) = (index.clone(), stop.clone(), searches.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let ids = found_set(&index, "border", Some("en"));
                // Old index, or new one (where 12 is corrected away): never empty, never an error.
                assert!(ids == [12, 42, 72] || ids == [42, 72], "{ids:?}");
                searches.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let mut docs = archive();
    docs[1].title = "Azerbaijan and Iran discuss river issues".into();
    docs[1].body_markdown = "The ministers discussed the river.".into();
    let total = docs.len() as u64;
    let during = index.clone();
    let rows = docs.into_iter().map(move |d| {
        // While the new index is written, the old one answers.
        assert_eq!(found_set(&during, "border", Some("en")), [12, 42, 72]);
        std::thread::sleep(std::time::Duration::from_millis(5));
        Ok::<_, std::io::Error>(d)
    });
    let mut reports = Vec::new();
    let stats = index
        .rebuild(rows, total, 77, |done, total| reports.push((done, total)))
        .expect("rebuild");
    stop.store(true, Ordering::SeqCst);
    searcher.join().expect("the searching thread never failed");
    assert!(searches.load(Ordering::SeqCst) > 0);
    assert_eq!(stats.indexed, 11);
    assert_eq!(reports.first(), Some(&(0, 11)));
    assert_eq!(reports.last(), Some(&(11, 11)));
    assert_eq!(index.last_seq(), Some(77));
    assert_eq!(found_set(&index, "border", Some("en")), [42, 72]);
    assert_eq!(found_set(&index, "river", Some("en")), [12]);
    assert!(
        !old_generation.exists(),
        "the old generation is removed after the swap"
    );
    drop(index);
    let (index, rebuild) = reopen(&path);
    assert_eq!((rebuild, index.last_seq()), (None, Some(77)));
}

#[test]
fn a_failed_rebuild_leaves_the_old_index_serving() {
    let (_dir, index) = archive_index();
    let path = index.dir().to_owned();
    let served = generation(&path);
    let rows = archive().into_iter().enumerate().map(|(i, d)| {
        if i == 5 {
            Err(std::io::Error::other("the database went away"))
        } else {
            Ok(d)
        }
    });
    let failed = index.rebuild(rows, 11, 99, |_, _| {});
    assert!(matches!(failed, Err(SearchError::Source(_))), "{failed:?}");
    assert_eq!(index.last_seq(), Some(BUILT_AT));
    assert_eq!(found_set(&index, "border", Some("en")), [12, 42, 72]);
    assert_eq!(generation(&path), served);
    let folders = fs::read_dir(&path)
        .expect("folder")
        .flatten()
        .filter(|e| e.path().is_dir())
        .count();
    assert_eq!(folders, 1, "the half-built generation is removed");
}

#[test]
fn a_bad_document_is_skipped_by_a_rebuild_and_reported() {
    let (_dir, index) = archive_index();
    let mut docs = archive();
    docs[3].kind = String::new();
    let rows = docs.into_iter().map(Ok::<_, std::io::Error>);
    let stats = index.rebuild(rows, 11, 12, |_, _| {}).expect("rebuild");
    assert_eq!(stats.indexed, 10);
    assert_eq!(stats.skipped.len(), 1);
    assert_eq!(stats.skipped[0].0, 22);
    assert!(stats.skipped[0].1.contains("kind"), "{:?}", stats.skipped);
}
