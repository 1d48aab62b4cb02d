//! msgsync's HTTP API: a thin axum layer over the store and the engine.

mod app;
mod auth;
mod error;
mod extract;
mod metrics;
mod middleware;
mod openapi;
mod router;
mod routes;
mod server;
mod views;

pub use app::{App, AppState};
pub use auth::API_KEY_HEADER;
pub use error::AppError;
pub use router::{metrics_router, router, MAX_BODY_BYTES};
pub use server::HttpLimits;

use std::future::Future;

use tokio::net::TcpListener;

/// Serves the API on `listener` until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    server::serve(listener, router(state), limits, shutdown).await
}

/// Serves `/metrics` alone on `listener` (`MSGSYNC_METRICS_LISTEN`), until `shutdown`.
pub async fn serve_metrics(
    listener: TcpListener,
    state: AppState,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    server::serve(listener, metrics_router(state), limits, shutdown).await
}
