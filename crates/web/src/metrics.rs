//! Prometheus metrics at `/metrics`: scheduled publishing (count, lateness), the page cache,
//! how far each change-stream follower is (sequence applied, lag in entries and seconds), and
//! the outbox.
//! Only loopback peers, or a request with the configured `metrics_token`, may read them.
//!
//! Recorded with the `metrics` macros into a `metrics-exporter-prometheus` recorder, which
//! writes the text format. Each [`Metrics`] has its own recorder rather than the process-wide
//! one, so the many sites a test run builds never mix their numbers; the macros reach it through
//! `metrics::with_local_recorder`. Counters live in this process; with several servers,
//! Prometheus sums them across targets.
//!
//! A new metric is a line in [`DESCRIBED`] and a macro call where it happens.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use crate::AppState;
use crate::stream::FollowerStatus;

const SCHEDULED_PUBLISHED: &str = "pressroom_scheduled_published_total";
const SCHEDULED_LATE: &str = "pressroom_scheduled_late_total";
/// A summary: its `_sum` series is the total lateness, `_count` the publications measured.
const SCHEDULED_LATENESS: &str = "pressroom_scheduled_lateness_seconds";
const SCHEDULED_LATENESS_MAX: &str = "pressroom_scheduled_lateness_seconds_max";
const SCHEDULER_ERRORS: &str = "pressroom_scheduler_errors_total";
const PAGE_CACHE_ENTRIES: &str = "pressroom_page_cache_entries";
const PAGE_CACHE_BYTES: &str = "pressroom_page_cache_bytes";
const OUTBOX_SENT: &str = "pressroom_outbox_sent_total";
const OUTBOX_RETRIED: &str = "pressroom_outbox_retried_total";
const OUTBOX_FAILED: &str = "pressroom_outbox_failed_total";
const OUTBOX_QUEUED: &str = "pressroom_outbox_queued";
const OUTBOX_FAILED_NOW: &str = "pressroom_outbox_failed";
const OUTBOX_OLDEST: &str = "pressroom_outbox_oldest_pending_seconds";
const STREAM_APPLIED: &str = "pressroom_stream_applied_seq";
const STREAM_LAG_ENTRIES: &str = "pressroom_stream_lag_entries";
const STREAM_LAG_SECONDS: &str = "pressroom_stream_lag_seconds";

/// What a metric is, for its `# TYPE` line.
enum Kind {
    Counter,
    Gauge,
    /// A gauge per change-stream follower (label `follower`), set at each scrape.
    PerFollower,
    Summary,
}

/// Every metric with its help text. Each is registered when [`Metrics`] is made, so a scrape
/// shows it (at zero) before the first event rather than a gap.
const DESCRIBED: &[(Kind, &str, &str)] = &[
    (
        Kind::Counter,
        SCHEDULED_PUBLISHED,
        "Scheduled publications carried out by this process.",
    ),
    (
        Kind::Counter,
        SCHEDULED_LATE,
        "Scheduled publications that went out more than a second late.",
    ),
    (
        Kind::Summary,
        SCHEDULED_LATENESS,
        "Lateness of scheduled publications (the _sum series is their total lateness).",
    ),
    (
        Kind::Gauge,
        SCHEDULED_LATENESS_MAX,
        "Largest lateness seen.",
    ),
    (
        Kind::Counter,
        SCHEDULER_ERRORS,
        "Scheduler rounds that failed (and were retried).",
    ),
    (
        Kind::Gauge,
        PAGE_CACHE_ENTRIES,
        "Pages in the in-memory cache.",
    ),
    (
        Kind::Gauge,
        PAGE_CACHE_BYTES,
        "Bytes held by the page cache.",
    ),
    (
        Kind::Counter,
        OUTBOX_SENT,
        "Deliveries this process sent and the receiver accepted.",
    ),
    (
        Kind::Counter,
        OUTBOX_RETRIED,
        "Delivery attempts by this process that failed and will be retried.",
    ),
    (
        Kind::Counter,
        OUTBOX_FAILED,
        "Deliveries this process gave up on.",
    ),
    (
        Kind::Gauge,
        OUTBOX_QUEUED,
        "Deliveries waiting or being sent, on every server (read from the database).",
    ),
    (
        Kind::Gauge,
        OUTBOX_FAILED_NOW,
        "Deliveries given up, on every server, until resent.",
    ),
    (
        Kind::Gauge,
        OUTBOX_OLDEST,
        "Age of the oldest delivery not yet sent or given up (0 when none).",
    ),
    (
        Kind::PerFollower,
        STREAM_APPLIED,
        "The last change-stream sequence this follower applied.",
    ),
    (
        Kind::PerFollower,
        STREAM_LAG_ENTRIES,
        "Change-stream entries committed and not yet applied by this follower.",
    ),
    (
        Kind::PerFollower,
        STREAM_LAG_SECONDS,
        "Seconds since this follower was last current with the change stream (0 when it is).",
    ),
];

/// A publication counts as late past this.
pub const LATE_AFTER_MICROS: u64 = 1_000_000;

/// The metrics of one site, shared by the scheduler and the `/metrics` handler.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    /// A Prometheus gauge can only be set, so the largest lateness is kept here to set it from.
    lateness_max_micros: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        let recorder = PrometheusBuilder::new().build_recorder();
        let metrics = Self {
            handle: recorder.handle(),
            recorder,
            lateness_max_micros: AtomicU64::new(0),
        };
        metrics.record(|| {
            for (kind, name, help) in DESCRIBED {
                match kind {
                    Kind::Counter => {
                        describe_counter!(*name, *help);
                        counter!(*name).increment(0);
                    }
                    Kind::Gauge => {
                        describe_gauge!(*name, *help);
                        gauge!(*name).set(0.0);
                    }
                    Kind::PerFollower => describe_gauge!(*name, *help),
                    Kind::Summary => {
                        describe_histogram!(*name, *help);
                        // Registering is enough: the summary then shows with no samples.
                        drop(histogram!(*name));
                    }
                }
            }
        });
        metrics
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Runs `f` with this site's recorder as the one the `metrics` macros record into.
    fn record<T>(&self, f: impl FnOnce() -> T) -> T {
        metrics::with_local_recorder(&self.recorder, f)
    }

    /// Records one scheduled publication and how late it went out.
    pub fn record_scheduled(&self, late_by_micros: u64) {
        let seconds = |micros: u64| micros as f64 / 1e6;
        let max = self
            .lateness_max_micros
            .fetch_max(late_by_micros, Ordering::Relaxed)
            .max(late_by_micros);
        self.record(|| {
            counter!(SCHEDULED_PUBLISHED).increment(1);
            histogram!(SCHEDULED_LATENESS).record(seconds(late_by_micros));
            gauge!(SCHEDULED_LATENESS_MAX).set(seconds(max));
            if late_by_micros > LATE_AFTER_MICROS {
                counter!(SCHEDULED_LATE).increment(1);
            }
        });
    }

    /// Records how an attempt at a delivery ended.
    pub fn record_delivery(&self, state: pressroom_store::DeliveryState) {
        use pressroom_store::DeliveryState;
        self.record(|| match state {
            DeliveryState::Sent => counter!(OUTBOX_SENT).increment(1),
            DeliveryState::Queued => counter!(OUTBOX_RETRIED).increment(1),
            DeliveryState::Failed => counter!(OUTBOX_FAILED).increment(1),
            DeliveryState::Sending => {}
        });
    }

    /// Sets the outbox gauges from the database's counts.
    pub fn set_outbox(&self, stats: &pressroom_store::OutboxStats) {
        self.record(|| {
            gauge!(OUTBOX_QUEUED).set((stats.queued + stats.sending) as f64);
            gauge!(OUTBOX_FAILED_NOW).set(stats.failed as f64);
            gauge!(OUTBOX_OLDEST).set(stats.oldest_pending_secs as f64);
        });
    }

    /// Records a failed scheduler round.
    pub fn record_scheduler_error(&self) {
        self.record(|| counter!(SCHEDULER_ERRORS).increment(1));
    }

    /// The text format, with the page cache's size and the followers' progress as of now.
    /// Rendering also drains the summary's samples, so no upkeep task is needed (samples come
    /// once per publication).
    fn render(&self, (entries, bytes): (usize, usize), followers: &[&FollowerStatus]) -> String {
        self.record(|| {
            gauge!(PAGE_CACHE_ENTRIES).set(entries as f64);
            gauge!(PAGE_CACHE_BYTES).set(bytes as f64);
            for f in followers {
                let label = [("follower", f.name())];
                gauge!(STREAM_APPLIED, &label).set(f.applied() as f64);
                gauge!(STREAM_LAG_ENTRIES, &label).set(f.lag_entries() as f64);
                gauge!(STREAM_LAG_SECONDS, &label).set(f.lag().as_secs_f64());
            }
        });
        self.handle.render()
    }
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

/// Loopback peers (a Prometheus or an agent on the same host) may read the numbers; anyone
/// else needs `Authorization: Bearer` with the configured `metrics_token`, since the numbers
/// tell an outsider when the site publishes and how busy it is.
async fn metrics(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    let loopback = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|c| c.0.ip().is_loopback());
    let sent = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let token_ok = match (&state.config().metrics_token, sent) {
        (Some(expected), Some(sent)) => crate::admin::same_secret(expected, sent),
        _ => false,
    };
    if !(loopback || token_ok) {
        return (
            StatusCode::FORBIDDEN,
            "Metrics are served to loopback addresses, or with the configured metrics_token as \
             `Authorization: Bearer TOKEN`.\n",
        )
            .into_response();
    }
    match state.store().outbox_stats(jiff::Timestamp::now()).await {
        Ok(stats) => state.inner.metrics.set_outbox(&stats),
        // The rest of the numbers are still worth serving; the gauges keep their last value.
        Err(e) => tracing::warn!(error = %e, "cannot read the outbox's counts for /metrics"),
    }
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4")],
        state
            .inner
            .metrics
            .render(state.cache_stats(), &state.followers()),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str, name: &str) -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.parse().ok())
    }

    #[test]
    fn every_metric_shows_from_the_start_and_sites_do_not_share_them() {
        let (one, other) = (Metrics::default(), Metrics::default());
        let follower = FollowerStatus::new("page_cache");
        let text = one.render((0, 0), &[&follower]);
        for (_, name, help) in DESCRIBED {
            assert!(text.contains(&format!("# HELP {name} {help}")), "{text}");
        }
        assert_eq!(value(&text, SCHEDULED_PUBLISHED), Some(0.0));
        one.record_scheduled(2_500_000);
        one.record_scheduled(500_000);
        one.record_scheduler_error();
        let text = one.render((3, 1024), &[&follower]);
        assert_eq!(value(&text, SCHEDULED_PUBLISHED), Some(2.0));
        assert_eq!(value(&text, SCHEDULED_LATE), Some(1.0));
        assert_eq!(
            value(&text, "pressroom_scheduled_lateness_seconds_sum"),
            Some(3.0)
        );
        assert_eq!(value(&text, SCHEDULED_LATENESS_MAX), Some(2.5));
        assert_eq!(value(&text, SCHEDULER_ERRORS), Some(1.0));
        assert_eq!(value(&text, PAGE_CACHE_BYTES), Some(1024.0));
        assert_eq!(
            value(
                &text,
                &format!("{STREAM_APPLIED}{{follower=\"page_cache\"}}")
            ),
            Some(0.0),
            "{text}"
        );
        let other_text = other.render((0, 0), &[]);
        assert_eq!(value(&other_text, SCHEDULED_PUBLISHED), Some(0.0));
    }
}
