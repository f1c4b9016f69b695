//! Sign-in state: sessions (in the database so every server shares them), login throttling
//! with growing back-off, and API tokens with scopes (the second factor is in
//! `second_factor`).
//!
//! Secrets handed to clients (session cookies, API tokens) are random 256-bit values; only
//! their SHA-256 is stored, so reading the database does not let anyone act as a user.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use jiff::{SignedDuration, Timestamp};
use pressroom_core::Invalid;
use pressroom_core::signing::to_hex;
use pressroom_core::user::{ApiToken, User, UserId, validate_new_token};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::audit::{NewAuditEntry, append};
use crate::rows::{from_json, instant, micros, opt_instant, sql, to_json};
use crate::users::By;
use crate::{Result, Store, StoreError};

/// How long a session lasts without activity.
pub const SESSION_IDLE: SignedDuration = SignedDuration::from_hours(12);
/// Failures of one account from one address before that address is locked out of it.
pub(crate) const PAIR_FREE_FAILURES: i64 = 5;
/// Failures of one account from all addresses together before it is slowed for everyone:
/// higher, and with short locks ([`SOFT_FIRST_LOCK`]), because anyone who knows a username
/// can fail on purpose and must not be able to keep the real user out.
const ACCOUNT_FREE_FAILURES: i64 = 20;
/// Failures before an address is locked (higher: a ministry's staff may share one address).
const ADDRESS_FREE_FAILURES: i64 = 20;
/// The first lock lasts this long and doubles with each further failure…
pub(crate) const FIRST_LOCK: SignedDuration = SignedDuration::from_secs(30);
/// …up to this.
pub(crate) const LONGEST_LOCK: SignedDuration = SignedDuration::from_mins(15);
/// The account-wide lock starts at a few seconds and doubles only every fifth failure…
const SOFT_FIRST_LOCK: SignedDuration = SignedDuration::from_secs(2);
/// …up to a minute: slow enough to stop guessing from many addresses, short enough that the
/// real user gets in on the next try.
const SOFT_LONGEST_LOCK: SignedDuration = SignedDuration::from_mins(1);

/// How failures of one throttle key turn into locks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Throttle {
    /// Failures without a lock.
    pub free: i64,
    /// The first lock.
    pub first: SignedDuration,
    /// Failures per doubling of the lock.
    pub per_doubling: i64,
    /// The longest lock.
    pub longest: SignedDuration,
}

impl Throttle {
    /// One address against one account (and the second factor of one account): hard locks.
    pub(crate) const STRICT: Self = Self {
        free: PAIR_FREE_FAILURES,
        first: FIRST_LOCK,
        per_doubling: 1,
        longest: LONGEST_LOCK,
    };
    const ADDRESS: Self = Self {
        free: ADDRESS_FREE_FAILURES,
        ..Self::STRICT
    };
    const ACCOUNT: Self = Self {
        free: ACCOUNT_FREE_FAILURES,
        first: SOFT_FIRST_LOCK,
        per_doubling: 5,
        longest: SOFT_LONGEST_LOCK,
    };

    fn lock_after(self, failures: i64) -> Option<SignedDuration> {
        (failures >= self.free).then(|| {
            let doublings = ((failures - self.free) / self.per_doubling).min(10);
            let doublings = u32::try_from(doublings).unwrap_or(10);
            (self.first * 2_i32.pow(doublings)).min(self.longest)
        })
    }
}

/// A random secret as 64 hex characters.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    to_hex(&bytes)
}

pub(crate) fn hash_token(token: &str) -> String {
    to_hex(&Sha256::digest(token.as_bytes()))
}

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Who.
    pub user: User,
    /// The token forms must echo (CSRF protection).
    pub csrf_token: String,
    /// Whether the second factor has been checked (or is not needed).
    pub second_factor_ok: bool,
    /// When the session ends unless used.
    pub expires_at: Timestamp,
}

/// Why a sign-in was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInRefusal {
    /// Wrong name or password (deliberately not saying which).
    BadCredentials,
    /// Too many failures: wait this long.
    Locked(SignedDuration),
}

impl Store {
    /// Checks a sign-in, with throttling per account and per address; on success opens a
    /// session and returns its cookie token. Every outcome is audited.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        address: &str,
        now: Timestamp,
    ) -> Result<std::result::Result<(String, Session), SignInRefusal>> {
        // One address failing against one account locks only that pair; the account as a
        // whole is only slowed, so the real user at another address still gets in.
        let keys = [
            (format!("pair:{username}|{address}"), Throttle::STRICT),
            (format!("addr:{address}"), Throttle::ADDRESS),
            (format!("user:{username}"), Throttle::ACCOUNT),
        ];
        for (key, _) in &keys {
            if let Some(wait) = self.locked_for(key, now).await? {
                self.audit_sign_in(None, username, "signin.locked", address, now)
                    .await?;
                return Ok(Err(SignInRefusal::Locked(wait)));
            }
        }
        let Some(user) = self.check_password(username, password).await? else {
            let mut locked = None;
            for (key, throttle) in &keys {
                if let Some(wait) = self.record_failure(key, *throttle, now).await? {
                    locked = Some(wait);
                }
            }
            let action = if locked.is_some() {
                "signin.lockout"
            } else {
                "signin.failure"
            };
            self.audit_sign_in(None, username, action, address, now)
                .await?;
            return Ok(Err(SignInRefusal::BadCredentials));
        };
        self.clear_failures(&[&keys[0].0, &keys[2].0]).await?;
        let needs_second_factor = self.totp_secret(user.id).await?.is_some();
        let token = random_token();
        let csrf = random_token();
        let expires_at = now + SESSION_IDLE;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, second_factor_ok, created_at, last_seen_at, expires_at, address) \
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7)",
        )
        .bind(hash_token(&token))
        .bind(user.id)
        .bind(&csrf)
        .bind(i64::from(!needs_second_factor))
        .bind(micros(now))
        .bind(micros(expires_at))
        .bind(address)
        .execute(&self.pool)
        .await?;
        self.audit_sign_in(Some(user.id), username, "signin.success", address, now)
            .await?;
        Ok(Ok((
            token,
            Session {
                user,
                csrf_token: csrf,
                second_factor_ok: !needs_second_factor,
                expires_at,
            },
        )))
    }

    /// The session for a cookie token, if it is valid now; extends it (sliding expiry).
    pub async fn session(&self, token: &str, now: Timestamp) -> Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT s.user_id, s.csrf_token, s.second_factor_ok, s.expires_at, s.last_seen_at FROM sessions s \
             JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND u.disabled = 0",
        )
        .bind(hash_token(token))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let expires_at = instant(row.try_get("expires_at")?)?;
        if expires_at <= now {
            return Ok(None);
        }
        let last_seen = instant(row.try_get("last_seen_at")?)?;
        let mut expires = expires_at;
        // Extending costs a write, so do it at most once a minute per session.
        if now.duration_since(last_seen) > SignedDuration::from_mins(1) {
            expires = now + SESSION_IDLE;
            sqlx::query(
                "UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE token_hash = $3",
            )
            .bind(micros(now))
            .bind(micros(expires))
            .bind(hash_token(token))
            .execute(&self.pool)
            .await?;
        }
        Ok(Some(Session {
            user: self.user(row.try_get("user_id")?).await?,
            csrf_token: row.try_get("csrf_token")?,
            second_factor_ok: row.try_get::<i64, _>("second_factor_ok")? != 0,
            expires_at: expires,
        }))
    }

    /// Ends one session.
    pub async fn sign_out(&self, token: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(hash_token(token))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends every session of a user (after a password change, or "sign out everywhere").
    pub async fn sign_out_everywhere(&self, user: &User, by: By<'_>) -> Result<u64> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        let details = json!({ "sessions": done.rows_affected() });
        append(
            &mut *tx,
            NewAuditEntry::new(
                &by,
                "signout.everywhere",
                format!("user:{}", user.id),
                details,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Changes a user's own password after checking the current one; ends their other
    /// sessions.
    pub async fn change_password(
        &self,
        user: &User,
        current: &str,
        new: &str,
        keep_token: &str,
    ) -> Result<()> {
        if self
            .check_password(&user.username, current)
            .await?
            .is_none()
        {
            return Err(Invalid::field("current_password", "is not your current password").into());
        }
        self.set_password(&user.username, new, By::User(user))
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user.id)
            .bind(hash_token(keep_token))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// How long `key` is still locked, if it is.
    pub(crate) async fn locked_for(
        &self,
        key: &str,
        now: Timestamp,
    ) -> Result<Option<SignedDuration>> {
        let row = sqlx::query("SELECT locked_until FROM login_throttle WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let until = instant(row.try_get("locked_until")?)?;
        Ok((until > now).then(|| until.duration_since(now)))
    }

    /// Forgets the failures of `keys` (after a success).
    pub(crate) async fn clear_failures(&self, keys: &[&str]) -> Result<()> {
        for key in keys {
            sqlx::query("DELETE FROM login_throttle WHERE key = $1")
                .bind(key)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Counts a failure; returns the lock it caused, if any.
    pub(crate) async fn record_failure(
        &self,
        key: &str,
        throttle: Throttle,
        now: Timestamp,
    ) -> Result<Option<SignedDuration>> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "INSERT INTO login_throttle (key, failures, locked_until, updated_at) VALUES ($1, 1, 0, $2) \
             ON CONFLICT (key) DO UPDATE SET failures = login_throttle.failures + 1, updated_at = $2 RETURNING failures",
        )
        .bind(key)
        .bind(micros(now))
        .fetch_one(&mut *tx)
        .await?;
        let failures: i64 = row.try_get("failures")?;
        let lock = throttle.lock_after(failures);
        if let Some(lock) = lock {
            sqlx::query("UPDATE login_throttle SET locked_until = $1 WHERE key = $2")
                .bind(micros(now + lock))
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(lock)
    }

    pub(crate) async fn audit_sign_in(
        &self,
        user_id: Option<UserId>,
        username: &str,
        action: &str,
        address: &str,
        now: Timestamp,
    ) -> Result<()> {
        let mut entry = NewAuditEntry::new(
            &By::Cli,
            action,
            format!("user:{username}"),
            json!({ "address": address }),
        );
        entry.actor_id = user_id;
        entry.actor = username;
        entry.at = now;
        append(&self.pool, entry).await
    }

    /// Creates an API token acting as `user` with `scopes`; returns the secret (shown once).
    pub async fn create_api_token(
        &self,
        name: &str,
        user: &User,
        scopes: &[String],
        by: By<'_>,
    ) -> Result<(String, i64)> {
        let scopes = validate_new_token(name, scopes)?;
        let token = format!("prt_{}", random_token());
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "INSERT INTO api_tokens (name, token_hash, user_id, scopes, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(name.trim())
        .bind(hash_token(&token))
        .bind(user.id)
        .bind(to_json(&scopes)?)
        .bind(by.id())
        .bind(micros(Timestamp::now()))
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        let details = json!({ "name": name, "user": user.username, "scopes": scopes });
        append(
            &mut *tx,
            NewAuditEntry::new(&by, "token.create", format!("token:{id}"), details),
        )
        .await?;
        tx.commit().await?;
        Ok((token, id))
    }

    /// Revokes a token.
    pub async fn revoke_api_token(&self, id: i64, by: By<'_>) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(micros(Timestamp::now()))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(format!("active API token {id}")));
        }
        append(
            &mut *tx,
            NewAuditEntry::new(&by, "token.revoke", format!("token:{id}"), json!({})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every token, newest first.
    pub async fn list_api_tokens(&self) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(sql(format!("{TOKEN_SELECT} ORDER BY t.id DESC")))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(token_from_row).collect()
    }

    /// The active token with this secret, if any (its user must be enabled). Runs on every
    /// API write, so it is one query.
    pub async fn api_token(&self, secret: &str) -> Result<Option<ApiToken>> {
        let row = sqlx::query(sql(format!(
            "{TOKEN_SELECT} WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled = 0"
        )))
        .bind(hash_token(secret))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(token_from_row).transpose()
    }
}

/// A token with its user, in one query.
const TOKEN_SELECT: &str = "SELECT t.id AS token_id, t.name, t.scopes, t.created_at AS token_created_at, t.revoked_at, \
     u.id, u.username, u.display_name, u.role, u.disabled FROM api_tokens t JOIN users u ON u.id = t.user_id";

fn token_from_row(r: &sqlx::any::AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r.try_get("token_id")?,
        name: r.try_get("name")?,
        user: crate::users::user_from_row(r)?,
        scopes: from_json(&r.try_get::<String, _>("scopes")?, "token scopes")?,
        created_at: instant(r.try_get("token_created_at")?)?,
        revoked_at: opt_instant(r.try_get("revoked_at")?)?,
    })
}
