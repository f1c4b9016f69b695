-- Phrase fingerprints of every signed revision, so the verify page finds the revisions a
-- pasted text quotes with a few index lookups instead of reading every signed revision when
-- the search index cannot help (rebuilding, or a server without its index yet). `phrase` is
-- one of `pressroom_core::verify::phrase_fingerprints` of the revision's normalised text
-- (`revision_signatures.plain_text`): a 32-bit hash of a three-word phrase, winnowed. Derived
-- data, written with the signature in the publishing transaction; rows for revisions signed
-- before this migration are written by the migration step in `migrate.rs`, in the same
-- transaction, and a restore rebuilds them (backups leave them out: `backup::DERIVED`).
CREATE TABLE revision_phrases (
    phrase      INTEGER NOT NULL,
    revision_id INTEGER NOT NULL REFERENCES revision_signatures (revision_id),
    PRIMARY KEY (phrase, revision_id)
) WITHOUT ROWID;
