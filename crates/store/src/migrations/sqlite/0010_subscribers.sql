-- E-mail subscriptions (issue 15). A subscriber is an address, the site language it chose
-- (the language of its mail and pages) and what it wants: the releases' languages, kinds and
-- topics (each a comma-separated list; empty means all) and how often (`immediate` or
-- `daily`). Double opt-in: `pending` until the link in the confirmation mail is followed.
-- The address is personal data: it is stored here and nowhere else (deliveries name the
-- subscriber by id; the sender keeps addresses out of error texts), and erasing a subscriber
-- deletes its row and its deliveries.
CREATE TABLE subscribers (
    id              INTEGER PRIMARY KEY,
    email           TEXT NOT NULL,
    -- The address folded for comparison: one subscription per mailbox.
    email_key       TEXT NOT NULL UNIQUE,
    -- The secret in the subscriber's links (manage, confirm, unsubscribe).
    token           TEXT NOT NULL UNIQUE,
    lang            TEXT NOT NULL,
    langs           TEXT NOT NULL,
    kinds           TEXT NOT NULL,
    topics          TEXT NOT NULL,
    frequency       TEXT NOT NULL,
    state           TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    confirmed_at    BIGINT,
    -- Mails about the subscription itself (confirmation, "already subscribed"): when the
    -- last one was written and how many since `mail_window_at`, for the per-address limit.
    mailed_at       BIGINT,
    mail_count      INTEGER NOT NULL,
    mail_window_at  BIGINT NOT NULL
);
CREATE INDEX subscribers_state ON subscribers (state, frequency);
CREATE INDEX deliveries_target ON deliveries (channel, target_id);
-- A publication to ten thousand subscribers queues ten thousand rows due at the same instant:
-- with `id` in the index the claim's `ORDER BY next_attempt_at, id LIMIT n` reads n index
-- entries instead of sorting every due row.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at, id);
