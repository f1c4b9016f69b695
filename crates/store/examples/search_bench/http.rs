//! The query mix over HTTP/1.1 keep-alive connections to a running `pressroom serve`: the
//! JSON API and the HTML search page, with one and more clients. A few lines of HTTP over a
//! tokio socket rather than hyper's client, whose feature would rebuild the server's stack.

use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufStream};
use tokio::net::TcpStream;

use crate::corpus::{MixQuery, query_mix};
use crate::stats::{Sample, print_tsv};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// `application/x-www-form-urlencoded` escaping of a query value.
pub fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The query string the search page's form would send for `q`.
fn params(q: &MixQuery) -> String {
    let mut s = format!("q={}&lang={}", encode(q.text), q.lang.unwrap_or("all"));
    if let Some(kind) = q.kind() {
        s.push_str(&format!("&kind={kind}"));
    }
    if let Some(year) = q.year_from() {
        s.push_str(&format!("&from={year}"));
    }
    if q.newest() {
        s.push_str("&order=newest");
    }
    if q.page() > 1 {
        s.push_str(&format!("&page={}", q.page()));
    }
    s
}

/// The path of `q` on the API (`api`) or the page of its language (English for all).
pub fn path(q: &MixQuery, api: bool) -> String {
    if api {
        format!("/api/v1/search?{}", params(q))
    } else {
        format!("/{}/search?{}", q.lang.unwrap_or("en"), params(q))
    }
}

/// One keep-alive connection.
pub struct Client {
    stream: BufStream<TcpStream>,
    line: String,
    /// The body of the last answer.
    pub body: Vec<u8>,
}

impl Client {
    pub async fn connect(addr: &str) -> Result<Self, Error> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: BufStream::new(stream),
            line: String::new(),
            body: Vec::new(),
        })
    }

    /// GETs `path` and reads the whole answer; returns its status. The body is in `self.body`.
    async fn get(&mut self, path: &str) -> Result<u16, Error> {
        self.request("GET", path, None).await
    }

    /// Sends `method path` (with `body` as a URL-encoded form, if any) and reads the whole
    /// answer; returns its status. The body is in `self.body`.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> Result<u16, Error> {
        let head = match body {
            None => format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
            Some(b) => format!(
                "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
                b.len()
            ),
        };
        self.stream.write_all(head.as_bytes()).await?;
        if let Some(b) = body {
            self.stream.write_all(b.as_bytes()).await?;
        }
        self.stream.flush().await?;
        self.line.clear();
        self.stream.read_line(&mut self.line).await?;
        let status: u16 = self
            .line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("not an HTTP status line: {:?}", self.line))?;
        let (mut length, mut chunked) = (None, false);
        loop {
            self.line.clear();
            if self.stream.read_line(&mut self.line).await? == 0 {
                return Err("the server closed the connection".into());
            }
            let header = self.line.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').unwrap_or((header, ""));
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.to_ascii_lowercase().contains("chunked");
            }
        }
        self.body.clear();
        if chunked {
            loop {
                self.line.clear();
                self.stream.read_line(&mut self.line).await?;
                let size =
                    usize::from_str_radix(self.line.trim().split(';').next().unwrap_or(""), 16)?;
                let start = self.body.len();
                self.body.resize(start + size + 2, 0);
                self.stream.read_exact(&mut self.body[start..]).await?;
                self.body.truncate(start + size);
                if size == 0 {
                    break;
                }
            }
        } else if let Some(n) = length {
            self.body.resize(n, 0);
            self.stream.read_exact(&mut self.body).await?;
        }
        Ok(status)
    }
}

/// Runs the mix `rounds` times per client over `clients` connections at once (each starting
/// at another place in the mix), after one warm-up round, and prints the TSV lines.
async fn measure(addr: &str, api: bool, clients: usize, rounds: usize) -> Result<(), Error> {
    let mix = query_mix();
    let paths: Vec<String> = mix.iter().map(|q| path(q, api)).collect();
    let mut warm = Client::connect(addr).await?;
    for (q, p) in mix.iter().zip(&paths) {
        let status = warm.get(p).await?;
        if status != 200 {
            return Err(format!(
                "{p} answered {status}: {}",
                String::from_utf8_lossy(&warm.body)
            )
            .into());
        }
        if api && clients == 1 && q.variant == crate::corpus::Variant::Plain {
            let body = String::from_utf8_lossy(&warm.body);
            let total: String = body
                .split_once("\"total\":")
                .map(|(_, rest)| rest.chars().take_while(char::is_ascii_digit).collect())
                .ok_or_else(|| format!("{p}: no total in the answer"))?;
            println!(
                "# pressroom total\t{}\t{}\t{total}",
                q.text,
                q.lang.unwrap_or("all")
            );
        }
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (mix, paths, addr) = (mix.clone(), paths.clone(), addr.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut client = Client::connect(&addr).await?;
            let mut samples = Vec::with_capacity(rounds * mix.len());
            for i in 0..rounds * mix.len() {
                let k = (i + c * 7) % mix.len();
                let t = Instant::now();
                let status = client.get(&paths[k]).await?;
                let took = t.elapsed();
                if status != 200 {
                    return Err::<_, Error>(format!("{} answered {status}", paths[k]).into());
                }
                samples.push(Sample::new(&mix[k], took));
            }
            Ok(samples)
        }));
    }
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await??);
    }
    let wall: Duration = started.elapsed();
    print_tsv(if api { "api" } else { "page" }, clients, &samples, wall);
    Ok(())
}

/// `http ADDR ROUNDS CLIENTS…`: the API, then the page, for each number of clients.
pub async fn run(addr: &str, rounds: usize, clients: &[usize]) -> Result<(), Error> {
    for &c in clients {
        measure(addr, true, c, rounds).await?;
        measure(addr, false, c, rounds).await?;
    }
    Ok(())
}
