//! People who use the editorial area, their roles, and what each role may do.
//!
//! Every permission question — in the web layer, the API and the CLI — is answered by
//! [`Role::can`], so the rules live in one place.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Invalid;

/// Identifier of a user.
pub type UserId = i64;

/// What a person does in the press service. Each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A press officer or translator: drafts, translates, submits.
    Author,
    /// The head of the press service: reviews, publishes, schedules, corrects, withdraws.
    Editor,
    /// Manages users, settings, languages, pages and keys; may also do an editor's work.
    Admin,
}

/// Something a user may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Create releases, save revisions, submit, delete unpublished drafts.
    Write,
    /// Approve, reject, schedule, publish, force publish, correct, withdraw.
    Review,
    /// Manage users, site settings, kinds, number series and pages.
    Administer,
}

impl Role {
    /// All roles, lowest first.
    pub const ALL: [Role; 3] = [Role::Author, Role::Editor, Role::Admin];

    /// Whether this role has `capability`.
    pub fn can(self, capability: Capability) -> bool {
        match capability {
            Capability::Write => true,
            Capability::Review => self >= Role::Editor,
            Capability::Administer => self == Role::Admin,
        }
    }

    /// The role's name as stored and typed (`author`, `editor`, `admin`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Author => "author",
            Self::Editor => "editor",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "author" => Ok(Self::Author),
            "editor" => Ok(Self::Editor),
            "admin" => Ok(Self::Admin),
            other => Err(format!(
                "`{other}` is not a role: use author, editor or admin"
            )),
        }
    }
}

/// A person with an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Identifier.
    pub id: UserId,
    /// Sign-in name: lowercase letters, digits, `.`, `_` and `-`.
    pub username: String,
    /// Name shown in the editorial area and the audit log.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// A disabled user cannot sign in; their work and audit entries stay.
    pub disabled: bool,
}

/// The shortest password we accept. Long passphrases beat complexity rules (NIST SP 800-63B).
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Checks a new user's sign-in name and display name.
pub fn validate_new_user(username: &str, display_name: &str) -> Result<(), Invalid> {
    let mut invalid = Invalid::default();
    let ok_chars = username
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    if !(3..=32).contains(&username.len()) || !ok_chars {
        invalid.push(
            "username",
            "use 3 to 32 characters: lowercase letters, digits, `.`, `_` or `-`",
        );
    }
    crate::validate::required_text(&mut invalid, "display_name", display_name, 100);
    invalid.into_result(())
}

/// Checks a new password.
pub fn validate_password(password: &str) -> Result<(), Invalid> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(Invalid::field(
            "password",
            format!(
                "is too short: use at least {MIN_PASSWORD_CHARS} characters (a passphrase is best)"
            ),
        ));
    }
    if chars > 1024 {
        return Err(Invalid::field(
            "password",
            "is too long: at most 1024 characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_lower_roles() {
        assert!(Role::Author.can(Capability::Write));
        assert!(!Role::Author.can(Capability::Review));
        assert!(!Role::Author.can(Capability::Administer));
        assert!(Role::Editor.can(Capability::Review));
        assert!(!Role::Editor.can(Capability::Administer));
        assert!(Role::ALL.iter().all(|r| Role::Admin >= *r));
        assert!(Role::Admin.can(Capability::Review) && Role::Admin.can(Capability::Administer));
    }

    #[test]
    fn role_names_round_trip_and_bad_ones_explain() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!(
            "root"
                .parse::<Role>()
                .unwrap_err()
                .contains("author, editor or admin")
        );
    }

    #[test]
    fn usernames_and_passwords_are_checked() {
        assert!(validate_new_user("leyla.h", "Leyla H.").is_ok());
        let err = validate_new_user("Le", " ").unwrap_err();
        assert!(err.message_for("username").is_some());
        assert!(err.message_for("display_name").is_some());
        assert!(validate_password("short").is_err());
        assert!(validate_password("correct horse battery").is_ok());
    }
}
