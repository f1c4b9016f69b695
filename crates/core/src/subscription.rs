//! The rules of e-mail subscriptions: what an acceptable address is, how often a subscriber
//! hears about releases, when a daily digest goes out, and how many mails about the
//! subscription itself one address may be sent (so the public form cannot be used to flood a
//! stranger's inbox).

use std::fmt;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, civil};

/// Longest address accepted (RFC 5321's limit on a forward path).
pub const MAX_EMAIL: usize = 254;

/// The local hour at which daily digests are sent, in the site's time zone: the previous
/// day's releases, read with the morning's news.
pub const DIGEST_HOUR: i8 = 8;

/// How long an unconfirmed subscription is kept before it is forgotten.
pub const PENDING_FOR: SignedDuration = SignedDuration::from_hours(7 * 24);

/// The least time between two mails about the subscription to one address.
pub const MAIL_GAP: SignedDuration = SignedDuration::from_mins(10);

/// The most mails about the subscription to one address in [`MAIL_WINDOW`].
pub const MAILS_PER_WINDOW: u32 = 5;

/// The window of [`MAILS_PER_WINDOW`].
pub const MAIL_WINDOW: SignedDuration = SignedDuration::from_hours(24);

/// How often a subscriber hears about releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    /// A mail per release, as soon as it is published.
    #[default]
    Immediate,
    /// One mail a day at [`DIGEST_HOUR`] with the releases since the last.
    Daily,
}

impl Frequency {
    /// The name stored and used in forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Immediate => "immediate",
            Frequency::Daily => "daily",
        }
    }

    /// The frequency named `text`.
    pub fn from_name(text: &str) -> Option<Self> {
        [Frequency::Immediate, Frequency::Daily]
            .into_iter()
            .find(|f| f.as_str() == text)
    }
}

impl fmt::Display for Frequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checks an address typed into the subscription form. Returns it trimmed, with the domain in
/// lower case, and the key it is compared by (all of it in lower case: mailbox names are
/// case-insensitive in practice, and one mailbox gets one subscription).
///
/// Deliberately plain: `local@domain`, no display name, no comments, no quoted local part, no
/// whitespace or control characters anywhere (so nothing can be smuggled into a mail header),
/// a domain of dot-separated labels with at least one dot.
pub fn check_email(text: &str) -> Result<(String, String), String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("enter your e-mail address".to_owned());
    }
    if text.len() > MAX_EMAIL {
        return Err(format!(
            "an e-mail address has at most {MAX_EMAIL} characters"
        ));
    }
    let bad = || format!("`{text}` is not an e-mail address; write it like name@example.org");
    let (local, domain) = text.rsplit_once('@').ok_or_else(bad)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    let domain = domain.to_lowercase();
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if !(local_ok && domain_ok) {
        return Err(bad());
    }
    let address = format!("{local}@{domain}");
    let key = address.to_lowercase();
    Ok((address, key))
}

/// When a digest that includes something published at `now` goes out: the next
/// [`DIGEST_HOUR`] o'clock in `tz` after `now`.
pub fn next_digest_at(now: Timestamp, tz: &TimeZone) -> Timestamp {
    let local = now.to_zoned_datetime(tz.clone());
    let today = local.date().at(DIGEST_HOUR, 0, 0, 0);
    let at = |day: civil::DateTime| {
        day.to_zoned_datetime(tz.clone())
            .map(|z| z.timestamp())
            .unwrap_or(now)
    };
    let candidate = at(today);
    if candidate > now {
        candidate
    } else {
        let tomorrow = local
            .date()
            .tomorrow()
            .map(|d| d.at(DIGEST_HOUR, 0, 0, 0))
            .unwrap_or(today);
        at(tomorrow)
    }
}

/// The per-address allowance of mails about the subscription: `mailed_at` the last one,
/// `count` how many since `window_at`. Returns the new `(count, window_at)` when one more may
/// be sent at `now`, `None` when the address has had enough for now.
pub fn may_mail(
    mailed_at: Option<Timestamp>,
    count: u32,
    window_at: Timestamp,
    now: Timestamp,
) -> Option<(u32, Timestamp)> {
    if mailed_at.is_some_and(|at| now.duration_since(at) < MAIL_GAP) {
        return None;
    }
    if now.duration_since(window_at) >= MAIL_WINDOW {
        return Some((1, now));
    }
    (count < MAILS_PER_WINDOW).then_some((count + 1, window_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_and_folded() {
        assert_eq!(
            check_email(" Ayla.Mammadova@MFA.gov.AZ ").unwrap(),
            (
                "Ayla.Mammadova@mfa.gov.az".to_owned(),
                "ayla.mammadova@mfa.gov.az".to_owned()
            )
        );
        assert!(check_email("press+alerts@example.org").is_ok());
        assert!(check_email("jurnalist@xəbər.az").is_ok(), "IDN domains");
        for bad in [
            "",
            "no-at-sign",
            "two@@example.org",
            "@example.org",
            "name@localhost",
            "name@example..org",
            "a b@example.org",
            "name@example.org\r\nBcc: victim@example.org",
            "Name <name@example.org>",
            "name.@example.org",
            "name@-example.org",
        ] {
            assert!(check_email(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.org", "a".repeat(250));
        assert!(check_email(&long).unwrap_err().contains("254"));
    }

    #[test]
    fn digests_go_out_at_eight_in_the_site_time_zone() {
        let baku = TimeZone::get("Asia/Baku").unwrap();
        // 05:00 UTC is 09:00 in Baku: past eight, so tomorrow at eight (04:00 UTC).
        let now: Timestamp = "2026-12-02T05:00:00Z".parse().unwrap();
        assert_eq!(
            next_digest_at(now, &baku).to_string(),
            "2026-12-03T04:00:00Z"
        );
        // 03:59 UTC is 07:59 in Baku: today at eight.
        let early: Timestamp = "2026-12-02T03:59:00Z".parse().unwrap();
        assert_eq!(
            next_digest_at(early, &baku).to_string(),
            "2026-12-02T04:00:00Z"
        );
        // Exactly eight belongs to the next day's digest.
        let eight: Timestamp = "2026-12-02T04:00:00Z".parse().unwrap();
        assert_eq!(
            next_digest_at(eight, &baku).to_string(),
            "2026-12-03T04:00:00Z"
        );
    }

    #[test]
    fn one_address_gets_few_subscription_mails() {
        let t0: Timestamp = "2026-12-02T10:00:00Z".parse().unwrap();
        let (count, window) = may_mail(None, 0, t0, t0).unwrap();
        assert_eq!(count, 1);
        assert_eq!(may_mail(Some(t0), count, window, t0 + MAIL_GAP / 2), None);
        let mut at = t0;
        let (mut count, mut window) = (count, window);
        for _ in 1..MAILS_PER_WINDOW {
            at += MAIL_GAP;
            (count, window) = may_mail(Some(at - MAIL_GAP), count, window, at).unwrap();
        }
        assert_eq!(count, MAILS_PER_WINDOW);
        at += MAIL_GAP;
        assert_eq!(may_mail(Some(at - MAIL_GAP), count, window, at), None);
        let next_day = t0 + MAIL_WINDOW;
        assert_eq!(
            may_mail(Some(at), count, window, next_day),
            Some((1, next_day))
        );
    }
}
