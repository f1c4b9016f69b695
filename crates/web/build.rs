//! Generates the table of embedded templates from the files under `templates/`, so a new
//! template is embedded by adding its file: there is no list to forget to edit.
//!
//! The table is `include_str!` of each file (the compiler then tracks the files themselves);
//! `templates.rs` includes it and serves it behind the theme folder, which still overrides any
//! file of the same name.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

fn main() -> io::Result<()> {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let templates = root.join("templates");
    // A directory here makes Cargo rerun this script when a file under it is added or removed.
    println!("cargo::rerun-if-changed=templates");
    let mut files = Vec::new();
    collect(&templates, &mut files)?;
    files.sort();
    let mut table = String::from("&[\n");
    for path in &files {
        let name = path
            .strip_prefix(&templates)
            .map_err(io::Error::other)?
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let full = path.to_string_lossy();
        let _ = writeln!(table, "    ({name:?}, include_str!({full:?})),");
    }
    table.push(']');
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    std::fs::write(out.join("embedded_templates.rs"), table)
}

/// Every file under `dir` except hidden ones (editor swap files, `.DS_Store`).
fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}
