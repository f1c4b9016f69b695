//! Liveness and readiness for load balancers and orchestrators.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use pressroom_store::SCHEMA_VERSION;

use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok\n"
}

/// The process can serve: its database answers and holds the schema this binary was built
/// for (a dropped schema, a replaced file or a database migrated by another release is not
/// ready, though `SELECT 1` would still answer).
///
/// A damaged database (found by the integrity check `pressroom serve` runs once it listens)
/// is not ready: the message says what to do.
///
/// A server whose page cache cannot follow the change stream (it would serve other servers'
/// changes late) is not ready either; it answers uncached meanwhile.
async fn readyz(State(state): State<AppState>) -> (StatusCode, String) {
    let cache = &state.inner.followers.cache;
    if !cache.following() {
        tracing::warn!(
            applied = cache.applied(),
            behind = cache.lag().as_secs(),
            "not ready: not following the change stream"
        );
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "not following the change stream (applied {}, {} s behind)\n",
                cache.applied(),
                cache.lag().as_secs()
            ),
        );
    }
    if let Some(damage) = state.store().damage() {
        tracing::warn!(%damage, "not ready: the database is damaged");
        return (StatusCode::SERVICE_UNAVAILABLE, format!("{damage}\n"));
    }
    match state.store().schema_version().await {
        Ok(version) if version == SCHEMA_VERSION => (StatusCode::OK, "ready\n".to_owned()),
        Ok(version) => {
            tracing::warn!(
                version,
                expected = SCHEMA_VERSION,
                "not ready: schema version"
            );
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "database schema is at version {version}, this server needs {SCHEMA_VERSION}\n"
                ),
            )
        }
        Err(e) => {
            tracing::warn!(error = %e, "not ready: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "database unreachable\n".to_owned(),
            )
        }
    }
}
