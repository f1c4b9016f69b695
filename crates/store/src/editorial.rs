//! The editorial area's read side: translations in any state, with filters and search.

use jiff::Timestamp;
use pressroom_core::release::TranslationId;
use pressroom_core::release::{Release, Translation};
use pressroom_core::user::UserId;
use pressroom_core::workflow::State;
use sqlx::{Any, Row, Transaction};

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
    /// A number (`367`, `No:367/21`) or words of the current text: title, lead or body, in any
    /// case and with or without diacritics (`azerbaycan` finds `Azərbaycan`).
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
        let words = like_patterns(search);
        let order = if filter.state == Some(State::Scheduled) {
            "t.scheduled_at ASC"
        } else {
            "t.updated_at DESC"
        };
        let rows = sqlx::query(sql(format!(
            "SELECT {TRANSLATION_COLUMNS}, v.title, u.username, t.updated_at \
             FROM translations t JOIN releases r ON r.id = t.release_id JOIN revisions v ON v.id = t.head_revision_id \
             JOIN users u ON u.id = v.author_id LEFT JOIN translation_search s ON s.translation_id = t.id \
             WHERE ($1 = '' OR t.state = $1) AND t.state <> 'deleted' \
             AND ($2 = '' OR r.kind = $2) AND ($3 = '' OR t.lang = $3) AND ($4 = 0 OR v.author_id = $4) \
             AND ($5 = '' OR r.seq = $6 OR (s.text LIKE $5 ESCAPE '\\' AND s.text LIKE $7 ESCAPE '\\' \
                  AND s.text LIKE $8 ESCAPE '\\' AND s.text LIKE $9 ESCAPE '\\')) \
             ORDER BY {order}, t.id DESC LIMIT $10 OFFSET $11"
        )))
        .bind(filter.state.map_or("", State::as_str))
        .bind(filter.kind.as_deref().unwrap_or(""))
        .bind(filter.lang.as_deref().unwrap_or(""))
        .bind(filter.author.unwrap_or(0))
        .bind(&words[0])
        .bind(number)
        .bind(&words[1])
        .bind(&words[2])
        .bind(&words[3])
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

/// How many separate words the editorial search matches; the rest of a long query must then
/// appear in order after the fourth.
const SEARCH_WORDS: usize = 4;

/// `LIKE` patterns for the words of `search`, folded as the stored text is: the first is `""`
/// when there is nothing to search for, unused ones match anything.
fn like_patterns(search: &str) -> [String; SEARCH_WORDS] {
    let folded = pressroom_core::fold::fold(search);
    let mut words: Vec<String> = folded
        .split_whitespace()
        .map(|word| {
            word.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        })
        .collect();
    if words.len() > SEARCH_WORDS {
        let rest = words.split_off(SEARCH_WORDS - 1).join("%");
        words.push(rest);
    }
    let mut out: [String; SEARCH_WORDS] = Default::default();
    for (slot, pattern) in out.iter_mut().enumerate() {
        *pattern = match words.get(slot) {
            Some(word) => format!("%{word}%"),
            None if slot == 0 => String::new(),
            None => "%".to_owned(),
        };
    }
    out
}

/// The folded text the editorial list searches: title, lead and body of the head revision.
fn head_text(title: &str, lead: &str, body: &str) -> String {
    pressroom_core::fold::fold(&format!("{title}\n{lead}\n{body}"))
}

/// Records the new head revision's text for the editorial search; called with every revision.
pub(crate) async fn index_head_text(
    tx: &mut Transaction<'static, Any>,
    translation_id: TranslationId,
    title: &str,
    lead: &str,
    body: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO translation_search (translation_id, text) VALUES ($1, $2) \
         ON CONFLICT (translation_id) DO UPDATE SET text = excluded.text",
    )
    .bind(translation_id)
    .bind(head_text(title, lead, body))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes the search text of every translation that lacks one (the migration that added the
/// table), a page at a time so a large archive is never all in memory.
pub(crate) async fn fill_translation_search(tx: &mut Transaction<'static, Any>) -> Result<()> {
    let mut after = 0_i64;
    loop {
        let rows = sqlx::query(
            "SELECT t.id, v.title, v.lead, v.body FROM translations t \
             JOIN revisions v ON v.id = t.head_revision_id WHERE t.id > $1 ORDER BY t.id LIMIT 500",
        )
        .bind(after)
        .fetch_all(&mut **tx)
        .await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.try_get("id")?;
        for row in &rows {
            let title: String = row.try_get("title")?;
            let lead: String = row.try_get("lead")?;
            let body: String = row.try_get("body")?;
            index_head_text(tx, row.try_get("id")?, &title, &lead, &body).await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::like_patterns;

    #[test]
    fn search_words_are_folded_escaped_and_capped() {
        assert_eq!(like_patterns("  "), ["", "%", "%", "%"]);
        assert_eq!(
            like_patterns("Sərhəd  İRAN"),
            ["%serhed%", "%iran%", "%", "%"]
        );
        assert_eq!(like_patterns("50%_off"), ["%50\\%\\_off%", "%", "%", "%"]);
        assert_eq!(like_patterns("a b c d e"), ["%a%", "%b%", "%c%", "%d%e%"]);
    }
}
