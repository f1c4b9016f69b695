//! The theme's templates: embedded defaults (so the binary needs no files beside it), each
//! replaceable by a file of the same name in the theme folder's `templates/`.

use std::path::PathBuf;
use std::sync::Arc;

use fluent_bundle::FluentValue;
use minijinja::value::{Kwargs, Value};
use minijinja::{AutoEscape, Environment};
use serde::Serialize;

use crate::WebError;
use crate::i18n::I18n;
use crate::view::xml_escape;

/// (name, source) of every file under `templates/`, made by `build.rs`: a new template is
/// embedded by adding its file.
const EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_templates.rs"));

/// The template environment.
pub(crate) struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// Templates from `theme_dir/templates/` where present, else the embedded ones; `t(key,
    /// name=value …)` in a template is the interface string `key` in the page's `lang`.
    pub(crate) fn new(theme_dir: Option<PathBuf>, i18n: Arc<I18n>) -> Self {
        let mut env = Environment::new();
        env.add_function(
            "t",
            move |state: &minijinja::State<'_, '_>, key: &str, kwargs: Kwargs| {
                let lang = state
                    .lookup("lang")
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                let mut args: Vec<(&str, FluentValue<'_>)> = Vec::new();
                for name in kwargs.args() {
                    let value: Value = kwargs.get(name)?;
                    let fluent = match value.as_i64() {
                        Some(n) => FluentValue::from(n),
                        None => FluentValue::from(value.to_string()),
                    };
                    args.push((name, fluent));
                }
                kwargs.assert_all_used()?;
                Ok(i18n.text(&lang, key, &args))
            },
        );
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
        env.set_auto_escape_callback(auto_escape);
        env.set_formatter(formatter);
        Self { env }
    }

    /// Renders template `name` with `context`.
    pub(crate) fn render<S: Serialize>(&self, name: &str, context: S) -> Result<String, WebError> {
        Ok(self.env.get_template(name)?.render(context)?)
    }
}

/// How a template's output is escaped, by its name: `.xml` (feeds, the sitemap) as XML, `.html`
/// as HTML, anything else (robots.txt) not at all.
fn auto_escape(name: &str) -> AutoEscape {
    if name.ends_with(".xml") {
        AutoEscape::Custom("xml")
    } else {
        minijinja::default_auto_escape_callback(name)
    }
}

/// Writes a value as its template's escaping requires.
///
/// HTML escapes the five characters that matter in text and attributes, and nothing else:
/// minijinja's default also escapes `/`, which turns every URL and "No:367/21" into entities.
/// XML goes through [`xml_escape`], the one XML escaper, which also drops the control
/// characters XML 1.0 forbids.
fn formatter(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &Value,
) -> Result<(), minijinja::Error> {
    let escape: fn(&str) -> String = match state.auto_escape() {
        AutoEscape::Html if !value.is_safe() => html_escape,
        AutoEscape::Custom("xml") if !value.is_safe() => xml_escape,
        _ => return minijinja::escape_formatter(out, state, value),
    };
    if value.is_undefined() || value.is_none() {
        return Ok(());
    }
    out.write_str(&escape(&value.to_string()))
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))
}

/// Escapes text for HTML (also what Telegram's HTML parse mode accepts).
pub(crate) fn html_escape(text: &str) -> String {
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
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_under_templates_is_embedded_and_compiles() {
        let names: Vec<&str> = EMBEDDED.iter().map(|(name, _)| *name).collect();
        assert!(names.contains(&"base.html") && names.contains(&"admin/base.html"));
        let i18n = Arc::new(I18n::new().unwrap());
        let templates = Templates::new(None, i18n);
        for name in names {
            assert!(
                templates.env.get_template(name).is_ok(),
                "{name} does not compile"
            );
        }
    }

    #[test]
    fn a_theme_feed_is_escaped_as_xml_and_robots_txt_not_at_all() {
        let theme = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(theme.path().join("templates")).unwrap();
        std::fs::write(
            theme.path().join("templates/rss.xml"),
            "<title>{{ v }}</title>",
        )
        .unwrap();
        let templates = Templates::new(
            Some(theme.path().to_path_buf()),
            Arc::new(I18n::new().unwrap()),
        );
        let v = "Minister's <b>\u{1}&";
        assert_eq!(
            templates
                .render("rss.xml", minijinja::context! { v })
                .unwrap(),
            "<title>Minister&apos;s &lt;b&gt;&amp;</title>"
        );
        assert!(
            templates
                .render(
                    "robots.txt",
                    minijinja::context! { base_url => "https://x.org/a&b" }
                )
                .unwrap()
                .contains("Sitemap: https://x.org/a&b/sitemap.xml")
        );
    }
}
