//! The `[mail]` section of the configuration file: the SMTP server subscribers' mail goes
//! through. Without the section there are no e-mail subscriptions. The password may come
//! from `PRESSROOM_MAIL_PASSWORD` instead of the file, to keep it out of files that are
//! copied around.

use std::path::Path;
use std::time::Duration;

use pressroom_web::{MailConfig, MailSecurity};

use crate::config::{ConfigError, Env};

/// The keys of the section.
const KEYS: &[&str] = &[
    "host",
    "port",
    "security",
    "username",
    "password",
    "from",
    "hello_name",
    "timeout_secs",
];

/// Seconds the SMTP server has to answer each step, unless configured.
const DEFAULT_TIMEOUT_SECS: u64 = 30;

/// Reads `[mail]` from the file's table, if there is one.
pub fn read(
    file: Option<(&Path, &toml::Table)>,
    env: Env<'_>,
) -> Result<Option<MailConfig>, ConfigError> {
    let Some((path, table)) = file else {
        return Ok(None);
    };
    let Some(section) = table.get("mail") else {
        return Ok(None);
    };
    let source = path.display().to_string();
    let error = |key: &str, message: String| ConfigError {
        source: source.clone(),
        key: format!("mail.{key}"),
        message,
    };
    let Some(section) = section.as_table() else {
        return Err(error(
            "",
            "write it as a [mail] section with host, port, security and from".to_owned(),
        ));
    };
    if let Some(unknown) = section.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(error(
            unknown,
            format!(
                "unknown setting; the [mail] settings are {}",
                KEYS.join(", ")
            ),
        ));
    }
    let text = |key: &str| -> Result<Option<String>, ConfigError> {
        match section.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(other) => Err(error(
                key,
                format!(
                    "expected a quoted string, found {} `{other}`",
                    other.type_str()
                ),
            )),
        }
    };
    let number = |key: &str, max: i64| -> Result<Option<u64>, ConfigError> {
        match section.get(key) {
            None => Ok(None),
            Some(toml::Value::Integer(n)) if (1..=max).contains(n) => Ok(u64::try_from(*n).ok()),
            Some(other) => Err(error(
                key,
                format!("expected a whole number from 1 to {max}, found `{other}`"),
            )),
        }
    };
    let host = text("host")?.ok_or_else(|| {
        error(
            "host",
            "name the SMTP server, such as host = \"smtp.example.org\"".to_owned(),
        )
    })?;
    let security = match text("security")? {
        None => MailSecurity::default(),
        Some(name) => MailSecurity::from_name(&name).ok_or_else(|| {
            error(
                "security",
                format!(
                    "`{name}` is not a choice; use {} (starttls for port 587, tls for 465, none only \
                     for a relay on this machine)",
                    MailSecurity::NAMES.join(", ")
                ),
            )
        })?,
    };
    let username = text("username")?;
    let password = env("PRESSROOM_MAIL_PASSWORD").or(text("password")?);
    let credentials = match (username, password) {
        (Some(user), Some(password)) => Some((user, password)),
        (None, None) => None,
        (Some(_), None) => {
            return Err(error(
                "password",
                "a username is set but no password; set password here or PRESSROOM_MAIL_PASSWORD"
                    .to_owned(),
            ));
        }
        (None, Some(_)) => {
            return Err(error(
                "username",
                "a password is set but no username".to_owned(),
            ));
        }
    };
    let config = MailConfig {
        host,
        port: number("port", 65_535)?.and_then(|p| u16::try_from(p).ok()),
        security,
        credentials,
        from: text("from")?.ok_or_else(|| {
            error(
                "from",
                "give the sender, such as from = \"Press service <press@example.org>\"".to_owned(),
            )
        })?,
        hello_name: text("hello_name")?,
        timeout: Duration::from_secs(number("timeout_secs", 600)?.unwrap_or(DEFAULT_TIMEOUT_SECS)),
    };
    config.sender().map_err(|message| error("from", message))?;
    Ok(Some(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str, env: Env<'_>) -> Result<Option<MailConfig>, ConfigError> {
        let table: toml::Table = text.parse().unwrap();
        read(Some((Path::new("pressroom.toml"), &table)), env)
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn a_mail_section_is_read_and_checked() {
        assert_eq!(read_text("listen = \"x\"", &no_env).unwrap(), None);
        let config = read_text(
            "[mail]\nhost = \"smtp.example.org\"\nport = 2525\nsecurity = \"none\"\n\
             from = \"Press service <press@example.org>\"\nusername = \"press\"",
            &|k| (k == "PRESSROOM_MAIL_PASSWORD").then(|| "secret".to_owned()),
        )
        .unwrap()
        .unwrap();
        assert_eq!(config.port, Some(2525));
        assert_eq!(config.security, MailSecurity::None);
        assert_eq!(
            config.credentials,
            Some(("press".to_owned(), "secret".to_owned()))
        );
        assert_eq!(config.timeout, Duration::from_secs(30));
        for (text, key, says) in [
            (
                "[mail]\nfrom = \"a@example.org\"",
                "mail.host",
                "SMTP server",
            ),
            ("[mail]\nhost = \"h\"", "mail.from", "sender"),
            (
                "[mail]\nhost = \"h\"\nfrom = \"not an address\"",
                "mail.from",
                "not a sender",
            ),
            (
                "[mail]\nhost = \"h\"\nfrom = \"a@example.org\"\nsecurity = \"ssl\"",
                "mail.security",
                "starttls",
            ),
            (
                "[mail]\nhost = \"h\"\nfrom = \"a@example.org\"\nport = 0",
                "mail.port",
                "1 to 65535",
            ),
            (
                "[mail]\nhost = \"h\"\nfrom = \"a@example.org\"\nusername = \"u\"",
                "mail.password",
                "PRESSROOM_MAIL_PASSWORD",
            ),
            (
                "[mail]\nhost = \"h\"\nfrom = \"a@example.org\"\nsmtp = 1",
                "mail.smtp",
                "unknown",
            ),
            ("mail = 1", "mail.", "[mail] section"),
        ] {
            let err = read_text(text, &no_env).unwrap_err();
            assert_eq!(err.key, key, "{text}");
            assert!(err.message.contains(says), "{text}: {}", err.message);
        }
    }
}
