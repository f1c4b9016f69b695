//! The commands other than `demo` and the authenticity ones: init, serve, migrate, user. Each is a short script over the
//! store and web crates; anything reusable belongs there, not here.

use std::io::BufRead;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use pressroom_core::settings::SiteSettings;
use pressroom_core::user::Role;
use pressroom_store::{By, Store, StoreError, generate_password};
use pressroom_web::{AppState, WebConfig, router, scheduler, search_feed, stream};
use tokio::sync::watch;

use crate::UserCommand;
use crate::config::{self, Config};

/// Opens the configured database, migrating it.
pub(crate) async fn open_store(config: &Config) -> anyhow::Result<Store> {
    open_store_checked(config, true).await
}

/// [`open_store`]; with `check`, every page of an SQLite file is read first
/// ([`Store::check_integrity`]), so a command never writes to a damaged file. `serve` opens
/// without it and runs it in the background: a restart must not wait seconds for it.
async fn open_store_checked(config: &Config, check: bool) -> anyhow::Result<Store> {
    if config.database_url.is_empty() {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "cannot create the data folder {}; create it for the user running pressroom, \
                 or choose another with --data",
                config.data_dir.display()
            )
        })?;
    }
    // The embedded database holds webhook secrets, bot tokens, session hashes and
    // subscribers' addresses: a new file is readable by its owner only (SQLite gives its
    // -wal and -shm files the same mode).
    let new_file = config
        .database_url
        .is_empty()
        .then(|| config.data_dir.join("pressroom.db"))
        .filter(|file| !file.exists());
    let store = async {
        let store = Store::connect(&config.database_url()).await?;
        if check {
            store.check_integrity().await?;
        }
        store.migrate().await?;
        Ok::<_, StoreError>(store)
    }
    .await
    .with_context(|| {
        format!(
            "cannot open the database {}",
            redact(&config.database_url())
        )
    })?;
    if let Some(file) = new_file {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot make {} private (mode 0600)", file.display()))?;
    }
    Ok(store)
}

/// The URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => match url[scheme + 3..at].find(':') {
            Some(colon) => format!("{}:***{}", &url[..scheme + 3 + colon], &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    }
}

fn read_password_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        bail!(
            "standard input gave an empty password; pipe one in, e.g. `printf '%s' \"$PASS\" | pressroom ...`"
        );
    }
    Ok(password)
}

/// `pressroom init`.
pub(crate) async fn init(config: &Config, admin: &str, password_stdin: bool) -> anyhow::Result<()> {
    let password = if password_stdin {
        Some(read_password_stdin()?)
    } else {
        None
    };
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data folder {}",
            config.data_dir.display()
        )
    })?;
    let store = open_store(config).await?;
    let users = store.list_users().await?;
    if !users.is_empty() {
        bail!(
            "{} already holds a Pressroom site with {} account(s); nothing was changed. Use `pressroom user add` \
             to add people, or --data to choose another folder",
            config.data_dir.display(),
            users.len()
        );
    }
    let config_path = config.data_dir.join(config::FILE_NAME);
    if config.file.is_none() && !config_path.exists() {
        std::fs::write(&config_path, config::default_file_text())
            .with_context(|| format!("cannot write {}", config_path.display()))?;
        println!("Wrote the config file {}", config_path.display());
    }
    store.bootstrap(&SiteSettings::default(), By::Cli).await?;
    let (password, generated) = match password {
        Some(p) => (p, false),
        None => (generate_password(), true),
    };
    store
        .create_user(admin, admin, Role::Admin, &password, By::Cli)
        .await
        .map_err(user_error)?;
    crate::authenticity::signing_store(config, store, true).await?;
    println!("Created the site in {}", config.data_dir.display());
    if generated {
        println!("Admin account: {admin}\nPassword (shown only now, store it safely): {password}");
    } else {
        println!("Admin account: {admin} (password from standard input)");
    }
    println!(
        "Start the server with: pressroom serve --data {}",
        config.data_dir.display()
    );
    Ok(())
}

/// `pressroom migrate`.
pub(crate) async fn migrate(config: &Config) -> anyhow::Result<()> {
    let store = Store::connect(&config.database_url())
        .await
        .with_context(|| {
            format!(
                "cannot open the database {}",
                redact(&config.database_url())
            )
        })?;
    let applied = store.migrate().await?;
    if applied.is_empty() {
        println!(
            "The database is up to date (schema version {}).",
            store.schema_version().await?
        );
    } else {
        println!(
            "Applied migrations {applied:?}; schema version is now {}.",
            store.schema_version().await?
        );
    }
    Ok(())
}

/// `pressroom serve`.
pub(crate) async fn serve(config: &Config) -> anyhow::Result<()> {
    let store = open_store_checked(config, false).await?;
    let checking = store.clone();
    tokio::spawn(async move {
        if let Err(e) = checking.check_integrity().await {
            tracing::error!(error = %e, "the database is damaged; this server is not ready");
        }
    });
    let store = crate::authenticity::signing_store(config, store, false).await?;
    serve_store(config, store, |address| {
        println!("Pressroom is running at http://{address}/")
    })
    .await
}

/// Serves `store` until SIGINT or SIGTERM, then finishes requests in flight and stops the
/// scheduler. `on_listening` runs with the bound address (the real port when 0 was asked).
pub(crate) async fn serve_store(
    config: &Config,
    store: Store,
    on_listening: impl FnOnce(std::net::SocketAddr),
) -> anyhow::Result<()> {
    let open_files = crate::serve::raise_open_file_limit();
    let limits = crate::serve::Limits {
        header_timeout: Duration::from_secs(config.header_timeout_secs as u64),
        idle_timeout: Duration::from_secs(config.idle_timeout_secs as u64),
        max_connections: match config.max_connections {
            0 => crate::serve::derived_max_connections(open_files),
            n => n,
        },
    };
    tracing::info!(
        open_files,
        max_connections = limits.max_connections,
        "connection limits"
    );
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}; is another server using it? Choose another with --listen",
                config.listen
            )
        })?;
    let shutdown = shutdown_signal()?;
    let address = listener.local_addr()?;
    let base_url = if config.base_url_configured {
        config.base_url.clone()
    } else {
        format!("http://{address}")
    };
    let web = WebConfig {
        base_url,
        theme_dir: config.theme_dir.clone(),
        cache_bytes: config.page_cache_mb << 20,
        metrics_token: config.metrics_token.clone(),
        api_requests_per_minute: config.api_requests_per_minute,
        api_auth_failures_per_minute: config.api_auth_failures_per_minute,
        search_dir: Some(config.search_dir()),
        trusted_proxies: config.trusted_proxies.clone(),
        mail: config.mail.clone(),
    };
    let state = AppState::new(store.clone(), web, Some(config.media_storage()?))
        .map_err(|e| anyhow::anyhow!("{e}; is another pressroom serving this data folder?"))?;
    tracing::info!(%address, "listening");
    on_listening(address);
    let (stop_tx, stop_rx) = watch::channel(false);
    let job = tokio::spawn(scheduler::run(
        store.clone(),
        state.metrics(),
        stop_rx.clone(),
    ));
    // The site serves at once; the page cache and the search index follow the change stream
    // (a missing or outdated index is rebuilt in the background, and search says so until it
    // is ready).
    let retention = jiff::SignedDuration::from_hours(24 * config.change_retention_days as i64);
    let follower = tokio::spawn(stream::follow(state.clone(), retention, stop_rx.clone()));
    // Deliveries (webhooks, channels) written by publications on any server are sent from
    // here too; the change stream's wake-up (LISTEN on PostgreSQL) reaches it as well.
    let outbox = tokio::spawn(pressroom_web::outbox::follow(state.clone(), stop_rx));
    crate::serve::serve(listener, router(state), limits, shutdown).await;
    let _ = stop_tx.send(true);
    let _ = job.await;
    let _ = follower.await;
    let _ = outbox.await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Waits for SIGINT or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled, so a signal that arrives right after start-up is not lost (and does
/// not kill the process mid-request).
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
        let mut terminate = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            tracing::info!("shutting down: finishing requests in flight");
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down: finishing requests in flight");
        })
    }
}

/// Turns a store error about bad input into a plain message (no "error:" chain noise).
fn user_error(e: StoreError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// `pressroom user …`.
pub(crate) async fn user(config: &Config, command: UserCommand) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    match command {
        UserCommand::Add {
            username,
            role,
            name,
            password_stdin,
        } => {
            let role: Role = role.parse().map_err(|e: String| anyhow::anyhow!(e))?;
            let (password, generated) = if password_stdin {
                (read_password_stdin()?, false)
            } else {
                (generate_password(), true)
            };
            let display = name.unwrap_or_else(|| username.clone());
            let user = store
                .create_user(&username, &display, role, &password, By::Cli)
                .await
                .map_err(user_error)?;
            println!("Added {} ({})", user.username, user.role);
            if generated {
                println!("Password (shown only now): {password}");
            }
        }
        UserCommand::List => {
            let users = store.list_users().await?;
            println!("{:<24} {:<8} {:<9} NAME", "USERNAME", "ROLE", "STATUS");
            for u in users {
                let status = if u.disabled { "disabled" } else { "active" };
                println!(
                    "{:<24} {:<8} {:<9} {}",
                    u.username, u.role, status, u.display_name
                );
            }
        }
        UserCommand::Disable { username } => {
            store
                .set_disabled(&username, true, By::Cli)
                .await
                .map_err(user_error)?;
            println!("Disabled {username}; their work and history stay.");
        }
        UserCommand::Enable { username } => {
            store
                .set_disabled(&username, false, By::Cli)
                .await
                .map_err(user_error)?;
            println!("Enabled {username}.");
        }
        UserCommand::SetPassword {
            username,
            password_stdin,
        } => {
            let (password, generated) = if password_stdin {
                (read_password_stdin()?, false)
            } else {
                (generate_password(), true)
            };
            store
                .set_password(&username, &password, By::Cli)
                .await
                .map_err(user_error)?;
            println!("Set a new password for {username}.");
            if generated {
                println!("Password (shown only now): {password}");
            }
        }
        UserCommand::SetRole { username, role } => {
            let role: Role = role.parse().map_err(|e: String| anyhow::anyhow!(e))?;
            store
                .set_role(&username, role, By::Cli)
                .await
                .map_err(user_error)?;
            println!("{username} is now {role}.");
        }
    }
    Ok(())
}

/// `pressroom reindex`: rebuilds the search index from the store, with progress. A running
/// server keeps its own index current (and rebuilds a damaged one at start), so this is for
/// an operator who wants a fresh index now, with the server stopped.
pub(crate) async fn reindex(config: &Config) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    let dir = config.search_dir();
    let opened = match pressroom_search::SearchIndex::open(&dir) {
        Ok(opened) => opened,
        Err(pressroom_search::SearchError::Busy(_)) => bail!(
            "a running pressroom holds the search index in {}; it keeps the index current \
             itself. Stop that server to rebuild the index by hand",
            dir.display()
        ),
        Err(e) => bail!("cannot open the search index in {}: {e}", dir.display()),
    };
    let started = std::time::Instant::now();
    let mut progress = crate::progress::Progress::new("indexing");
    // The rebuild reports from its own thread; the bar is drawn here, on a timer.
    let counts = std::sync::Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
    let report = counts.clone();
    let outcome = search_feed::rebuild(
        &store,
        &opened.index,
        "pressroom reindex",
        move |done, total| {
            report[1].store(total, Ordering::Relaxed);
            report[0].store(done, Ordering::Relaxed);
        },
    );
    tokio::pin!(outcome);
    let show = |progress: &mut crate::progress::Progress| {
        let total = counts[1].load(Ordering::Relaxed);
        if total > 0 {
            progress.update(counts[0].load(Ordering::Relaxed), total);
        }
    };
    let result = loop {
        tokio::select! {
            result = &mut outcome => break result,
            () = tokio::time::sleep(Duration::from_millis(100)) => show(&mut progress),
        }
    };
    show(&mut progress);
    progress.finish();
    let seconds = started.elapsed().as_secs_f64();
    match result? {
        search_feed::CaughtUp::Rebuilt { indexed, seq, .. } => {
            println!(
                "Indexed {indexed} translations in {seconds:.1} s ({:.0}/s), at change {seq}, in {}",
                indexed as f64 / seconds.max(1e-9),
                dir.display()
            );
        }
        other => println!("{other:?}"),
    }
    store.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_hidden_in_messages() {
        assert_eq!(
            super::redact("postgres://u:secret@db/x"),
            "postgres://u:***@db/x"
        );
        assert_eq!(super::redact("postgres://u@db/x"), "postgres://u@db/x");
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
