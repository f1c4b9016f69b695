//! Runs the browser suite (`e2e/`, Playwright driving Debian's Chromium, with axe-core and the
//! Nu HTML Checker) against this build's binary, so `cargo test` covers it.
//!
//! Needs `npm ci` (playwright-core, axe-core, vnu-jar), `/usr/bin/chromium` and Java. Without
//! them the build script leaves out `cfg(browser_tools)` and the test is reported as ignored,
//! with the reason, in the summary; with `PRESSROOM_REQUIRE_TOOLS=1` (as in CI) it runs and
//! fails if anything is missing.

use std::path::PathBuf;
use std::process::Command;

#[test]
#[cfg_attr(
    not(browser_tools),
    ignore = "browser suite not run: install chromium, Java and `npm ci` (see README)"
)]
fn browser_journeys_accessibility_and_validity() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    let missing: Vec<&str> = [
        (
            root.join("node_modules/playwright-core").is_dir(),
            "npm packages (run `npm ci`)",
        ),
        (
            PathBuf::from(&chromium).is_file(),
            "chromium (apt-get install chromium)",
        ),
        (
            Command::new("node").arg("--version").output().is_ok(),
            "node",
        ),
    ]
    .into_iter()
    .filter(|(ok, _)| !ok)
    .map(|(_, what)| what)
    .collect();
    if !missing.is_empty() {
        assert!(
            std::env::var("PRESSROOM_REQUIRE_TOOLS").is_err(),
            "PRESSROOM_REQUIRE_TOOLS is set but these are missing: {missing:?}"
        );
        eprintln!("skipping the browser suite: missing {missing:?}");
        return;
    }
    let output = Command::new("node")
        .args(["--test", "--test-concurrency=1", "e2e/"])
        .current_dir(&root)
        .env("PRESSROOM_BIN", env!("CARGO_BIN_EXE_pressroom"))
        .env("CHROMIUM", &chromium)
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("ok ") || l.starts_with("not ok ") || l.starts_with("# "))
        .collect();
    eprintln!("{}", summary.join("\n"));
    assert!(
        output.status.success(),
        "the browser suite failed (screenshots in target/screenshots):\n{report}"
    );
}
