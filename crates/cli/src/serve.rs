//! The HTTP connection loop: `axum::serve` has no header or idle timeout and no connection cap,
//! so one client holding a thousand idle sockets (or sending its headers a byte at a time) could
//! exhaust the process's file descriptors and stall every reader. This loop serves HTTP/1.1
//! with hyper directly and adds, per connection:
//!
//! - a *header timeout*: a request head must be complete this long after its first byte;
//! - an *idle timeout*: a connection on which no byte moves for this long is closed (a fresh
//!   socket that sends nothing, a keep-alive connection between requests, a request body that
//!   stalls or a client that stops reading the answer);
//! - a *cap* on open connections. At the cap the connection idle the longest (or stuck in the
//!   slowest request head) is closed to make room, so a flood of idle sockets cannot lock out
//!   normal readers; only when every connection is busy with a request is the new one refused
//!   with a short `503` (`Retry-After`, `Connection: close`), logged at most once a second.
//!
//! Handlers see the peer address as `ConnectInfo<SocketAddr>`, as with `axum::serve`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};
use tower::ServiceExt;

/// The limits of the connection loop, from the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest time from a request head's first byte to its end.
    pub header_timeout: Duration,
    /// Longest time a connection may sit with nothing moving, in a request or between them.
    pub idle_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
}

/// What a refused connection is told before it is closed.
const REFUSAL: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nConnection: close\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 63\r\n\r\n\
The server is at its connection limit; try again in a moment.\r\n";

/// How long a new connection waits for the slot of the connection it caused to be closed.
const EVICTION_WAIT: Duration = Duration::from_millis(500);

/// Raises the soft limit on open files to the hard limit (where the system allows) and returns
/// the soft limit in force, so the connection cap can be derived from it.
pub fn raise_open_file_limit() -> Option<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current.is_some() && limit.current != limit.maximum {
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => tracing::info!(
                from = limit.current,
                to = limit.maximum,
                "raised the open-file limit"
            ),
            Err(e) => tracing::warn!(error = %e, "cannot raise the open-file limit"),
        }
    }
    getrlimit(Resource::Nofile).current
}

/// The connection cap when none is configured: three quarters of the open files left after a
/// reserve for the database, media and search files, within 16 … 16,384.
pub fn derived_max_connections(open_file_limit: Option<u64>) -> usize {
    let files = open_file_limit.unwrap_or(1024).min(1 << 20);
    let spare = files.saturating_sub(256) * 3 / 4;
    usize::try_from(spare)
        .unwrap_or(usize::MAX)
        .clamp(16, 16_384)
}

/// Milliseconds since the loop started; `NONE` when a time is not set.
const NONE: u64 = u64::MAX;

/// What one connection is doing, shared by its socket, its requests and the loop.
struct Activity {
    /// The last byte read or written.
    last_io: AtomicU64,
    /// The first byte of the request head being read, if one is.
    head_since: AtomicU64,
    /// Requests being answered (their response bodies not yet sent).
    busy: AtomicUsize,
    /// Told to close (evicted to make room).
    close: Notify,
    /// A head started or a request ended: the watchdog's deadline moved.
    changed: Notify,
}

/// State shared by the accept loop and every connection.
struct Shared {
    start: Instant,
    limits: Limits,
    slots: Arc<Semaphore>,
    open: Mutex<HashMap<u64, Arc<Activity>>>,
    next_id: AtomicU64,
    /// The second at which a refusal was last logged, and how many since.
    refused_logged: AtomicU64,
    refused: AtomicU64,
}

impl Shared {
    fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(NONE - 1)
    }

    fn register(&self, activity: Arc<Activity>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.open
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, activity);
        id
    }

    fn unregister(&self, id: u64) {
        self.open
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }

    /// Closes the connection that has waited longest without a request being answered: idle
    /// since its last byte, or stuck in its request head. False when every one is busy.
    fn evict_idlest(&self) -> bool {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let victim = open
            .iter()
            .filter(|(_, a)| a.busy.load(Ordering::Acquire) == 0)
            .min_by_key(|(_, a)| match a.head_since.load(Ordering::Acquire) {
                NONE => a.last_io.load(Ordering::Acquire),
                since => since,
            })
            .map(|(id, _)| *id);
        match victim.and_then(|id| open.remove(&id)) {
            Some(activity) => {
                activity.close.notify_one();
                true
            }
            None => false,
        }
    }

    /// Logs a refusal, at most once a second, with how many there were since the last line.
    fn log_refusal(&self, why: &str) {
        let count = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
        let second = self.start.elapsed().as_secs() + 1;
        let last = self.refused_logged.load(Ordering::Relaxed);
        if last < second
            && self
                .refused_logged
                .compare_exchange(last, second, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.refused.store(0, Ordering::Relaxed);
            tracing::warn!(
                refused = count,
                max_connections = self.limits.max_connections,
                "refusing connections: {why}"
            );
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets the requests in flight
/// finish (idle connections are closed at once) and returns.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let max = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let shared = Arc::new(Shared {
        start: Instant::now(),
        limits,
        slots: Arc::new(Semaphore::new(max)),
        open: Mutex::default(),
        next_id: AtomicU64::new(0),
        refused_logged: AtomicU64::new(0),
        refused: AtomicU64::new(0),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors (or another transient failure): free one by
                    // closing the idlest connection, and do not spin.
                    shared.log_refusal(&format!("cannot accept: {e}"));
                    shared.evict_idlest();
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let (shared, app, stop_rx) = (shared.clone(), app.clone(), stop_rx.clone());
        tokio::spawn(async move {
            let permit = match shared.slots.clone().try_acquire_owned() {
                Ok(permit) => permit,
                Err(_) if shared.evict_idlest() => {
                    match tokio::time::timeout(EVICTION_WAIT, shared.slots.clone().acquire_owned())
                        .await
                    {
                        Ok(Ok(permit)) => permit,
                        _ => return refuse(&shared, stream),
                    }
                }
                Err(_) => return refuse(&shared, stream),
            };
            connection(&shared, stream, peer, app, stop_rx).await;
            drop(permit);
        });
    }
    let _ = stop_tx.send(true);
    let _ = shared.slots.acquire_many(max as u32).await;
}

/// Answers a short 503 and closes. A fresh socket's send buffer is empty, so the write does not
/// block; if it cannot be written the connection is simply closed.
fn refuse(shared: &Shared, stream: TcpStream) {
    let _ = stream.try_write(REFUSAL);
    shared.log_refusal("every connection is busy with a request");
}

/// Serves one connection until it ends, times out, is evicted or the server stops.
async fn connection(
    shared: &Arc<Shared>,
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    mut stop: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity {
        last_io: AtomicU64::new(shared.now()),
        head_since: AtomicU64::new(NONE),
        busy: AtomicUsize::new(0),
        close: Notify::new(),
        changed: Notify::new(),
    });
    let id = shared.register(activity.clone());
    let io = TokioIo::new(Watched {
        stream,
        activity: activity.clone(),
        shared: shared.clone(),
    });
    let requests = activity.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let guard = Busy::start(requests.clone());
        let app = app.clone();
        async move {
            let response = app.oneshot(request).await?;
            Ok::<_, Infallible>(response.map(|body| Body::new(Finished { body, _busy: guard })))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The header timeout is enforced by `watchdog` from the head's first byte: hyper's own
    // starts when the connection begins waiting, so it would also cut keep-alive idling short.
    builder.keep_alive(true).header_read_timeout(None);
    let mut conn = pin!(builder.serve_connection(io, service));
    tokio::select! {
        _ = conn.as_mut() => {}
        () = watchdog(shared, &activity) => {}
        () = async { let _ = stop.wait_for(|stopping| *stopping).await; } => {
            conn.as_mut().graceful_shutdown();
            tokio::select! {
                _ = conn.as_mut() => {}
                () = watchdog(shared, &activity) => {}
            }
        }
    }
    shared.unregister(id);
}

/// Resolves when the connection should be closed: evicted, its request head too slow, or idle
/// too long. It sleeps until the next deadline rather than ticking.
async fn watchdog(shared: &Shared, activity: &Activity) {
    let limits = shared.limits;
    let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(NONE - 1);
    loop {
        let now = shared.now();
        let head = activity.head_since.load(Ordering::Acquire);
        let in_head = head != NONE && activity.busy.load(Ordering::Acquire) == 0;
        // Between requests, and also during one: a request whose body stalls, or whose
        // client stops reading the answer, for the idle timeout holds a slot for nothing.
        let deadline = if in_head {
            head + millis(limits.header_timeout)
        } else {
            activity.last_io.load(Ordering::Acquire) + millis(limits.idle_timeout)
        };
        if now >= deadline {
            let why = if in_head { "slow request head" } else { "idle" };
            tracing::debug!(why, "closing a connection");
            return;
        }
        let wait = Duration::from_millis(deadline - now);
        tokio::select! {
            () = activity.close.notified() => return,
            () = activity.changed.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Marks a request in progress from its head until its response body is dropped (sent or
/// abandoned).
struct Busy(Arc<Activity>);

impl Busy {
    fn start(activity: Arc<Activity>) -> Self {
        activity.busy.fetch_add(1, Ordering::AcqRel);
        activity.head_since.store(NONE, Ordering::Release);
        Self(activity)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
        self.0.changed.notify_one();
    }
}

/// A response body that ends the request's [`Busy`] mark when it is dropped.
struct Finished {
    body: Body,
    _busy: Busy,
}

impl http_body::Body for Finished {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// The socket, noting when bytes move and when a request head starts.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
    shared: Arc<Shared>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            let now = self.shared.now();
            let activity = &self.activity;
            activity.last_io.store(now, Ordering::Release);
            if activity.busy.load(Ordering::Acquire) == 0 {
                let started = activity
                    .head_since
                    .compare_exchange(NONE, now, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok();
                if started {
                    activity.changed.notify_one();
                }
            }
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            let now = self.shared.now();
            self.activity.last_io.store(now, Ordering::Release);
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_cap_follows_the_file_limit_within_bounds() {
        assert_eq!(super::derived_max_connections(Some(1024)), 576);
        assert_eq!(super::derived_max_connections(Some(100)), 16);
        assert_eq!(super::derived_max_connections(Some(1 << 20)), 16_384);
    }
}
