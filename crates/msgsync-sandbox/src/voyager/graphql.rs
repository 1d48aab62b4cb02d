//! `/voyager/api/voyagerMessagingGraphQL/graphql`: the messenger queries over a data set.

use std::cmp::Reverse;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use msgsync_core::LinkedinProduct;
use serde::Serialize;

use super::restli::{percent_decode, RestLi};
use super::{answer, render};
use crate::generator::{Dataset, MessageKey};

/// Above this `count`, LinkedIn answers an empty page (PROVIDERS.md).
const MAX_COUNT: usize = 25;
const DEFAULT_COUNT: usize = 20;
/// The most messages one page gives, whatever is asked.
const MAX_MESSAGES: usize = 100;

/// LinkedIn's error body.
#[derive(Serialize)]
struct ErrorBody<'a> {
    status: u16,
    message: &'a str,
}

/// A refusal, with LinkedIn's error body.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    let body = ErrorBody {
        status: status.as_u16(),
        message,
    };
    (status, answer::json_answer(&body, 128)).into_response()
}

/// The `queryId` and parsed `variables` of a raw query string.
pub(crate) fn parse_query(raw: &str) -> Result<(String, RestLi), Response> {
    let bad = |m: &str| error(StatusCode::BAD_REQUEST, m);
    let mut query_id = None;
    let mut variables = None;
    for pair in raw.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "queryId" => query_id = Some(percent_decode(v).map_err(|e| bad(&e))?),
            // The tuple is parsed raw: its escapes belong to the leaves.
            "variables" => variables = Some(v),
            _ => {}
        }
    }
    let query_id = query_id.ok_or_else(|| bad("missing queryId"))?;
    let variables = match variables {
        Some(v) => RestLi::parse(v).map_err(|e| bad(&format!("invalid variables: {e}")))?,
        None => RestLi::Record(Vec::new()),
    };
    if !matches!(variables, RestLi::Record(_)) {
        return Err(bad("variables must be a record"));
    }
    Ok((query_id, variables))
}

fn number<T: std::str::FromStr>(v: &RestLi, key: &str) -> Result<Option<T>, Response> {
    match v.get(key) {
        None => Ok(None),
        Some(x) => x
            .as_str()
            .and_then(|s| s.parse().ok())
            .map(Some)
            .ok_or_else(|| error(StatusCode::BAD_REQUEST, &format!("invalid {key}"))),
    }
}

fn cursor_encode(raw: String) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

fn cursor_decode(cursor: &str) -> Option<String> {
    String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()
}

/// `messengerConversations`: a mailbox's conversations, newest activity first. The page-load
/// query (`paging: false`) ignores the cursor variables (`nextCursor`, `count`,
/// `lastUpdatedBefore`) and answers the first page. A query for several categories at once is
/// refused: no client shows what LinkedIn makes of one, and a silent empty page would hide the
/// mistake.
pub(crate) fn conversations(ds: &Dataset, vars: &RestLi, base_url: &str, paging: bool) -> Response {
    let owner = ds.owner();
    let Some(mailbox) = vars.get("mailboxUrn").and_then(RestLi::as_str) else {
        return error(StatusCode::BAD_REQUEST, "missing mailboxUrn");
    };
    // The Recruiter mailbox URN is msgsync's own convention, which only this simulator knows
    // (no public client shows the Recruiter inbox); Sales Navigator has its own API (`sales`).
    let inbox = [
        ("urn:li:fsd_profile:", LinkedinProduct::Classic),
        ("urn:li:fsd_recruiterMailbox:", LinkedinProduct::Recruiter),
    ]
    .into_iter()
    .find_map(|(prefix, inbox)| (mailbox.strip_prefix(prefix)? == owner.id).then_some(inbox));
    let Some(list) = inbox.and_then(|i| ds.chat_list(Some(i))) else {
        return error(StatusCode::FORBIDDEN, "Access to this mailbox is denied");
    };
    let count = match number::<usize>(vars, "count") {
        Ok(c) if paging => c.unwrap_or(DEFAULT_COUNT),
        Ok(_) => DEFAULT_COUNT,
        Err(r) => return r,
    };
    if count > MAX_COUNT || count == 0 {
        return answer::conversations_answer(Vec::new(), None);
    }
    let wanted: Vec<String> = vars
        .get("query")
        .and_then(|q| q.get("predicateUnions"))
        .and_then(RestLi::as_list)
        .unwrap_or(&[])
        .iter()
        .filter_map(|p| {
            p.get("conversationCategoryPredicate")?
                .get("category")?
                .as_str()
                .map(str::to_string)
        })
        .collect();
    if wanted.len() > 1 {
        return error(
            StatusCode::BAD_REQUEST,
            "predicateUnions: one conversationCategoryPredicate per query",
        );
    }
    let id = |i: u32| ds.chat_provider_id(i).unwrap_or_default();
    let cursor = vars
        .get("nextCursor")
        .and_then(RestLi::as_str)
        .filter(|_| paging);
    let start = match cursor {
        None => 0,
        Some(c) => {
            let Some((ts, after_id)) = cursor_decode(c).and_then(|raw| {
                let (ts, id) = raw.split_once(':')?;
                Some((ts.parse::<i64>().ok()?, id.to_string()))
            }) else {
                return error(StatusCode::BAD_REQUEST, "invalid nextCursor");
            };
            list.partition_point(|e| {
                (Reverse(e.last_activity_ms), id(e.index)) <= (Reverse(ts), after_id.as_str())
            })
        }
    };
    let mut served = Vec::new();
    let mut more = false;
    for e in &list[start..] {
        let Some(info) = ds.chat_info(e.index) else {
            continue;
        };
        if !render::in_categories(&info, &wanted) {
            continue;
        }
        if served.len() == count {
            more = true;
            break;
        }
        served.push((*e, info));
    }
    let next = match served.last() {
        Some((e, _)) if more => Some(cursor_encode(format!(
            "{}:{}",
            e.last_activity_ms,
            id(e.index)
        ))),
        _ => None,
    };
    let page = served
        .iter()
        .map(|(_, info)| render::GeneratedConversation { ds, info, base_url })
        .collect();
    answer::conversations_answer(page, next.as_deref())
}

/// `messengerMessages`: by anchor timestamp (`by_cursor: false`), or by `prevCursor` (the
/// newest of the conversation without one): each id of the query reads only its own variables
/// and answers under its own field.
pub(crate) fn messages(ds: &Dataset, vars: &RestLi, base_url: &str, by_cursor: bool) -> Response {
    let owner = ds.owner();
    let Some(conv) = vars.get("conversationUrn").and_then(RestLi::as_str) else {
        return error(StatusCode::BAD_REQUEST, "missing conversationUrn");
    };
    let Some((mailbox, thread)) = conv
        .strip_prefix("urn:li:msg_conversation:(")
        .and_then(|c| c.strip_suffix(')'))
        .and_then(|c| c.split_once(','))
    else {
        return error(StatusCode::BAD_REQUEST, "invalid conversationUrn");
    };
    if mailbox.strip_prefix("urn:li:fsd_profile:") != Some(owner.id.as_str()) {
        return error(
            StatusCode::FORBIDDEN,
            "Access to this conversation is denied",
        );
    }
    let Some((info, keys)) = ds.chat_index(thread).and_then(|i| {
        let info = ds.chat_info(i)?;
        Some((info, ds.message_keys(i)?))
    }) else {
        return error(StatusCode::NOT_FOUND, "No such conversation");
    };
    let n = |key: &str| number::<usize>(vars, key);
    let prev = vars
        .get("prevCursor")
        .and_then(RestLi::as_str)
        .filter(|_| by_cursor);
    let anchor = match number::<i64>(vars, "deliveredAt") {
        Ok(a) => a.filter(|_| !by_cursor),
        Err(r) => return r,
    };
    let (lo, hi, field) = if let Some(c) = prev {
        let Some(older_than) = cursor_decode(c).and_then(|raw| {
            let (ts, j) = raw.split_once(':')?;
            Some(MessageKey {
                timestamp_ms: ts.parse().ok()?,
                index: j.parse().ok()?,
            })
        }) else {
            return error(StatusCode::BAD_REQUEST, "invalid prevCursor");
        };
        let count = match n("count") {
            Ok(c) => c.unwrap_or(DEFAULT_COUNT).min(MAX_MESSAGES),
            Err(r) => return r,
        };
        let hi = keys.partition_point(|k| *k < older_than);
        (
            hi.saturating_sub(count),
            hi,
            "messengerMessagesByConversation",
        )
    } else if let Some(anchor) = anchor {
        let (before, after) = match (n("countBefore"), n("countAfter")) {
            (Ok(b), Ok(a)) => (
                b.unwrap_or(DEFAULT_COUNT).min(MAX_MESSAGES),
                a.unwrap_or(0).min(MAX_MESSAGES),
            ),
            (Err(r), _) | (_, Err(r)) => return r,
        };
        let mid = keys.partition_point(|k| k.timestamp_ms <= anchor);
        (
            mid.saturating_sub(before),
            (mid + after).min(keys.len()),
            "messengerMessagesByAnchorTimestamp",
        )
    } else {
        let count = match n(if by_cursor { "count" } else { "countBefore" }) {
            Ok(c) => c.unwrap_or(DEFAULT_COUNT).min(MAX_MESSAGES),
            Err(r) => return r,
        };
        let field = if by_cursor {
            "messengerMessagesByConversation"
        } else {
            "messengerMessagesByAnchorTimestamp"
        };
        (keys.len().saturating_sub(count), keys.len(), field)
    };
    let page = &keys[lo..hi.max(lo)];
    let generated = page
        .iter()
        .map(|&key| render::GeneratedMessage {
            ds,
            info: &info,
            key,
            base_url,
        })
        .collect();
    let prev = match page.first() {
        Some(first) if lo > 0 => Some(cursor_encode(format!(
            "{}:{}",
            first.timestamp_ms, first.index
        ))),
        _ => None,
    };
    answer::messages_answer(field, generated, prev.as_deref())
}
