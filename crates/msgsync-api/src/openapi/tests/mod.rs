//! The document against the code: every route the router serves is in it with its methods, and
//! real answers of every shape validate against the schemas it gives them.

use std::collections::{BTreeMap, BTreeSet};

mod samples;

use axum::Router;
use msgsync_core::{AccountId, ApiError, ErrorKind, SyncStatus};
use samples::{accounts, attendees, chats, jobs, messages, paged};
use serde::Serialize;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::router::all_routes;
use crate::views;

fn split(with_metrics: bool) -> (Router<AppState>, Value) {
    let (router, document) = all_routes(with_metrics).split_for_parts();
    let document = serde_json::to_value(&document).unwrap();
    (router, document)
}

/// Each path the router serves, with the methods its `Allow` header lists (`HEAD` aside: axum
/// answers it for every `GET`). axum has no API to list routes; its `Debug` output names each
/// route's path and `Allow` header, and this reads them from there. Should a new axum write
/// them otherwise, this fails, rather than finding no route.
fn served_routes(router: &Router<AppState>) -> BTreeMap<String, BTreeSet<String>> {
    let debug = format!("{router:?}");
    // The routes proper, not the fallback router's.
    let routes = debug
        .split_once("fallback_router:")
        .map_or(debug.as_str(), |(routes, _)| routes);
    let mut allow = BTreeMap::new();
    let mut paths = BTreeMap::new();
    for entry in routes.split("RouteId(").skip(1) {
        let (id, rest) = entry.split_once(')').expect("RouteId(<n>)");
        let id: u32 = id.parse().expect("a route id");
        let rest = rest.trim_start_matches(':').trim_start();
        if let Some(path) = rest.strip_prefix('"') {
            paths.insert(id, path.split('"').next().unwrap().to_owned());
        } else if rest.starts_with("MethodRouter(") {
            let header = rest
                .split_once("allow_header: Bytes(b\"")
                .and_then(|(_, h)| h.split_once('"'))
                .map(|(h, _)| h)
                .unwrap_or_else(|| panic!("no Allow header in route {id}: {rest}"));
            let methods: BTreeSet<String> = header
                .split(',')
                .filter(|m| *m != "HEAD")
                .map(str::to_owned)
                .collect();
            allow.insert(id, methods);
        }
    }
    assert!(
        !paths.is_empty() && paths.len() == allow.len(),
        "could not read the routes from the router's Debug output:\n{debug}"
    );
    paths
        .into_iter()
        .map(|(id, path)| (path, allow.remove(&id).expect("each path has its methods")))
        .collect()
}

/// Each path of the document, with the methods it describes.
fn documented_routes(document: &Value) -> BTreeMap<String, BTreeSet<String>> {
    document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, item)| {
            let methods = item
                .as_object()
                .unwrap()
                .keys()
                .filter(|k| ["get", "post", "put", "patch", "delete"].contains(&k.as_str()))
                .map(|m| m.to_uppercase())
                .collect();
            (path.clone(), methods)
        })
        .collect()
}

#[test]
fn every_route_of_the_router_is_in_the_document_with_its_methods() {
    for with_metrics in [true, false] {
        let (router, document) = split(with_metrics);
        let served = served_routes(&router);
        assert_eq!(
            served,
            documented_routes(&document),
            "the routes served (left) and documented (right) differ"
        );
        assert_eq!(served.contains_key("/metrics"), with_metrics);
        // Spot checks, so that a reading of the router that found too little cannot pass.
        assert_eq!(served.len(), if with_metrics { 24 } else { 23 });
        assert_eq!(
            served["/api/v1/accounts/{account_id}"],
            BTreeSet::from(["DELETE".to_owned(), "GET".to_owned(), "POST".to_owned()])
        );
    }
}

#[test]
fn the_document_is_consistent() {
    let (_, document) = split(true);
    assert_eq!(document["openapi"], "3.1.0");
    let text = document.to_string();
    let schemas = document["components"]["schemas"].as_object().unwrap();
    // Every reference names a schema of the document.
    for reference in text.split("\"$ref\":\"").skip(1) {
        let target = reference.split('"').next().unwrap();
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("a reference outside the schemas: {target}"));
        assert!(schemas.contains_key(name), "no schema {name}");
    }
    let mut operation_ids = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap();
            assert!(operation_ids.insert(id.to_owned()), "{id} twice");
            assert!(
                operation["tags"][0].is_string(),
                "{method} {path} has no tag"
            );
            assert!(
                operation["summary"].is_string(),
                "{method} {path} has no summary"
            );
            // Behind a key exactly when the route is: everything under /api/v1 but this document.
            let keyed = path.starts_with("/api/v1/") && path != "/api/v1/openapi.json";
            assert_eq!(
                operation["security"],
                if keyed {
                    json!([{"api_key": []}])
                } else {
                    Value::Null
                },
                "{method} {path}"
            );
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path} has no success"
            );
            // Each error answer lists types of its own status, and every route can fail.
            assert!(responses.contains_key("500"), "{method} {path}");
            if keyed {
                assert!(responses.contains_key("401"), "{method} {path}");
            }
            for (status, response) in responses.iter().filter(|(s, _)| !s.starts_with('2')) {
                let part = &response["content"]["application/json"]["schema"]["allOf"][1];
                assert_eq!(
                    part["properties"]["status"]["enum"],
                    json!([status.parse::<u16>().unwrap()])
                );
                for kind in part["properties"]["type"]["enum"].as_array().unwrap() {
                    let kind = ErrorKind::from_name(kind.as_str().unwrap()).unwrap();
                    assert_eq!(
                        kind.status().to_string(),
                        *status,
                        "{method} {path}: {kind}"
                    );
                }
            }
        }
    }
}

/// The document's schemas as one JSON Schema (2020-12, the dialect of OpenAPI 3.1), whose root
/// is `name`.
fn validator(document: &Value, name: &str) -> jsonschema::Validator {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/components/schemas/{name}"),
        "components": document["components"],
    });
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("schema {name} does not compile: {e}"))
}

/// Asserts that each value, serialized as the API does, is valid against the schema `name`.
fn assert_valid<T: Serialize>(document: &Value, name: &str, values: &[T]) -> Vec<Value> {
    let validator = validator(document, name);
    values
        .iter()
        .map(|v| {
            let json = serde_json::to_value(v).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&json)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{name}: {errors:#?}\n{json:#}");
            json
        })
        .collect()
}

#[test]
fn the_answers_are_valid_against_their_schemas() {
    let (_, document) = split(true);
    let doc = &document;

    let accounts = accounts();
    assert_valid(
        doc,
        "Account",
        &accounts.iter().map(views::account).collect::<Vec<_>>(),
    );
    for more in [true, false] {
        let page = paged(accounts.clone(), more);
        assert_valid(
            doc,
            "AccountList",
            &[views::list("AccountList", &page, views::account)],
        );
    }
    let id = AccountId::new();
    assert_valid(doc, "AccountCreated", &[views::account_created(id)]);
    assert_valid(doc, "AccountReconnected", &[views::account_reconnected(id)]);
    assert_valid(doc, "AccountDeleted", &[views::account_deleted()]);

    let chats = chats();
    let messages = messages();
    let json = assert_valid(
        doc,
        "Chat",
        &chats.iter().map(views::chat).collect::<Vec<_>>(),
    );
    assert!(json[0].get("folder").is_none() && json[3].get("folder").is_none());
    let with_last = [
        views::chat_with_last_message(&chats[1], None),
        views::chat_with_last_message(&chats[2], Some(&messages[0])),
    ];
    let json = assert_valid(doc, "Chat", &with_last);
    assert_eq!(json[0]["lastMessage"], Value::Null);
    assert_valid(
        doc,
        "ChatList",
        &[views::list("ChatList", &paged(chats, true), views::chat)],
    );

    let json = assert_valid(
        doc,
        "Message",
        &messages.iter().map(views::message).collect::<Vec<_>>(),
    );
    assert_eq!(json[0]["attachments"].as_array().unwrap().len(), 6);
    let page = paged(messages, false);
    assert_valid(
        doc,
        "MessageList",
        &[views::list("MessageList", &page, views::message)],
    );

    let attendees = attendees();
    assert_valid(
        doc,
        "ChatAttendee",
        &attendees.iter().map(views::attendee).collect::<Vec<_>>(),
    );
    assert_valid(
        doc,
        "ChatAttendeeListOfChat",
        &[views::attendee_list(&attendees)],
    );
    let page = paged(attendees, true);
    assert_valid(
        doc,
        "ChatAttendeeList",
        &[views::list("ChatAttendeeList", &page, views::attendee)],
    );

    let jobs = jobs();
    let statuses = [
        SyncStatus::SyncStarted,
        SyncStatus::SyncRunning,
        SyncStatus::SyncDone,
        SyncStatus::ChunkDone,
        SyncStatus::SyncError,
    ];
    let resyncs: Vec<_> = jobs
        .iter()
        .flat_map(|job| statuses.map(|status| views::resync(status, job)))
        .collect();
    let json = assert_valid(doc, "AccountResync", &resyncs);
    assert!(
        json.iter().any(|r| r.get("retry").is_some())
            && json.iter().any(|r| r.get("error").is_some())
    );
    let syncs: Vec<_> = jobs.iter().map(views::sync).collect();
    assert_valid(doc, "AccountSync", &syncs);
    let page = paged(jobs, true);
    assert_valid(
        doc,
        "AccountSyncList",
        &[views::list("AccountSyncList", &page, views::sync)],
    );

    let envelopes: Vec<Value> = ErrorKind::ALL
        .iter()
        .map(|kind| {
            crate::error::envelope(&ApiError::new(*kind, "what was wrong"), "/api/v1/chats")
        })
        .collect();
    assert_valid(doc, "ErrorEnvelope", &envelopes);
}

/// The validation above can fail: answers that break the shapes are refused.
#[test]
fn answers_that_break_their_schemas_are_refused() {
    let (_, document) = split(true);
    let chats = chats();
    let good = serde_json::to_value(views::chat(&chats[1])).unwrap();
    let chat = validator(&document, "Chat");
    assert!(chat.is_valid(&good));
    for (field, value) in [
        ("archived", json!(true)),
        ("type", json!(3)),
        ("timestamp", json!("2026-11-26T03:51:59Z")),
        ("id", json!("acc_01JD8Y3V6QZ4X9N2C5T7W0KPRS")),
        ("folder", json!(["ARCHIVE"])),
        ("account_type", json!("SIGNAL")),
    ] {
        let mut bad = good.clone();
        bad[field] = value;
        assert!(!chat.is_valid(&bad), "{field}: {bad}");
    }
    let mut bad = good.clone();
    bad.as_object_mut().unwrap().remove("name");
    assert!(!chat.is_valid(&bad), "without name");

    let envelope = validator(&document, "ErrorEnvelope");
    assert!(!envelope.is_valid(
        &json!({"title": "Bad Request", "detail": "x", "instance": "/",
        "type": "errors/no_such_type", "status": 400})
    ));
}

#[test]
fn the_page_shows_every_route_and_shape() {
    let (_, document) = split(true);
    let ordered: super::ordered::Json = serde_json::from_value(document.clone()).unwrap();
    let html = super::page::render(&ordered);
    for (path, methods) in documented_routes(&document) {
        assert!(html.contains(&format!("<code>{path}</code>")), "{path}");
        for method in methods {
            assert!(
                html.contains(&format!(">{method}</span> <code>{path}</code>")),
                "{method} {path}"
            );
        }
    }
    for name in document["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
    {
        assert!(html.contains(&format!("id=\"schema-{name}\"")), "{name}");
    }
    for kind in ErrorKind::ALL {
        assert!(html.contains(&kind.type_uri()), "{kind}");
    }
    // Self-contained: nothing to fetch from elsewhere.
    for needle in ["<script", "<link", " src="] {
        assert!(!html.contains(needle), "{needle}");
    }
}
