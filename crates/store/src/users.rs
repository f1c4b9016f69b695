//! Accounts: creation, passwords (Argon2id), roles, disabling.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use jiff::Timestamp;
use pressroom_core::user::{
    AccountChange, Role, User, UserId, check_account_change, validate_new_user, validate_password,
};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{NewAuditEntry, append};
use crate::error::duplicate;
use crate::rows::{micros, parse, sql};
use crate::{Result, Store, StoreError};

/// Who does something, for permission checks and the audit log.
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    /// A signed-in person.
    User(&'a User),
    /// The scheduled-publication job.
    Scheduler,
    /// Someone at the server's command line (trusted as an admin).
    Cli,
}

impl By<'_> {
    /// The user's id, if a person acts.
    pub fn id(&self) -> Option<UserId> {
        match self {
            Self::User(u) => Some(u.id),
            _ => None,
        }
    }

    /// The name written in the audit log.
    pub fn name(&self) -> &str {
        match self {
            Self::User(u) => &u.username,
            Self::Scheduler => "scheduler",
            Self::Cli => "cli",
        }
    }
}

/// A hash checked when the username does not exist, so both cases cost the same.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(
            b"pressroom-dummy-password",
            &SaltString::generate(&mut OsRng),
        )
        .map(|h| h.to_string())
        .unwrap_or_default()
});

const USER_COLUMNS: &str = "id, username, display_name, role, disabled";

pub(crate) fn user_from_row(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: parse::<Role>(&row.try_get::<String, _>("role")?)?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
    })
}

/// Hashes a password with Argon2id off the async runtime (it takes tens of milliseconds on
/// purpose).
async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| StoreError::Corrupt(format!("cannot hash password: {e}")))
    })
    .await
    .map_err(|e| StoreError::Corrupt(format!("password hashing stopped: {e}")))?
}

impl Store {
    /// Creates an account.
    pub async fn create_user(
        &self,
        username: &str,
        display_name: &str,
        role: Role,
        password: &str,
        by: By<'_>,
    ) -> Result<User> {
        let mut invalid = validate_new_user(username, display_name)
            .err()
            .unwrap_or_default();
        if let Err(e) = validate_password(password) {
            invalid.errors.extend(e.errors);
        }
        invalid.into_result(())?;
        let hash = hash_password(password).await?;
        let now = Timestamp::now();
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "INSERT INTO users (username, display_name, role, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(username)
        .bind(display_name.trim())
        .bind(role.as_str())
        .bind(hash)
        .bind(micros(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            duplicate(e, || {
                format!("the username `{username}` is taken; choose another")
            })
        })?;
        let id: UserId = row.try_get("id")?;
        append(
            &mut *tx,
            NewAuditEntry::new(
                &by,
                "user.add",
                format!("user:{id}"),
                json!({ "username": username, "role": role.as_str() }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(User {
            id,
            username: username.to_owned(),
            display_name: display_name.trim().to_owned(),
            role,
            disabled: false,
        })
    }

    /// Every account, by username.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query(sql(format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY username"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// The account with `username`.
    pub async fn user_by_name(&self, username: &str) -> Result<User> {
        let row = sqlx::query(sql(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
        )))
        .bind(username)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("user `{username}`")))?;
        user_from_row(&row)
    }

    /// The account with `id`.
    pub async fn user(&self, id: UserId) -> Result<User> {
        let row = sqlx::query(sql(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("user {id}")))?;
        user_from_row(&row)
    }

    /// The enabled account matching `username` and `password`, if any. Takes as long for an
    /// unknown name as for a wrong password, so timing does not reveal which names exist.
    pub async fn check_password(&self, username: &str, password: &str) -> Result<Option<User>> {
        let row = sqlx::query(sql(format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = $1"
        )))
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        let (user, hash) = match &row {
            Some(r) => (
                Some(user_from_row(r)?),
                r.try_get::<String, _>("password_hash")?,
            ),
            None => (None, String::new()),
        };
        let password = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || {
            let hash = if hash.is_empty() {
                DUMMY_HASH.as_str()
            } else {
                hash.as_str()
            };
            PasswordHash::new(hash).is_ok_and(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("password check stopped: {e}")))?;
        Ok(user.filter(|u| matches && !u.disabled))
    }

    /// Sets a new password.
    pub async fn set_password(&self, username: &str, password: &str, by: By<'_>) -> Result<()> {
        validate_password(password)?;
        let hash = hash_password(password).await?;
        self.update_user(
            username,
            AccountUpdate::PasswordHash(hash),
            "user.set_password",
            json!({}),
            by,
        )
        .await
    }

    /// Changes a role. Refused when it would leave the site without an enabled admin, or when
    /// an admin would demote themselves ([`check_account_change`]).
    pub async fn set_role(&self, username: &str, role: Role, by: By<'_>) -> Result<()> {
        let details = json!({ "role": role.as_str() });
        self.update_user(
            username,
            AccountUpdate::Role(role),
            "user.set_role",
            details,
            by,
        )
        .await
    }

    /// Disables (or re-enables) an account; its work and audit entries stay. The last enabled
    /// admin cannot be disabled, nor can people disable themselves.
    pub async fn set_disabled(&self, username: &str, disabled: bool, by: By<'_>) -> Result<()> {
        let action = if disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        self.update_user(
            username,
            AccountUpdate::Disabled(disabled),
            action,
            json!({}),
            by,
        )
        .await
    }

    /// Changes one column of an account in a write transaction that first reads the account
    /// and the number of enabled admins, so two admins demoting each other at once cannot both
    /// succeed.
    async fn update_user(
        &self,
        username: &str,
        update: AccountUpdate,
        action: &str,
        details: serde_json::Value,
        by: By<'_>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(sql(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = $1{}",
            self.for_update()
        )))
        .bind(username)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("user `{username}`")))?;
        let target = user_from_row(&row)?;
        let change = match &update {
            AccountUpdate::Role(role) => Some(AccountChange::SetRole(*role)),
            AccountUpdate::Disabled(disabled) => Some(AccountChange::SetDisabled(*disabled)),
            AccountUpdate::PasswordHash(_) => None,
        };
        if let Some(change) = change {
            // Locking every admin row keeps the count true until commit on PostgreSQL; SQLite's
            // write transaction already holds the database.
            let admins = sqlx::query(sql(format!(
                "SELECT id FROM users WHERE role = 'admin' AND disabled = 0{}",
                self.for_update()
            )))
            .fetch_all(&mut *tx)
            .await?
            .len();
            let acting = match by {
                By::User(me) => Some(me),
                _ => None,
            };
            check_account_change(&target, change, acting, admins)?;
        }
        let query = match update {
            AccountUpdate::Role(role) => {
                sqlx::query("UPDATE users SET role = $1 WHERE id = $2").bind(role.as_str())
            }
            AccountUpdate::Disabled(disabled) => {
                sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
                    .bind(i64::from(disabled))
            }
            AccountUpdate::PasswordHash(hash) => {
                sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2").bind(hash)
            }
        };
        query.bind(target.id).execute(&mut *tx).await?;
        append(
            &mut *tx,
            NewAuditEntry::new(&by, action, format!("user:{}", target.id), details),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The column an account update changes.
enum AccountUpdate {
    Role(Role),
    Disabled(bool),
    PasswordHash(String),
}

/// A random password of 20 letters and digits (about 119 bits), without look-alike characters,
/// for `pressroom init` and `user add` when none is given.
pub fn generate_password() -> String {
    use argon2::password_hash::rand_core::RngCore;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut out = String::with_capacity(20);
    while out.len() < 20 {
        let mut byte = [0u8; 1];
        OsRng.fill_bytes(&mut byte);
        // Reject bytes past the largest multiple of the alphabet's size, so every character is
        // equally likely.
        let limit = 256 - (256 % ALPHABET.len());
        if usize::from(byte[0]) < limit {
            out.push(char::from(ALPHABET[usize::from(byte[0]) % ALPHABET.len()]));
        }
    }
    out
}
