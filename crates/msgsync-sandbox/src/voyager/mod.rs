//! The LinkedIn simulator: the Voyager web API over real HTTP, serving the sandbox data sets
//! with LinkedIn's paths, cookies, CSRF check, response shapes, quirks and failure signals, so
//! that the live connector cannot tell it from LinkedIn.
//!
//! - `auth`: stateless sandbox sessions (`li_at` encodes the scenario), CSRF and faults.
//! - `deploy`: the web app's deploy: its query ids, the messaging page and its script.
//! - `graphql`: the messenger queries over a data set.
//! - `sales`: Sales Navigator's messaging API.
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
mod deploy;
#[allow(clippy::result_large_err)]
mod graphql;
mod listener;
pub mod media;
mod render;
mod render_media;
pub mod restli;
#[allow(clippy::result_large_err)]
mod sales;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use msgsync_core::ProviderKind;
use msgsync_providers::linkedin::{
    AUTHENTICATE_PATH, GRAPHQL_PATH, MESSAGING_PAGE, ME_PATH, SALES_THREADS_PATH,
};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::generator::Dataset;
use crate::SandboxHub;
pub use auth::sandbox_cookies;
use auth::{FaultAnswer, SandboxSession};
pub use connector::SandboxLinkedinConnector;
pub use deploy::QueryIds;
use deploy::Role;
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
    /// The web app's deploy (`deploy`): which query ids it runs.
    deploy: AtomicU64,
    /// Routing cookies handed out (`auth::set_lidc`).
    lidc: AtomicU64,
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
    state: Arc<SimState>,
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

    /// The query ids the simulated web app runs now.
    pub fn query_ids(&self) -> QueryIds {
        QueryIds::of_deploy(self.state.deploy.load(Ordering::SeqCst))
    }

    /// LinkedIn deploys its web app again: every query id changes, and the old ones are
    /// refused from now on. Returns the new ids.
    pub fn deploy(&self) -> QueryIds {
        QueryIds::of_deploy(self.state.deploy.fetch_add(1, Ordering::SeqCst) + 1)
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
            deploy: AtomicU64::new(0),
            lidc: AtomicU64::new(0),
            stop: stop_rx.clone(),
        });
        let app = Router::new()
            .route(ME_PATH, get(me))
            .route(GRAPHQL_PATH, get(graphql))
            .route(AUTHENTICATE_PATH, get(authenticate))
            .route(MESSAGING_PAGE, get(messaging_page))
            .route(&format!("{}/{{name}}", deploy::SCRIPTS_PATH), get(script))
            .route(SALES_THREADS_PATH, get(sales_threads))
            .route(&format!("{SALES_THREADS_PATH}/{{id}}"), get(sales_thread))
            .route("/dms/prv/{*file}", get(private_media))
            .route("/dms/image/{*file}", get(picture))
            .with_state(state.clone());
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
            state,
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
) -> Result<(SandboxSession, Arc<Dataset>), Response> {
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
        if let Err(mut r) = auth::csrf(headers, &session) {
            if auth::cookie(headers, "JSESSIONID").is_none() {
                auth::set_jsessionid(&mut r, &session.li_at);
            }
            return Err(r);
        }
    }
    // A large scenario takes a while to index: keep it off the async workers.
    let (hub, s) = (st.hub.clone(), session.scenario.clone());
    let ds = tokio::task::spawn_blocking(move || hub.dataset(ProviderKind::Linkedin, &s))
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())?;
    Ok((session, ds))
}

async fn me(
    State(st): State<Arc<SimState>>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    headers: HeaderMap,
) -> Response {
    match gate(&st, &conn, &headers, Csrf::Checked).await {
        Ok((_, ds)) => {
            let mut r = answer::me_answer(&ds);
            auth::set_lidc(&mut r, st.lidc.fetch_add(1, Ordering::Relaxed));
            r
        }
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
        Ok((_, ds)) => ds,
        Err(r) => return r,
    };
    let (query_id, vars) = match graphql::parse_query(query.as_deref().unwrap_or("")) {
        Ok(q) => q,
        Err(r) => return r,
    };
    // Only the ids of the current deploy run (`deploy`).
    let role = QueryIds::of_deploy(st.deploy.load(Ordering::SeqCst)).role(&query_id);
    let base = st.base_url.clone();
    let work = move || match role {
        Some(Role::ConversationsOnLoad) => graphql::conversations(&ds, &vars, &base, false),
        Some(Role::ConversationsPaging) => graphql::conversations(&ds, &vars, &base, true),
        Some(Role::MessagesByAnchor) => graphql::messages(&ds, &vars, &base, false),
        Some(Role::MessagesByCursor) => graphql::messages(&ds, &vars, &base, true),
        None => graphql::error(
            StatusCode::BAD_REQUEST,
            "PersistedQueryNotFound: the queryId is not known",
        ),
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
        Ok((_, ds)) => ds,
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

/// The messaging page of a logged-in member: the web app's shell and its scripts. A browser
/// without a JSESSIONID gets its session's one here, as on any page it loads. Pages are not
/// the API: latency and faults apply to the API's requests only.
async fn messaging_page(State(st): State<Arc<SimState>>, headers: HeaderMap) -> Response {
    let session = match auth::session(&headers, &st.base_url) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let html = deploy::messaging_page(&st.base_url, st.deploy.load(Ordering::SeqCst));
    let mut r = (
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response();
    if auth::cookie(&headers, "JSESSIONID").is_none() {
        auth::set_jsessionid(&mut r, &session.li_at);
    }
    r
}

/// A script of the web app: public, no session.
async fn script(State(st): State<Arc<SimState>>, Path(name): Path<String>) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/javascript")],
        deploy::script(&name, st.deploy.load(Ordering::SeqCst)),
    )
        .into_response()
}

/// The Sales Navigator API: the session, then its seat.
async fn sales_gate(
    st: &SimState,
    conn: &Conn,
    headers: &HeaderMap,
) -> Result<Arc<Dataset>, Response> {
    let (session, ds) = gate(st, conn, headers, Csrf::Checked).await?;
    sales::seat(headers, &session)?;
    Ok(ds)
}

async fn sales_threads(
    State(st): State<Arc<SimState>>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    match sales_gate(&st, &conn, &headers).await {
        Ok(ds) => {
            let query = query.unwrap_or_default();
            tokio::task::spawn_blocking(move || sales::threads(&ds, &query))
                .await
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        Err(r) => r,
    }
}

async fn sales_thread(
    State(st): State<Arc<SimState>>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    match sales_gate(&st, &conn, &headers).await {
        Ok(ds) => {
            let query = query.unwrap_or_default();
            tokio::task::spawn_blocking(move || sales::one_thread(&ds, &id, &query))
                .await
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        Err(r) => r,
    }
}
