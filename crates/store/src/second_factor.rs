//! The second factor: TOTP secrets, checking a code, and the new session token once it is right.
//!
//! A code is throttled like a password (per account: whoever is here already knows the
//! password), every failure is audited, and each code works once: the time step of the last
//! accepted code is kept per user and only a later step is accepted.

use jiff::{SignedDuration, Timestamp};
use pressroom_core::user::{User, UserId};
use serde_json::json;
use sqlx::Row;

use crate::accounts::{Throttle, hash_token, random_token};
use crate::audit::{NewAuditEntry, append};
use crate::users::By;
use crate::{Result, Store, StoreError};

/// Why a one-time code was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeRefusal {
    /// Not the current code (or no second factor is set up).
    Wrong,
    /// The right code, but it (or a later one) was already used.
    Reused,
    /// Too many wrong codes: wait this long.
    Locked(SignedDuration),
}

impl Store {
    /// The user's TOTP secret (base32), if they set one up.
    pub async fn totp_secret(&self, user_id: UserId) -> Result<Option<String>> {
        let row = sqlx::query("SELECT totp_secret FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("totp_secret")?)
    }

    /// Sets (or with `None` removes) a user's TOTP secret. `accepted_step` is the step of the
    /// code that proved the new secret, so that code cannot be used again to sign in.
    pub async fn set_totp_secret(
        &self,
        user: &User,
        secret: Option<&str>,
        accepted_step: Option<i64>,
        by: By<'_>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = $2 WHERE id = $3")
            .bind(secret)
            .bind(accepted_step)
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        let action = if secret.is_some() {
            "user.totp_enable"
        } else {
            "user.totp_disable"
        };
        append(
            &mut *tx,
            NewAuditEntry::new(&by, action, format!("user:{}", user.id), json!({})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Checks a code from the user's authenticator app: refused while the account's second
    /// step is locked, when wrong, or when its time step is not after the last accepted one.
    /// Every refusal counts towards the lock and is audited.
    pub async fn check_totp_code(
        &self,
        user: &User,
        code: &str,
        address: &str,
        now: Timestamp,
    ) -> Result<std::result::Result<(), CodeRefusal>> {
        let key = format!("totp:{}", user.id);
        if let Some(wait) = self.locked_for(&key, now).await? {
            self.audit_code(user, "signin.second_factor_locked", address, now)
                .await?;
            return Ok(Err(CodeRefusal::Locked(wait)));
        }
        let secret = self.totp_secret(user.id).await?.unwrap_or_default();
        let step = pressroom_core::totp::matching_step(&secret, code, now.as_second());
        let refusal = match step {
            None => CodeRefusal::Wrong,
            Some(step) => {
                // One statement, so two requests with the same code cannot both pass.
                let done = sqlx::query(
                    "UPDATE users SET totp_last_step = $1 WHERE id = $2 \
                     AND (totp_last_step IS NULL OR totp_last_step < $1)",
                )
                .bind(step)
                .bind(user.id)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 1 {
                    self.clear_failures(&[&key]).await?;
                    return Ok(Ok(()));
                }
                CodeRefusal::Reused
            }
        };
        let lock = self.record_failure(&key, Throttle::STRICT, now).await?;
        let action = match (&refusal, lock) {
            (_, Some(_)) => "signin.second_factor_lockout",
            (CodeRefusal::Reused, None) => "signin.second_factor_reused",
            _ => "signin.second_factor_failure",
        };
        self.audit_code(user, action, address, now).await?;
        Ok(Err(refusal))
    }

    /// Marks a session's second factor as checked and gives it a new token (and CSRF token):
    /// the token that was issued before the second step stops working, so a cookie seen
    /// before the code was typed is worth nothing. Returns the new cookie token.
    pub async fn confirm_second_factor(
        &self,
        token: &str,
        user: &User,
        address: &str,
        now: Timestamp,
    ) -> Result<String> {
        let new_token = random_token();
        let done = sqlx::query(
            "UPDATE sessions SET token_hash = $1, csrf_token = $2, second_factor_ok = 1 \
             WHERE token_hash = $3 AND user_id = $4",
        )
        .bind(hash_token(&new_token))
        .bind(random_token())
        .bind(hash_token(token))
        .bind(user.id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("session"));
        }
        self.audit_code(user, "signin.second_factor", address, now)
            .await?;
        Ok(new_token)
    }

    async fn audit_code(
        &self,
        user: &User,
        action: &str,
        address: &str,
        now: Timestamp,
    ) -> Result<()> {
        self.audit_sign_in(Some(user.id), &user.username, action, address, now)
            .await
    }
}
