//! The outbox's rules: which events a publication sends, when a failed delivery is tried
//! again, and how a webhook is signed (the Standard Webhooks scheme).
//!
//! Deliveries are written in the transaction of the publication that causes them (the store
//! does that) and sent by workers; this module decides only what is independent of storage
//! and transport, so every worker and every test agree on it.

use std::fmt;
use std::str::FromStr;

use hmac::{Hmac, KeyInit, Mac};
use jiff::SignedDuration;
use sha2::Sha256;

/// What happened to a release, as webhook receivers see it (`type` in the payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Event {
    /// A translation was published for the first time.
    Published,
    /// A published translation was replaced by a corrected revision.
    Corrected,
    /// A published translation was withdrawn.
    Withdrawn,
    /// Not a release event: a mail to a subscriber about the subscription itself (the
    /// double opt-in link, or "you are already subscribed" with the link to manage it), sent
    /// through the outbox so it is retried like any message. Never offered to receivers.
    Subscription,
}

impl Event {
    /// Every release event, in the order forms offer them.
    pub const ALL: [Event; 3] = [Event::Published, Event::Corrected, Event::Withdrawn];

    /// The event's name on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Published => "release.published",
            Event::Corrected => "release.corrected",
            Event::Withdrawn => "release.withdrawn",
            Event::Subscription => "subscription.mail",
        }
    }

    /// The event of a stored delivery: a release event or [`Event::Subscription`].
    pub fn from_stored(name: &str) -> Option<Event> {
        if name == Event::Subscription.as_str() {
            return Some(Event::Subscription);
        }
        name.parse().ok()
    }
}

impl serde::Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Event {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Event::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "`{s}` is not an event; use one of {}",
                    Event::ALL.map(Event::as_str).join(", ")
                )
            })
    }
}

/// Attempts before a delivery is given up as failed: with [`retry_delay`] the last one comes
/// about a day and a half after the first, long enough to outlast a receiver's weekend outage
/// of an evening, short enough that a dead endpoint shows as failed the next working day.
pub const MAX_ATTEMPTS: u32 = 16;

/// How long to wait after the `attempts`-th failed attempt before the next: 30 seconds,
/// doubling, at most 6 hours.
pub fn retry_delay(attempts: u32) -> SignedDuration {
    let doublings = attempts.saturating_sub(1).min(20);
    let seconds = 30_i64.saturating_mul(1 << doublings).min(6 * 3600);
    SignedDuration::from_secs(seconds)
}

/// What follows the `attempts`-th attempt when it failed: `Some(delay)` to try again after
/// it, `None` to give up — when the failure is not worth retrying (`retryable` false: a 410,
/// a refused bot) or the attempts are used up.
pub fn after_failure(attempts: u32, retryable: bool) -> Option<SignedDuration> {
    (retryable && attempts < MAX_ATTEMPTS).then(|| retry_delay(attempts))
}

/// The prefix of a webhook secret as shown to the person who sets up the receiver.
const SECRET_PREFIX: &str = "whsec_";

/// A webhook endpoint's signing secret: 32 random bytes, shown as `whsec_` + base64, which is
/// what Standard Webhooks libraries accept as they are.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(…)")
    }
}

impl WebhookSecret {
    /// The secret of `bytes`: random ones from the caller (the store draws 32 from the
    /// operating system; core does no I/O).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, String> {
        if !(24..=64).contains(&bytes.len()) {
            return Err("a webhook secret has 24 to 64 bytes".to_owned());
        }
        Ok(WebhookSecret(bytes))
    }

    /// Reads a secret as [`WebhookSecret::to_string`] wrote it.
    pub fn parse(text: &str) -> Result<Self, String> {
        use base64::Engine;
        let encoded = text
            .trim()
            .strip_prefix(SECRET_PREFIX)
            .ok_or_else(|| format!("a webhook secret starts with `{SECRET_PREFIX}`"))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| {
                format!("the webhook secret is not base64 after `{SECRET_PREFIX}`: {e}")
            })?;
        WebhookSecret::from_bytes(bytes)
    }

    /// The `webhook-signature` header for a message: `v1,` + base64 of HMAC-SHA256 over
    /// `{id}.{timestamp}.{body}`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        use base64::Engine;
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        let signature = mac.finalize().into_bytes();
        format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(signature)
        )
    }
}

impl fmt::Display for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use base64::Engine;
        write!(
            f,
            "{SECRET_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(&self.0)
        )
    }
}

/// Checks an endpoint address an admin typed: an absolute `http` or `https` URL with a host
/// and no user name or password in it (those belong in the receiver's own checks, not in a
/// URL that the delivery list shows).
pub fn check_endpoint_url(text: &str) -> Result<url::Url, String> {
    let parsed = url::Url::parse(text.trim()).map_err(|e| {
        format!(
            "`{}` is not a web address ({e}); use https://host/path",
            text.trim()
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "use an http or https address, not {}:",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("the address has no host".to_owned());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(
            "leave the user name and password out of the address; the receiver checks the \
             signature instead"
                .to_owned(),
        );
    }
    Ok(parsed)
}

/// Checks a Telegram bot token as BotFather gives it (`123456:ABC-…`): a number, a colon and
/// at least 30 letters, digits, `-` or `_`. The token goes into the Bot API's URL path, so
/// nothing else may be in it.
pub fn check_bot_token(token: &str) -> Result<(), String> {
    let token = token.trim();
    let valid = token.split_once(':').is_some_and(|(id, secret)| {
        !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_digit())
            && secret.len() >= 30
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    if valid {
        Ok(())
    } else {
        Err("paste the bot token BotFather gave, like 123456789:AAE…".to_owned())
    }
}

/// Checks a Telegram chat: a public channel's `@name` (5–32 letters, digits or `_`) or a
/// numeric chat id (`-1001234567890`).
pub fn check_chat_id(chat: &str) -> Result<(), String> {
    let chat = chat.trim();
    let valid = match chat.strip_prefix('@') {
        Some(name) => {
            (5..=32).contains(&name.len())
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        }
        None => {
            let digits = chat.strip_prefix('-').unwrap_or(chat);
            !digits.is_empty() && digits.len() <= 20 && digits.bytes().all(|b| b.is_ascii_digit())
        }
    };
    if valid {
        Ok(())
    } else {
        Err("use the channel's @name or its numeric id (like -1001234567890)".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_and_unknown_ones_are_named() {
        for event in Event::ALL {
            assert_eq!(event.as_str().parse::<Event>(), Ok(event));
        }
        assert!(
            "subscription.mail".parse::<Event>().is_err(),
            "not a release event"
        );
        assert_eq!(
            Event::from_stored("subscription.mail"),
            Some(Event::Subscription)
        );
        let err = "release.deleted".parse::<Event>().unwrap_err();
        assert!(err.contains("release.published"), "{err}");
    }

    #[test]
    fn retries_double_from_thirty_seconds_up_to_six_hours() {
        let secs = |n| retry_delay(n).as_secs();
        assert_eq!([secs(1), secs(2), secs(3), secs(4)], [30, 60, 120, 240]);
        assert_eq!(secs(12), 6 * 3600);
        assert_eq!(secs(1000), 6 * 3600);
        assert_eq!(after_failure(3, true), Some(retry_delay(3)));
        assert_eq!(after_failure(MAX_ATTEMPTS, true), None, "attempts used up");
        assert_eq!(after_failure(1, false), None, "refused for good");
        let total: i64 = (1..MAX_ATTEMPTS).map(secs).sum();
        assert!((86_400..3 * 86_400).contains(&total), "{total}");
    }

    /// The example of the Standard Webhooks reference libraries: the same secret, id,
    /// timestamp and body give the same signature.
    #[test]
    fn signatures_match_the_standard_webhooks_example() {
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signature = secret.sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert_eq!(
            WebhookSecret::parse(&secret.to_string()).unwrap(),
            secret,
            "a secret reads back as written"
        );
    }

    #[test]
    fn secrets_are_random_and_bad_ones_are_explained() {
        let secret = WebhookSecret::from_bytes(vec![7; 32]).unwrap();
        assert_eq!(
            secret.to_string(),
            format!("whsec_{}", "BwcH".repeat(10) + "Bwc=")
        );
        assert!(WebhookSecret::from_bytes(vec![7; 8]).is_err());
        assert!(WebhookSecret::parse("abc").unwrap_err().contains("whsec_"));
        assert!(
            WebhookSecret::parse("whsec_!!")
                .unwrap_err()
                .contains("base64")
        );
        assert!(
            WebhookSecret::parse("whsec_AAAA")
                .unwrap_err()
                .contains("24 to 64")
        );
    }

    #[test]
    fn telegram_tokens_and_chats_are_checked() {
        assert!(check_bot_token("123456789:AAEhBP0av28sdfXyzEXAMPLEtoken_abc-d").is_ok());
        for bad in [
            "",
            "123456789",
            "abc:AAEhBP0av28sdfXyzEXAMPLEtoken_abc",
            "1:short",
            "1:AAEhBP0av28sdfXyzEXAMPLEtoken/../x",
        ] {
            assert!(check_bot_token(bad).is_err(), "{bad}");
        }
        for good in ["@mfa_press", "-1001234567890", "12345"] {
            assert!(check_chat_id(good).is_ok(), "{good}");
        }
        for bad in ["", "@ab", "mfa press", "@with space", "--1"] {
            assert!(check_chat_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn endpoint_addresses_are_checked() {
        assert!(check_endpoint_url("https://hooks.example.org/pressroom").is_ok());
        assert!(check_endpoint_url(" http://127.0.0.1:9000/in ").is_ok());
        for (bad, says) in [
            ("hooks.example.org", "not a web address"),
            ("ftp://example.org/", "http or https"),
            ("https://user:pw@example.org/", "user name"),
        ] {
            let err = check_endpoint_url(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}
