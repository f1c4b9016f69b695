-- Public listings walk releases newest first and stop after a page; without this index every
-- listing read and sorted the whole archive.
CREATE INDEX releases_published ON releases (first_published_at, id);
