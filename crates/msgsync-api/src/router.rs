//! Every route of the API, in one place.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Extension, Router};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::metrics;
use crate::middleware::{envelope, panic_response};
use crate::openapi::{self, ApiDoc, Reference};
use crate::routes::{accounts, attendees, chats, messages, sync, webhooks};

/// JSON bodies above this are refused with `content_too_large`.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Bodies are read up to this much (so the client gets the `content_too_large` answer); the
/// connection is cut beyond it.
pub const MAX_READ_BYTES: usize = 4 * 1024 * 1024;

pub fn router(state: AppState) -> Router {
    // Where no address of its own is set for them, the metrics are served here.
    let (app, document) = all_routes(!state.metrics_elsewhere).split_for_parts();
    let app = app
        .layer(Extension(Arc::new(Reference::new(&document))))
        .with_state(state.clone());
    // Outermost, so that it counts each answer as it leaves, envelope included.
    with_layers(app).layer(axum::middleware::from_fn_with_state(
        state,
        metrics::count_requests,
    ))
}

/// Every route, in one place. Each is registered from its handler's `#[utoipa::path]` (method
/// and path included) with `routes!`, which also adds it to the OpenAPI document: no route is
/// served that `/api/v1/openapi.json` does not describe (the tests in `openapi::tests` walk the
/// router to hold this).
pub(crate) fn all_routes(with_metrics: bool) -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::new()
        .routes(routes!(accounts::list_accounts, accounts::create_account))
        .routes(routes!(
            accounts::get_account,
            accounts::reconnect_account,
            accounts::delete_account
        ))
        .routes(routes!(sync::sync_account))
        .routes(routes!(sync::list_syncs))
        .routes(routes!(sync::get_sync))
        .routes(routes!(chats::list_chats))
        .routes(routes!(chats::get_chat))
        .routes(routes!(chats::list_chat_messages))
        .routes(routes!(chats::list_chat_attendees))
        .routes(routes!(attendees::list_attendees))
        .routes(routes!(attendees::get_attendee))
        .routes(routes!(attendees::list_attendee_chats))
        .routes(routes!(attendees::list_attendee_messages))
        .routes(routes!(messages::list_messages))
        .routes(routes!(messages::get_message))
        .routes(routes!(messages::get_message_attachment))
        .routes(routes!(webhooks::list_webhooks, webhooks::create_webhook))
        .routes(routes!(webhooks::delete_webhook))
        .routes(routes!(webhooks::rotate_webhook_secret))
        .routes(routes!(webhooks::list_webhook_deliveries))
        .routes(routes!(openapi::get_openapi));
    let app = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", api)
        .routes(routes!(crate::routes::health))
        .routes(routes!(openapi::get_docs));
    if with_metrics {
        app.routes(routes!(metrics::get_metrics))
    } else {
        app
    }
}

/// `/metrics` alone, for `MSGSYNC_METRICS_LISTEN` (an address only the monitoring reaches).
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics::get_metrics))
        .with_state(state)
}

/// The layers every route sits behind: body limit, panics caught, a timeout, and (outermost)
/// request ids and the error envelope.
fn with_layers(app: Router) -> Router {
    app.layer(DefaultBodyLimit::max(MAX_READ_BYTES))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::GATEWAY_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(axum::middleware::from_fn(envelope))
}

#[cfg(test)]
mod tests {
    use axum::body::{to_bytes, Body};
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn a_panic_is_a_500_in_the_envelope_with_the_request_id() {
        let app = with_layers(Router::new().route(
            "/boom",
            get(|| async {
                if true {
                    panic!("kaboom");
                }
                "unreachable"
            }),
        ));
        let response = app
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), 500);
        let request_id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["type"], "errors/unexpected_error");
        assert_eq!(body["status"], 500);
        assert_eq!(body["instance"], "/boom");
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(&request_id), "{detail}");
        assert!(!detail.contains("kaboom"), "the cause stays in the log");
    }
}
