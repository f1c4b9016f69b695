-- Pressroom schema 4 (SQLite): sign-in sessions, login throttling, API tokens, TOTP.
-- Keep in step with ../postgres/0004_accounts.sql.

-- Sessions live in the database so that every server sees them. Only a hash of the cookie's
-- token is stored: a copy of the database does not give anyone a live session.
CREATE TABLE sessions (
    token_hash        TEXT PRIMARY KEY,
    user_id           INTEGER NOT NULL REFERENCES users (id),
    csrf_token        TEXT NOT NULL,
    second_factor_ok  INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    last_seen_at      INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    address           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed sign-ins per account (`user:NAME`) and per address (`addr:IP`).
CREATE TABLE login_throttle (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    scopes       TEXT NOT NULL,
    created_by   INTEGER REFERENCES users (id),
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    last_used_at INTEGER
);

ALTER TABLE users ADD COLUMN totp_secret TEXT;

-- Lowercased title (by the language's own case rules) for the editorial search; revisions
-- written before this column existed fall back to their title.
ALTER TABLE revisions ADD COLUMN search_title TEXT;
