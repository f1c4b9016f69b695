//! [`SearchIndex`]: opening, searching, applying changes, rebuilding and swapping.
//!
//! The index serves one *generation* at a time (see [`disk`] for the folder layout). Searches
//! take the current generation's reader — an `Arc` clone under a read lock held for
//! nanoseconds — so they never wait for writing. Writes take the generation's writer mutex:
//! one writer per generation, as tantivy requires. A rebuild builds a whole new generation
//! beside the served one and then swaps it in; until the swap, searches see the old one.

mod disk;

use std::error::Error as StdError;
use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use pressroom_core::release::{ReleaseId, TranslationId};
use tantivy::store::Compressor;
use tantivy::{
    Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy, TantivyDocument, Term,
};

use crate::doc::SearchDoc;
use crate::error::SearchError;
use crate::schema::{Fields, register_tokenizers};
use crate::search::{SearchRequest, SearchResults, run};
use disk::Payload;

/// The version of what is on disk: the schema and every analysis rule. Bump it whenever
/// either changes; an index of another version is rebuilt.
pub const FORMAT_VERSION: u32 = 1;

/// Memory for the writer that applies changes as they come (tantivy's minimum is 15 MB).
const LIVE_WRITER_BYTES: usize = 24_000_000;
/// Memory per indexing thread of a rebuild.
const REBUILD_WRITER_BYTES: usize = 64_000_000;
/// How often a rebuild reports progress, in documents.
const PROGRESS_EVERY: u64 = 500;

/// Why the index must be rebuilt: for the caller to log before rebuilding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RebuildReason {
    /// There is no index yet (a new data folder, or a deleted `search/`).
    Missing,
    /// The index was written by a version with another format.
    Format {
        /// The format found.
        found: u32,
        /// This version's format, [`FORMAT_VERSION`].
        expected: u32,
    },
    /// The index cannot be opened or read: damaged files, a bad `CURRENT`.
    Corrupt(String),
}

impl fmt::Display for RebuildReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RebuildReason::Missing => f.write_str("there is no search index yet"),
            RebuildReason::Format { found, expected } => write!(
                f,
                "the search index has format {found} and this version reads format {expected}"
            ),
            RebuildReason::Corrupt(why) => write!(f, "the search index is damaged ({why})"),
        }
    }
}

/// What [`SearchIndex::open`] found.
#[derive(Debug)]
pub struct Opened {
    /// The index, ready to search. When `rebuild` is set it serves no results until
    /// [`SearchIndex::rebuild`] has run.
    pub index: SearchIndex,
    /// Why a rebuild is needed, if it is.
    pub rebuild: Option<RebuildReason>,
}

/// One change to apply.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "updates are made and consumed a batch at a time; boxing would only burden callers"
)]
pub enum Update {
    /// Adds the translation, or replaces its entry (a correction, a withdrawal).
    Upsert(SearchDoc),
    /// Removes the translation's entry.
    Delete(TranslationId),
    /// Removes every translation of the release.
    DeleteRelease(ReleaseId),
}

/// What a rebuild did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RebuildStats {
    /// Documents indexed.
    pub indexed: u64,
    /// Documents left out, with why (see [`SearchError::BadDocument`]).
    pub skipped: Vec<(TranslationId, String)>,
}

/// One tantivy index, with its reader and writer.
struct Generation {
    /// Its folder's name; `None` for the empty in-memory stand-in served until a rebuild.
    name: Option<String>,
    reader: IndexReader,
    /// `None` once the generation is swapped out.
    writer: Mutex<Option<IndexWriter>>,
    seq: AtomicU64,
}

impl Generation {
    fn new(name: Option<String>, index: &Index, seq: u64) -> Result<Self, SearchError> {
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let writer = index.writer_with_num_threads(1, LIVE_WRITER_BYTES)?;
        Ok(Self {
            name,
            reader,
            writer: Mutex::new(Some(writer)),
            seq: AtomicU64::new(seq),
        })
    }

    /// An empty index in memory: searches answer nothing until a rebuild swaps in a real one.
    fn stand_in() -> Result<Self, SearchError> {
        let index = new_index(None)?;
        Self::new(None, &index, 0)
    }

    fn last_seq(&self) -> Option<u64> {
        self.name.as_ref().map(|_| self.seq.load(Ordering::SeqCst))
    }

    fn writer(&self) -> MutexGuard<'_, Option<IndexWriter>> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn new_index(path: Option<&Path>) -> Result<Index, SearchError> {
    let (schema, _) = Fields::schema();
    let settings = IndexSettings {
        docstore_compression: Compressor::Lz4,
        ..IndexSettings::default()
    };
    let builder = Index::builder().schema(schema).settings(settings);
    let index = match path {
        Some(path) => builder.create_in_dir(path)?,
        None => builder.create_in_ram()?,
    };
    register_tokenizers(&index);
    Ok(index)
}

fn commit(writer: &mut IndexWriter, seq: u64) -> Result<(), SearchError> {
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(
        &Payload {
            format: FORMAT_VERSION,
            seq,
        }
        .to_json(),
    );
    prepared.commit()?;
    Ok(())
}

struct Shared {
    dir: PathBuf,
    fields: Fields,
    current: RwLock<Arc<Generation>>,
    /// One rebuild at a time.
    rebuilding: Mutex<()>,
    /// Held for the folder's lock; released when the last clone of the index is dropped.
    _lock: File,
}

/// The full-text index of published translations. `Send + Sync`, and cheap to clone: clones
/// share one index.
///
/// Searching is quick and never waits for writing. [`apply`](Self::apply) and
/// [`rebuild`](Self::rebuild) are blocking work (disk writes, a commit's fsyncs; a rebuild
/// takes minutes on a large archive): call them from `tokio::task::spawn_blocking` or a
/// thread of their own, never on an async worker.
#[derive(Clone)]
pub struct SearchIndex {
    shared: Arc<Shared>,
}

impl fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.shared.dir)
            .field("last_seq", &self.last_seq())
            .finish()
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating the folder if needed, and takes it for this process
    /// (a second process gets [`SearchError::Busy`]).
    ///
    /// An index that is missing, of another format or damaged is not an error: the result
    /// says why it must be rebuilt, and the index serves no results until
    /// [`rebuild`](Self::rebuild) has run, so the site can start serving at once and rebuild
    /// on a background thread.
    pub fn open(dir: impl AsRef<Path>) -> Result<Opened, SearchError> {
        let dir = dir.as_ref().to_owned();
        let lock = disk::lock_folder(&dir)?;
        let found = disk::read_current(&dir).and_then(|name| {
            let (index, payload) = disk::check(&dir.join(&name))?;
            Ok((name, index, payload))
        });
        let (generation, rebuild) = match found {
            Ok((name, index, payload)) => (Generation::new(Some(name), &index, payload.seq)?, None),
            Err(reason) => (Generation::stand_in()?, Some(reason)),
        };
        disk::remove_stale(&dir, generation.name.as_deref());
        let shared = Shared {
            dir,
            fields: Fields::schema().1,
            current: RwLock::new(Arc::new(generation)),
            rebuilding: Mutex::new(()),
            _lock: lock,
        };
        Ok(Opened {
            index: SearchIndex {
                shared: Arc::new(shared),
            },
            rebuild,
        })
    }

    /// The folder the index lives in.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    fn current(&self) -> Arc<Generation> {
        Arc::clone(
            &self
                .shared
                .current
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// The last change-stream sequence the served index reflects; `None` while it waits for
    /// a rebuild. This is the follower's only cursor: after every wake-up, read the changes
    /// after it (a rebuild moves it back to the sequence of its snapshot).
    pub fn last_seq(&self) -> Option<u64> {
        self.current().last_seq()
    }

    /// How many translations the served index holds.
    pub fn num_docs(&self) -> u64 {
        self.current().reader.searcher().num_docs()
    }

    /// Runs a search. Odd input never fails: errors are the index's own (a damaged file).
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        let generation = self.current();
        run(&generation.reader.searcher(), &self.shared.fields, request)
    }

    /// The translations (ids) whose published text shares most words with `text`, best first,
    /// at most `limit`, withdrawn ones included: the verify page's candidates. Empty while the
    /// index waits for a rebuild, so callers must then look further themselves.
    pub fn similar(&self, text: &str, limit: usize) -> Result<Vec<i64>, SearchError> {
        let generation = self.current();
        crate::similar::similar(
            &generation.reader.searcher(),
            &self.shared.fields,
            text,
            limit,
        )
    }

    /// Applies the changes after sequence `after` up to and including `seq`, and commits
    /// them: searchable when this returns. Blocking (see the type's docs). An empty batch
    /// just moves the sequence on, for changes that touch no translation (a page, settings).
    ///
    /// Refused with [`SearchError::OutOfSequence`] unless the index is at `after`, so changes
    /// are never applied over a gap — for instance by a follower whose cursor predates a
    /// rebuild. Every document is checked before anything is written: a bad one refuses the
    /// whole batch and changes nothing.
    pub fn apply(
        &self,
        after: u64,
        seq: u64,
        updates: impl IntoIterator<Item = Update>,
    ) -> Result<(), SearchError> {
        let fields = &self.shared.fields;
        let id_term = |id: i64| Term::from_field_i64(fields.translation_id, id);
        let mut ops: Vec<(Term, Option<TantivyDocument>)> = Vec::new();
        for update in updates {
            ops.push(match update {
                Update::Upsert(doc) => (id_term(doc.translation_id), Some(fields.document(&doc)?)),
                Update::Delete(id) => (id_term(id), None),
                Update::DeleteRelease(id) => (Term::from_field_i64(fields.release_id, id), None),
            });
        }
        let generation = self.current();
        let mut guard = generation.writer();
        let at = generation.last_seq();
        let still_current = Arc::ptr_eq(&generation, &self.current());
        let writer = match guard.as_mut() {
            Some(writer) if still_current && at == Some(after) && seq >= after => writer,
            _ => {
                return Err(SearchError::OutOfSequence {
                    given: after,
                    at: self.last_seq(),
                });
            }
        };
        let written = (|| -> Result<(), SearchError> {
            for (term, doc) in ops {
                writer.delete_term(term);
                if let Some(doc) = doc {
                    writer.add_document(doc)?;
                }
            }
            commit(writer, seq)
        })();
        if let Err(e) = written {
            // Nothing half-applied may ride along with the next commit.
            let _ = writer.rollback();
            return Err(e);
        }
        generation.seq.store(seq, Ordering::SeqCst);
        generation.reader.reload()?;
        Ok(())
    }

    /// Builds a new index from `docs` (every published translation, read at change-stream
    /// sequence `seq`) beside the served one, then swaps it in. Searches keep using the old
    /// index until the swap. Blocking (see the type's docs).
    ///
    /// `total` is the number of documents expected, for `progress(done, total)`, which is
    /// called every few hundred documents and once at the end. A document that cannot be
    /// indexed is skipped and listed in the result; an error from `docs` stops the rebuild,
    /// removes what it wrote and leaves the old index serving.
    ///
    /// Changes applied while the rebuild runs go to the old index and are lost with it; the
    /// new one is at `seq`, so a follower that reads from [`last_seq`](Self::last_seq)
    /// applies them again.
    pub fn rebuild<I, E>(
        &self,
        docs: I,
        total: u64,
        seq: u64,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<RebuildStats, SearchError>
    where
        I: IntoIterator<Item = Result<SearchDoc, E>>,
        E: Into<Box<dyn StdError + Send + Sync>>,
    {
        let _one_at_a_time = self
            .shared
            .rebuilding
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let dir = &self.shared.dir;
        let (name, path) = disk::next_generation(dir)?;
        let built = self.build(&path, docs, total, seq, &mut progress);
        let (index, stats) = match built {
            Ok(built) => built,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&path);
                return Err(e);
            }
        };
        let generation = Arc::new(Generation::new(Some(name.clone()), &index, seq)?);

        let old = self.current();
        {
            // Waits for a change being applied to the old index, then retires its writer.
            let mut old_writer = old.writer();
            disk::write_current(dir, &name)?;
            *self
                .shared
                .current
                .write()
                .unwrap_or_else(PoisonError::into_inner) = generation;
            old_writer.take();
        }
        disk::remove_stale(dir, Some(&name));
        Ok(stats)
    }

    fn build<I, E>(
        &self,
        path: &Path,
        docs: I,
        total: u64,
        seq: u64,
        progress: &mut impl FnMut(u64, u64),
    ) -> Result<(Index, RebuildStats), SearchError>
    where
        I: IntoIterator<Item = Result<SearchDoc, E>>,
        E: Into<Box<dyn StdError + Send + Sync>>,
    {
        let fields = &self.shared.fields;
        let index = new_index(Some(path))?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let mut writer: IndexWriter =
            index.writer_with_num_threads(threads, threads * REBUILD_WRITER_BYTES)?;
        let mut stats = RebuildStats::default();
        progress(0, total);
        for doc in docs {
            let doc = doc.map_err(|e| SearchError::Source(e.into()))?;
            match fields.document(&doc) {
                Ok(d) => {
                    writer.add_document(d)?;
                    stats.indexed += 1;
                }
                Err(e) => stats.skipped.push((doc.translation_id, e.to_string())),
            }
            let done = stats.indexed + stats.skipped.len() as u64;
            if done.is_multiple_of(PROGRESS_EVERY) {
                progress(done, total.max(done));
            }
        }
        commit(&mut writer, seq)?;
        writer.wait_merging_threads()?;
        let done = stats.indexed + stats.skipped.len() as u64;
        progress(done, total.max(done));
        // Reopen from disk, as `open` would: what is served is what was written.
        let index = Index::open_in_dir(path)?;
        register_tokenizers(&index);
        Ok((index, stats))
    }
}
