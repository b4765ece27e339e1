//! The accept loop. Unlike `axum::serve`, it bounds what a client can hold: a connection must send its
//! request headers promptly and is closed when idle too long, and the number open stays below the
//! open-file limit (when full, the oldest idle connection makes room), so silent or trickling clients
//! cannot starve everyone else. Shutdown is graceful: in-flight requests finish, within a bound.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::{Bytes, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, Semaphore};
use tokio::time::Instant;
use tower::ServiceExt;

/// How long a client may hold a connection without using it, and how many it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// From a request's first byte to the end of its headers.
    pub header_read_timeout: Duration,
    /// With no request in progress or started (a new or a keep-alive connection).
    pub idle_timeout: Duration,
    /// Connections open at once, before the open-file limit lowers it.
    pub max_connections: usize,
}

/// File descriptors left for all but client connections: the database pool, outgoing HTTP clients,
/// the runtime and logs.
const RESERVED_FILES: u64 = 128;

/// Longest the accept loop waits for an evicted idle connection to close before turning the new
/// one away; closing one takes microseconds.
const EVICTION_WAIT: Duration = Duration::from_secs(1);

/// A connection being closed (evicted, or at shutdown) gets this long after its last response, which
/// may still be on its way out, before it is dropped.
const CLOSE_GRACE: Duration = Duration::from_millis(250);

/// Backoff bounds after accept fails for want of resources (EMFILE, ENOBUFS): retrying at once
/// would spin while nothing has been freed.
const ACCEPT_BACKOFF: (Duration, Duration) = (Duration::from_millis(10), Duration::from_secs(1));

/// Serves `app` until `shutdown` resolves; then keeps the listener open for `delay` (so load balancers
/// notice) and gives in-flight requests up to `drain` to finish.
pub async fn serve_until(
    listener: TcpListener,
    app: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    delay: Duration,
    drain: Duration,
    limits: ConnectionLimits,
) -> std::io::Result<()> {
    let capacity = connection_cap(limits.max_connections);
    let slots = Arc::new(Semaphore::new(capacity));
    let open = Arc::new(Mutex::new(BTreeMap::<u64, Arc<Activity>>::new()));
    let (stop, stopped) = watch::channel(false);
    // HTTP/1 only, as axum::serve was built here (without its http2 feature).
    let builder = Arc::new(http1::Builder::new());
    let mut began = pin!(async move {
        shutdown.await;
        tracing::info!(
            delay_s = delay.as_secs(),
            "shutting down: readiness fails, draining"
        );
        tokio::time::sleep(delay).await;
    });
    let mut backoff = ACCEPT_BACKOFF.0;
    for id in 0u64.. {
        let (stream, peer) = tokio::select! {
            () = &mut began => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "cannot accept connections");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(ACCEPT_BACKOFF.1);
                    continue;
                }
            },
        };
        backoff = ACCEPT_BACKOFF.0;
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) if evict_oldest_idle(&open) => {
                match tokio::time::timeout(EVICTION_WAIT, slots.clone().acquire_owned()).await {
                    Ok(Ok(slot)) => slot,
                    _ => continue,
                }
            }
            Err(_) => {
                tracing::debug!(%peer, "every connection busy at MAX_CONNECTIONS: turned away");
                continue;
            }
        };
        let activity = Arc::new(Activity::new());
        open.lock().unwrap().insert(id, activity.clone());
        let (app, open, stopped, builder) =
            (app.clone(), open.clone(), stopped.clone(), builder.clone());
        tokio::spawn(async move {
            serve_connection(stream, peer, app, &builder, activity, limits, stopped).await;
            open.lock().unwrap().remove(&id);
            drop(slot);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every slot back means every connection closed.
    let all = u32::try_from(capacity).unwrap_or(u32::MAX);
    if tokio::time::timeout(drain, slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!(
            drain_s = drain.as_secs(),
            "drain timeout reached; closing remaining connections"
        );
    }
    Ok(())
}

/// Errors about one connection (it was reset before it was accepted), not about the listener.
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}

/// `max_connections`, lowered to stay below the open-file limit: past it, `accept` fails for everyone.
fn connection_cap(max_connections: usize) -> usize {
    let Some(files) = open_file_limit() else {
        return max_connections;
    };
    let cap = usize::try_from(files.saturating_sub(RESERVED_FILES).max(1)).unwrap_or(usize::MAX);
    if cap < max_connections {
        tracing::info!(
            max_connections = cap,
            open_file_limit = files,
            "MAX_CONNECTIONS lowered to stay below the open-file limit (ulimit -n)"
        );
    }
    cap.min(max_connections)
}

#[cfg(unix)]
fn open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes to the struct it is given.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    ok.then_some(limit.rlim_cur)
}

#[cfg(not(unix))]
fn open_file_limit() -> Option<u64> {
    None
}

/// Marks the connection open longest among those with no request in progress for closing; false
/// when every connection is busy.
fn evict_oldest_idle(open: &Mutex<BTreeMap<u64, Arc<Activity>>>) -> bool {
    let open = open.lock().unwrap();
    open.values().any(|activity| activity.evict_if_idle())
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: axum::Router,
    builder: &http1::Builder,
    activity: Arc<Activity>,
    limits: ConnectionLimits,
    mut stopped: watch::Receiver<bool>,
) {
    let io = TokioIo::new(Watched {
        stream,
        activity: activity.clone(),
    });
    let requests = activity.clone();
    let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        // Handlers and middleware read the client's address as axum::serve provided it.
        req.extensions_mut().insert(ConnectInfo(peer));
        let in_flight = requests.request_started();
        let app = app.clone();
        async move {
            let response = app.oneshot(req).await?;
            Ok::<_, Infallible>(response.map(|body| {
                Body::new(Tracked {
                    body,
                    _in_flight: in_flight,
                })
            }))
        }
    });
    let mut conn = pin!(builder.serve_connection(io, service).with_upgrades());
    let mut stop = pin!(async { drop(stopped.wait_for(|stop| *stop).await) });
    let mut stopping = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            // Nothing is in flight: dropping the connection loses no answer.
            () = activity.expired(limits) => {
                tracing::debug!(%peer, "closed an idle connection");
                return;
            }
            () = &mut stop, if !stopping => {
                stopping = true;
                // Requests in progress finish; hyper closes once they have.
                conn.as_mut().graceful_shutdown();
                activity.close_when_idle();
            }
        }
    }
}

/// What one connection is doing, as its reads, its requests and its closer see it.
struct Activity {
    state: Mutex<ActivityState>,
    changed: Notify,
}

struct ActivityState {
    /// Requests handed to the app whose responses are not yet fully sent.
    in_flight: usize,
    /// When the last request finished (or the connection opened).
    idle_since: Instant,
    /// When the first byte of the next request arrived.
    request_since: Option<Instant>,
    /// Being closed (to make room, or at shutdown): closes once idle.
    closing: bool,
}

impl Activity {
    fn new() -> Self {
        Activity {
            state: Mutex::new(ActivityState {
                in_flight: 0,
                idle_since: Instant::now(),
                request_since: None,
                closing: false,
            }),
            changed: Notify::new(),
        }
    }

    fn update(&self, change: impl FnOnce(&mut ActivityState)) {
        change(&mut self.state.lock().unwrap());
        self.changed.notify_one();
    }

    /// Bytes arrived from the client.
    fn read(&self) {
        let mut state = self.state.lock().unwrap();
        if state.in_flight == 0 && state.request_since.is_none() {
            state.request_since = Some(Instant::now());
            drop(state);
            self.changed.notify_one();
        }
    }

    fn request_started(self: &Arc<Self>) -> InFlight {
        self.update(|s| {
            s.in_flight += 1;
            s.request_since = None;
        });
        InFlight(self.clone())
    }

    fn close_when_idle(&self) {
        self.update(|s| s.closing = true);
    }

    /// Closes the connection if it has been idle for the close grace: true if it will.
    fn evict_if_idle(&self) -> bool {
        let mut state = self.state.lock().unwrap();
        if state.in_flight > 0 || state.closing || state.idle_since.elapsed() < CLOSE_GRACE {
            return false;
        }
        state.closing = true;
        drop(state);
        self.changed.notify_one();
        true
    }

    /// When to close unless something happens first; `None` while a request is in progress.
    fn deadline(&self, limits: ConnectionLimits) -> Option<Instant> {
        let state = self.state.lock().unwrap();
        match (state.in_flight, state.request_since) {
            (0, _) if state.closing => Some(state.idle_since + CLOSE_GRACE),
            (0, Some(since)) => Some(since + limits.header_read_timeout),
            (0, None) => Some(state.idle_since + limits.idle_timeout),
            _ => None,
        }
    }

    /// Resolves once the connection has been idle, or taking a request's headers, for too long, or
    /// is being closed and idle.
    async fn expired(&self, limits: ConnectionLimits) {
        loop {
            let changed = self.changed.notified();
            match self.deadline(limits) {
                Some(at) if at <= Instant::now() => return,
                Some(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = changed => {}
                    }
                }
                None => changed.await,
            }
        }
    }
}

/// A request in progress; dropped with its response body, once the response is sent or abandoned.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.update(|s| {
            s.in_flight -= 1;
            if s.in_flight == 0 {
                s.idle_since = Instant::now();
            }
        });
    }
}

/// A response body that keeps its request counted as in progress until it is sent.
struct Tracked {
    body: Body,
    _in_flight: InFlight,
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The client's socket, reporting what it reads to the connection's [`Activity`].
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.read();
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
