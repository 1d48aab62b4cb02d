//! msgsync's HTTP API: a thin axum layer over the store and the engine.

mod app;
mod auth;
mod error;
mod extract;
mod middleware;
mod router;
mod routes;
mod views;

pub use app::{App, AppState};
pub use auth::API_KEY_HEADER;
pub use error::AppError;
pub use router::{router, MAX_BODY_BYTES};

use std::future::Future;

use tokio::net::TcpListener;

/// Serves the API on `listener` until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
