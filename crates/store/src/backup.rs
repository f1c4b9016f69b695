//! Logical, backend-neutral dumps of the whole database, and loading one into an empty
//! database: the store's half of `pressroom backup` and `pressroom restore`.
//!
//! A dump is every row of every table in [`TABLES`], as JSON objects keyed by column name with
//! typed values (integers, text, blobs as base64, booleans, `null`), read inside one
//! [`Snapshot`] — a consistent view taken while the site serves. Because the values are
//! neutral, a dump taken on SQLite loads into PostgreSQL and back without loss: the loader
//! converts each value by the *target* column's declared type (`catalog`).
//!
//! Loading ([`Store::begin_restore`]) refuses a database that holds anything, builds the
//! schema by running the migrations up to the dump's schema version, and inserts every row in
//! one transaction, in [`TABLES`]' dependency order. Nothing that guards data is switched off:
//! the append-only triggers refuse `UPDATE` and `DELETE` only, and foreign keys are checked as
//! rows arrive. The one reference cycle (a translation points at its head and live revisions,
//! which point back at it) is loaded in two steps: those columns are inserted empty and set
//! once every row is in ([`BackupTable::later`]). On PostgreSQL every identity sequence is
//! then moved past the largest id, so new rows do not collide with restored ones.

mod catalog;
mod dump;
mod load;

pub use dump::Snapshot;
pub use load::Loader;

/// One row of a dump: column name → value.
pub type DumpRow = serde_json::Map<String, serde_json::Value>;

/// A table a backup holds, with what restoring it needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupTable {
    /// The table's name.
    pub name: &'static str,
    /// The schema version (migration) that created it: a backup taken at version `v` holds
    /// exactly the tables with `since <= v`.
    pub since: i64,
    /// Columns that reference a table loaded after this one: inserted as `NULL`, set when
    /// every row is in.
    pub later: &'static [&'static str],
    /// Whether its migration inserts a row (a head counter), which the dump's rows replace.
    pub seeded: bool,
}

const fn table(name: &'static str, since: i64) -> BackupTable {
    BackupTable {
        name,
        since,
        later: &[],
        seeded: false,
    }
}

/// Every table of the schema except `pressroom_schema` (which the migrations write), in an
/// order where each table comes after those it references. The one list backup, restore and
/// the test that compares it with the database's catalog use: a migration that adds a table
/// adds it here too.
pub const TABLES: &[BackupTable] = &[
    table("settings", 1),
    table("number_series", 1),
    table("number_counters", 1),
    table("kinds", 1),
    table("users", 1),
    table("topics", 1),
    table("spokespeople", 1),
    table("releases", 1),
    BackupTable {
        later: &["head_revision_id", "live_revision_id"],
        ..table("translations", 1)
    },
    table("revisions", 1),
    table("revision_topics", 1),
    table("publications", 1),
    table("pages", 1),
    table("audit_log", 1),
    table("signing_keys", 2),
    table("revision_signatures", 2),
    table("publication_log", 2),
    BackupTable {
        seeded: true,
        ..table("publication_log_head", 2)
    },
    table("media_files", 3),
    table("banners", 3),
    table("banner_variants", 3),
    table("attachments", 3),
    table("revision_banners", 3),
    table("revision_attachments", 3),
    table("sessions", 4),
    table("login_throttle", 4),
    table("api_tokens", 4),
    BackupTable {
        seeded: true,
        ..table("change_head", 7)
    },
    table("changes", 7),
    table("translation_search", 8),
    table("webhooks", 9),
    table("channels", 9),
    table("deliveries", 9),
    table("delivery_attempts", 9),
    table("subscribers", 10),
    table("import_sources", 11),
    table("redirects", 11),
];

/// Tables of derived data, with the migration that made each: left out of backups (they
/// are as large as what they are derived from) and rebuilt by the restore, in its
/// transaction, from the rows it loaded. `revision_phrases` is the signed revisions' phrase
/// fingerprints (`phrases::fill_phrases`).
pub const DERIVED: &[(&str, i64)] = &[("revision_phrases", 12)];

/// The tables a backup taken at schema `version` holds, in load order.
pub fn tables_at(version: i64) -> impl Iterator<Item = &'static BackupTable> {
    TABLES.iter().filter(move |t| t.since <= version)
}

/// The table named `name`, if backups know it.
pub fn backup_table(name: &str) -> Option<&'static BackupTable> {
    TABLES.iter().find(|t| t.name == name)
}
