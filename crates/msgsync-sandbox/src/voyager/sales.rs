//! Sales Navigator's messaging API (`/sales-api/salesApiMessagingThreads`) over the data set's
//! Sales Navigator inbox, in the shape public clients read (jackwener/OpenCLI
//! `clis/linkedin/salesnav-inbox.js`, `salesnav-thread.js`): threads with their newest message,
//! participants as `urn:li:fs_salesProfile:(…)` resolved in `participantsResolutionResults`,
//! paging back in time by `pageStartsAt`, one thread's newest `messageCount` messages.
//!
//! What no public client shows is the simulator's own: a thread's `nextPageStartsAt` is its
//! last activity, and the sales profile id of a member is their member id. Messages carry no
//! attachments (their shape is unknown) and no reactions (the decoration asks for none).

use axum::http::StatusCode;
use axum::response::Response;
use msgsync_core::LinkedinProduct;
use serde_json::{json, Map, Value};

use super::answer::json_answer;
use super::auth::{cookie, li_a_for, SandboxSession};
use super::graphql::error;
use super::render::member_number;
use super::restli::percent_decode;
use crate::generator::linkedin;
use crate::generator::{ChatInfo, Dataset, Person};

const DEFAULT_COUNT: usize = 20;
const MAX_COUNT: usize = 25;
const MAX_MESSAGES: usize = 1000;

/// The query parameters, decoded, or the refusal.
fn params(raw: &str) -> Result<Vec<(String, String)>, Response> {
    let mut out = Vec::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        // Sales Navigator refuses a decoration with literal parentheses (OpenCLI
        // `encodeRestliDecoration`): they must come percent-encoded.
        if k == "decoration" && v.contains(['(', ')']) {
            return Err(error(StatusCode::BAD_REQUEST, "Invalid decoration"));
        }
        let v = percent_decode(v).map_err(|e| error(StatusCode::BAD_REQUEST, &e))?;
        out.push((k.to_string(), v));
    }
    if !out.iter().any(|(k, _)| k == "decoration") {
        return Err(error(StatusCode::BAD_REQUEST, "missing decoration"));
    }
    Ok(out)
}

fn get<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The session's Sales Navigator seat: its `li_a` cookie, and the inbox in its scenario.
pub(crate) fn seat(
    headers: &axum::http::HeaderMap,
    session: &SandboxSession,
) -> Result<(), Response> {
    let has_inbox = session
        .scenario
        .products
        .contains(&LinkedinProduct::SalesNavigator);
    if has_inbox && cookie(headers, "li_a").as_deref() == Some(li_a_for(&session.li_at).as_str()) {
        Ok(())
    } else {
        Err(error(
            StatusCode::UNAUTHORIZED,
            "Sales Navigator session required",
        ))
    }
}

fn profile_urn(p: &Person) -> String {
    let token: String = p.id.chars().rev().take(4).collect();
    format!("urn:li:fs_salesProfile:({},NAME_SEARCH,{token})", p.id)
}

/// A person's degree: 0 for the account, else the network distance.
fn degree(ds: &Dataset, p: &Person) -> i64 {
    match linkedin::profile_of(ds, p).distance {
        "SELF" => 0,
        "DISTANCE_1" => 1,
        "DISTANCE_2" => 2,
        "DISTANCE_3" => 3,
        _ => -1,
    }
}

fn thread(ds: &Dataset, info: &ChatInfo, messages: usize) -> Value {
    let owner = ds.owner();
    let chat = ds.provider_chat(info);
    let keys = ds.message_keys(info.index).unwrap_or_default();
    let people: Vec<&Person> = std::iter::once(owner).chain(&info.members).collect();
    let urn_of = |id: &str| {
        people
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| profile_urn(owner), |p| profile_urn(p))
    };
    let mut resolved = Map::new();
    for p in &people {
        let (first, last) = p.name.split_once(' ').unwrap_or((&p.name, ""));
        resolved.insert(
            profile_urn(p),
            json!({
                "entityUrn": profile_urn(p), "objectUrn": format!("urn:li:member:{}", member_number(&p.id)),
                "firstName": first, "lastName": last, "fullName": p.name,
                "degree": degree(ds, p), "profilePictureDisplayImage": null, "inmailRestriction": null,
            }),
        );
    }
    let newest: Vec<Value> = keys
        .iter()
        .rev()
        .take(messages)
        .map(|&key| {
            let m = ds.wire_message(info, key).message;
            json!({
                "id": m.provider_id, "type": "MESSAGE", "contentFlag": null,
                "deliveredAt": m.timestamp_ms,
                "lastEditedAt": m.edited.then_some(m.timestamp_ms),
                "subject": m.subject, "body": m.text.unwrap_or_default(),
                "footerText": null, "blockCopy": false, "attachments": [],
                "author": urn_of(&m.sender_id), "systemMessageContent": null,
            })
        })
        .collect();
    json!({
        "id": info.provider_id,
        "restrictions": [],
        "archived": info.archived,
        "unreadMessageCount": chat.unread_count,
        "nextPageStartsAt": chat.last_activity_ms,
        "totalMessageCount": keys.len(),
        "messages": newest,
        "participants": people.iter().map(|p| profile_urn(p)).collect::<Vec<_>>(),
        "participantsResolutionResults": resolved,
    })
}

/// `GET /sales-api/salesApiMessagingThreads?q=filter&filter=INBOX&count=…&pageStartsAt=…`:
/// the threads that last moved before `pageStartsAt`, newest first.
pub(crate) fn threads(ds: &Dataset, raw_query: &str) -> Response {
    let params = match params(raw_query) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if get(&params, "q") != Some("filter") || get(&params, "filter") != Some("INBOX") {
        return error(StatusCode::BAD_REQUEST, "unsupported finder");
    }
    let count = match get(&params, "count").map(str::parse::<usize>) {
        None => DEFAULT_COUNT,
        Some(Ok(c)) if (1..=MAX_COUNT).contains(&c) => c,
        Some(_) => return error(StatusCode::BAD_REQUEST, "invalid count"),
    };
    let before = match get(&params, "pageStartsAt").map(str::parse::<i64>) {
        None => i64::MAX,
        Some(Ok(t)) => t,
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, "invalid pageStartsAt"),
    };
    let Some(list) = ds.chat_list(Some(LinkedinProduct::SalesNavigator)) else {
        return error(StatusCode::UNAUTHORIZED, "Sales Navigator session required");
    };
    let elements: Vec<Value> = list
        .iter()
        .filter(|e| e.last_activity_ms < before)
        .take(count)
        .filter_map(|e| ds.chat_info(e.index))
        .map(|info| thread(ds, &info, 1))
        .collect();
    let n = elements.len();
    json_answer(
        &json!({"elements": elements, "paging": {"count": count, "start": 0, "total": n, "links": []}}),
        n * 2048 + 256,
    )
}

/// `GET /sales-api/salesApiMessagingThreads/<id>?messageCount=N`: one thread, with its newest
/// `N` messages.
pub(crate) fn one_thread(ds: &Dataset, id: &str, raw_query: &str) -> Response {
    let params = match params(raw_query) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let messages = match get(&params, "messageCount").map(str::parse::<usize>) {
        None => DEFAULT_COUNT,
        Some(Ok(n)) => n.min(MAX_MESSAGES),
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, "invalid messageCount"),
    };
    let found = ds
        .chat_index(id)
        .and_then(|i| ds.chat_info(i))
        .filter(|info| info.inbox == Some(LinkedinProduct::SalesNavigator));
    match found {
        Some(info) => json_answer(&thread(ds, &info, messages), messages * 1024 + 2048),
        None => error(StatusCode::NOT_FOUND, "No such thread"),
    }
}
