//! Mail to subscribers over SMTP (`lettre`): releases one by one or as a daily digest, and
//! the mails about a subscription (the double opt-in link, "already subscribed").
//!
//! Every mail is multipart text + HTML in the subscriber's language, rendered from the theme's
//! `mail/*.txt` and `mail/*.html` templates, and carries `List-Unsubscribe` with
//! `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058), so a mail client's
//! "unsubscribe" button ends the subscription with one POST and no page.
//!
//! The outbox decides when a mail goes; this module only builds and hands it over. What the
//! SMTP server answers becomes an [`Outcome`]: a 5xx is permanent (the delivery fails at
//! once), a 4xx, a timeout or a dropped connection is tried again with the outbox's backoff.
//! The subscriber's address is taken out of every error text before it is stored, since the
//! subscribers table is the one place the address may be kept.

use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use minijinja::context;
use pressroom_core::language::pick;
use pressroom_store::{Delivery, Outcome, StoreError, Subscriber, SubscriberState};
use serde::Serialize;

use crate::AppState;
use crate::outbox::{Facts, event_label};
use crate::view::Ctx;

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MailSecurity {
    /// Plain connection upgraded with STARTTLS, which is required (port 587 by default).
    #[default]
    StartTls,
    /// TLS from the first byte (SMTPS, port 465 by default).
    Tls,
    /// No encryption: only for a relay on the same machine or a test server (port 25).
    None,
}

impl MailSecurity {
    /// The names the configuration accepts.
    pub const NAMES: [&'static str; 3] = ["starttls", "tls", "none"];

    /// The security named `text` in the configuration.
    pub fn from_name(text: &str) -> Option<Self> {
        match text {
            "starttls" => Some(MailSecurity::StartTls),
            "tls" => Some(MailSecurity::Tls),
            "none" => Some(MailSecurity::None),
            _ => None,
        }
    }
}

/// The `[mail]` section of the configuration: where subscribers' mail is handed over.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MailConfig {
    /// The SMTP server's host name.
    pub host: String,
    /// Its port; the security's usual one when absent.
    pub port: Option<u16>,
    /// How the connection is secured.
    pub security: MailSecurity,
    /// User name and password, when the server wants them.
    pub credentials: Option<(String, String)>,
    /// The sender, as `Press service <press@mfa.gov.az>` or a bare address.
    pub from: String,
    /// The name this server gives in `EHLO`; the site's host name when absent.
    pub hello_name: Option<String>,
    /// Longest wait for the SMTP server at each step.
    pub timeout: Duration,
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.credentials.as_ref().map(|(user, _)| user))
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl MailConfig {
    /// Checks the sender address, so a typo stops start-up instead of every mail.
    pub fn sender(&self) -> Result<Mailbox, String> {
        self.from.trim().parse::<Mailbox>().map_err(|e| {
            format!(
                "mail.from `{}` is not a sender address ({e}); write it like \
                 \"Press service <press@example.org>\"",
                self.from
            )
        })
    }
}

/// Connections kept open to the SMTP server: a round of the outbox sends up to 64 mails at
/// once, and each SMTP transaction is several round trips, so the pool, not the CPU, sets
/// the rate. Sixteen is well under what mail servers allow one client (Postfix: 50).
const CONNECTIONS: u32 = 16;

/// Hands mail to the configured SMTP server, over a small pool of connections.
pub(crate) struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    pub(crate) from: Mailbox,
}

impl Mailer {
    /// The mailer of `config`; `site_host` names this server in `EHLO` unless configured.
    pub(crate) fn new(config: &MailConfig, site_host: &str) -> Result<Self, String> {
        let from = config.sender()?;
        let host = config.host.trim();
        let builder = match config.security {
            MailSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
            MailSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
            MailSecurity::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                host,
            )),
        }
        .map_err(|e| format!("mail.host `{host}`: {e}"))?;
        let mut builder = builder
            .timeout(Some(config.timeout))
            .pool_config(PoolConfig::new().max_size(CONNECTIONS))
            .hello_name(ClientId::Domain(
                config
                    .hello_name
                    .clone()
                    .unwrap_or_else(|| site_host.to_owned()),
            ));
        if let Some(port) = config.port {
            builder = builder.port(port);
        }
        if let Some((user, password)) = &config.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }

    /// Sends `message` to `to`; the outcome as the outbox records it, with the subscriber's
    /// address taken out of any error text.
    pub(crate) async fn send(&self, message: Message, to: &Subscriber) -> Outcome {
        match self.transport.send(message).await {
            Ok(response) => Outcome::Accepted {
                status: u16::from(response.code()),
            },
            Err(e) => {
                let status = e.status().map(u16::from);
                let detail = redact(&describe(&e), to);
                if e.is_permanent() {
                    Outcome::GiveUp { status, detail }
                } else {
                    Outcome::Retry { status, detail }
                }
            }
        }
    }
}

/// An SMTP error in words an admin can act on.
fn describe(e: &lettre::transport::smtp::Error) -> String {
    if e.is_timeout() {
        return "the mail server did not answer in time".to_owned();
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    if e.is_permanent() {
        format!("the mail server refused the message: {text}")
    } else if e.is_transient() {
        format!("the mail server asked to try later: {text}")
    } else {
        format!("could not reach the mail server: {text}")
    }
}

/// `text` without the subscriber's address in it.
fn redact(text: &str, to: &Subscriber) -> String {
    let mut out = text.replace(&to.email, "<subscriber>");
    let lower = to.email.to_lowercase();
    if out.to_lowercase().contains(&lower) {
        out = out.to_lowercase().replace(&lower, "<subscriber>");
    }
    out
}

/// The parts of one mail.
pub(crate) struct Letter<'a> {
    /// The `Message-ID`'s left part: the delivery's id, so a repeat has the same one.
    pub id: &'a str,
    /// The site's host, the `Message-ID`'s right part.
    pub host: &'a str,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The one-click unsubscribe address.
    pub unsubscribe_url: &'a str,
    /// The `List-Id`'s name: the site's title.
    pub list_name: &'a str,
}

/// Builds the message of `letter` from `from` to `to`.
pub(crate) fn message(
    from: &Mailbox,
    to: &Subscriber,
    letter: Letter<'_>,
) -> Result<Message, String> {
    let to_box: Mailbox = to
        .email
        .parse()
        .map_err(|e| format!("the subscriber's address cannot be written in a mail: {e}"))?;
    let header = |name: &'static str, value: String| {
        HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
    };
    let list_id = format!(
        "{} <releases.{}>",
        letter.list_name.replace(['<', '>', '"', '\r', '\n'], ""),
        letter.host
    );
    Message::builder()
        .from(from.clone())
        .to(to_box)
        .subject(letter.subject)
        .message_id(Some(format!("<{}@{}>", letter.id, letter.host)))
        .date_now()
        .raw_header(header("List-Id", list_id))
        .raw_header(header(
            "List-Unsubscribe",
            format!("<{}>", letter.unsubscribe_url),
        ))
        .raw_header(header(
            "List-Unsubscribe-Post",
            "List-Unsubscribe=One-Click".to_owned(),
        ))
        .raw_header(header("Auto-Submitted", "auto-generated".to_owned()))
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(letter.text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(letter.html),
                ),
        )
        .map_err(|e| format!("the mail could not be built: {e}"))
}

/// The subscriber a mail goes to; an outcome when there is none any more.
async fn recipient(state: &AppState, delivery: &Delivery) -> Result<Subscriber, Outcome> {
    match state.store().subscriber(delivery.target_id).await {
        Ok(subscriber) => Ok(subscriber),
        Err(StoreError::NotFound(_)) => Err(Outcome::GiveUp {
            status: None,
            detail: "the subscriber is gone (unsubscribed, erased or never confirmed)".to_owned(),
        }),
        Err(e) => Err(Outcome::Retry {
            status: None,
            detail: format!("the subscriber could not be read: {e}"),
        }),
    }
}

/// The site's address without a trailing slash, and its host (for `Message-ID`s).
fn site(state: &AppState) -> (String, String) {
    let base = state.config().base_url.trim_end_matches('/').to_owned();
    let host = reqwest::Url::parse(&base)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "localhost".to_owned());
    (base, host)
}

/// The subscriber's links: manage, unsubscribe (one click), confirm.
fn links(base: &str, subscriber: &Subscriber) -> [String; 3] {
    let manage = format!(
        "{base}/{}/subscription/{}",
        subscriber.lang, subscriber.token
    );
    [
        manage.clone(),
        format!("{manage}/unsubscribe"),
        format!("{manage}/confirm"),
    ]
}

fn no_mailer() -> Outcome {
    Outcome::Retry {
        status: None,
        detail: "no mail server is configured; add a [mail] section to the configuration"
            .to_owned(),
    }
}

fn unbuildable(e: impl std::fmt::Display) -> Outcome {
    Outcome::GiveUp {
        status: None,
        detail: format!("the mail could not be built: {e}"),
    }
}

/// The mail about a subscription: the confirmation link while it is pending, the "already
/// subscribed" note with the link to manage it once confirmed (see `store::subscribers`).
pub(crate) async fn subscription_mail(state: &AppState, delivery: &Delivery) -> Outcome {
    let Some(mailer) = state.inner.mailer.as_ref() else {
        return no_mailer();
    };
    let subscriber = match recipient(state, delivery).await {
        Ok(s) => s,
        Err(outcome) => return outcome,
    };
    let settings = match state.store().site_settings().await {
        Ok(s) => s,
        Err(e) => {
            return Outcome::Retry {
                status: None,
                detail: e.to_string(),
            };
        }
    };
    let lang = subscriber.lang.as_str();
    let fallback = settings.default_language();
    let site_title = pick(&settings.title, lang, fallback).to_owned();
    let confirmed = subscriber.state == SubscriberState::Confirmed;
    let i18n = &state.inner.i18n;
    let key = if confirmed {
        "mail-already-subject"
    } else {
        "mail-confirm-subject"
    };
    let subject = i18n.text(lang, key, &[("site", site_title.as_str().into())]);
    let (base, host) = site(state);
    let [manage_url, unsubscribe_url, confirm_url] = links(&base, &subscriber);
    let ctx = context! {
        lang,
        subject,
        site_title,
        confirmed,
        manage_url,
        confirm_url,
        rights_notice => pick(&settings.rights_notice, lang, fallback),
    };
    let (html, text) = match render(state, "mail/subscription", &ctx) {
        Ok(parts) => parts,
        Err(e) => return unbuildable(e),
    };
    let letter = Letter {
        id: &delivery.message_id,
        host: &host,
        subject,
        text,
        html,
        unsubscribe_url: &unsubscribe_url,
        list_name: &site_title,
    };
    match message(&mailer.from, &subscriber, letter) {
        Ok(message) => mailer.send(message, &subscriber).await,
        Err(e) => unbuildable(e),
    }
}

/// A mail's HTML and text parts, from the templates `{name}.html` and `{name}.txt`.
fn render<S: Serialize>(
    state: &AppState,
    name: &str,
    ctx: &S,
) -> Result<(String, String), crate::WebError> {
    let templates = &state.inner.templates;
    Ok((
        templates.render(&format!("{name}.html"), ctx)?,
        templates.render(&format!("{name}.txt"), ctx)?,
    ))
}

/// One release of a mail, as the templates show it.
#[derive(Serialize)]
struct Item {
    /// The translation's language (the text's), which may differ from the mail's.
    lang: String,
    /// "Correction", "Withdrawn", or empty.
    label: String,
    title: String,
    /// Kind, number and date.
    meta: String,
    note: Option<String>,
    lead: String,
    body_html: String,
    body_text: String,
    url: String,
    signed_url: String,
}

fn item(state: &AppState, mail_lang: &str, delivery: &Delivery, facts: &Facts, base: &str) -> Item {
    let lang = facts.translation.lang.as_str();
    let ctx = Ctx {
        lang,
        settings: &facts.settings,
        kinds: &facts.kinds,
        series: &facts.series,
        i18n: &state.inner.i18n,
    };
    let fallback = facts.settings.default_language();
    let mut meta = Vec::new();
    if let Some(kind) = facts.kinds.iter().find(|k| k.key == facts.release.kind) {
        meta.push(pick(&kind.names, lang, fallback).to_owned());
    }
    if let Some(number) = ctx.number(&facts.release) {
        meta.push(number);
    }
    if let Some(first) = facts.release.first_published_at {
        meta.push(ctx.date_text(first));
    }
    Item {
        lang: lang.to_owned(),
        label: event_label(delivery.event)
            .map(|key| state.inner.i18n.text(mail_lang, key, &[]))
            .unwrap_or_default(),
        title: facts.revision.title.clone(),
        meta: meta.join(" · "),
        note: facts.note.clone().filter(|n| !n.trim().is_empty()),
        lead: facts.revision.lead.clone(),
        body_html: facts.body_html.clone(),
        body_text: facts.revision.body.clone(),
        url: facts.url.clone(),
        signed_url: format!(
            "{base}/api/v1/revisions/{}/signed.json",
            delivery.revision_id
        ),
    }
}

/// A release mail: one release as it is published (or corrected, or withdrawn), or a daily
/// subscriber's digest of several. `items` are the deliveries it carries, all to the same
/// subscriber, with what they are about.
pub(crate) async fn release_mail(state: &AppState, items: &[(&Delivery, &Facts)]) -> Outcome {
    let Some(mailer) = state.inner.mailer.as_ref() else {
        return no_mailer();
    };
    let Some((first, facts)) = items.first() else {
        return unbuildable("no release");
    };
    let subscriber = match recipient(state, first).await {
        Ok(s) => s,
        Err(outcome) => return outcome,
    };
    let settings = &facts.settings;
    let lang = subscriber.lang.as_str();
    let fallback = settings.default_language();
    let site_title = pick(&settings.title, lang, fallback).to_owned();
    let (base, host) = site(state);
    let shown: Vec<Item> = items
        .iter()
        .map(|(d, f)| item(state, lang, d, f, &base))
        .collect();
    let digest = first.channel == "digest";
    let i18n = &state.inner.i18n;
    let subject = if digest {
        let date = i18n.long_date(
            lang,
            first
                .next_attempt_at
                .to_zoned_datetime(settings.tz())
                .date(),
        );
        i18n.text(
            lang,
            "mail-digest-subject",
            &[("site", site_title.as_str().into()), ("date", date.into())],
        )
    } else {
        let one = &shown[0];
        if one.label.is_empty() {
            one.title.clone()
        } else {
            format!("{}: {}", one.label, one.title)
        }
    };
    let [manage_url, unsubscribe_url, _] = links(&base, &subscriber);
    let ctx = context! {
        lang,
        subject,
        site_title,
        digest,
        items => shown,
        manage_url,
        unsubscribe_url,
        rights_notice => pick(&settings.rights_notice, lang, fallback),
    };
    let (html, text) = match render(state, "mail/releases", &ctx) {
        Ok(parts) => parts,
        Err(e) => return unbuildable(e),
    };
    let id = if digest {
        format!("digest_{}_{}", first.id, items.len())
    } else {
        first.message_id.clone()
    };
    let letter = Letter {
        id: &id,
        host: &host,
        subject,
        text,
        html,
        unsubscribe_url: &unsubscribe_url,
        list_name: &site_title,
    };
    match message(&mailer.from, &subscriber, letter) {
        Ok(message) => mailer.send(message, &subscriber).await,
        Err(e) => unbuildable(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscriber(email: &str) -> Subscriber {
        Subscriber {
            id: 1,
            email: email.to_owned(),
            lang: "en".to_owned(),
            choices: Default::default(),
            state: SubscriberState::Confirmed,
            created_at: jiff::Timestamp::UNIX_EPOCH,
            confirmed_at: None,
            token: "t".to_owned(),
        }
    }

    #[test]
    fn addresses_are_kept_out_of_error_texts() {
        let to = subscriber("Ayla@example.org");
        assert_eq!(
            redact("550 5.1.1 <Ayla@example.org>: user unknown", &to),
            "550 5.1.1 <<subscriber>>: user unknown"
        );
        assert!(!redact("550 <AYLA@EXAMPLE.ORG> unknown", &to).contains("ayla"));
    }

    #[test]
    fn a_mail_has_the_one_click_unsubscribe_headers() {
        let from: Mailbox = "Press service <press@example.org>".parse().unwrap();
        let letter = Letter {
            id: "msg_1_email_1",
            host: "press.example.org",
            subject: "Statement on the \"talks\"\r\nBcc: x@example.org".to_owned(),
            text: "text".to_owned(),
            html: "<p>html</p>".to_owned(),
            unsubscribe_url: "https://press.example.org/en/subscription/abc/unsubscribe",
            list_name: "Ministry",
        };
        let raw = String::from_utf8(
            message(&from, &subscriber("ayla@example.org"), letter)
                .unwrap()
                .formatted(),
        )
        .unwrap();
        assert!(
            raw.contains(
                "List-Unsubscribe: <https://press.example.org/en/subscription/abc/unsubscribe>"
            ),
            "{raw}"
        );
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(raw.contains("Message-ID: <msg_1_email_1@press.example.org>"));
        assert!(
            !raw.contains("\r\nBcc:"),
            "no header injection through the subject: {raw}"
        );
        assert!(raw.contains("multipart/alternative"));
    }

    #[test]
    fn a_bad_sender_is_explained() {
        let config = MailConfig {
            from: "press service".to_owned(),
            ..Default::default()
        };
        assert!(config.sender().unwrap_err().contains("mail.from"));
    }
}
