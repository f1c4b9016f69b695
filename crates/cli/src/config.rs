//! Configuration: a TOML file plus `PRESSROOM_*` environment variables that override it, plus
//! command-line flags that override both.
//!
//! Errors name where the bad value came from (the file and key, or the variable) and what is
//! wrong; the binary exits with status 2 on them.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The name of the config file inside the data folder.
pub const FILE_NAME: &str = "pressroom.toml";

/// The default data folder, relative to where pressroom runs.
pub const DEFAULT_DATA_DIR: &str = "pressroom-data";

/// The default memory for cached pages, in MiB.
pub const DEFAULT_PAGE_CACHE_MB: usize = 64;

/// Default seconds a request head may take from its first byte (slow-header senders).
pub const DEFAULT_HEADER_TIMEOUT_SECS: usize = 10;

/// Default seconds a connection may sit idle, with no request in progress.
pub const DEFAULT_IDLE_TIMEOUT_SECS: usize = 60;

/// Default API requests per minute from one client address (a burst of as many is allowed).
pub const DEFAULT_API_REQUESTS_PER_MINUTE: usize = 1200;

/// Default API requests with a wrong token per minute from one client address.
pub const DEFAULT_API_AUTH_FAILURES_PER_MINUTE: usize = 30;

/// Default days a change-stream entry is kept (a server away longer rebuilds what it derives).
pub const DEFAULT_CHANGE_RETENTION_DAYS: usize = 7;

/// Default proxies whose `X-Forwarded-For` is believed: loopback (a proxy on this host).
pub const DEFAULT_TRUSTED_PROXIES: &str = "127.0.0.0/8, ::1/128";

/// The default listening address: loopback only, until an operator chooses otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Everything the binary needs to know to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Where the config file was read from, if one was.
    pub file: Option<PathBuf>,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Folder for the SQLite database, keys and media.
    pub data_dir: PathBuf,
    /// Database URL; empty means the SQLite file in the data folder.
    pub database_url: String,
    /// Public address of the site, without trailing slash.
    pub base_url: String,
    /// Whether `base_url` was configured; if not, the server uses the address it actually
    /// listens on (which matters when `--listen` asks for port 0).
    pub base_url_configured: bool,
    /// Theme folder overriding the default theme.
    pub theme_dir: Option<PathBuf>,
    /// Log filter (`info`, `pressroom=debug,info` …).
    pub log: String,
    /// Memory for cached public pages, in MiB; 0 turns the cache off.
    pub page_cache_mb: usize,
    /// The site's Ed25519 signing key file, when not the default `DATA/keys/signing.key`.
    pub signing_key: Option<PathBuf>,
    /// Where media files live: empty for `DATA/media`, a folder path, or `s3://bucket/prefix`.
    pub media_store: String,
    /// Seconds a request head may take from its first byte before the connection is closed.
    pub header_timeout_secs: usize,
    /// Seconds a connection may stay open with nothing moving (between requests or in one).
    pub idle_timeout_secs: usize,
    /// Most connections open at once; 0 derives it from the open-file limit.
    pub max_connections: usize,
    /// A bearer token that opens `/metrics` from other than loopback addresses.
    pub metrics_token: Option<String>,
    /// API requests per minute from one client address; 0 turns the limit off.
    pub api_requests_per_minute: usize,
    /// API requests with a missing or wrong token per minute from one address; 0: no limit.
    pub api_auth_failures_per_minute: usize,
    /// Proxies whose `X-Forwarded-For` names the client (checked address ranges).
    pub trusted_proxies: pressroom_web::TrustedProxies,
    /// Days change-stream entries are kept before pruning (at least 1).
    pub change_retention_days: usize,
    /// The `[mail]` section: the SMTP server of e-mail subscriptions, if there are any.
    pub mail: Option<pressroom_web::MailConfig>,
}

/// A configuration value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Where: a file path or an environment variable or flag.
    pub source: String,
    /// Which key (empty when the whole file is wrong).
    pub key: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(
                f,
                "configuration error in {}: {}",
                self.source, self.message
            )
        } else {
            write!(
                f,
                "configuration error in {}: `{}`: {}",
                self.source, self.key, self.message
            )
        }
    }
}

impl std::error::Error for ConfigError {}

/// What the command line says, before files and environment are consulted.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--config`.
    pub config_file: Option<PathBuf>,
    /// `--data`.
    pub data_dir: Option<PathBuf>,
    /// `--listen`.
    pub listen: Option<String>,
    /// `--database` (restore's target).
    pub database_url: Option<String>,
}

/// Reads the environment through a function, so tests need not touch the process's variables.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

const KEYS: &[&str] = &[
    "listen",
    "data_dir",
    "database_url",
    "base_url",
    "theme_dir",
    "log",
    "page_cache_mb",
    "signing_key",
    "media_store",
    "header_timeout_secs",
    "idle_timeout_secs",
    "max_connections",
    "metrics_token",
    "api_requests_per_minute",
    "api_auth_failures_per_minute",
    "trusted_proxies",
    "change_retention_days",
    "mail",
];

impl Config {
    /// Loads the configuration: flags over `PRESSROOM_*` variables over the file over
    /// defaults. The file is `--config`, else `PRESSROOM_CONFIG`, else `pressroom.toml` in
    /// the data folder if it exists.
    pub fn load(overrides: &Overrides, env: Env<'_>) -> Result<Self, ConfigError> {
        let explicit_file = overrides
            .config_file
            .clone()
            .or_else(|| env("PRESSROOM_CONFIG").map(PathBuf::from));
        let mut file_values = match &explicit_file {
            Some(path) => Some((path.clone(), read_file(path)?)),
            None => None,
        };
        let data_dir_from_file = file_values
            .as_ref()
            .and_then(|(p, t)| string(p, t, "data_dir").transpose())
            .transpose()?;
        let data_dir = overrides
            .data_dir
            .clone()
            .or_else(|| {
                env("PRESSROOM_DATA_DIR")
                    .filter(|s| !s.is_empty())
                    .map(PathBuf::from)
            })
            .or(data_dir_from_file.map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        if file_values.is_none() {
            let candidate = data_dir.join(FILE_NAME);
            if candidate.is_file() {
                file_values = Some((candidate.clone(), read_file(&candidate)?));
            }
        }
        let get = |key: &str| -> Result<Option<String>, ConfigError> {
            match &file_values {
                Some((path, table)) => string(path, table, key),
                None => Ok(None),
            }
        };
        let env_var = |name: &str| env(name).filter(|s| !s.is_empty());

        let (listen_text, listen_source) = match (
            &overrides.listen,
            env_var("PRESSROOM_LISTEN"),
            get("listen")?,
        ) {
            (Some(flag), _, _) => (flag.clone(), "the --listen flag".to_owned()),
            (None, Some(v), _) => (v, "the PRESSROOM_LISTEN variable".to_owned()),
            (None, None, Some(v)) => (v, source_name(&file_values)),
            (None, None, None) => (DEFAULT_LISTEN.to_owned(), "the defaults".to_owned()),
        };
        let listen: SocketAddr = listen_text.trim().parse().map_err(|_| ConfigError {
            source: listen_source,
            key: "listen".to_owned(),
            message: format!("`{listen_text}` is not an address to listen on; write it as IP:PORT, such as 127.0.0.1:8080"),
        })?;

        let database_url = overrides
            .database_url
            .clone()
            .or_else(|| env_var("PRESSROOM_DATABASE_URL"))
            .or(get("database_url")?)
            .unwrap_or_default();
        if !database_url.is_empty()
            && !["sqlite:", "postgres://", "postgresql://"]
                .iter()
                .any(|p| database_url.starts_with(p))
        {
            let source = if overrides.database_url.is_some() {
                "the --database flag".to_owned()
            } else if env_var("PRESSROOM_DATABASE_URL").is_some() {
                "the PRESSROOM_DATABASE_URL variable".to_owned()
            } else {
                source_name(&file_values)
            };
            return Err(ConfigError {
                source,
                key: "database_url".to_owned(),
                message: "use postgres://USER@HOST/DATABASE for PostgreSQL, or leave it empty for the SQLite file in the data folder".to_owned(),
            });
        }
        let configured_base = env_var("PRESSROOM_BASE_URL").or(get("base_url")?);
        let base_url_configured = configured_base.is_some();
        let base_url = configured_base
            .unwrap_or_else(|| format!("http://{listen}"))
            .trim_end_matches('/')
            .to_owned();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(ConfigError {
                source: source_name(&file_values),
                key: "base_url".to_owned(),
                message: format!(
                    "`{base_url}` must start with http:// or https://, such as https://mfa.example.org"
                ),
            });
        }
        let theme_dir = env_var("PRESSROOM_THEME_DIR")
            .or(get("theme_dir")?)
            .map(PathBuf::from);
        if let Some(dir) = &theme_dir
            && !dir.is_dir()
        {
            return Err(ConfigError {
                source: source_name(&file_values),
                key: "theme_dir".to_owned(),
                message: format!(
                    "{} is not a folder; create it or remove the setting",
                    dir.display()
                ),
            });
        }
        let log = env_var("PRESSROOM_LOG")
            .or(get("log")?)
            .unwrap_or_else(|| "info".to_owned());
        let number = |key: &str, default: usize| -> Result<usize, ConfigError> {
            let variable = format!("PRESSROOM_{}", key.to_uppercase());
            match env_var(&variable) {
                Some(v) => v.trim().parse().map_err(|_| ConfigError {
                    source: format!("the {variable} variable"),
                    key: key.to_owned(),
                    message: format!("`{v}` is not a whole number"),
                }),
                None => match &file_values {
                    Some((path, table)) => Ok(integer(path, table, key)?.unwrap_or(default)),
                    None => Ok(default),
                },
            }
        };
        let page_cache_mb = number("page_cache_mb", DEFAULT_PAGE_CACHE_MB)?;
        let header_timeout_secs = number("header_timeout_secs", DEFAULT_HEADER_TIMEOUT_SECS)?;
        let idle_timeout_secs = number("idle_timeout_secs", DEFAULT_IDLE_TIMEOUT_SECS)?;
        for (key, value) in [
            ("header_timeout_secs", header_timeout_secs),
            ("idle_timeout_secs", idle_timeout_secs),
        ] {
            if value == 0 {
                return Err(ConfigError {
                    source: source_name(&file_values),
                    key: key.to_owned(),
                    message: "must be at least 1 second (10 for headers and 60 for idle connections suit most sites)".to_owned(),
                });
            }
        }
        let max_connections = number("max_connections", 0)?;
        let api_requests_per_minute =
            number("api_requests_per_minute", DEFAULT_API_REQUESTS_PER_MINUTE)?;
        let api_auth_failures_per_minute = number(
            "api_auth_failures_per_minute",
            DEFAULT_API_AUTH_FAILURES_PER_MINUTE,
        )?;
        let change_retention_days = number("change_retention_days", DEFAULT_CHANGE_RETENTION_DAYS)?;
        if change_retention_days == 0 {
            return Err(ConfigError {
                source: source_name(&file_values),
                key: "change_retention_days".to_owned(),
                message: "must be at least 1 day (servers away longer rebuild their caches and index; 7 suits most sites)".to_owned(),
            });
        }
        let trusted_proxies = match env_var("PRESSROOM_TRUSTED_PROXIES") {
            Some(v) => (v, "the PRESSROOM_TRUSTED_PROXIES variable".to_owned()),
            None => (
                get("trusted_proxies")?.unwrap_or_else(|| DEFAULT_TRUSTED_PROXIES.to_owned()),
                source_name(&file_values),
            ),
        };
        let trusted_proxies = trusted_proxies.0.parse().map_err(|message| ConfigError {
            source: trusted_proxies.1,
            key: "trusted_proxies".to_owned(),
            message,
        })?;
        let metrics_token = env_var("PRESSROOM_METRICS_TOKEN")
            .or(get("metrics_token")?)
            .filter(|t| !t.is_empty());
        let signing_key = env_var("PRESSROOM_SIGNING_KEY")
            .or(get("signing_key")?)
            .map(PathBuf::from);
        if let Some(path) = &signing_key
            && path.is_dir()
        {
            let source = if env_var("PRESSROOM_SIGNING_KEY").is_some() {
                "the PRESSROOM_SIGNING_KEY variable".to_owned()
            } else {
                source_name(&file_values)
            };
            return Err(ConfigError {
                source,
                key: "signing_key".to_owned(),
                message: format!(
                    "{} is a folder; give the path of the key file, such as /etc/pressroom/signing.key",
                    path.display()
                ),
            });
        }
        let media_store = env_var("PRESSROOM_MEDIA_STORE")
            .or(get("media_store")?)
            .unwrap_or_default();
        let mail =
            crate::mail_config::read(file_values.as_ref().map(|(p, t)| (p.as_path(), t)), env)?;
        Ok(Self {
            mail,
            media_store,
            header_timeout_secs,
            idle_timeout_secs,
            max_connections,
            metrics_token,
            api_requests_per_minute,
            api_auth_failures_per_minute,
            trusted_proxies,
            change_retention_days,
            file: file_values.map(|(p, _)| p),
            listen,
            data_dir,
            database_url,
            base_url,
            base_url_configured,
            theme_dir,
            log,
            page_cache_mb,
            signing_key,
        })
    }

    /// The signing key file: the configured one, or `keys/signing.key` in the data folder.
    pub fn signing_key_path(&self) -> PathBuf {
        self.signing_key
            .clone()
            .unwrap_or_else(|| self.data_dir.join("keys").join("signing.key"))
    }

    /// The search index's folder: derived data, rebuilt from the database when missing.
    pub fn search_dir(&self) -> PathBuf {
        self.data_dir.join("search")
    }

    /// The media storage: the configured one, or the folder `media` in the data folder.
    pub fn media_storage(
        &self,
    ) -> Result<std::sync::Arc<dyn pressroom_media::Storage>, ConfigError> {
        pressroom_media::storage::open(&self.media_store, &self.data_dir.join("media")).map_err(
            |e| ConfigError {
                source: "the configuration".to_owned(),
                key: "media_store".to_owned(),
                message: e.message,
            },
        )
    }

    /// The database URL to use: the configured one, or the SQLite file in the data folder.
    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("pressroom.db").display()
            )
        } else {
            self.database_url.clone()
        }
    }
}

fn source_name(file: &Option<(PathBuf, toml::Table)>) -> String {
    file.as_ref().map_or_else(
        || "the defaults".to_owned(),
        |(p, _)| p.display().to_string(),
    )
}

fn read_file(path: &Path) -> Result<toml::Table, ConfigError> {
    let source = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        source: source.clone(),
        key: String::new(),
        message: format!("cannot read the file: {e}"),
    })?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError {
        source: source.clone(),
        key: String::new(),
        message: format!("not valid TOML: {}", e.to_string().trim()),
    })?;
    if let Some(unknown) = table.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(ConfigError {
            source,
            key: unknown.clone(),
            message: format!("unknown setting; the settings are {}", KEYS.join(", ")),
        });
    }
    Ok(table)
}

fn string(path: &Path, table: &toml::Table, key: &str) -> Result<Option<String>, ConfigError> {
    match table.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(ConfigError {
            source: path.display().to_string(),
            key: key.to_owned(),
            message: format!(
                "expected a quoted string, found {} `{other}`",
                other.type_str()
            ),
        }),
    }
}

fn integer(path: &Path, table: &toml::Table, key: &str) -> Result<Option<usize>, ConfigError> {
    match table.get(key) {
        None => Ok(None),
        Some(toml::Value::Integer(n)) if (0..=1_000_000).contains(n) => {
            Ok(usize::try_from(*n).ok())
        }
        Some(other) => Err(ConfigError {
            source: path.display().to_string(),
            key: key.to_owned(),
            message: format!("expected a whole number from 0 to 1000000, found `{other}`"),
        }),
    }
}

/// The commented config file `pressroom init` writes.
pub fn default_file_text() -> String {
    format!(
        r#"# Pressroom configuration. Every setting can be overridden by an environment variable
# named PRESSROOM_ and the setting's name in capitals (PRESSROOM_LISTEN, PRESSROOM_DATA_DIR,
# PRESSROOM_DATABASE_URL, PRESSROOM_MAX_CONNECTIONS …). Site settings such as languages, the time zone and the
# rights notice are edited in the admin area, not here, because every server shares them.

# Address to listen on. Keep it on loopback behind a reverse proxy that terminates TLS.
listen = "{DEFAULT_LISTEN}"

# Database. Empty: the SQLite file pressroom.db in the data folder (fine for one server).
# For several servers, point every one at the same PostgreSQL:
#   database_url = "postgres://pressroom@db.internal/pressroom"
database_url = ""

# The public address of the site, used in canonical links, feeds and share links.
# base_url = "https://mfa.example.org"

# A folder whose templates/ and assets/ override the default theme, file by file.
# theme_dir = "/etc/pressroom/theme"

# Log filter: error, warn, info, debug, or per module (pressroom_web=debug,info).
log = "info"

# Memory for cached public pages, in MiB (0 turns the cache off).
page_cache_mb = {DEFAULT_PAGE_CACHE_MB}
# The site's Ed25519 signing key (readable by its owner only). Default: keys/signing.key in
# the data folder. With several servers, give every one the same file.
# signing_key = "/etc/pressroom/signing.key"

# Where banners and attachments are kept. Empty: the folder media/ in the data folder (fine
# for one server). For several servers, an S3-compatible bucket they all share; its endpoint,
# region and credentials come from the usual AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID
# and AWS_SECRET_ACCESS_KEY variables (AWS_ALLOW_HTTP=true for a plain-HTTP endpoint):
#   media_store = "s3://ministry-media/press"
media_store = ""

# Connections. A request head must arrive within header_timeout_secs of its first byte; a
# connection on which nothing moves (between requests, or a stalled upload) is closed after
# idle_timeout_secs. At most
# max_connections are open at once (0: derived from the open-file limit, which is raised to
# the system's hard limit at start); at the cap the idlest connection is closed to make room,
# and when all are busy a new one is refused with 503 and Retry-After.
header_timeout_secs = {DEFAULT_HEADER_TIMEOUT_SECS}
idle_timeout_secs = {DEFAULT_IDLE_TIMEOUT_SECS}
max_connections = 0

# API requests per minute from one client address, and of those with a missing or wrong
# token (0 turns a limit off). Past either the API answers 429 with Retry-After.
api_requests_per_minute = {DEFAULT_API_REQUESTS_PER_MINUTE}
api_auth_failures_per_minute = {DEFAULT_API_AUTH_FAILURES_PER_MINUTE}

# The proxies (load balancers, TLS terminators) whose X-Forwarded-For header names the
# client, for login throttling, the audit log and the API limits: address ranges separated
# by commas. From any other peer the header is ignored. Empty trusts nobody.
trusted_proxies = "{DEFAULT_TRUSTED_PROXIES}"

# Days the change stream (which other servers, the page cache and the search index follow)
# keeps its entries; a server away longer rebuilds its index instead of replaying.
change_retention_days = {DEFAULT_CHANGE_RETENTION_DAYS}

# /metrics answers loopback addresses only, unless this bearer token is sent
# (Authorization: Bearer TOKEN), e.g. by a Prometheus on another host.
# metrics_token = "a long random string"

# E-mail subscriptions need an SMTP server to hand mail to; without this section the site
# has none. security is starttls (port 587), tls (465) or none (a relay on this machine).
# The password may come from PRESSROOM_MAIL_PASSWORD instead.
# [mail]
# host = "smtp.example.org"
# port = 587
# security = "starttls"
# username = "press"
# password = "…"
# from = "Press service <press@example.org>"
# (Sections come last in this file: a setting below a [section] line belongs to it.)
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join(FILE_NAME);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn defaults_then_file_then_environment_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::load(
            &Overrides {
                data_dir: Some(dir.path().into()),
                ..Default::default()
            },
            &no_env,
        )
        .unwrap();
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert!(config.database_url().starts_with("sqlite://"));
        assert_eq!(config.base_url, "http://127.0.0.1:8080");

        write(
            dir.path(),
            "listen = \"127.0.0.1:9000\"\nbase_url = \"https://mfa.example.org/\"\n",
        );
        let overrides = Overrides {
            data_dir: Some(dir.path().into()),
            ..Default::default()
        };
        let config = Config::load(&overrides, &no_env).unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.base_url, "https://mfa.example.org");

        let env = |k: &str| (k == "PRESSROOM_LISTEN").then(|| "127.0.0.1:9100".to_owned());
        assert_eq!(Config::load(&overrides, &env).unwrap().listen.port(), 9100);
        let flag = Overrides {
            listen: Some("127.0.0.1:9200".into()),
            ..overrides
        };
        assert_eq!(Config::load(&flag, &env).unwrap().listen.port(), 9200);
    }

    #[test]
    fn the_environment_can_choose_the_data_folder_and_database() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().display().to_string();
        let env = move |k: &str| match k {
            "PRESSROOM_DATA_DIR" => Some(data.clone()),
            "PRESSROOM_DATABASE_URL" => Some("postgres://p@127.0.0.1/x".to_owned()),
            _ => None,
        };
        let config = Config::load(&Overrides::default(), &env).unwrap();
        assert_eq!(config.data_dir, dir.path());
        assert_eq!(config.database_url(), "postgres://p@127.0.0.1/x");
    }

    #[test]
    fn errors_name_the_file_the_key_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let overrides = Overrides {
            data_dir: Some(dir.path().into()),
            ..Default::default()
        };
        let path = write(dir.path(), "listen = 8080\n");
        let err = Config::load(&overrides, &no_env).unwrap_err();
        assert_eq!(err.source, path.display().to_string());
        assert_eq!(err.key, "listen");
        assert!(err.message.contains("quoted string"), "{err}");

        write(dir.path(), "listen = \"localhost\"\n");
        let err = Config::load(&overrides, &no_env).unwrap_err();
        assert!(
            err.to_string()
                .contains("`listen`: `localhost` is not an address"),
            "{err}"
        );

        write(dir.path(), "lisen = \"127.0.0.1:1\"\n");
        assert!(
            Config::load(&overrides, &no_env)
                .unwrap_err()
                .to_string()
                .contains("`lisen`: unknown setting")
        );

        write(dir.path(), "listen = \n");
        assert!(
            Config::load(&overrides, &no_env)
                .unwrap_err()
                .message
                .contains("not valid TOML")
        );

        write(dir.path(), "page_cache_mb = -1\n");
        assert_eq!(
            Config::load(&overrides, &no_env).unwrap_err().key,
            "page_cache_mb"
        );

        write(dir.path(), "database_url = \"mysql://x\"\n");
        assert_eq!(
            Config::load(&overrides, &no_env).unwrap_err().key,
            "database_url"
        );

        let env = |k: &str| (k == "PRESSROOM_LISTEN").then(|| "nope".to_owned());
        std::fs::remove_file(dir.path().join(FILE_NAME)).unwrap();
        let err = Config::load(&overrides, &env).unwrap_err();
        assert_eq!(err.source, "the PRESSROOM_LISTEN variable");
    }

    #[test]
    fn the_default_file_loads_as_written() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &default_file_text());
        let overrides = Overrides {
            data_dir: Some(dir.path().into()),
            ..Default::default()
        };
        assert_eq!(
            Config::load(&overrides, &no_env)
                .unwrap()
                .listen
                .to_string(),
            DEFAULT_LISTEN
        );
    }
}
