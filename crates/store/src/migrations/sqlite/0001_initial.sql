-- Pressroom schema 1 (SQLite). Instants are UTC microseconds since the Unix epoch; flags are
-- 0/1 integers; localised texts and lists are JSON text. Keep in step with ../postgres/.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE number_series (
    key       TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    template  TEXT NOT NULL,
    templates TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE number_counters (
    series   TEXT NOT NULL REFERENCES number_series (key),
    year     INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (series, year)
);

CREATE TABLE kinds (
    key             TEXT PRIMARY KEY,
    names           TEXT NOT NULL,
    series          TEXT REFERENCES number_series (key),
    question_answer INTEGER NOT NULL DEFAULT 0,
    position        INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('author', 'editor', 'admin')),
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE topics (
    id    INTEGER PRIMARY KEY,
    slug  TEXT NOT NULL UNIQUE,
    names TEXT NOT NULL
);

CREATE TABLE spokespeople (
    id        INTEGER PRIMARY KEY,
    key       TEXT NOT NULL UNIQUE,
    names     TEXT NOT NULL,
    positions TEXT NOT NULL
);

CREATE TABLE releases (
    id                 INTEGER PRIMARY KEY,
    kind               TEXT NOT NULL REFERENCES kinds (key),
    series             TEXT REFERENCES number_series (key),
    year               INTEGER,
    seq                INTEGER,
    first_published_at INTEGER,
    created_at         INTEGER NOT NULL,
    created_by         INTEGER NOT NULL REFERENCES users (id),
    UNIQUE (series, year, seq),
    CHECK (seq IS NULL OR (series IS NOT NULL AND year IS NOT NULL))
);

CREATE TABLE translations (
    id                     INTEGER PRIMARY KEY,
    release_id             INTEGER NOT NULL REFERENCES releases (id),
    lang                   TEXT NOT NULL,
    slug                   TEXT NOT NULL,
    state                  TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'rejected', 'scheduled', 'published', 'withdrawn', 'deleted')),
    head_revision_id       INTEGER REFERENCES revisions (id),
    live_revision_id       INTEGER REFERENCES revisions (id),
    scheduled_at           INTEGER,
    pending_correction     TEXT,
    first_published_at     INTEGER,
    withdrawn_at           INTEGER,
    withdrawal_explanation TEXT,
    version                INTEGER NOT NULL DEFAULT 1,
    updated_at             INTEGER NOT NULL,
    UNIQUE (release_id, lang)
);
CREATE INDEX translations_live ON translations (lang, first_published_at) WHERE live_revision_id IS NOT NULL;
CREATE INDEX translations_due ON translations (scheduled_at) WHERE state = 'scheduled';

CREATE TABLE revisions (
    id              INTEGER PRIMARY KEY,
    translation_id  INTEGER NOT NULL REFERENCES translations (id),
    seq             INTEGER NOT NULL,
    title           TEXT NOT NULL,
    lead            TEXT NOT NULL,
    body            TEXT NOT NULL,
    spokesperson_id INTEGER REFERENCES spokespeople (id),
    author_id       INTEGER NOT NULL REFERENCES users (id),
    created_at      INTEGER NOT NULL,
    UNIQUE (translation_id, seq)
);

CREATE TABLE revision_topics (
    revision_id INTEGER NOT NULL REFERENCES revisions (id),
    topic_id    INTEGER NOT NULL REFERENCES topics (id),
    PRIMARY KEY (revision_id, topic_id)
);

CREATE TABLE publications (
    id              INTEGER PRIMARY KEY,
    translation_id  INTEGER NOT NULL REFERENCES translations (id),
    revision_id     INTEGER NOT NULL UNIQUE REFERENCES revisions (id),
    published_at    INTEGER NOT NULL,
    correction_kind TEXT CHECK (correction_kind IN ('major', 'minor')),
    change_note     TEXT,
    publisher_id    INTEGER REFERENCES users (id),
    flagged         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX publications_translation ON publications (translation_id, published_at);

CREATE TABLE pages (
    slug       TEXT NOT NULL,
    lang       TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by INTEGER REFERENCES users (id),
    PRIMARY KEY (slug, lang)
);

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    actor_id INTEGER REFERENCES users (id),
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    subject  TEXT NOT NULL,
    details  TEXT NOT NULL DEFAULT '{}',
    flagged  INTEGER NOT NULL DEFAULT 0
);

-- History is append-only: nothing, admins included, edits a revision, a publication or the
-- audit log after the fact.
CREATE TRIGGER revisions_append_only_update BEFORE UPDATE ON revisions
BEGIN SELECT RAISE(ABORT, 'revisions is append-only'); END;
CREATE TRIGGER revisions_append_only_delete BEFORE DELETE ON revisions
BEGIN SELECT RAISE(ABORT, 'revisions is append-only'); END;
CREATE TRIGGER revision_topics_append_only_update BEFORE UPDATE ON revision_topics
BEGIN SELECT RAISE(ABORT, 'revision_topics is append-only'); END;
CREATE TRIGGER revision_topics_append_only_delete BEFORE DELETE ON revision_topics
BEGIN SELECT RAISE(ABORT, 'revision_topics is append-only'); END;
CREATE TRIGGER publications_append_only_update BEFORE UPDATE ON publications
BEGIN SELECT RAISE(ABORT, 'publications is append-only'); END;
CREATE TRIGGER publications_append_only_delete BEFORE DELETE ON publications
BEGIN SELECT RAISE(ABORT, 'publications is append-only'); END;
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
