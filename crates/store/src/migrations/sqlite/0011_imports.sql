-- The archive (issue 13). `import_sources` remembers which release each imported item became,
-- so running the same import again skips what it brought in before (the old system's id is
-- the key). `redirects` answers the old site's addresses with a permanent redirect: either
-- to a translation (made by an import; the target follows the page if its slug changes) or
-- to a path an admin typed.
CREATE TABLE import_sources (
    source_id    TEXT PRIMARY KEY,
    release_id   INTEGER NOT NULL REFERENCES releases (id),
    imported_at  BIGINT NOT NULL,
    imported_by  INTEGER REFERENCES users (id)
);
CREATE INDEX import_sources_release ON import_sources (release_id);
CREATE TABLE redirects (
    old_path        TEXT PRIMARY KEY,
    translation_id  INTEGER REFERENCES translations (id),
    target          TEXT,
    created_at      BIGINT NOT NULL,
    CHECK ((translation_id IS NULL) <> (target IS NULL))
);
CREATE INDEX redirects_translation ON redirects (translation_id);
