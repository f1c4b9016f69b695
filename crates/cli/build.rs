//! Tells the browser test (and the schemathesis API test) whether its tools are installed, so that without them it is reported
//! as *ignored* in the test summary (with the reason) instead of passing without running.

use std::path::Path;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(browser_tools)");
    println!("cargo::rustc-check-cfg=cfg(schemathesis_tool)");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    let playwright = root.join("node_modules/playwright-core/package.json");
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    // Re-check when the tools appear or go.
    println!("cargo::rerun-if-changed={}", playwright.display());
    println!("cargo::rerun-if-changed={chromium}");
    println!("cargo::rerun-if-env-changed=CHROMIUM");
    println!("cargo::rerun-if-env-changed=PRESSROOM_REQUIRE_TOOLS");
    let present = playwright.is_file() && Path::new(&chromium).is_file() && node;
    // CI requires the tools: there the test runs (and fails loudly if they are missing).
    let required = std::env::var_os("PRESSROOM_REQUIRE_TOOLS").is_some();
    if present || required {
        println!("cargo::rustc-cfg=browser_tools");
    }
    // The API contract test (tests/schemathesis.rs) in the same way.
    let schemathesis = std::process::Command::new("schemathesis")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if schemathesis || required {
        println!("cargo::rustc-cfg=schemathesis_tool");
    }
}
