-- The editorial list finds translations by any word of their current text, drafts included.
-- `text` is the head revision's title, lead and body folded by `pressroom_core::fold::fold`
-- (lower case, no diacritics), written with every new head revision; it is derived data the
-- store keeps, never shown. It replaces `revisions.search_title` (titles only), no longer written. Rows for translations that existed before this migration are
-- filled by the migration step in `migrate.rs`, in the same transaction.
CREATE TABLE translation_search (
    translation_id BIGINT PRIMARY KEY REFERENCES translations (id) ON DELETE CASCADE,
    text TEXT NOT NULL
);
