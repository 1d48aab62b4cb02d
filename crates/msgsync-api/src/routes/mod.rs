pub mod accounts;
pub mod attendees;
pub mod chats;
pub mod messages;
pub mod sync;

use axum::Json;
use serde_json::{json, Value};

/// A trivial route for health checks (and the baseline of the polling benchmark).
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}
