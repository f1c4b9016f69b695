//! The editorial area's read side: translations in any state, with filters and search.

use jiff::Timestamp;
use pressroom_core::release::{Release, Translation};
use pressroom_core::user::UserId;
use pressroom_core::workflow::State;
use sqlx::Row;

use crate::releases::{
    RELEASE_COLUMNS, TRANSLATION_COLUMNS, release_from_row, translation_from_row,
};
use crate::rows::{instant, sql};
use crate::{Result, Store};

/// Which translations the editorial list shows.
#[derive(Debug, Clone, Default)]
pub struct EditorialFilter {
    /// Only this state.
    pub state: Option<State>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only this language.
    pub lang: Option<String>,
    /// Only translations whose newest revision is by this user.
    pub author: Option<UserId>,
    /// A number (`367`) or words of the title.
    pub search: Option<String>,
    /// Page size.
    pub limit: i64,
    /// Rows to skip.
    pub offset: i64,
}

/// One line of the editorial list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EditorialRow {
    /// The release.
    pub release: Release,
    /// The translation.
    pub translation: Translation,
    /// The newest revision's headline.
    pub title: String,
    /// Who wrote the newest revision.
    pub author: String,
    /// When the translation last changed.
    pub updated_at: Timestamp,
}

impl Store {
    /// Translations matching `filter`, most recently changed first (scheduled ones by due time).
    pub async fn editorial_list(&self, filter: &EditorialFilter) -> Result<Vec<EditorialRow>> {
        let search = filter.search.as_deref().map(str::trim).unwrap_or("");
        let number: i64 = search
            .split(['/', ' '])
            .next()
            .and_then(|n| n.trim_start_matches("No:").parse().ok())
            .unwrap_or(-1);
        let lang_rules = filter.lang.clone().unwrap_or_else(|| "az".to_owned());
        let pattern = if search.is_empty() {
            String::new()
        } else {
            format!(
                "%{}%",
                pressroom_core::language::lowercase(&lang_rules, search)
            )
        };
        let order = if filter.state == Some(State::Scheduled) {
            "t.scheduled_at ASC"
        } else {
            "t.updated_at DESC"
        };
        let rows = sqlx::query(sql(format!(
            "SELECT {TRANSLATION_COLUMNS}, v.title, u.username, t.updated_at \
             FROM translations t JOIN releases r ON r.id = t.release_id JOIN revisions v ON v.id = t.head_revision_id \
             JOIN users u ON u.id = v.author_id \
             WHERE ($1 = '' OR t.state = $1) AND t.state <> 'deleted' \
             AND ($2 = '' OR r.kind = $2) AND ($3 = '' OR t.lang = $3) AND ($4 = 0 OR v.author_id = $4) \
             AND ($5 = '' OR COALESCE(v.search_title, v.title) LIKE $5 OR r.seq = $6) \
             ORDER BY {order}, t.id DESC LIMIT $7 OFFSET $8"
        )))
        .bind(filter.state.map_or("", State::as_str))
        .bind(filter.kind.as_deref().unwrap_or(""))
        .bind(filter.lang.as_deref().unwrap_or(""))
        .bind(filter.author.unwrap_or(0))
        .bind(pattern)
        .bind(number)
        .bind(filter.limit)
        .bind(filter.offset)
        .fetch_all(&self.pool)
        .await?;
        let translations = rows
            .iter()
            .map(translation_from_row)
            .collect::<Result<Vec<_>>>()?;
        // The rows' releases in one query rather than one each (the dashboard shows four lists).
        let ids: Vec<String> = translations
            .iter()
            .map(|t| t.release_id.to_string())
            .collect();
        let releases: std::collections::HashMap<i64, Release> = if ids.is_empty() {
            Default::default()
        } else {
            sqlx::query(sql(format!(
                "SELECT {RELEASE_COLUMNS} FROM releases r WHERE r.id IN ({})",
                ids.join(", ")
            )))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| release_from_row(r).map(|release| (release.id, release)))
            .collect::<Result<_>>()?
        };
        let mut out = Vec::with_capacity(rows.len());
        for (row, translation) in rows.iter().zip(translations) {
            let release = releases
                .get(&translation.release_id)
                .cloned()
                .ok_or_else(|| {
                    crate::StoreError::Corrupt(format!(
                        "release {} is missing",
                        translation.release_id
                    ))
                })?;
            out.push(EditorialRow {
                release,
                translation,
                title: row.try_get("title")?,
                author: row.try_get("username")?,
                updated_at: instant(row.try_get("updated_at")?)?,
            });
        }
        Ok(out)
    }
}
