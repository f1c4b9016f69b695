//! Rate limits of the API per client address: one for all requests, and a stricter one for
//! requests refused for a missing or wrong token, so nobody can guess tokens at speed. Each is
//! a token bucket per address that holds a minute's allowance and refills continuously. Past
//! either, the API answers `429` with `Retry-After`; while an address has used up its failures,
//! its requests are refused before any token is looked up. Behind a trusted proxy the address
//! comes from `X-Forwarded-For` (`trusted_proxies`, [`crate::client`]).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::{HeaderValue, RETRY_AFTER};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Problem;
use crate::AppState;

/// Past this many addresses, buckets that are full again are forgotten.
const PRUNE_ABOVE: usize = 10_000;

/// Token buckets keyed by client address.
#[derive(Debug)]
pub(crate) struct Buckets {
    per_minute: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Buckets {
    /// `per_minute` requests a minute, in bursts of as many; 0 means no limit.
    pub(crate) fn new(per_minute: usize) -> Self {
        Self {
            per_minute: per_minute as f64,
            buckets: Mutex::default(),
        }
    }

    /// Takes `cost` (0 only looks) from `key`'s bucket; on refusal, how long until one is back.
    pub(crate) fn take(&self, key: &str, cost: f64, now: Instant) -> Result<(), Duration> {
        if self.per_minute <= 0.0 {
            return Ok(());
        }
        let rate = self.per_minute / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > PRUNE_ABOVE {
            let full = self.per_minute;
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < full
            });
        }
        let (tokens, at) = buckets
            .entry(key.to_owned())
            .or_insert((self.per_minute, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(self.per_minute);
        *at = now;
        if *tokens >= cost.max(1.0) {
            *tokens -= cost;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / rate))
        }
    }
}

/// The API's two limits.
#[derive(Debug)]
pub(crate) struct ApiLimits {
    requests: Buckets,
    failures: Buckets,
}

impl ApiLimits {
    /// From the configured allowances per minute (0 turns one off).
    pub(crate) fn new(requests_per_minute: usize, failures_per_minute: usize) -> Self {
        Self {
            requests: Buckets::new(requests_per_minute),
            failures: Buckets::new(failures_per_minute),
        }
    }
}

fn too_many(wait: Duration, detail: &str) -> Response {
    let seconds = wait.as_secs() + 1;
    let mut response = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "Too many requests",
        format!("{detail}; try again in {seconds} second(s)"),
    )
    .into_response();
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    response
}

/// Whose allowance a request uses: the client address ([`crate::client`]), so that behind
/// a trusted proxy each client has its own bucket — without this, every client behind the
/// proxy would share one, and a few wrong tokens would lock out everybody.
fn client_key(state: &AppState, request: &Request) -> String {
    crate::client::address(state, request.extensions(), request.headers())
}

/// The middleware on every `/api/` route.
pub(crate) async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limits = state.api_limits();
    let key = client_key(&state, &request);
    let now = Instant::now();
    if let Err(wait) = limits.failures.take(&key, 0.0, now) {
        return too_many(wait, "too many requests with a missing or wrong token");
    }
    if let Err(wait) = limits.requests.take(&key, 1.0, now) {
        return too_many(wait, "too many API requests from this address");
    }
    let response = next.run(request).await;
    if response.status() == StatusCode::UNAUTHORIZED {
        let _ = limits.failures.take(&key, 1.0, Instant::now());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_a_burst_then_refills() {
        let buckets = Buckets::new(60);
        let start = Instant::now();
        for _ in 0..60 {
            assert!(buckets.take("a", 1.0, start).is_ok());
        }
        let wait = buckets.take("a", 1.0, start).unwrap_err();
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        assert!(buckets.take("b", 1.0, start).is_ok(), "other addresses");
        assert!(
            buckets
                .take("a", 1.0, start + Duration::from_millis(1100))
                .is_ok()
        );
        assert!(Buckets::new(0).take("a", 1e9, start).is_ok(), "0: no limit");
    }
}
