-- Pressroom schema 5 (PostgreSQL): the last accepted one-time code of each user.
-- Keep in step with ../sqlite/0005_second_factor.sql.

-- The 30-second time step of the last TOTP code a user had accepted. A code is accepted only
-- for a later step, so a code seen over someone's shoulder (or replayed) cannot be used again.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
