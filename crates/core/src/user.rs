//! People who use the editorial area, their roles, and what each role may do.
//!
//! Every permission question — in the web layer, the API and the CLI — is answered by
//! [`Role::can`], so the rules live in one place.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
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
    /// Publish releases from an archive with their historical numbers and dates, skipping
    /// review (admins; a token needs the `import` scope of its own, so a token made for
    /// managing the site cannot write history).
    Import,
}

impl Role {
    /// All roles, lowest first.
    pub const ALL: [Role; 3] = [Role::Author, Role::Editor, Role::Admin];

    /// Whether this role has `capability`.
    pub fn can(self, capability: Capability) -> bool {
        match capability {
            Capability::Write => true,
            Capability::Review => self >= Role::Editor,
            Capability::Administer | Capability::Import => self == Role::Admin,
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

/// What an API token may be used for. A token acts as its user, so it can never do more than
/// the user's role allows; its scopes narrow that further (a newsroom importer gets `write`
/// only, even if it acts as an editor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Grants [`Capability::Write`].
    Write,
    /// Grants [`Capability::Review`].
    Review,
    /// Grants [`Capability::Administer`].
    Admin,
    /// Grants [`Capability::Import`].
    Import,
}

impl Scope {
    /// Every scope, in the order forms list them.
    pub const ALL: [Scope; 4] = [Scope::Write, Scope::Review, Scope::Admin, Scope::Import];

    /// The scope's name as stored, typed and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Write => "write",
            Self::Review => "review",
            Self::Admin => "admin",
            Self::Import => "import",
        }
    }

    /// The capability this scope grants.
    pub fn capability(self) -> Capability {
        match self {
            Self::Write => Capability::Write,
            Self::Review => Capability::Review,
            Self::Admin => Capability::Administer,
            Self::Import => Capability::Import,
        }
    }

    /// The scope that grants `capability`, for telling a caller which one their token lacks.
    pub fn granting(capability: Capability) -> Scope {
        match capability {
            Capability::Write => Self::Write,
            Capability::Review => Self::Review,
            Capability::Administer => Self::Admin,
            Capability::Import => Self::Import,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s.trim())
            .ok_or_else(|| format!("`{s}` is not a scope: use write, review, admin or import"))
    }
}

/// An API token: a named secret acting as one user, with scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Identifier.
    pub id: i64,
    /// A name for people ("newsroom importer").
    pub name: String,
    /// The user it acts as.
    pub user: User,
    /// What it may do, within what its user's role allows.
    pub scopes: Vec<Scope>,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

impl ApiToken {
    /// Whether the token may use `capability`: its scopes and its user's role must both allow
    /// it.
    pub fn can(&self, capability: Capability) -> bool {
        self.user.role.can(capability) && self.scopes.contains(&Scope::granting(capability))
    }
}

/// Checks a new token's name and scopes as typed; returns the scopes.
pub fn validate_new_token(name: &str, scopes: &[String]) -> Result<Vec<Scope>, Invalid> {
    let mut invalid = Invalid::default();
    if name.trim().is_empty() || name.chars().count() > 100 {
        invalid.push(
            "name",
            "give the token a name of up to 100 characters, such as \"newsroom importer\"",
        );
    }
    if scopes.is_empty() {
        invalid.push(
            "scopes",
            "choose at least one scope: write, review, admin or import",
        );
    }
    let mut parsed = Vec::new();
    for scope in scopes {
        match scope.parse::<Scope>() {
            Ok(s) if !parsed.contains(&s) => parsed.push(s),
            Ok(_) => {}
            Err(message) => invalid.push("scopes", message),
        }
    }
    invalid.into_result(parsed)
}

/// A change to someone's account that could leave the site without anyone to manage it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountChange {
    /// A new role.
    SetRole(Role),
    /// Disable (`true`) or enable (`false`) the account.
    SetDisabled(bool),
}

/// Refuses account changes that would lock the site's administration out: an admin demoting
/// or disabling themselves (from the web, where they would lose the page they are on), and any
/// change — from the web or the command line — that leaves no enabled admin.
/// `acting` is the person making the change (`None` at the server's command line);
/// `enabled_admins` counts the enabled admins before the change.
pub fn check_account_change(
    target: &User,
    change: AccountChange,
    acting: Option<&User>,
    enabled_admins: usize,
) -> Result<(), Invalid> {
    let is_self = acting.is_some_and(|me| me.id == target.id);
    let removes_admin = target.role == Role::Admin
        && !target.disabled
        && match change {
            AccountChange::SetRole(role) => role != Role::Admin,
            AccountChange::SetDisabled(disabled) => disabled,
        };
    match change {
        AccountChange::SetRole(_) if is_self && removes_admin => Err(Invalid::field(
            "role",
            "you cannot take away your own admin role; ask another admin",
        )),
        AccountChange::SetDisabled(true) if is_self => Err(Invalid::field(
            "username",
            "you cannot disable your own account",
        )),
        AccountChange::SetRole(_) if removes_admin && enabled_admins <= 1 => Err(Invalid::field(
            "role",
            "this is the last enabled admin: make another person admin first",
        )),
        AccountChange::SetDisabled(_) if removes_admin && enabled_admins <= 1 => {
            Err(Invalid::field(
                "username",
                "this is the last enabled admin: make another person admin first",
            ))
        }
        _ => Ok(()),
    }
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

    fn person(id: UserId, role: Role) -> User {
        User {
            id,
            username: format!("user{id}"),
            display_name: format!("User {id}"),
            role,
            disabled: false,
        }
    }

    #[test]
    fn tokens_need_both_the_scope_and_the_role() {
        let token = |role, scopes: &[Scope]| ApiToken {
            id: 1,
            name: "importer".into(),
            user: person(1, role),
            scopes: scopes.to_vec(),
            created_at: Timestamp::UNIX_EPOCH,
            revoked_at: None,
        };
        assert!(token(Role::Editor, &[Scope::Write]).can(Capability::Write));
        assert!(!token(Role::Editor, &[Scope::Write]).can(Capability::Review));
        assert!(!token(Role::Author, &[Scope::Review]).can(Capability::Review));
        assert!(token(Role::Admin, &Scope::ALL).can(Capability::Administer));
        for scope in Scope::ALL {
            assert_eq!(Scope::granting(scope.capability()), scope);
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
        }
    }

    #[test]
    fn new_tokens_are_checked() {
        let scopes = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            validate_new_token("importer", &scopes(&["write", "write", "review"])),
            Ok(vec![Scope::Write, Scope::Review])
        );
        let err = validate_new_token(" ", &scopes(&["root"])).unwrap_err();
        assert!(err.message_for("name").is_some());
        assert!(
            err.message_for("scopes")
                .unwrap()
                .contains("write, review, admin or import")
        );
        assert!(validate_new_token("x", &[]).is_err());
    }

    #[test]
    fn the_last_admin_stays_and_nobody_locks_themselves_out() {
        let admin = person(1, Role::Admin);
        let other = person(2, Role::Admin);
        let editor = person(3, Role::Editor);
        // Oneself, from the web.
        assert!(
            check_account_change(
                &admin,
                AccountChange::SetRole(Role::Editor),
                Some(&admin),
                2
            )
            .is_err()
        );
        assert!(
            check_account_change(&admin, AccountChange::SetDisabled(true), Some(&admin), 2)
                .is_err()
        );
        // Another admin, while a second one remains.
        assert!(
            check_account_change(&other, AccountChange::SetDisabled(true), Some(&admin), 2).is_ok()
        );
        // The last admin, from the command line.
        let last = check_account_change(&admin, AccountChange::SetDisabled(true), None, 1);
        assert!(
            last.unwrap_err()
                .message_for("username")
                .unwrap()
                .contains("last")
        );
        assert!(
            check_account_change(&admin, AccountChange::SetRole(Role::Author), None, 1).is_err()
        );
        // Changes that keep admins are fine.
        assert!(check_account_change(&admin, AccountChange::SetRole(Role::Admin), None, 1).is_ok());
        assert!(check_account_change(&editor, AccountChange::SetDisabled(true), None, 1).is_ok());
        assert!(check_account_change(&admin, AccountChange::SetDisabled(false), None, 1).is_ok());
    }
}
