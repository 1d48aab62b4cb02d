//! msgsync's HTTP API: a thin axum layer over the store and the engine.

mod app;
mod auth;
mod error;
mod extract;
mod middleware;
mod router;
mod routes;
mod server;
mod views;

pub use app::{App, AppState};
pub use auth::API_KEY_HEADER;
pub use error::AppError;
pub use router::{router, MAX_BODY_BYTES};
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
