//! Waking followers when another server commits a change.
//!
//! [`Store::change_signal`] shows this process's own commits at once. [`Store::watch_stream`]
//! adds everybody else's: on PostgreSQL a dedicated connection `LISTEN`s on
//! [`NOTIFY_CHANNEL`] (each commit that appends to the stream notifies it), and on both
//! backends the stream's head is polled as the safety net — a notification lost while the
//! listening connection was down (a restart of PostgreSQL, `pg_terminate_backend`, a network
//! blip) delays a follower by one poll, never more. Every follower of this process (the page
//! cache, the search index, the outbox) waits on the one signal, so there is one listening
//! connection and one poll per server, whatever the number of followers.

use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::watch;

use crate::changes::NOTIFY_CHANNEL;
use crate::{Backend, Store};

/// How long to wait before connecting the listener again after it failed.
const RECONNECT: Duration = Duration::from_secs(1);

impl Store {
    /// Feeds [`Store::change_signal`] with other servers' commits until `shutdown` turns
    /// true: `LISTEN` on PostgreSQL, and a read of the stream's head every `poll`. Failures
    /// are logged and retried; the followers notice an outage themselves, since their reads
    /// fail too.
    pub async fn watch_stream(&self, poll: Duration, mut shutdown: watch::Receiver<bool>) {
        let listening = match (self.backend, &self.url) {
            (Backend::Postgres, Some(url)) => Some(tokio::spawn(listen(
                self.clone(),
                url.clone(),
                shutdown.clone(),
            ))),
            _ => None,
        };
        loop {
            if *shutdown.borrow() {
                break;
            }
            match self.last_change_seq().await {
                Ok(seq) => self.saw_head(seq),
                Err(e) => tracing::debug!(error = %e, "cannot read the change stream's head"),
            }
            tokio::select! {
                () = tokio::time::sleep(poll) => {}
                _ = shutdown.changed() => {}
            }
        }
        if let Some(task) = listening {
            let _ = task.await;
        }
    }
}

/// The `LISTEN` loop: each notification (or queue of them) is followed by a read of the head.
async fn listen(store: Store, url: std::sync::Arc<str>, mut shutdown: watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        let connected = async {
            let mut listener = PgListener::connect(&url).await?;
            listener.listen(NOTIFY_CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = tokio::select! {
            connected = connected => match connected {
                Ok(listener) => listener,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for other servers' changes; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(RECONNECT) => {}
                        _ = shutdown.changed() => {}
                    }
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        tracing::debug!(
            channel = NOTIFY_CHANNEL,
            "listening for other servers' changes"
        );
        // Changes committed while the listener was away are found by the next poll; this
        // read makes that immediate.
        if let Ok(seq) = store.last_change_seq().await {
            store.saw_head(seq);
        }
        loop {
            let received = tokio::select! {
                received = listener.try_recv() => received,
                _ = shutdown.changed() => return,
            };
            match received {
                Ok(Some(_)) => {
                    // The payload is the committed sequence, but the channel is per database,
                    // not per schema: another site in another schema of the same database
                    // notifies it too. So a notification only says "look": the head is read
                    // from this site's own stream, once for all notifications already queued.
                    while listener.next_buffered().is_some() {}
                    match store.last_change_seq().await {
                        Ok(seq) => store.saw_head(seq),
                        Err(e) => {
                            tracing::debug!(error = %e, "cannot read the change stream's head")
                        }
                    }
                }
                Ok(None) => {
                    tracing::warn!("the listening connection was lost; reconnecting");
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the listening connection failed; reconnecting");
                    break;
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(RECONNECT) => {}
            _ = shutdown.changed() => {}
        }
    }
}
