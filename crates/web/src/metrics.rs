//! Prometheus metrics at `/metrics`: scheduled publishing (count, lateness) and the page cache.
//!
//! Counters live in this process; with several servers, Prometheus sums them across targets.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

/// Counters shared by the scheduler and the `/metrics` handler.
#[derive(Debug, Default)]
pub struct Metrics {
    scheduled_published: AtomicU64,
    scheduled_late: AtomicU64,
    lateness_micros_sum: AtomicU64,
    lateness_micros_max: AtomicU64,
    scheduler_errors: AtomicU64,
}

/// A publication counts as late past this.
pub const LATE_AFTER_MICROS: u64 = 1_000_000;

impl Metrics {
    /// Records one scheduled publication and how late it went out.
    pub fn record_scheduled(&self, late_by_micros: u64) {
        self.scheduled_published.fetch_add(1, Ordering::Relaxed);
        self.lateness_micros_sum
            .fetch_add(late_by_micros, Ordering::Relaxed);
        self.lateness_micros_max
            .fetch_max(late_by_micros, Ordering::Relaxed);
        if late_by_micros > LATE_AFTER_MICROS {
            self.scheduled_late.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records a failed scheduler round.
    pub fn record_scheduler_error(&self) {
        self.scheduler_errors.fetch_add(1, Ordering::Relaxed);
    }

    fn render(&self, cache: (usize, usize)) -> String {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let seconds = |micros: u64| micros as f64 / 1e6;
        format!(
            "# HELP pressroom_scheduled_published_total Scheduled publications carried out by this process.\n\
             # TYPE pressroom_scheduled_published_total counter\npressroom_scheduled_published_total {}\n\
             # HELP pressroom_scheduled_late_total Scheduled publications that went out more than a second late.\n\
             # TYPE pressroom_scheduled_late_total counter\npressroom_scheduled_late_total {}\n\
             # HELP pressroom_scheduled_lateness_seconds_sum Total lateness of scheduled publications.\n\
             # TYPE pressroom_scheduled_lateness_seconds_sum counter\npressroom_scheduled_lateness_seconds_sum {}\n\
             # HELP pressroom_scheduled_lateness_seconds_max Largest lateness seen.\n\
             # TYPE pressroom_scheduled_lateness_seconds_max gauge\npressroom_scheduled_lateness_seconds_max {}\n\
             # HELP pressroom_scheduler_errors_total Scheduler rounds that failed (and were retried).\n\
             # TYPE pressroom_scheduler_errors_total counter\npressroom_scheduler_errors_total {}\n\
             # HELP pressroom_page_cache_entries Pages in the in-memory cache.\n\
             # TYPE pressroom_page_cache_entries gauge\npressroom_page_cache_entries {}\n\
             # HELP pressroom_page_cache_bytes Bytes held by the page cache.\n\
             # TYPE pressroom_page_cache_bytes gauge\npressroom_page_cache_bytes {}\n",
            get(&self.scheduled_published),
            get(&self.scheduled_late),
            seconds(get(&self.lateness_micros_sum)),
            seconds(get(&self.lateness_micros_max)),
            get(&self.scheduler_errors),
            cache.0,
            cache.1,
        )
    }
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.inner.metrics.render(state.cache_stats()),
    )
}
