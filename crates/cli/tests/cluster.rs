//! Three `pressroom serve` processes on one PostgreSQL database (a fresh schema) and one S3
//! server (moto) on loopback, behind nginx running the deployment guide's own configuration
//! (`docs/deploy/nginx.conf`, ports and a throwaway certificate substituted).
//!
//! Releases are published through random servers with the JSON API; after each, the release
//! page, the listing, the feed and the sitemap of every server, and through nginx, must show it
//! within a second (every page was cached before, so only the change stream can refresh it);
//! the propagation p50/p99 are printed. Then one server's database connections are cut
//! (`pg_terminate_backend`) while more is published, and it must catch up; then one server is
//! `kill -9`ed under read load through nginx, which must keep answering.
//!
//! Needs nginx, moto and PostgreSQL; without them it says so and passes, except under
//! `PRESSROOM_REQUIRE_TOOLS=1` (CI), where a missing tool fails it. `PRESSROOM_CLUSTER_RELEASES`
//! sets how many releases the first phase publishes (200 by default).

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Process, call, free_port, publish};
use pressroom_store::By;
use pressroom_store::testing::TestDb;

const BIN: &str = env!("CARGO_BIN_EXE_pressroom");
const NGINX_CONF: &str = include_str!("../../../docs/deploy/nginx.conf");
const BUCKET: &str = "pressroom-cluster";
/// Fresh within this, or the test fails.
const FRESH: Duration = Duration::from_secs(1);

fn required() -> bool {
    std::env::var_os("PRESSROOM_REQUIRE_TOOLS").is_some()
}

fn skip(why: &str) {
    assert!(!required(), "PRESSROOM_REQUIRE_TOOLS is set but {why}");
    eprintln!("skipping the cluster test: {why}");
}

/// A GET through nginx (TLS, the test's certificate): status and body.
fn via_nginx(port: u16, path: &str) -> Option<(u16, String)> {
    let out = Command::new("curl")
        .args(["-sk", "--max-time", "10", "-w", "\n%{http_code}"])
        .arg(format!("https://127.0.0.1:{port}{path}"))
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n')?;
    Some((status.trim().parse().ok()?, body.to_owned()))
}

struct Server {
    process: Process,
    port: u16,
    name: String,
}

fn start_server(url: &str, data: &Path, name: &str, moto: u16) -> Server {
    common::write_test_key(data);
    // The name lets the test find this server's connections in pg_stat_activity.
    let url = format!("{url}&application_name={name}");
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .env("PRESSROOM_DATABASE_URL", &url)
        .env("PRESSROOM_LOG", "warn")
        .env("PRESSROOM_BASE_URL", "https://press.example.org")
        .env("PRESSROOM_API_REQUESTS_PER_MINUTE", "0")
        .env("PRESSROOM_MEDIA_STORE", format!("s3://{BUCKET}/site"))
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{moto}"))
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_ALLOW_HTTP", "true")
        .env_remove("PRESSROOM_LISTEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let port = common::listening_port(&mut child);
    Server {
        process: Process(child),
        port,
        name: name.to_owned(),
    }
}

fn nginx_binary() -> Option<String> {
    [
        "/usr/sbin/nginx",
        "/usr/local/sbin/nginx",
        "/usr/local/nginx/sbin/nginx",
    ]
    .into_iter()
    .find(|p| Path::new(p).is_file())
    .map(str::to_owned)
}

/// The guide's configuration with loopback ports and a throwaway certificate, inside a main
/// file that keeps every path in `dir`.
/// nginx, stopped with SIGTERM when dropped: its master then stops its workers (SIGKILL would
/// leave them running, holding the port).
struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

fn start_nginx(nginx: &str, dir: &Path, upstreams: &[u16]) -> (Nginx, u16) {
    let (https, http) = (free_port(), free_port());
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=press.example.org",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(made.success(), "openssl made the test certificate");
    let mut site = String::new();
    let mut servers = upstreams.iter();
    for line in NGINX_CONF.lines() {
        let trimmed = line.trim_start();
        let line = if trimmed.starts_with("server 10.0.0.") {
            let rest = trimmed
                .split_once(' ')
                .unwrap()
                .1
                .split_once(' ')
                .map_or(";", |r| r.1);
            match servers.next() {
                Some(port) => format!("    server 127.0.0.1:{port} {rest}"),
                None => continue,
            }
        } else if trimmed.starts_with("listen [::]") {
            continue;
        } else if trimmed.starts_with("listen 443") {
            line.replace("listen 443", &format!("listen 127.0.0.1:{https}"))
        } else if trimmed.starts_with("listen 80") {
            line.replace("listen 80", &format!("listen 127.0.0.1:{http}"))
        } else if trimmed.starts_with("ssl_certificate ") {
            format!("    ssl_certificate {};", cert.display())
        } else if trimmed.starts_with("ssl_certificate_key") {
            format!("    ssl_certificate_key {};", key.display())
        } else {
            line.to_owned()
        };
        site.push_str(&line);
        site.push('\n');
    }
    assert!(
        servers.next().is_none(),
        "the guide's upstream lists three servers"
    );
    std::fs::write(dir.join("pressroom.conf"), site).unwrap();
    let d = dir.display();
    let main = format!(
        "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
         include {d}/pressroom.conf;\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), main).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let child = Command::new(nginx)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let process = Nginx(child);
    let started = Instant::now();
    while via_nginx(https, "/healthz").is_none_or(|(s, _)| s != 200) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "nginx did not answer: {}",
            std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (process, https)
}

/// Whether a server (or nginx) shows the release everywhere: its page, the listing, the
/// feed, and the sitemap's newest child.
fn shows(get: &dyn Fn(&str) -> Option<(u16, String)>, title: &str, path: &str) -> bool {
    let has = |uri: &str, text: &str| get(uri).is_some_and(|(s, b)| s == 200 && b.contains(text));
    let sitemap_child = || {
        let (_, index) = get("/sitemap.xml")?;
        let last = index
            .split("<loc>")
            .filter_map(|s| s.split("</loc>").next())
            .filter(|l| l.contains("/sitemaps/releases-"))
            .last()?
            .trim_start_matches("https://press.example.org")
            .to_owned();
        Some(last)
    };
    has(path, title)
        && has("/en/releases/", title)
        && has("/en/feed.atom", title)
        && sitemap_child().is_some_and(|child| has(&child, path))
}

/// Polls until `get` shows the release; the time it took, or `None` past `limit`.
fn propagation(
    get: &dyn Fn(&str) -> Option<(u16, String)>,
    title: &str,
    path: &str,
    since: Instant,
    limit: Duration,
) -> Option<Duration> {
    loop {
        if shows(get, title, path) {
            return Some(since.elapsed());
        }
        if since.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn terminate_connections(url: &str, name: &str) -> u64 {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let rows = sqlx::query(
        "SELECT pg_terminate_backend(pid)::int AS done FROM pg_stat_activity WHERE application_name = $1",
    )
    .bind(name)
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows.len() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_behind_nginx_show_every_change_within_a_second() {
    let Some(nginx) = nginx_binary() else {
        return skip("nginx is not installed (apt-get install nginx-light)");
    };
    let Some(db) = TestDb::postgres().await else {
        return skip("PRESSROOM_TEST_DATABASE_URL is not set (the cluster runs on PostgreSQL)");
    };
    let Some(moto) = tokio::task::spawn_blocking(|| common::Moto::start(BUCKET))
        .await
        .unwrap()
    else {
        return;
    };
    let moto_port = moto.port;
    let releases: usize = std::env::var("PRESSROOM_CLUSTER_RELEASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let people = db.people().await;
    let (author, _) = db
        .store
        .create_api_token("cluster author", &people.author, &["write".into()], By::Cli)
        .await
        .unwrap();
    let (editor, _) = db
        .store
        .create_api_token(
            "cluster editor",
            &people.editor,
            &["review".into()],
            By::Cli,
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = db.url.clone();
    let mut servers: Vec<Server> = (0..3)
        .map(|i| {
            let data = dir.path().join(format!("server-{i}"));
            start_server(&url, &data, &format!("pressroom-cluster-{i}"), moto_port)
        })
        .collect();
    let ports: Vec<u16> = servers.iter().map(|s| s.port).collect();
    let nginx_dir = dir.path().join("nginx");
    std::fs::create_dir_all(&nginx_dir).unwrap();
    let (_nginx, front) = start_nginx(&nginx, &nginx_dir, &ports);

    let direct = |port: u16| move |uri: &str| call(port, "GET", uri, "", None);
    let through = move |uri: &str| via_nginx(front, uri);
    let started = Instant::now();
    let phase = tokio::task::spawn_blocking({
        let (author, editor, ports) = (author.clone(), editor.clone(), ports.clone());
        move || {
            let mut times = Vec::new();
            for i in 0..releases {
                let via = ports[(i * 7 + i / 3) % ports.len()];
                let title = format!("Cluster release {i}");
                let (_, path) = publish(via, &author, &editor, &title);
                let acked = Instant::now();
                // Every server is watched at once, so one's time does not include another's.
                std::thread::scope(|scope| {
                    let watching: Vec<_> = ports
                        .iter()
                        .map(|port| {
                            let (title, path) = (&title, &path);
                            scope.spawn(move || {
                                propagation(&direct(*port), title, path, acked, FRESH)
                            })
                        })
                        .collect();
                    for (n, watch) in watching.into_iter().enumerate() {
                        let took = watch.join().unwrap().unwrap_or_else(|| {
                            panic!("server {n} did not show {title:?} within {FRESH:?}")
                        });
                        times.push(took);
                    }
                });
                // Every page is cached now; nginx (every tenth, curl is slow) hits one server.
                if i % 10 == 0 {
                    assert!(
                        propagation(&through, &title, &path, acked, FRESH).is_some(),
                        "nginx did not show {title:?} within {FRESH:?}"
                    );
                }
            }
            times
        }
    })
    .await
    .unwrap();
    let mut times = phase;
    times.sort();
    eprintln!(
        "{releases} releases through 3 servers in {:?}: propagation to every server's page, \
         listing, feed and sitemap p50 {:?}, p99 {:?}, max {:?}",
        started.elapsed(),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times.last().unwrap()
    );

    // Server 1 loses its database connections while the others publish.
    let cut = terminate_connections(&url, &servers[1].name).await;
    assert!(cut > 0, "server 1 had connections to cut");
    let lagging = servers[1].port;
    let caught_up = tokio::task::spawn_blocking({
        let (author, editor, publisher) = (author.clone(), editor.clone(), ports[0]);
        move || {
            let mut last = None;
            for i in 0..5 {
                let title = format!("While server 1 reconnects {i}");
                last = Some((
                    title.clone(),
                    publish(publisher, &author, &editor, &title).1,
                ));
            }
            let (title, path) = last.unwrap();
            propagation(
                &direct(lagging),
                &title,
                &path,
                Instant::now(),
                Duration::from_secs(10),
            )
        }
    })
    .await
    .unwrap();
    let caught_up = caught_up.expect("server 1 caught up after its connections were cut");
    eprintln!(
        "server 1 caught up {caught_up:?} after the last of 5 publications since the cut ({cut} connections cut)"
    );

    // Server 2 is killed under read load through nginx.
    let failures = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    const READERS: usize = 4;
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (failures, answered, stop) = (failures.clone(), answered.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match via_nginx(front, "/en/releases/") {
                        Some((200, _)) => answered.fetch_add(1, Ordering::Relaxed),
                        _ => failures.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    let killed = servers.remove(2);
    drop(killed.process); // SIGKILL
    std::thread::sleep(Duration::from_millis(2500));
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.join().unwrap();
    }
    let (failed, ok) = (
        failures.load(Ordering::Relaxed),
        answered.load(Ordering::Relaxed),
    );
    eprintln!("kill -9 of server 2 under load: {ok} answers through nginx, {failed} failed");
    assert!(ok > 0);
    assert!(
        failed <= READERS,
        "{failed} requests failed through nginx, more than the {READERS} that could be in flight at the kill"
    );
    // After the kill, a publication through nginx still reaches the remaining servers.
    let title = "After the kill";
    let (_, path) = tokio::task::spawn_blocking({
        let (author, editor, port) = (author.clone(), editor.clone(), ports[0]);
        move || publish(port, &author, &editor, title)
    })
    .await
    .unwrap();
    for server in &servers {
        let port = server.port;
        let path = path.clone();
        let shown = tokio::task::spawn_blocking(move || {
            propagation(&direct(port), title, &path, Instant::now(), FRESH)
        })
        .await
        .unwrap();
        assert!(
            shown.is_some(),
            "{} shows the release after the kill",
            server.name
        );
    }
}
