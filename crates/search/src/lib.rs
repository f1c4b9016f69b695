//! Pressroom's full-text index: every published translation, searchable the way journalists
//! type — any case, no diacritics, another word form, a name in another script, or just
//! `367/21`.
//!
//! The index is derived data. It holds plain [`SearchDoc`]s the caller assembles from the
//! store, keeps the change-stream sequence it reflects, and can always be rebuilt; this crate
//! knows nothing of the database or HTTP.
//!
//! # Using it
//!
//! ```no_run
//! use pressroom_search::{SearchIndex, SearchRequest, Update};
//! # fn docs() -> Vec<Result<pressroom_search::SearchDoc, std::io::Error>> { Vec::new() }
//! # fn main() -> Result<(), pressroom_search::SearchError> {
//! // At start: open the data folder's `search/`; rebuild in the background if needed.
//! let opened = SearchIndex::open("data/search")?;
//! let index = opened.index; // Clone it into the app state: clones share one index.
//! if let Some(reason) = opened.rebuild {
//!     eprintln!("rebuilding the search index: {reason}");
//!     let snapshot_seq = 41; // the store's change sequence the documents are read at
//!     let all = docs();
//!     let total = all.len() as u64;
//!     index.rebuild(all, total, snapshot_seq, |done, total| eprintln!("{done}/{total}"))?;
//! }
//! // Following the change stream: always from the index's own cursor.
//! if let Some(after) = index.last_seq() {
//!     index.apply(after, after + 1, [Update::Delete(7)])?;
//! }
//! // Searching: never fails on what a person typed.
//! let results = index.search(&SearchRequest::new("No:367/21").in_lang("az"))?;
//! for hit in results.hits {
//!     println!("{} {}", hit.url, hit.title_html);
//! }
//! # Ok(()) }
//! ```
//!
//! `apply` and `rebuild` are blocking: run them on `tokio::task::spawn_blocking` or a thread
//! of their own. `search` is quick (milliseconds) and never waits for them; calling it from
//! an async handler is fine, or on `spawn_blocking` for a strict latency budget.
//!
//! # What matches what
//!
//! See [`analysis`] for how words become terms (Azerbaijani case and diacritics, English and
//! Russian stemming, `ё`, transliteration), [`SearchRequest`] for filters, order and pages, and
//! [`Facets`] for the counting rule. A release number in any common form puts that release
//! first.
//!
//! # Layout
//!
//! - [`analysis`]: word splitting and the four analyses, registered as tantivy tokenizers.
//! - `schema`: the fields, and a [`SearchDoc`] as a tantivy document.
//! - `query`: the typed text read as words, phrases and a number; `query::build` turns it
//!   into tantivy queries with filters.
//! - `search`: running a [`SearchRequest`]: hits, totals, counts per filter value.
//! - `snippet`: escaped, highlighted titles and snippets.
//! - `index`: [`SearchIndex`] — the folder on disk, generations, apply, rebuild and swap.
//! - `error`: [`SearchError`].

pub mod analysis;
mod doc;
mod error;
mod index;
mod query;
mod schema;
mod search;
mod similar;
mod snippet;

pub use doc::{DocNumber, SearchDoc};
pub use error::SearchError;
pub use index::{FORMAT_VERSION, Opened, RebuildReason, RebuildStats, SearchIndex, Update};
pub use query::{MAX_QUERY_CHARS, MAX_QUERY_WORDS};
pub use search::{
    FacetCount, Facets, Filters, Hit, MAX_OFFSET, MAX_PER_PAGE, Order, SearchRequest, SearchResults,
};
