-- The change stream: every committed change readers can see, in commit order. Followers (the
-- search index, later the page caches of other servers and the outbox) read it from the last
-- sequence they applied, so a missed wake-up or a restart never leaves them behind.
--
-- `change_head` holds the last sequence. A writer bumps it inside its transaction, which
-- locks the row until commit: sequences are therefore handed out in commit order and without
-- gaps (a rolled-back transaction gives its number back), so a follower that has seen N has
-- seen everything up to N.
CREATE TABLE change_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
);
INSERT INTO change_head (id, seq) VALUES (1, 0);

CREATE TABLE changes (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    change TEXT NOT NULL
);
