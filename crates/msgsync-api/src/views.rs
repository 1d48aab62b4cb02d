//! The JSON shapes of the API (Unipile v1).

use msgsync_core::time::format_ms;
use msgsync_core::{AccountId, LinkedinProduct, ProviderKind, SyncId, SyncStatus};
use msgsync_store::{AccountRecord, ChatRecord, MessageRecord, Page, SyncJob};
use serde::Serialize;
use serde_json::{json, Value};

use crate::extract::encode_cursor;

fn flag(b: bool) -> u8 {
    u8::from(b)
}

pub fn account(a: &AccountRecord) -> Value {
    let mut im = json!({
        "id": a.provider_user_id,
        "username": a.name,
    });
    if a.provider == ProviderKind::Linkedin {
        if let Some(products) = &a.linkedin_products {
            im["premiumFeatures"] = json!(products.iter().map(|p| p.as_str()).collect::<Vec<_>>());
        }
    }
    json!({
        "object": "Account",
        "id": a.id,
        "name": a.name,
        "type": a.provider.as_str(),
        "created_at": format_ms(a.created_at),
        "connection_params": { "im": im },
        "sources": [{ "id": format!("{}_MESSAGING", a.id), "status": a.state.source_status() }],
        "groups": [],
    })
}

pub fn chat(c: &ChatRecord) -> Value {
    json!({
        "object": "Chat",
        "id": c.id,
        "account_id": c.account_id,
        "account_type": c.account_type.as_str(),
        "provider_id": c.provider_id,
        "attendee_provider_id": c.attendee_provider_id,
        "name": c.name,
        "type": c.kind,
        "timestamp": format_ms(c.timestamp),
        "unread_count": c.unread_count,
        "archived": flag(c.archived),
        "muted_until": c.muted_until,
        "read_only": flag(c.read_only),
        "folder": c.folder.as_ref().map(|f| vec![f]),
        "content_type": c.content_type,
        "deleted": flag(c.deleted),
    })
}

pub fn message(m: &MessageRecord) -> Value {
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap_or_else(|_| json!([]));
    json!({
        "object": "Message",
        "id": m.id,
        "account_id": m.account_id,
        "chat_id": m.chat_id,
        "chat_provider_id": m.chat_provider_id,
        "provider_id": m.provider_id,
        "sender_id": m.sender_id,
        "text": m.text,
        "subject": m.subject,
        "timestamp": format_ms(m.timestamp),
        "is_sender": flag(m.is_sender),
        "attachments": parse(&m.attachments),
        "reactions": parse(&m.reactions),
        "seen": flag(m.seen),
        "seen_by": {},
        "hidden": flag(m.hidden),
        "deleted": flag(m.deleted),
        "edited": flag(m.edited),
        "is_event": flag(m.is_event),
        "delivered": flag(m.delivered),
        "behavior": null,
        "original": m.original,
    })
}

pub fn list<T>(object: &str, page: &Page<T>, item: impl Fn(&T) -> Value) -> Value {
    json!({
        "object": object,
        "items": page.items.iter().map(item).collect::<Vec<_>>(),
        "cursor": page.next.as_ref().map(encode_cursor),
    })
}

/// The resync route's answer: the contract's two fields, then the sync's details. Typed rather
/// than a `Value`, because it is the answer clients poll for.
#[derive(Serialize)]
pub struct Resync<'a> {
    object: &'static str,
    status: SyncStatus,
    sync_id: SyncId,
    account_id: AccountId,
    chunk: i64,
    progress: ResyncProgress,
    params: ResyncParams,
    started_at: String,
    finished_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ResyncError<'a>>,
}

#[derive(Serialize)]
struct ResyncProgress {
    chats: i64,
    messages: i64,
    chunk_chats: i64,
}

#[derive(Serialize)]
struct ResyncParams {
    chunk_size: Option<u32>,
    partial: bool,
    after: Option<i64>,
    before: Option<i64>,
    linkedin_product: Option<LinkedinProduct>,
}

#[derive(Serialize)]
struct ResyncError<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    detail: &'a str,
}

pub fn resync(status: SyncStatus, job: &SyncJob) -> Resync<'_> {
    let p = &job.params;
    Resync {
        object: "AccountResync",
        status,
        sync_id: job.id,
        account_id: job.account_id,
        chunk: job.chunk_number,
        progress: ResyncProgress {
            chats: job.chats_synced,
            messages: job.messages_synced,
            chunk_chats: job.chunk_chats,
        },
        params: ResyncParams {
            chunk_size: p.chunk_size,
            partial: p.partial,
            after: p.span.after,
            before: p.span.before,
            linkedin_product: p.linkedin_product,
        },
        started_at: format_ms(job.created_at),
        finished_at: job.finished_at.map(format_ms),
        error: match (&job.error_kind, &job.error_detail) {
            (Some(kind), Some(detail)) => Some(ResyncError { kind, detail }),
            _ => None,
        },
    }
}
