//! The theme's templates: embedded defaults (so the binary needs no files beside it), each
//! replaceable by a file of the same name in the theme folder's `templates/`.

use std::path::PathBuf;

use minijinja::Environment;
use serde::Serialize;

use crate::WebError;

const EMBEDDED: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("listing.html", include_str!("../templates/listing.html")),
    ("release.html", include_str!("../templates/release.html")),
    ("page.html", include_str!("../templates/page.html")),
    ("verify.html", include_str!("../templates/verify.html")),
    ("macros.html", include_str!("../templates/macros.html")),
];

/// The template environment.
pub(crate) struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// Templates from `theme_dir/templates/` where present, else the embedded ones.
    pub(crate) fn new(theme_dir: Option<PathBuf>) -> Self {
        let mut env = Environment::new();
        env.set_loader(move |name| {
            if let Some(dir) = &theme_dir {
                let path = dir.join("templates").join(name);
                if path.is_file() {
                    return std::fs::read_to_string(&path).map(Some).map_err(|e| {
                        minijinja::Error::new(
                            minijinja::ErrorKind::TemplateNotFound,
                            format!("{}: {e}", path.display()),
                        )
                    });
                }
            }
            Ok(EMBEDDED
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, src)| (*src).to_owned()))
        });
        env.set_formatter(html_formatter);
        Self { env }
    }

    /// Renders template `name` with `context`.
    pub(crate) fn render<S: Serialize>(&self, name: &str, context: S) -> Result<String, WebError> {
        Ok(self.env.get_template(name)?.render(context)?)
    }
}

/// Escapes the five characters that matter in HTML text and attributes, and nothing else:
/// minijinja's default also escapes `/`, which turns every URL and "No:367/21" into entities.
fn html_formatter(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    if value.is_safe() || !matches!(state.auto_escape(), minijinja::AutoEscape::Html) {
        return minijinja::escape_formatter(out, state, value);
    }
    if value.is_undefined() || value.is_none() {
        return Ok(());
    }
    let text = value.to_string();
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    out.write_str(&escaped)
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))
}
