-- Pressroom schema 3 (SQLite): media. Keep in step with ../postgres/0003_media.sql.
--
-- Files are content-addressed and never change; banners and attachments never change either
-- (new alternative text makes a new banner), so a revision that shows one keeps showing the
-- same thing. A revision points at its banner and attachments through insert-only link
-- tables. Unreferenced banners, attachments and files may be deleted by `pressroom media gc`;
-- the foreign keys stop it from deleting anything a revision still shows.

CREATE TABLE media_files (
    id          INTEGER PRIMARY KEY,
    storage_key TEXT NOT NULL UNIQUE,
    sha256      TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('source', 'variant', 'attachment')),
    mime        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    width       INTEGER,
    height      INTEGER,
    created_at  INTEGER NOT NULL
);

CREATE TABLE banners (
    id               INTEGER PRIMARY KEY,
    release_id       INTEGER REFERENCES releases (id),
    source_id        INTEGER NOT NULL REFERENCES media_files (id),
    mobile_source_id INTEGER REFERENCES media_files (id),
    focal_x          INTEGER,
    focal_y          INTEGER,
    desktop_crop     TEXT NOT NULL,
    mobile_crop      TEXT NOT NULL,
    alt              TEXT NOT NULL DEFAULT '{}',
    created_at       INTEGER NOT NULL,
    created_by       INTEGER REFERENCES users (id)
);
CREATE INDEX banners_release ON banners (release_id);
CREATE INDEX banners_source ON banners (source_id);
CREATE INDEX banners_mobile_source ON banners (mobile_source_id);

CREATE TABLE banner_variants (
    banner_id INTEGER NOT NULL REFERENCES banners (id),
    file_id   INTEGER NOT NULL REFERENCES media_files (id),
    crop      TEXT NOT NULL CHECK (crop IN ('desktop', 'mobile', 'og')),
    format    TEXT NOT NULL CHECK (format IN ('webp', 'jpeg')),
    width     INTEGER NOT NULL,
    height    INTEGER NOT NULL,
    PRIMARY KEY (banner_id, crop, format, width)
);
CREATE INDEX banner_variants_file ON banner_variants (file_id);

CREATE TABLE attachments (
    id         INTEGER PRIMARY KEY,
    release_id INTEGER REFERENCES releases (id),
    file_id    INTEGER NOT NULL REFERENCES media_files (id),
    format     TEXT NOT NULL CHECK (format IN ('pdf', 'docx', 'xlsx', 'pptx', 'odt', 'ods', 'odp')),
    file_name  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES users (id)
);
CREATE INDEX attachments_release ON attachments (release_id);
CREATE INDEX attachments_file ON attachments (file_id);

CREATE TABLE revision_banners (
    revision_id INTEGER PRIMARY KEY REFERENCES revisions (id),
    banner_id   INTEGER NOT NULL REFERENCES banners (id)
);
CREATE INDEX revision_banners_banner ON revision_banners (banner_id);

CREATE TABLE revision_attachments (
    revision_id   INTEGER NOT NULL REFERENCES revisions (id),
    position      INTEGER NOT NULL,
    attachment_id INTEGER NOT NULL REFERENCES attachments (id),
    PRIMARY KEY (revision_id, position),
    UNIQUE (revision_id, attachment_id)
);
CREATE INDEX revision_attachments_attachment ON revision_attachments (attachment_id);

CREATE TRIGGER revision_banners_append_only_update BEFORE UPDATE ON revision_banners
BEGIN SELECT RAISE(ABORT, 'revision_banners is append-only'); END;
CREATE TRIGGER revision_banners_append_only_delete BEFORE DELETE ON revision_banners
BEGIN SELECT RAISE(ABORT, 'revision_banners is append-only'); END;
CREATE TRIGGER revision_attachments_append_only_update BEFORE UPDATE ON revision_attachments
BEGIN SELECT RAISE(ABORT, 'revision_attachments is append-only'); END;
CREATE TRIGGER revision_attachments_append_only_delete BEFORE DELETE ON revision_attachments
BEGIN SELECT RAISE(ABORT, 'revision_attachments is append-only'); END;
CREATE TRIGGER media_files_immutable BEFORE UPDATE ON media_files
BEGIN SELECT RAISE(ABORT, 'media_files rows never change'); END;
CREATE TRIGGER banners_immutable BEFORE UPDATE ON banners
BEGIN SELECT RAISE(ABORT, 'banners rows never change'); END;
CREATE TRIGGER banner_variants_immutable BEFORE UPDATE ON banner_variants
BEGIN SELECT RAISE(ABORT, 'banner_variants rows never change'); END;
CREATE TRIGGER attachments_immutable BEFORE UPDATE ON attachments
BEGIN SELECT RAISE(ABORT, 'attachments rows never change'); END;
