pub mod accounts;
pub mod attendees;
pub mod chats;
pub mod messages;
pub mod sync;
pub mod webhooks;

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::openapi::errors::route_errors;

/// The answer of `/health`.
#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(schema_with = ok)]
    status: &'static str,
}

fn ok() -> utoipa::openapi::Object {
    crate::openapi::schemas::constant("ok")
}

route_errors!(HealthErrors: ALWAYS);

/// Health check.
///
/// 200 when the node can serve. No key needed. (Also the baseline of the polling benchmark.)
#[utoipa::path(
    get,
    path = "/health",
    tag = "Operations",
    operation_id = "health",
    responses((status = 200, description = "The node can serve", body = Health), HealthErrors),
)]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}
