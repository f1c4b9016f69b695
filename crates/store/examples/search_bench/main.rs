//! Issue 11's search benchmark, driven by `bench/search.sh`: the generated corpus
//! (`bench/corpus.rs`) into a data folder through the store's bulk path, the fixed query mix
//! over HTTP against a running `pressroom serve`, the same corpus and mix in PostgreSQL's
//! full-text search, and the side-by-side table.
//!
//! ```sh
//! search_bench fill DATA N [SITE]            # after `pressroom init --data DATA`
//! search_bench http 127.0.0.1:PORT ROUNDS CLIENTS…
//! search_bench pg URL N ROUNDS CLIENTS…     # a throwaway schema, dropped at the end
//! search_bench table FILE…                   # the TSV lines of http and pg, as Markdown
//! search_bench verify ADDR N ROUNDS CLIENTS LABEL [STOP]  # issue 12: the verify page
//! ```

#[path = "../../../../bench/corpus.rs"]
mod corpus;
mod fill;
mod http;
mod pg;
mod stats;
mod verify;

type Error = Box<dyn std::error::Error + Send + Sync>;

fn usage() -> Error {
    "usage: search_bench fill DATA N [SITE] | http ADDR ROUNDS CLIENTS… | pg URL N ROUNDS CLIENTS… | table FILE… | verify ADDR N ROUNDS CLIENTS LABEL [STOP]"
        .into()
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize| -> Result<usize, Error> {
        args.get(i).and_then(|a| a.parse().ok()).ok_or_else(usage)
    };
    let numbers = |from: usize| -> Result<Vec<usize>, Error> {
        let list: Option<Vec<usize>> = args[from.min(args.len())..]
            .iter()
            .map(|a| a.parse().ok())
            .collect();
        list.filter(|l| !l.is_empty()).ok_or_else(usage)
    };
    match args.first().map(String::as_str) {
        Some("fill") => {
            let data = args.get(1).ok_or_else(usage)?;
            let site = args.get(3).map_or("http://127.0.0.1:8080", String::as_str);
            fill::run(std::path::Path::new(data), number(2)?, site).await
        }
        Some("http") => http::run(args.get(1).ok_or_else(usage)?, number(2)?, &numbers(3)?).await,
        Some("pg") => {
            pg::run(
                args.get(1).ok_or_else(usage)?,
                number(2)?,
                number(3)?,
                &numbers(4)?,
            )
            .await
        }
        Some("table") => Ok(stats::table(&args[1..])?),
        Some("verify") => {
            verify::run(
                args.get(1).ok_or_else(usage)?,
                number(2)?,
                number(3)?,
                number(4)?,
                args.get(5).ok_or_else(usage)?,
                args.get(6).map(String::as_str),
            )
            .await
        }
        _ => Err(usage()),
    }
}
