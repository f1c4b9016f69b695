//! `pressroom`: the one binary of Pressroom. Parses the command line, loads the configuration
//! and hands over to one command module. Exit status: 0 done, 1 failed, 2 bad configuration or
//! usage.

mod archive;
mod authenticity;
mod backup;
mod commands;
mod config;
mod content;
mod demo;
mod export;
mod import;
mod mail_config;
mod media;
mod progress;
mod restore;
mod serve;
mod subscribers;
// Read by `pressroom import wxr`, whose driver lands on its own branch.
mod wxr;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, ConfigError, Overrides};

/// Pressroom: the publishing system of a government press service.
#[derive(Debug, Parser)]
#[command(name = "pressroom", version, about, long_about = None)]
struct Cli {
    /// Data folder: the SQLite database, keys and media [env: PRESSROOM_DATA_DIR] [default: ./pressroom-data]
    #[arg(long = "data", global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Config file [env: PRESSROOM_CONFIG] [default: DATA/pressroom.toml]
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new site: config file, data folder, database and the first admin.
    Init {
        /// Username of the first admin.
        #[arg(long, default_value = "admin")]
        admin: String,
        /// Read the admin's password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Run the web server (and the scheduled-publication job).
    Serve {
        /// Address to listen on [env: PRESSROOM_LISTEN] [default: 127.0.0.1:8080]
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Bring the database schema up to date and report what was applied.
    Migrate,
    /// Rebuild the search index from the database, with progress (stop the server first; a
    /// running server keeps its index current by itself).
    Reindex,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Media files: banners and attachments.
    #[command(subcommand)]
    Media(MediaCommand),
    /// Fill the data folder with a demo ministry (once) and serve it.
    Demo {
        /// Address to listen on [env: PRESSROOM_LISTEN] [default: 127.0.0.1:8080]
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// The site's signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The hash-chained publication log.
    #[command(subcommand)]
    Log(LogCommand),
    /// Write everything the site needs (database, media, signing key, config) to one file,
    /// while it serves. The file holds the signing key: it is created with mode 0600.
    Backup {
        /// The backup file to write (conventionally `NAME.tar.gz`).
        file: PathBuf,
    },
    /// Restore a backup into an empty database, media storage and data folder; refuses (and
    /// changes nothing) when any of them holds a site, or the file is damaged or newer.
    Restore {
        /// The backup file.
        file: PathBuf,
        /// The database to restore into, overriding the configured one (e.g. postgres://… to
        /// move a site from SQLite to PostgreSQL) [env: PRESSROOM_DATABASE_URL]
        #[arg(long = "database", value_name = "URL")]
        database_url: Option<String>,
    },
    /// E-mail subscribers.
    #[command(subcommand)]
    Subscribers(SubscribersCommand),
    /// The content itself, in an open format.
    #[command(subcommand)]
    Content(ContentCommand),
    /// Bring in an archive: releases published with their historical numbers, dates and
    /// old addresses (docs/import.md). Checks everything first; re-running skips what was
    /// imported before.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Write the public site as static files for any web server or CDN (docs/export.md): every
    /// page as the server sends it, feeds, sitemaps, keys, signed forms, media, assets and the
    /// redirects. Into the same folder again, rewrites only what changed.
    Export {
        /// The folder to write (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The site's public address the pages name (canonical links, feeds, sitemaps)
        /// [default: the configured base_url]
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Write into a folder that is not empty and holds no previous export.
        #[arg(long)]
        force: bool,
        /// Ask for every page again instead of only those changed since the last export.
        #[arg(long)]
        full: bool,
    },
    /// Check a signed release file offline against a downloaded keys.json; exit 1 unless genuine.
    Verify {
        /// The signed file (`…/signed.json` from a release page).
        file: PathBuf,
        /// The site's key list, from /.well-known/pressroom/keys.json.
        #[arg(long, value_name = "KEYS_JSON")]
        keys: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// List every signing key with its validity.
    List,
    /// Make a new signing key; the old one stays published as retired.
    Rotate,
}

#[derive(Debug, Subcommand)]
enum LogCommand {
    /// Check every entry, link and signature; report the first that does not match (exit 1).
    Verify,
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// A folder of Markdown files, one per translation, with TOML (`+++`) or YAML (`---`)
    /// front matter: kind, lang, release, number, date, title, topics, banner, old_urls.
    Markdown {
        /// The folder (read recursively, `*.md`).
        dir: PathBuf,
        /// The kind of files whose front matter names none.
        #[arg(long, default_value = "press-release")]
        kind: String,
        #[command(flatten)]
        run: ImportArgs,
    },
    /// A WordPress export (Tools → Export → All content): published posts become releases,
    /// categories and tags topics, featured images banners; Polylang translations one release.
    Wxr {
        /// The export file (`.xml`).
        file: PathBuf,
        /// The language of posts the export gives none for (no Polylang); the site's first
        /// language otherwise.
        #[arg(long)]
        lang: Option<String>,
        /// The kind posts become.
        #[arg(long, default_value = "press-release")]
        kind: String,
        /// A copy of the old site's `wp-content/uploads`, read instead of fetching files.
        #[arg(long, value_name = "DIR")]
        uploads: Option<PathBuf>,
        /// How headlines carry numbers: a regular expression with a group `seq` (and `yy`);
        /// the default reads `No:367/21` and `No: 350`.
        #[arg(long, value_name = "REGEX")]
        number_pattern: Option<String>,
        /// The kind posts whose headline carries no number become (`news`); without it,
        /// such posts are refused when `--kind` is numbered.
        #[arg(long, value_name = "KIND")]
        unnumbered_kind: Option<String>,
        #[command(flatten)]
        run: ImportArgs,
    },
}

/// What every import takes.
#[derive(Debug, Args)]
struct ImportArgs {
    /// Check everything and print the report; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Import the releases that pass even when others are refused.
    #[arg(long)]
    skip_refused: bool,
    /// The admin the import is recorded as (the first enabled admin otherwise).
    #[arg(long = "as", value_name = "USERNAME")]
    as_user: Option<String>,
}

impl ImportArgs {
    fn options(self) -> import::Options {
        import::Options {
            dry_run: self.dry_run,
            skip_refused: self.skip_refused,
            as_user: self.as_user,
        }
    }
}

#[derive(Debug, Subcommand)]
enum ContentCommand {
    /// Write every translation with its revisions, publications and signed forms as JSON
    /// Lines (docs/content-export.md); `-` writes to standard output.
    Export {
        /// The file to write.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum SubscribersCommand {
    /// Add a mailing list moved from an earlier system, confirmed (its owners opted in
    /// there): one `email,lang[,frequency[,languages[,kinds[,topics]]]]` per line.
    Import {
        /// The list, a UTF-8 text file.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum MediaCommand {
    /// Delete stored files that no revision shows any more (never done automatically).
    Gc {
        /// List what would be deleted and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Spare anything uploaded within this many hours: its revision may not be saved yet.
        #[arg(long, value_name = "HOURS", default_value_t = 24)]
        min_age_hours: u32,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add an account; prints a generated password unless --password-stdin is given.
    Add {
        /// Sign-in name (lowercase letters, digits, `.`, `_`, `-`).
        username: String,
        /// author, editor or admin.
        #[arg(long)]
        role: String,
        /// Name shown in the editorial area [default: the username].
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
    /// Disable an account: it can no longer sign in; its work stays.
    Disable {
        /// Sign-in name.
        username: String,
    },
    /// Re-enable a disabled account.
    Enable {
        /// Sign-in name.
        username: String,
    },
    /// Set a new password; prints a generated one unless --password-stdin is given.
    SetPassword {
        /// Sign-in name.
        username: String,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change an account's role.
    SetRole {
        /// Sign-in name.
        username: String,
        /// author, editor or admin.
        role: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let listen = match &cli.command {
        Command::Serve { listen } | Command::Demo { listen } => listen.clone(),
        _ => None,
    };
    let database_url = match &cli.command {
        Command::Restore { database_url, .. } => database_url.clone(),
        _ => None,
    };
    let overrides = Overrides {
        config_file: cli.config.clone(),
        data_dir: cli.data_dir.clone(),
        listen,
        database_url,
    };
    let config = match Config::load(&overrides, &|name| std::env::var(name).ok()) {
        Ok(config) => config,
        Err(e) => return config_error(&e),
    };
    // A backup reads, and a restore writes, whole tables in one statement each: sqlx's
    // "slow statement" warnings would only be noise there.
    let whole_tables = matches!(
        cli.command,
        Command::Backup { .. } | Command::Restore { .. }
    );
    if whole_tables && !config.log.contains("sqlx") {
        init_logging(&format!("{},sqlx::query=error", config.log));
    } else {
        init_logging(&config.log);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Init {
                admin,
                password_stdin,
            } => commands::init(&config, &admin, password_stdin).await,
            Command::Serve { .. } => commands::serve(&config).await,
            Command::Migrate => commands::migrate(&config).await,
            Command::Reindex => commands::reindex(&config).await,
            Command::User(command) => commands::user(&config, command).await,
            Command::Media(MediaCommand::Gc {
                dry_run,
                min_age_hours,
            }) => media::gc(&config, dry_run, min_age_hours).await,
            Command::Demo { .. } => demo::run(&config).await,
            Command::Keys(command) => {
                let store = commands::open_store(&config).await?;
                match command {
                    KeysCommand::List => authenticity::list(&config, &store).await,
                    KeysCommand::Rotate => authenticity::rotate(&config, &store).await,
                }
            }
            Command::Log(LogCommand::Verify) => {
                authenticity::verify_log(&commands::open_store(&config).await?).await
            }
            Command::Backup { file } => backup::backup(&config, &file).await,
            Command::Restore { file, .. } => restore::restore(&config, &file).await,
            Command::Verify { file, keys } => authenticity::verify_file(&file, &keys),
            Command::Export {
                out,
                base_url,
                force,
                full,
            } => {
                let args = export::ExportArgs {
                    out,
                    base_url,
                    force,
                    full,
                };
                export::export(&config, &args).await
            }
            Command::Content(ContentCommand::Export { file }) => {
                content::export(&config, &file).await
            }
            Command::Import(ImportCommand::Markdown { dir, kind, run }) => {
                import::markdown(&config, &dir, &kind, &run.options()).await
            }
            Command::Import(ImportCommand::Wxr {
                file,
                lang,
                kind,
                uploads,
                number_pattern,
                unnumbered_kind,
                run,
            }) => {
                let args = import::WxrArgs {
                    lang,
                    kind,
                    uploads,
                    number_pattern,
                    unnumbered_kind,
                };
                import::wxr(&config, &file, args, &run.options()).await
            }
            Command::Subscribers(SubscribersCommand::Import { file }) => {
                subscribers::import(&config, &file).await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => match e.downcast_ref::<ConfigError>() {
            Some(config_err) => config_error(config_err),
            None => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

fn config_error(e: &ConfigError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(2)
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| {
        eprintln!("warning: log filter `{filter}` is not valid; using `info`");
        tracing_subscriber::EnvFilter::new("info")
    });
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}
