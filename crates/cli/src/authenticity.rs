//! The signing key file, and the commands around authenticity: `keys list`, `keys rotate`,
//! `log verify` and the offline `verify FILE --keys keys.json`.
//!
//! The private key lives only in its file (`DATA/keys/signing.key`, or `signing_key` in the
//! config), readable by its owner only; the database holds public keys. The file holds the
//! 32-byte Ed25519 seed as 64 lowercase hex digits and a newline.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use pressroom_core::signing::{Ed25519Key, KeysDocument, Sign, SignedDocument, from_hex, to_hex};
use pressroom_store::{By, Store};

use crate::config::Config;

/// The largest file `pressroom verify` reads: signed files and key lists are small.
const MAX_FILE: u64 = 4 * 1024 * 1024;

/// Generates a new key from the operating system's randomness.
fn generate() -> anyhow::Result<Ed25519Key> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed)
        .map_err(|e| anyhow::anyhow!("cannot get randomness for a new signing key: {e}"))?;
    Ok(Ed25519Key::from_seed(&seed))
}

/// Writes a key file that did not exist, readable by its owner only.
pub(crate) fn write_new(path: &Path, key: &Ed25519Key) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the key folder {}", dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).ok();
        }
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create the key file {}", path.display()))?;
    writeln!(file, "{}", to_hex(&key.seed()))
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write the key file {}", path.display()))
}

/// Reads the key file, refusing one that others can read: a signing key anyone on the
/// machine could copy proves nothing.
pub(crate) fn load(path: &Path) -> anyhow::Result<Ed25519Key> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the signing key {}; `pressroom init` creates it for a new site, \
             `pressroom keys rotate` makes a new one",
            path.display()
        )
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            bail!(
                "the signing key {} can be read by other users (mode {:o}); run `chmod 600 {}`",
                path.display(),
                mode & 0o777,
                path.display()
            );
        }
    }
    let seed: [u8; 32] = from_hex(text.trim())
        .and_then(|b| b.try_into().ok())
        .with_context(|| {
            format!(
                "{} is not a Pressroom signing key (64 lowercase hex digits)",
                path.display()
            )
        })?;
    Ok(Ed25519Key::from_seed(&seed))
}

/// The site's key: loaded, or created when `create` and there is none yet.
pub(crate) fn key(config: &Config, create: bool) -> anyhow::Result<(Ed25519Key, bool)> {
    let path = config.signing_key_path();
    if create && !path.exists() {
        let key = generate()?;
        write_new(&path, &key)?;
        return Ok((key, true));
    }
    Ok((load(&path)?, false))
}

/// `store`, signing with the site's key (created first when `create`).
pub(crate) async fn signing_store(
    config: &Config,
    store: Store,
    create: bool,
) -> anyhow::Result<Store> {
    let (key, created) = key(config, create)?;
    let path = config.signing_key_path();
    if created {
        println!(
            "Created the signing key {} in {} (keep it secret, back it up)",
            key.key_id(),
            path.display()
        );
    }
    let signer: Arc<dyn Sign> = Arc::new(key);
    store
        .use_signer(signer, &config.base_url)
        .await
        .with_context(|| format!("cannot sign with {}", path.display()))
}

/// `pressroom keys list`.
pub(crate) async fn list(config: &Config, store: &Store) -> anyhow::Result<()> {
    let ours = load(&config.signing_key_path()).ok().map(|k| k.key_id());
    println!(
        "{:<16}  {:<27}  {:<27}  STATUS",
        "KEY ID", "VALID FROM", "VALID UNTIL"
    );
    for k in store.signing_keys().await? {
        let status = match (&k.valid_until, ours.as_deref() == Some(k.key_id.as_str())) {
            (None, true) => "current (this server's key file)",
            (None, false) => "current",
            (Some(_), _) => "retired",
        };
        println!(
            "{:<16}  {:<27}  {:<27}  {status}",
            k.key_id,
            k.valid_from,
            k.valid_until.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}

/// `pressroom keys rotate`: a new key file and a new current key; the old public key stays
/// published with its end date, so what it signed still verifies.
pub(crate) async fn rotate(config: &Config, store: &Store) -> anyhow::Result<()> {
    let path = config.signing_key_path();
    let fresh = PathBuf::from(format!("{}.new", path.display()));
    if fresh.exists() {
        std::fs::remove_file(&fresh)
            .with_context(|| format!("cannot remove the leftover {}", fresh.display()))?;
    }
    let key = generate()?;
    write_new(&fresh, &key)?;
    let new = match store.rotate_key(&key.public_key(), By::Cli).await {
        Ok(new) => new,
        Err(e) => {
            let _ = std::fs::remove_file(&fresh);
            return Err(e).context("the rotation was not recorded; the old key stays in use");
        }
    };
    std::fs::rename(&fresh, &path).with_context(|| {
        format!(
            "the new key {} is recorded but could not replace {}; move {} there by hand",
            new.key_id,
            path.display(),
            fresh.display()
        )
    })?;
    println!("New signing key {} in {}", new.key_id, path.display());
    println!(
        "The old key stays published as retired. Restart every server (with this file) so they \
         sign with the new key."
    );
    Ok(())
}

/// `pressroom log verify`: exit 1 when anything does not match.
pub(crate) async fn verify_log(store: &Store) -> anyhow::Result<()> {
    let report = store.verify_log().await?;
    match report.problem {
        None => {
            println!(
                "The publication log is intact: {} entries and {} signed revisions checked.",
                report.entries, report.revisions
            );
            Ok(())
        }
        Some(problem) => match problem.seq {
            Some(seq) => bail!(
                "the publication log does not match at entry {seq}: {}",
                problem.reason
            ),
            None => bail!("the publication log is incomplete: {}", problem.reason),
        },
    }
}

fn read_small(path: &Path, what: &str) -> anyhow::Result<String> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read the {what} {}", path.display()))?
        .len();
    if size > MAX_FILE {
        bail!("{} is too large to be a {what}", path.display());
    }
    std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the {what} {} as text", path.display()))
}

/// `pressroom verify FILE --keys keys.json`: checks a signed file offline against a
/// downloaded key list. Exit 0 genuine, 1 otherwise.
pub(crate) fn verify_file(file: &Path, keys: &Path) -> anyhow::Result<()> {
    let keys = KeysDocument::parse(&read_small(keys, "key list")?)
        .with_context(|| format!("{} is not a key list", keys.display()))?;
    let doc = SignedDocument::parse(&read_small(file, "signed file")?)
        .with_context(|| format!("{} cannot be checked", file.display()))?;
    match doc.verify(&keys.keys) {
        Ok(p) => {
            let number = p
                .number
                .as_ref()
                .map_or(String::new(), |n| format!(" {}", n.display));
            println!(
                "genuine: signed by {} with key {} at {}",
                p.site, doc.key_id, p.signed_at
            );
            println!(
                "  {}{number} ({}, {}), revision {}",
                p.title, p.kind, p.language, p.revision_id
            );
            println!("  published {}", p.published_at);
            Ok(())
        }
        Err(pressroom_core::signing::SignatureError::UnknownKey(id)) => bail!(
            "not found: {} was signed with key {id}, which is not in {}; it is not from this site",
            file.display(),
            keys.site
        ),
        Err(e) => bail!("modified: {}: {e}", file.display()),
    }
}
