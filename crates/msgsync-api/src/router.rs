//! Every route of the API, in one place.

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

use crate::app::AppState;
use crate::metrics;
use crate::middleware::{envelope, panic_response};
use crate::routes::{accounts, attendees, chats, health, messages, sync};

/// JSON bodies above this are refused with `content_too_large`.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Bodies are read up to this much (so the client gets the `content_too_large` answer); the
/// connection is cut beyond it.
pub const MAX_READ_BYTES: usize = 4 * 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route(
            "/accounts",
            get(accounts::list_accounts).post(accounts::create_account),
        )
        .route(
            "/accounts/{account_id}",
            get(accounts::get_account)
                .post(accounts::reconnect_account)
                .delete(accounts::delete_account),
        )
        .route("/accounts/{account_id}/sync", get(sync::sync_account))
        .route("/accounts/{account_id}/syncs", get(sync::list_syncs))
        .route(
            "/accounts/{account_id}/syncs/{sync_id}",
            get(sync::get_sync),
        )
        .route("/chats", get(chats::list_chats))
        .route("/chats/{chat_id}", get(chats::get_chat))
        .route("/chats/{chat_id}/messages", get(chats::list_chat_messages))
        .route(
            "/chats/{chat_id}/attendees",
            get(chats::list_chat_attendees),
        )
        .route("/chat_attendees", get(attendees::list_attendees))
        .route(
            "/chat_attendees/{attendee_id}",
            get(attendees::get_attendee),
        )
        .route(
            "/chat_attendees/{attendee_id}/chats",
            get(attendees::list_attendee_chats),
        )
        .route(
            "/chat_attendees/{attendee_id}/messages",
            get(attendees::list_attendee_messages),
        )
        .route("/messages", get(messages::list_messages))
        .route("/messages/{message_id}", get(messages::get_message))
        .route(
            "/messages/{message_id}/attachments/{attachment_id}",
            get(messages::get_message_attachment),
        );
    let mut app = Router::new()
        .nest("/api/v1", api)
        .route("/health", get(health));
    // Where no address of its own is set for them, the metrics are served here.
    if !state.metrics_elsewhere {
        app = app.route("/metrics", get(metrics::get_metrics));
    }
    let app = app.with_state(state.clone());
    // Outermost, so that it counts each answer as it leaves, envelope included.
    with_layers(app).layer(axum::middleware::from_fn_with_state(
        state,
        metrics::count_requests,
    ))
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
