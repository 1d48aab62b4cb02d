//! The API reference: an OpenAPI 3.1 document generated from the code — each handler's
//! `#[utoipa::path]` (path, parameters, answers, errors) as the router registers it
//! ([`crate::router::routes`]), and the views' `ToSchema` derives — served at
//! `GET /api/v1/openapi.json`, and rendered once, at start-up, as a page at `GET /docs`.

pub mod bodies;
pub mod errors;
mod ordered;
mod page;
pub mod params;
pub mod schemas;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::OpenApi as Document;
use utoipa::{Modify, OpenApi};

use crate::error::ErrorEnvelope;
use errors::route_errors;

/// The name of the security scheme of the routes behind an API key.
pub const API_KEY_SCHEME: &str = "api_key";

/// What the document says before its routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "msgsync API",
        description = include_str!("description.md"),
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    modifiers(&KeyScheme),
    components(schemas(ErrorEnvelope)),
    tags(
        (name = "Accounts", description = "Connect, list, reconnect and delete accounts"),
        (name = "Sync", description = "Resync an account, and read its sync history"),
        (name = "Chats", description = "The chats of the synced accounts, their messages and attendees"),
        (name = "Messages", description = "Messages across chats, and attachments' files"),
        (name = "Attendees", description = "The people of the accounts' chats"),
        (name = "Webhooks", description = "Register endpoints that hear of account status changes, sync outcomes and new messages"),
        (name = "Operations", description = "Health and metrics, without a key"),
        (name = "Reference", description = "This document and its page, without a key"),
    )
)]
pub struct ApiDoc;

struct KeyScheme;

impl Modify for KeyScheme {
    fn modify(&self, openapi: &mut Document) {
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                API_KEY_SCHEME,
                SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                    "X-API-KEY",
                    "An API key made with `msgsync keys create` (`pp_live_…` or `pp_test_…`). \
                     A key sees the accounts of its owner and mode (test keys: sandbox \
                     accounts), within its scopes: `accounts:read`, `accounts:write`, \
                     `accounts:sync`, `messaging:read`.",
                ))),
            );
    }
}

/// The document and its page, made once when the router is built.
pub struct Reference {
    json: Bytes,
    html: Bytes,
}

impl Reference {
    pub fn new(document: &Document) -> Reference {
        let json = document
            .to_pretty_json()
            .expect("the OpenAPI document serializes");
        let value: ordered::Json =
            serde_json::from_str(&json).expect("the OpenAPI document is JSON");
        Reference {
            html: page::render(&value).into(),
            json: json.into(),
        }
    }
}

route_errors!(PublicErrors: ALWAYS);

/// This document: the OpenAPI 3.1 description of every route of the API.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "Reference",
    operation_id = "get_openapi",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object),
        PublicErrors,
    ),
)]
pub async fn get_openapi(Extension(reference): Extension<Arc<Reference>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        reference.json.clone(),
    )
        .into_response()
}

/// The API reference as a page: routes, parameters, answers and errors, from this document.
#[utoipa::path(
    get,
    path = "/docs",
    tag = "Reference",
    operation_id = "get_docs",
    responses(
        (status = 200, description = "An HTML page", content_type = "text/html", body = String),
        PublicErrors,
    ),
)]
pub async fn get_docs(Extension(reference): Extension<Arc<Reference>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        reference.html.clone(),
    )
        .into_response()
}
