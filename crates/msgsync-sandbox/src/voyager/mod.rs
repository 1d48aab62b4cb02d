//! The LinkedIn simulator: the Voyager web API over real HTTP, serving the sandbox data sets
//! with LinkedIn's paths, cookies, CSRF check, response shapes, quirks and failure signals, so
//! that the live connector cannot tell it from LinkedIn.
//!
//! - `auth`: stateless sandbox sessions (`li_at` encodes the scenario), CSRF and faults.
//! - `graphql`: the messenger queries over a data set.
//! - `render` / `render_media` / `answer`: the records of their JSON (participants,
//!   messages, `renderContent`), and the whole answers around them.
//! - [`media`]: the files behind the media URLs it renders, streamed.
//! - [`restli`]: reading GraphQL `variables`.
//! - [`SandboxLinkedinConnector`]: the live connector pointed at the simulator.

mod answer;
// An early answer (a refusal, a fault) travels as the `Err` of the request checks: it is
// built at most once per request, so its size is no concern.
#[allow(clippy::result_large_err)]
mod auth;
mod connector;
#[allow(clippy::result_large_err)]
mod graphql;
mod listener;
pub mod media;
mod render;
mod render_media;
pub mod restli;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use msgsync_core::ProviderKind;
use msgsync_providers::linkedin::{AUTHENTICATE_PATH, GRAPHQL_PATH, ME_PATH};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::generator::Dataset;
use crate::SandboxHub;
pub use auth::sandbox_cookies;
use auth::FaultAnswer;
pub use connector::SandboxLinkedinConnector;
use listener::{Conn, CuttableListener};
pub use media::{MediaFile, MediaStream};
pub use render_media::simulated_url;

struct SimState {
    hub: SandboxHub,
    base_url: String,
    /// Voyager requests served, per `li_at`: the faults' counters.
    counters: Mutex<HashMap<String, Arc<AtomicU64>>>,
    /// Fresh JSESSIONIDs handed out by `/uas/authenticate`.
    issued: AtomicU64,
    stop: watch::Receiver<bool>,
}

impl SimState {
    fn counter(&self, li_at: &str) -> Arc<AtomicU64> {
        self.counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(li_at.to_string())
            .or_default()
            .clone()
    }

    /// Resolves once the simulator is stopping.
    async fn stopped(&self) {
        let mut stop = self.stop.clone();
        // An error means the handle is gone: stopping as well.
        let _ = stop.wait_for(|s| *s).await;
    }
}

/// The LinkedIn Voyager simulator.
pub struct VoyagerSimulator;

/// A running simulator.
pub struct VoyagerHandle {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl VoyagerHandle {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`: the `base_url` of a connector talking to this simulator.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A URL of LinkedIn's as the generator writes it (`https://www.linkedin.com/…`,
    /// `https://media.licdn.com/…`), on this simulator.
    pub fn simulated_url(&self, live: &str) -> String {
        simulated_url(&self.base_url(), live)
    }

    /// Stops serving: requests held open by a `timeout` fault are released, then the server
    /// finishes the requests in flight.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

impl VoyagerSimulator {
    /// Serves the sandbox of `hub` on `listener`, in a spawned task.
    pub fn start(hub: SandboxHub, listener: TcpListener) -> std::io::Result<VoyagerHandle> {
        let listener = CuttableListener { inner: listener };
        let addr = listener.addr()?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let state = Arc::new(SimState {
            hub,
            base_url: format!("http://{addr}"),
            counters: Mutex::new(HashMap::new()),
            issued: AtomicU64::new(0),
            stop: stop_rx.clone(),
        });
        let app = Router::new()
            .route(ME_PATH, get(me))
            .route(GRAPHQL_PATH, get(graphql))
            .route(AUTHENTICATE_PATH, get(authenticate))
            .route("/dms/prv/{*file}", get(private_media))
            .route("/dms/image/{*file}", get(picture))
            .with_state(state);
        let mut stop = stop_rx;
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app.into_make_service_with_connect_info::<Conn>())
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                });
            if let Err(e) = served.await {
                tracing::error!(error = %e, "the LinkedIn simulator stopped");
            }
        });
        Ok(VoyagerHandle {
            addr,
            stop: stop_tx,
            task,
        })
    }
}

/// An anonymous visit: LinkedIn hands out a JSESSIONID.
async fn authenticate(State(st): State<Arc<SimState>>) -> Response {
    let n = st.issued.fetch_add(1, Ordering::Relaxed);
    let mut r = (StatusCode::OK, "").into_response();
    auth::set_jsessionid(&mut r, &format!("anonymous-{n}-{}", st.base_url));
    r
}

/// Whether a request must carry the CSRF token: the API's requests do, the media the web
/// app's pages load do not.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Csrf {
    Checked,
    NotChecked,
}

/// What every request of a session goes through: the session, the latency, the fault, the
/// CSRF check; then the data set of the scenario.
#[allow(clippy::result_large_err)]
async fn gate(
    st: &SimState,
    conn: &Conn,
    headers: &HeaderMap,
    csrf: Csrf,
) -> Result<Arc<Dataset>, Response> {
    let session = auth::session(headers, &st.base_url)?;
    let latency = auth::latency(&session.scenario);
    if !latency.is_zero() {
        tokio::select! {
            () = tokio::time::sleep(latency) => {}
            () = st.stopped() => return Err(StatusCode::SERVICE_UNAVAILABLE.into_response()),
        }
    }
    let scenario = &session.scenario;
    if let Some(fault) = scenario.fault {
        let count = st
            .counter(&session.li_at)
            .fetch_add(1, Ordering::SeqCst)
            .wrapping_add(1);
        if count > scenario.fault_after {
            match auth::fault_answer(fault, count - scenario.fault_after, &st.base_url) {
                None => {}
                Some(FaultAnswer::Respond(r)) => return Err(r),
                Some(FaultAnswer::Cut) => {
                    conn.cut();
                    return Err(StatusCode::BAD_GATEWAY.into_response());
                }
                Some(FaultAnswer::Hold) => {
                    st.stopped().await;
                    conn.cut();
                    return Err(StatusCode::SERVICE_UNAVAILABLE.into_response());
                }
            }
        }
    }
    if csrf == Csrf::Checked {
        if let Err(mut r) = auth::csrf(headers) {
            if auth::cookie(headers, "JSESSIONID").is_none() {
                auth::set_jsessionid(&mut r, &session.li_at);
            }
            return Err(r);
        }
    }
    // A large scenario takes a while to index: keep it off the async workers.
    let (hub, s) = (st.hub.clone(), session.scenario.clone());
    tokio::task::spawn_blocking(move || hub.dataset(ProviderKind::Linkedin, &s))
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

async fn me(
    State(st): State<Arc<SimState>>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    headers: HeaderMap,
) -> Response {
    match gate(&st, &conn, &headers, Csrf::Checked).await {
        Ok(ds) => answer::me_answer(&ds),
        Err(r) => r,
    }
}

async fn graphql(
    State(st): State<Arc<SimState>>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let ds = match gate(&st, &conn, &headers, Csrf::Checked).await {
        Ok(ds) => ds,
        Err(r) => return r,
    };
    let (query_id, vars) = match graphql::parse_query(query.as_deref().unwrap_or("")) {
        Ok(q) => q,
        Err(r) => return r,
    };
    // Any hash is accepted: the names are what the simulator knows.
    let base = st.base_url.clone();
    let name = query_id.split('.').next().unwrap_or("").to_string();
    let work = move || match name.as_str() {
        "messengerConversations" => graphql::conversations(&ds, &vars, &base),
        "messengerMessages" => graphql::messages(&ds, &vars, &base),
        _ => graphql::error(StatusCode::BAD_REQUEST, "Unknown queryId"),
    };
    // Rendering sorts a chat's timeline on first use: not on the async workers.
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// A message attachment (`/dms/prv/…`): the session's, without a CSRF token.
async fn private_media(
    State(st): State<Arc<SimState>>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let ds = match gate(&st, &conn, &headers, Csrf::NotChecked).await {
        Ok(ds) => ds,
        Err(r) => return r,
    };
    let path = uri.path().to_string();
    // Finding the attachment generates its message: not on the async workers.
    let found =
        tokio::task::spawn_blocking(move || crate::generator::linkedin::message_blob(&ds, &path))
            .await;
    match found {
        Ok(Some(blob)) => MediaFile::from_blob(blob).answer(),
        Ok(None) => media::not_found(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// A profile picture (`/dms/image/…`): public.
async fn picture(uri: Uri) -> Response {
    match MediaFile::of_picture(uri.path()) {
        Some(file) => file.answer(),
        None => media::not_found(),
    }
}
