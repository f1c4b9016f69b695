//! The old site's addresses: each answers a permanent redirect to its new page. Imports write
//! them pointing at a translation (so the redirect follows the page if its address changes);
//! an admin can add one to any path of the site, change or remove it.

use jiff::Timestamp;
use pressroom_core::Invalid;
use pressroom_core::import::old_path;
use pressroom_core::release::{TranslationId, release_path};
use serde_json::json;
use sqlx::Row;

use crate::audit::{NewAuditEntry, append};
use crate::rows::micros;
use crate::users::By;
use crate::{Change, Result, Store, StoreError};

/// One old address and where it leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The old path (with its query, if any).
    pub old_path: String,
    /// The path it redirects to now.
    pub target: String,
    /// The translation it follows, when an import made it.
    pub translation_id: Option<TranslationId>,
    /// When it was made.
    pub created_at: Timestamp,
}

/// Longest page of the admin's list.
pub const REDIRECT_PAGE: i64 = 100;

impl Store {
    /// Where the old address `path` leads now, if it is one.
    pub async fn redirect_target(&self, path: &str) -> Result<Option<String>> {
        let Some(path) = old_path(path) else {
            return Ok(None);
        };
        let row = sqlx::query("SELECT translation_id, target FROM redirects WHERE old_path = $1")
            .bind(&path)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            None => Ok(None),
            Some(row) => self.target_of(&row).await.map(Some),
        }
    }

    async fn target_of(&self, row: &sqlx::any::AnyRow) -> Result<String> {
        if let Some(target) = row.try_get::<Option<String>, _>("target")? {
            return Ok(target);
        }
        let id: TranslationId = row.try_get("translation_id")?;
        let translation = self.translation(id).await?;
        let release = self.release(translation.release_id).await?;
        let tz = self.site_settings().await?.tz();
        Ok(release_path(
            &translation.lang,
            &release,
            &translation.slug,
            &tz,
        ))
    }

    /// The redirects whose old path contains `search` (all when empty), by old path, a page
    /// of [`REDIRECT_PAGE`] from `offset`.
    pub async fn list_redirects(&self, search: &str, offset: i64) -> Result<Vec<Redirect>> {
        let pattern = format!(
            "%{}%",
            search
                .trim()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let rows = sqlx::query(
            "SELECT old_path, translation_id, target, created_at FROM redirects \
             WHERE old_path LIKE $1 ESCAPE '\\' ORDER BY old_path LIMIT $2 OFFSET $3",
        )
        .bind(pattern)
        .bind(REDIRECT_PAGE)
        .bind(offset.max(0))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(Redirect {
                old_path: row.try_get("old_path")?,
                target: self.target_of(row).await?,
                translation_id: row.try_get("translation_id")?,
                created_at: crate::rows::instant(row.try_get("created_at")?)?,
            });
        }
        Ok(out)
    }

    /// How many redirects there are.
    pub async fn count_redirects(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM redirects")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Makes `old` lead to `target` (a path of this site), replacing what it led to. Both
    /// must be paths starting with `/`, and different. Admins only.
    pub async fn save_redirect(&self, old: &str, target: &str, by: By<'_>) -> Result<()> {
        require_admin(&by)?;
        let mut invalid = Invalid::default();
        let old_key = old_path(old).filter(|_| old.trim().starts_with('/'));
        if old_key.is_none() {
            invalid.push(
                "old_path",
                "give the old address as a path starting with `/` (like /en/news/no41620-x)",
            );
        }
        let target = target.trim();
        if !target.starts_with('/')
            || target.starts_with("//")
            || target.chars().any(char::is_control)
        {
            invalid.push(
                "target",
                "give the new address as a path of this site starting with `/`",
            );
        }
        if old_key.as_deref() == old_path(target).as_deref() {
            invalid.push("target", "an address cannot redirect to itself");
        }
        invalid.into_result(())?;
        let old_key = old_key.unwrap_or_default();
        let now = Timestamp::now();
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO redirects (old_path, target, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (old_path) DO UPDATE SET target = excluded.target, translation_id = NULL",
        )
        .bind(&old_key)
        .bind(target)
        .bind(micros(now))
        .execute(&mut *tx)
        .await?;
        append(
            &mut *tx,
            NewAuditEntry::new(
                &by,
                "redirect.save",
                format!("redirect:{old_key}"),
                json!({ "target": target }),
            ),
        )
        .await?;
        let seq = crate::changes::record(&mut tx, self.backend, &Change::Site, now).await?;
        tx.commit().await?;
        self.notify(&Change::Site, seq);
        Ok(())
    }

    /// Removes the redirect from `old`. Admins only.
    pub async fn delete_redirect(&self, old: &str, by: By<'_>) -> Result<()> {
        require_admin(&by)?;
        let key = old_path(old).unwrap_or_default();
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("DELETE FROM redirects WHERE old_path = $1")
            .bind(&key)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(format!(
                "redirect from {}",
                old.trim()
            )));
        }
        append(
            &mut *tx,
            NewAuditEntry::new(&by, "redirect.delete", format!("redirect:{key}"), json!({})),
        )
        .await?;
        let seq =
            crate::changes::record(&mut tx, self.backend, &Change::Site, Timestamp::now()).await?;
        tx.commit().await?;
        self.notify(&Change::Site, seq);
        Ok(())
    }
}

fn require_admin(by: &By<'_>) -> Result<()> {
    if matches!(by, By::User(u) if u.role.can(pressroom_core::user::Capability::Administer)) {
        Ok(())
    } else {
        Err(Invalid::field("user", "only an admin can change redirects").into())
    }
}
