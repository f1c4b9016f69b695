//! Publishes scheduled releases when they fall due.
//!
//! The schedule lives in the database, so it survives restarts and a server that was down
//! catches up on start (and logs how late each publication was). The loop wakes at least once
//! a second, so a publication goes out within a second of its time; with several servers, the
//! store's per-translation lock makes exactly one of them publish it.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;

use pressroom_store::Store;
use tokio::sync::watch;

use crate::Metrics;

/// The longest the loop sleeps, which bounds how late a publication can be.
const MAX_SLEEP: Duration = Duration::from_secs(1);

/// Runs until `shutdown` turns true.
pub async fn run(store: Store, metrics: Arc<Metrics>, mut shutdown: watch::Receiver<bool>) {
    tracing::info!("scheduler started");
    loop {
        if *shutdown.borrow() {
            break;
        }
        publish_due(&store, &metrics).await;
        let sleep = match store.next_due().await {
            Ok(Some(due)) => {
                let wait = due.duration_since(Timestamp::now());
                Duration::try_from(wait)
                    .unwrap_or(Duration::ZERO)
                    .min(MAX_SLEEP)
            }
            Ok(None) => MAX_SLEEP,
            Err(e) => {
                tracing::warn!(error = %e, "scheduler cannot read the schedule");
                MAX_SLEEP
            }
        };
        tokio::select! {
            () = tokio::time::sleep(sleep) => {}
            _ = shutdown.changed() => {}
        }
    }
    tracing::info!("scheduler stopped");
}

/// Publishes what is due now, logging each publication and any lateness.
pub async fn publish_due(store: &Store, metrics: &Metrics) {
    match store.publish_due(Timestamp::now()).await {
        Ok(done) => {
            for p in done {
                metrics.record_scheduled(u64::try_from(p.late_by.as_micros()).unwrap_or(0));
                if p.late_by > SignedDuration::from_secs(1) {
                    tracing::warn!(translation = p.translation_id, scheduled_at = %p.scheduled_at, late_by = %p.late_by, "published late");
                } else {
                    tracing::info!(translation = p.translation_id, scheduled_at = %p.scheduled_at, "published on schedule");
                }
            }
        }
        Err(e) => {
            metrics.record_scheduler_error();
            tracing::error!(error = %e, "scheduled publication failed; will retry");
        }
    }
}
