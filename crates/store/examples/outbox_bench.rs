//! The outbox benchmark's one store-side step (`bench/outbox.sh`): an author and an editor
//! with API tokens in the database of a site made by `pressroom init`, so the benchmark
//! publishes through `pressroom serve`'s JSON API as a newsroom script would. Prints the two
//! tokens on one line.
//!
//! ```sh
//! outbox_bench tokens DATABASE_URL
//! ```

use pressroom_core::user::Role;
use pressroom_store::{By, Store, generate_password};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [command, url] = args.as_slice() else {
        return Err("usage: outbox_bench tokens DATABASE_URL".into());
    };
    if command != "tokens" {
        return Err("usage: outbox_bench tokens DATABASE_URL".into());
    }
    let store = Store::open(url).await?;
    let mut tokens = Vec::new();
    for (name, role, scope) in [
        ("bench-author", Role::Author, "write"),
        ("bench-editor", Role::Editor, "review"),
    ] {
        let user = store
            .create_user(name, name, role, &generate_password(), By::Cli)
            .await?;
        let (token, _) = store
            .create_api_token(name, &user, &[scope.to_owned()], By::Cli)
            .await?;
        tokens.push(token);
    }
    println!("{}", tokens.join(" "));
    Ok(())
}
