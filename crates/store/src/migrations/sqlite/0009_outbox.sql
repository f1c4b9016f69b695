-- The outbox (issue 15). A publication, correction or withdrawal writes one delivery per
-- receiver in its own transaction, so there is never a publication without its deliveries
-- nor a delivery of something rolled back. Workers claim due deliveries (row locks, SKIP
-- LOCKED on PostgreSQL), send them and record each attempt.

-- Admin-configured webhook receivers. `secret` is the Standard Webhooks signing secret
-- (`whsec_…`); `events` a comma-separated list of event names.
CREATE TABLE webhooks (
    id          INTEGER PRIMARY KEY,
    url         TEXT NOT NULL,
    description TEXT NOT NULL,
    secret      TEXT NOT NULL,
    events      TEXT NOT NULL,
    enabled     INTEGER NOT NULL,
    -- Why it was switched off when the receiver asked for that (HTTP 410) rather than a person.
    disabled_reason TEXT,
    created_at  BIGINT NOT NULL
);

-- Messaging channels: a Telegram channel posted to through the Bot API, in one language (only
-- that language's translations are posted). `token` is the bot's token; `api_base` the Bot
-- API's address (https://api.telegram.org, or a local Bot API server).
CREATE TABLE channels (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    token       TEXT NOT NULL,
    api_base    TEXT NOT NULL,
    lang        TEXT NOT NULL,
    events      TEXT NOT NULL,
    enabled     INTEGER NOT NULL,
    disabled_reason TEXT,
    created_at  BIGINT NOT NULL
);

-- One message to one receiver. `message_id` is the receiver's idempotency key
-- (`webhook-id`), the same on every retry. States: queued, sending (claimed; `lease_until`
-- lets another worker take it over if the claimer died), sent, failed (attempts used up, or
-- the receiver refused it for good).
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    message_id      TEXT NOT NULL UNIQUE,
    -- `webhook` (target: webhooks.id) or `telegram` (target: channels.id).
    channel         TEXT NOT NULL,
    target_id       BIGINT NOT NULL,
    event           TEXT NOT NULL,
    change_seq      BIGINT NOT NULL,
    release_id      BIGINT NOT NULL,
    translation_id  BIGINT NOT NULL,
    revision_id     BIGINT NOT NULL,
    occurred_at     BIGINT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_translation ON deliveries (translation_id);

-- Every attempt, for the admin's delivery page.
CREATE TABLE delivery_attempts (
    id          INTEGER PRIMARY KEY,
    delivery_id BIGINT NOT NULL REFERENCES deliveries (id),
    at          BIGINT NOT NULL,
    ok          INTEGER NOT NULL,
    status      INTEGER,
    detail      TEXT NOT NULL,
    duration_ms BIGINT NOT NULL
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id);
