//! A webhook receiver on loopback for the tests and the benchmark: a real HTTP server that
//! records every request it gets, answers each path as told ([`Behaviour`]), can go down and come
//! back up on the same port, and checks Standard Webhooks v1 signatures with an implementation of
//! its own ([`verify`]), independent of the `standardwebhooks` crate the server signs with.

mod connections;
mod verify;

use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use bytes::Bytes;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use connections::{Connections, TrackingListener};
pub use verify::{verify, VerifyError};

/// How long [`WebhookReceiver::up`] keeps trying to bind its port again (the kernel may hold it
/// for a moment after the listener closed).
const REBIND_DEADLINE: Duration = Duration::from_secs(5);
/// The pause between two attempts to bind the port again: there is no event to wait on.
const REBIND_PAUSE: Duration = Duration::from_millis(20);

/// How the receiver answers the requests on one path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Answer with this status and an empty body (`Status(200)` is every path's default).
    Status(u16),
    /// Accept the request and never answer; the connection closes when the receiver goes down
    /// or is dropped.
    Hang,
    /// `302 Found` with this `Location`.
    Redirect(String),
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour::Status(200)
    }
}

/// One request as the receiver got it.
#[derive(Clone, Debug)]
pub struct ReceivedDelivery {
    pub method: String,
    /// The path, without the query.
    pub path: String,
    pub query: Option<String>,
    /// Header names in lower case; the values of a repeated header joined with `, `.
    pub headers: BTreeMap<String, String>,
    pub body: Bytes,
    /// When its body had been read in full.
    pub received_at: Instant,
}

impl ReceivedDelivery {
    /// The value of the header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// [`verify`] on this delivery.
    pub fn verify(
        &self,
        secrets: &[&str],
        tolerance: Duration,
    ) -> Result<serde_json::Value, VerifyError> {
        verify(self, secrets, tolerance)
    }
}

/// What the serving task and the handlers share with the receiver.
struct Shared {
    deliveries: Mutex<Vec<ReceivedDelivery>>,
    /// How many deliveries are recorded: what [`WebhookReceiver::wait_for_count`] waits on.
    count: watch::Sender<usize>,
    behaviours: Mutex<HashMap<String, Behaviour>>,
    /// Bumped each time the receiver goes down (or is dropped): ends the requests left hanging.
    downs: watch::Sender<u64>,
    connections: Arc<Connections>,
}

pub struct WebhookReceiver {
    addr: SocketAddr,
    shared: Arc<Shared>,
    /// The task serving the listener, while the receiver is up.
    serving: Mutex<Option<JoinHandle<()>>>,
}

impl WebhookReceiver {
    /// Starts a receiver on `127.0.0.1` on a port of the system's choosing.
    pub async fn start() -> anyhow::Result<WebhookReceiver> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .context("bind the webhook receiver on 127.0.0.1")?;
        let addr = listener.local_addr()?;
        let receiver = WebhookReceiver {
            addr,
            shared: Arc::new(Shared {
                deliveries: Mutex::new(Vec::new()),
                count: watch::Sender::new(0),
                behaviours: Mutex::new(HashMap::new()),
                downs: watch::Sender::new(0),
                connections: Arc::new(Connections::default()),
            }),
            serving: Mutex::new(None),
        };
        receiver.serve(listener);
        Ok(receiver)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// From now on, answer the requests on `path` so.
    pub fn set_behaviour(&self, path: &str, behaviour: Behaviour) {
        lock(&self.shared.behaviours).insert(path.to_owned(), behaviour);
    }

    /// Every request received so far, in the order they arrived.
    pub fn deliveries(&self) -> Vec<ReceivedDelivery> {
        lock(&self.shared.deliveries).clone()
    }

    pub fn count(&self) -> usize {
        *self.shared.count.borrow()
    }

    /// Waits until at least `n` requests have arrived and returns all of them, or fails after
    /// `deadline` saying how many arrived.
    pub async fn wait_for_count(
        &self,
        n: usize,
        deadline: Duration,
    ) -> anyhow::Result<Vec<ReceivedDelivery>> {
        let mut count = self.shared.count.subscribe();
        // `Err` from `wait_for` cannot happen: the receiver holds the sender of its count.
        let reached = tokio::time::timeout(deadline, count.wait_for(|c| *c >= n))
            .await
            .is_ok_and(|waited| waited.is_ok());
        if reached {
            return Ok(self.deliveries());
        }
        anyhow::bail!(
            "waited {deadline:?} for {n} webhook deliveries at {}: {} arrived",
            self.addr,
            self.count()
        )
    }

    /// Stops listening: the listener is closed (new connections are refused) and the open
    /// connections are shut, requests left hanging included. The port is bound again by
    /// [`up`](Self::up).
    pub async fn down(&self) {
        let serving = lock(&self.serving).take();
        if let Some(task) = serving {
            task.abort();
            // The listener is closed once the aborted task has dropped it.
            let _ = task.await;
        }
        self.shared.connections.shut_all();
        self.shared.downs.send_modify(|downs| *downs += 1);
    }

    /// Listens again on the same port, retrying for a while if the port is still held.
    pub async fn up(&self) -> anyhow::Result<()> {
        if lock(&self.serving).is_some() {
            return Ok(());
        }
        let started = Instant::now();
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(_) if started.elapsed() < REBIND_DEADLINE => {
                    tokio::time::sleep(REBIND_PAUSE).await;
                }
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!(
                            "bind the webhook receiver again on {} (tried for {REBIND_DEADLINE:?})",
                            self.addr
                        )
                    })
                }
            }
        };
        self.serve(listener);
        Ok(())
    }

    fn serve(&self, listener: TcpListener) {
        let listener = TrackingListener::new(listener, self.shared.connections.clone());
        let app = Router::new()
            .fallback(receive)
            .with_state(self.shared.clone());
        let task = tokio::spawn(async move {
            // Serving only ends when the task is aborted.
            let _ = axum::serve(listener, app).await;
        });
        *lock(&self.serving) = Some(task);
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        if let Some(task) = lock(&self.serving).take() {
            task.abort();
        }
        self.shared.connections.shut_all();
        self.shared.downs.send_modify(|downs| *downs += 1);
    }
}

/// Every request, on any path: recorded first, then answered as its path's behaviour says.
async fn receive(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    // Subscribed before the request is recorded, so that a `down` after that ends a hang.
    let mut downs = shared.downs.subscribe();
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let path = parts.uri.path().to_owned();
    let delivery = ReceivedDelivery {
        method: parts.method.to_string(),
        path: path.clone(),
        query: parts.uri.query().map(str::to_owned),
        headers: header_map(&parts.headers),
        body,
        received_at: Instant::now(),
    };
    {
        let mut deliveries = lock(&shared.deliveries);
        deliveries.push(delivery);
        shared.count.send_replace(deliveries.len());
    }
    let behaviour = lock(&shared.behaviours)
        .get(&path)
        .cloned()
        .unwrap_or_default();
    match behaviour {
        Behaviour::Status(status) => match StatusCode::from_u16(status) {
            Ok(status) => status.into_response(),
            Err(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the receiver was told to answer {status}, not an HTTP status"),
            )
                .into_response(),
        },
        Behaviour::Hang => {
            // Ends when the receiver goes down or is dropped; its connection is shut by then.
            let _ = downs.changed().await;
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
        Behaviour::Redirect(location) => Response::builder()
            .status(StatusCode::FOUND)
            .header(header::LOCATION, location)
            .body(Body::empty())
            .unwrap_or_else(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()),
    }
}

fn header_map(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut map = BTreeMap::<String, String>::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        map.entry(name.as_str().to_owned())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    map
}

/// A poisoned lock only means a test panicked while holding it; the data is still usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
