-- Pressroom schema 2 (SQLite): signing keys, the signatures of published revisions and the
-- hash-chained publication log. Keep in step with ../postgres/.

-- Public keys only: the private key never enters the database.
CREATE TABLE signing_keys (
    key_id      TEXT PRIMARY KEY,
    algorithm   TEXT NOT NULL,
    public_key  TEXT NOT NULL UNIQUE,
    valid_from  INTEGER NOT NULL,
    valid_until INTEGER
);
-- At most one key is current (not retired).
CREATE UNIQUE INDEX signing_keys_current ON signing_keys ((valid_until IS NULL)) WHERE valid_until IS NULL;

-- One row per published revision: the canonical payload exactly as signed, the signature, and
-- the hashes the verify page looks texts up by.
CREATE TABLE revision_signatures (
    revision_id       INTEGER PRIMARY KEY REFERENCES revisions (id),
    translation_id    INTEGER NOT NULL REFERENCES translations (id),
    key_id            TEXT NOT NULL REFERENCES signing_keys (key_id),
    payload           TEXT NOT NULL,
    signature         TEXT NOT NULL,
    signature_sha256  TEXT NOT NULL,
    body_sha256       TEXT NOT NULL,
    title_body_sha256 TEXT NOT NULL,
    full_sha256       TEXT NOT NULL,
    plain_text        TEXT NOT NULL,
    signed_at         INTEGER NOT NULL
);
CREATE INDEX revision_signatures_translation ON revision_signatures (translation_id);
CREATE INDEX revision_signatures_body ON revision_signatures (body_sha256);
CREATE INDEX revision_signatures_title_body ON revision_signatures (title_body_sha256);
CREATE INDEX revision_signatures_full ON revision_signatures (full_sha256);

-- Every publication, correction and withdrawal, each entry naming the hash of the one before.
CREATE TABLE publication_log (
    seq            INTEGER PRIMARY KEY,
    action         TEXT NOT NULL CHECK (action IN ('publish', 'correct', 'withdraw')),
    entry          TEXT NOT NULL,
    entry_sha256   TEXT NOT NULL UNIQUE,
    key_id         TEXT NOT NULL REFERENCES signing_keys (key_id),
    signature      TEXT NOT NULL,
    translation_id INTEGER NOT NULL REFERENCES translations (id),
    revision_id    INTEGER NOT NULL REFERENCES revisions (id)
);
CREATE INDEX publication_log_revision ON publication_log (revision_id);

-- The log's size and newest hash: one row, locked by each append so entries queue in order.
CREATE TABLE publication_log_head (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    size        INTEGER NOT NULL,
    head_sha256 TEXT NOT NULL
);
INSERT INTO publication_log_head (id, size, head_sha256)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Signatures and the log are append-only; a key can only be retired, once.
CREATE TRIGGER revision_signatures_append_only_update BEFORE UPDATE ON revision_signatures
BEGIN SELECT RAISE(ABORT, 'revision_signatures is append-only'); END;
CREATE TRIGGER revision_signatures_append_only_delete BEFORE DELETE ON revision_signatures
BEGIN SELECT RAISE(ABORT, 'revision_signatures is append-only'); END;
CREATE TRIGGER publication_log_append_only_update BEFORE UPDATE ON publication_log
BEGIN SELECT RAISE(ABORT, 'publication_log is append-only'); END;
CREATE TRIGGER publication_log_append_only_delete BEFORE DELETE ON publication_log
BEGIN SELECT RAISE(ABORT, 'publication_log is append-only'); END;
CREATE TRIGGER signing_keys_append_only_delete BEFORE DELETE ON signing_keys
BEGIN SELECT RAISE(ABORT, 'signing_keys is append-only'); END;
CREATE TRIGGER signing_keys_retire_only BEFORE UPDATE ON signing_keys
WHEN OLD.valid_until IS NOT NULL OR NEW.valid_until IS NULL OR NEW.key_id <> OLD.key_id
  OR NEW.algorithm <> OLD.algorithm OR NEW.public_key <> OLD.public_key OR NEW.valid_from <> OLD.valid_from
BEGIN SELECT RAISE(ABORT, 'signing_keys is append-only: a key can only be retired, once'); END;
