//! Runs schemathesis against the real binary on a fresh demo, so the OpenAPI document and the
//! server are checked against each other on every `cargo test`: every operation, with
//! generated valid and invalid requests, all of schemathesis's default checks (no 5xx, only
//! documented statuses, content types and bodies that match the schemas, invalid data
//! refused, valid data accepted).
//!
//! Needs `schemathesis` (`pip install schemathesis`). Without it the build script leaves out
//! `cfg(schemathesis_tool)` and the test is reported as ignored; with
//! `PRESSROOM_REQUIRE_TOOLS=1` (as in CI) it runs and fails if the tool is missing.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use pressroom_core::user::Scope;
use pressroom_store::{By, Store};

const BIN: &str = env!("CARGO_BIN_EXE_pressroom");

// One worker: hypothesis's lambda descriptions (ast.parse) are not safe across threads on
// some Python versions, and the two cores are shared anyway.

/// Test cases per operation: enough to find what the testers found, bounded so the run stays
/// within a couple of minutes on two cores.
const EXAMPLES_PER_OPERATION: &str = "100";

/// Stops the demo when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
#[cfg_attr(
    not(schemathesis_tool),
    ignore = "API contract test not run: install schemathesis (`python3 -m pip install schemathesis`)"
)]
fn the_server_keeps_its_openapi_document() {
    if Command::new("schemathesis")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var("PRESSROOM_REQUIRE_TOOLS").is_err(),
            "PRESSROOM_REQUIRE_TOOLS is set but schemathesis is missing (python3 -m pip install schemathesis)"
        );
        eprintln!("skipping the API contract test: schemathesis is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .arg("--data")
        .arg(dir.path())
        .args(["demo", "--listen", "127.0.0.1:0"])
        .env_remove("PRESSROOM_DATABASE_URL")
        .env_remove("PRESSROOM_CONFIG")
        .env_remove("PRESSROOM_BASE_URL")
        .env("PRESSROOM_LOG", "warn")
        // schemathesis sends thousands of requests, many with wrong tokens, from one address;
        // the rate limits have tests of their own and would only answer 429 here.
        .env("PRESSROOM_API_REQUESTS_PER_MINUTE", "1000000")
        .env("PRESSROOM_API_AUTH_FAILURES_PER_MINUTE", "1000000")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _server = Server(child);
    let mut lines = BufReader::new(stdout).lines();
    let base = lines
        .by_ref()
        .map(Result::unwrap)
        .find_map(|l| {
            l.split("running at ")
                .nth(1)
                .map(|u| u.trim_end_matches('/').to_owned())
        })
        .expect("the demo prints its address");
    std::thread::spawn(move || lines.for_each(drop));

    let token = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let url = format!("sqlite://{}", dir.path().join("pressroom.db").display());
            let store = Store::connect(&url).await.unwrap();
            let admin = store.user_by_name("admin").await.unwrap();
            let scopes: Vec<String> = Scope::ALL.iter().map(|s| s.as_str().to_owned()).collect();
            store
                .create_api_token("schemathesis", &admin, &scopes, By::Cli)
                .await
                .unwrap()
                .0
        });

    let report = dir.path().join("schemathesis-report");
    let started = std::time::Instant::now();
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemathesis.toml");
    let output = Command::new("schemathesis")
        .args(["--config-file", config, "run"])
        .arg(format!("{base}/api/openapi.json"))
        .arg("--url")
        .arg(&base)
        .arg("--header")
        .arg(format!("Authorization: Bearer {token}"))
        .args([
            "--max-examples",
            EXAMPLES_PER_OPERATION,
            "--seed",
            "20261202",
        ])
        .args(["--workers", "1", "--request-timeout", "30"])
        .arg("--report-dir")
        .arg(&report)
        .env("NO_COLOR", "1")
        // Its cache (.schemathesis/) goes with the demo, not into the repository.
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("schemathesis took {:?}", started.elapsed());
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{text}"
    );
    eprintln!("{text}");
}
