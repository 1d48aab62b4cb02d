//! The records the store reads and writes.

use msgsync_core::content::{
    LinkedinMember, MessageEventType, ProviderAttendee, ProviderChat, ProviderMessage,
};
use msgsync_core::{
    AccountId, AccountState, ApiKeyMode, AttendeeId, ChatId, LinkedinProduct, MessageId,
    ProviderKind, Scope, Span, SyncId, SyncParams,
};

/// Whose data a request may see: the owner of its key, in the key's mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub owner: String,
    pub mode: ApiKeyMode,
}

#[derive(Debug, Clone)]
pub struct ApiKeyRecord {
    pub id: String,
    pub owner: String,
    pub name: String,
    pub mode: ApiKeyMode,
    pub scopes: Vec<Scope>,
    pub key_hash: Vec<u8>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: AccountId,
    pub tenant: Tenant,
    pub provider: ProviderKind,
    pub name: String,
    pub provider_user_id: Option<String>,
    pub linkedin_products: Option<Vec<LinkedinProduct>>,
    /// Plain credentials; the store encrypts them.
    pub credentials: Vec<u8>,
    pub now: i64,
}

#[derive(Debug, Clone)]
pub struct AccountReconnect {
    pub name: String,
    pub provider_user_id: Option<String>,
    pub linkedin_products: Option<Vec<LinkedinProduct>>,
    pub credentials: Vec<u8>,
    pub now: i64,
}

/// New credentials of an account as its provider changed them during a sync (the cookies
/// LinkedIn sets), written only if the account was not changed since it was read.
#[derive(Debug, Clone)]
pub struct AccountCredentialsUpdate {
    pub id: AccountId,
    pub credentials: Vec<u8>,
    /// The account's `updated_at` when the sync read it.
    pub expected_updated_at: i64,
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    pub id: AccountId,
    pub owner: String,
    pub mode: ApiKeyMode,
    pub provider: ProviderKind,
    pub name: String,
    pub state: AccountState,
    pub provider_user_id: Option<String>,
    pub linkedin_products: Option<Vec<LinkedinProduct>>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Keyset paging: `limit` items after the opaque `cursor`.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub limit: u32,
    pub cursor: Option<PageCursor>,
}

/// Position after the last item of a page: its sort instant and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCursor {
    pub at: i64,
    pub id: String,
}

impl PageCursor {
    /// As API users see it, opaque: the base64 of `instant:id`. Standard base64 with padding,
    /// which the Unipile SDK checks cursors against.
    pub fn encode(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", self.at, self.id))
    }

    /// A cursor an API user sent back; `None` when it is not one of ours.
    pub fn decode(raw: &str) -> Option<PageCursor> {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
        use base64::Engine as _;
        // A `+` pasted into a URL without encoding arrives as a space; earlier versions wrote
        // base64url without padding.
        let standard = raw.replace(' ', "+");
        let bytes = STANDARD
            .decode(&standard)
            .or_else(|_| URL_SAFE_NO_PAD.decode(raw))
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (at, id) = text.split_once(':')?;
        Some(PageCursor {
            at: at.parse().ok()?,
            id: id.to_owned(),
        })
    }
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<PageCursor>,
}

#[derive(Debug, Clone, Default)]
pub struct ChatQuery {
    pub account_id: Option<AccountId>,
    /// Only chats of accounts of this provider.
    pub account_type: Option<ProviderKind>,
    /// Only chats whose last activity is in the span.
    pub span: Span,
    /// `Some(true)`: only chats with unread messages; `Some(false)`: only chats without.
    pub unread: Option<bool>,
    pub page: PageRequest,
}

/// The messages of one chat.
#[derive(Debug, Clone, Default)]
pub struct MessageQuery {
    pub span: Span,
    pub page: PageRequest,
}

/// Messages across chats, newest first.
#[derive(Debug, Clone, Default)]
pub struct MessageSearch {
    /// `None`: every account of the tenant.
    pub account_id: Option<AccountId>,
    /// Only messages of this sender (its provider id).
    pub sender_id: Option<String>,
    pub span: Span,
    pub page: PageRequest,
}

#[derive(Debug, Clone, Default)]
pub struct AttendeeQuery {
    /// `None`: every account of the tenant.
    pub account_id: Option<AccountId>,
    pub page: PageRequest,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendeeRecord {
    pub id: AttendeeId,
    pub account_id: AccountId,
    pub provider_id: String,
    pub name: String,
    pub is_self: bool,
    pub profile_url: Option<String>,
    pub picture_url: Option<String>,
    pub linkedin: Option<LinkedinMember>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRecord {
    pub id: ChatId,
    pub account_id: AccountId,
    pub account_type: ProviderKind,
    pub provider_id: String,
    pub inbox: Option<LinkedinProduct>,
    pub name: Option<String>,
    pub kind: i64,
    pub timestamp: i64,
    pub unread_count: i64,
    pub archived: bool,
    pub muted_until: Option<i64>,
    pub read_only: bool,
    pub folder: Option<String>,
    pub attendee_provider_id: Option<String>,
    pub content_type: Option<String>,
    pub deleted: bool,
    /// The connector's own reference to the chat ([`ProviderChat::provider_ref`]).
    ///
    /// [`ProviderChat::provider_ref`]: msgsync_core::content::ProviderChat::provider_ref
    pub provider_ref: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    pub id: MessageId,
    pub account_id: AccountId,
    pub chat_id: ChatId,
    pub chat_provider_id: String,
    pub provider_id: String,
    pub sender_id: String,
    pub text: Option<String>,
    pub subject: Option<String>,
    pub timestamp: i64,
    pub is_sender: bool,
    /// JSON array, as stored.
    pub attachments: String,
    /// JSON array, as stored.
    pub reactions: String,
    pub seen: bool,
    pub hidden: bool,
    pub deleted: bool,
    pub edited: bool,
    pub is_event: bool,
    pub event_type: Option<MessageEventType>,
    pub delivered: bool,
    pub original: String,
}

/// States of a sync job row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Running,
    Done,
    ChunkDone,
    Error,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::ChunkDone => "chunk_done",
            JobState::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<JobState> {
        Some(match s {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "chunk_done" => JobState::ChunkDone,
            "error" => JobState::Error,
            _ => return None,
        })
    }

    pub fn is_finished(self) -> bool {
        matches!(self, JobState::Done | JobState::ChunkDone | JobState::Error)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncJob {
    pub id: SyncId,
    pub account_id: AccountId,
    pub series_id: SyncId,
    pub chunk_number: i64,
    pub state: JobState,
    pub reported: bool,
    pub params: SyncParams,
    pub cursor: Option<String>,
    pub chats_synced: i64,
    pub messages_synced: i64,
    pub chunk_chats: i64,
    /// The provider's count of the account's chats, where it gives one.
    pub chats_total: Option<i64>,
    /// The provider's count of the messages of the chats visited so far, where it gives one.
    pub messages_total: Option<i64>,
    pub attempts: i64,
    pub error_kind: Option<String>,
    pub error_detail: Option<String>,
    pub run_after: i64,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<i64>,
    /// The fencing token of the current run: incremented by every claim. Every write of a run
    /// (renew, checkpoint, release, finish) carries the token its claim returned and is refused
    /// once another claim took a newer one, even by a worker of the same name.
    pub lease_token: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

impl SyncJob {
    /// The job's progress counters.
    pub fn progress(&self) -> SyncProgress {
        SyncProgress {
            chats_synced: self.chats_synced,
            messages_synced: self.messages_synced,
            chunk_chats: self.chunk_chats,
            chats_total: self.chats_total,
            messages_total: self.messages_total,
        }
    }

    pub fn set_progress(&mut self, p: SyncProgress) {
        self.chats_synced = p.chats_synced;
        self.messages_synced = p.messages_synced;
        self.chunk_chats = p.chunk_chats;
        self.chats_total = p.chats_total;
        self.messages_total = p.messages_total;
    }
}

#[derive(Debug, Clone)]
pub struct SyncRequest {
    pub account_id: AccountId,
    pub params: SyncParams,
    pub now: i64,
    /// Whether a new sync may start (false when the account's state forbids it: the request
    /// may then only report an outcome still waiting to be reported).
    pub may_start: bool,
}

/// What the state machine decided for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncRequestResult {
    /// A new sync was queued (a fresh one, or the next chunk of a series).
    Started(SyncJob),
    /// A sync is queued or running; the request's parameters were not applied.
    Running(SyncJob),
    /// A finished sync whose outcome this request reports (now marked reported).
    Finished(SyncJob),
    /// Nothing to report and `may_start` was false: no sync was started.
    NotStarted,
}

#[derive(Debug, Clone)]
pub struct SyncClaim {
    pub worker: String,
    pub now: i64,
    pub lease_ms: i64,
}

#[derive(Debug)]
pub struct SyncRenew<'a> {
    pub job: &'a SyncJob,
    pub worker: &'a str,
    pub now: i64,
    pub lease_ms: i64,
}

/// Progress counters of a job, written with every checkpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncProgress {
    pub chats_synced: i64,
    pub messages_synced: i64,
    pub chunk_chats: i64,
    pub chats_total: Option<i64>,
    pub messages_total: Option<i64>,
}

/// The pages a sync fetched since its last checkpoint and its position after them. Owned:
/// the store may queue it to commit it together with other jobs' checkpoints.
#[derive(Debug)]
pub struct SyncCheckpoint {
    pub job: SyncJob,
    pub worker: String,
    pub now: i64,
    pub lease_ms: i64,
    pub cursor: String,
    pub progress: SyncProgress,
    /// The pages fetched since the last checkpoint, in order (often one, more when the
    /// database is slower than the provider).
    pub pages: Vec<PageWrite>,
}

impl SyncCheckpoint {
    /// How many messages it writes.
    pub fn messages(&self) -> usize {
        self.pages.iter().map(|p| p.messages.len()).sum()
    }

    /// Replaces every NUL character of the text it writes with U+FFFD, as every backend stores
    /// it. PostgreSQL's `text` cannot hold NUL at all: a message carrying one (anyone can send
    /// one) would fail its page for good and with it the account's every sync. JSON columns
    /// (attachments, reactions, LinkedIn details) are escaped by serde and need nothing.
    pub fn replace_nul(&mut self) {
        fn text(s: &mut String) {
            if let std::borrow::Cow::Owned(replaced) = crate::common::storable(s) {
                *s = replaced;
            }
        }
        fn maybe(s: &mut Option<String>) {
            if let Some(s) = s {
                text(s);
            }
        }
        fn attendee(a: &mut msgsync_core::content::ProviderAttendee) {
            text(&mut a.provider_id);
            text(&mut a.name);
            maybe(&mut a.profile_url);
            maybe(&mut a.picture_url);
        }
        text(&mut self.cursor);
        for page in &mut self.pages {
            let chat = &mut page.chat;
            text(&mut chat.provider_id);
            maybe(&mut chat.name);
            maybe(&mut chat.folder);
            maybe(&mut chat.attendee_provider_id);
            maybe(&mut chat.content_type);
            maybe(&mut chat.provider_ref);
            chat.attendees.iter_mut().for_each(attendee);
            page.attendees.iter_mut().for_each(attendee);
            for m in &mut page.messages {
                text(&mut m.provider_id);
                text(&mut m.sender_id);
                maybe(&mut m.text);
                maybe(&mut m.subject);
                text(&mut m.original);
            }
        }
    }
}

/// One page of a sync: the chat it belongs to (upserted), the page's messages, and what the
/// page told of their senders. The chat's attendees and the senders become the chat's
/// attendees.
#[derive(Debug, Clone)]
pub struct PageWrite {
    pub chat: ProviderChat,
    pub messages: Vec<ProviderMessage>,
    pub attendees: Vec<ProviderAttendee>,
}

#[derive(Debug)]
pub struct SyncRelease<'a> {
    pub job: &'a SyncJob,
    pub worker: &'a str,
    pub now: i64,
    pub run_after: i64,
    /// Counts towards the retry budget of the job.
    pub attempts: i64,
    /// Why the job waits (an error type of the catalogue and a detail), shown while it does.
    pub reason: Option<(String, String)>,
}

#[derive(Debug)]
pub struct SyncFinish<'a> {
    pub job: &'a SyncJob,
    pub worker: &'a str,
    pub now: i64,
    pub state: JobState,
    pub progress: SyncProgress,
    pub cursor: Option<&'a str>,
    pub error: Option<(String, String)>,
    /// Set when a full resync covered its whole scope: mark what the series did not see.
    pub reconcile: Option<ReconcileScope>,
    /// A provider verdict on the account to record with the outcome.
    pub account_state: Option<AccountState>,
}

/// What a full resync covered: chats (and their messages) of these inboxes within the span.
#[derive(Debug, Clone)]
pub struct ReconcileScope {
    pub span: Span,
    /// `None`: every inbox.
    pub inbox: Option<LinkedinProduct>,
}

/// The sync queue as `GET /metrics` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncStats {
    /// Queued and running jobs, by state and provider.
    pub active: Vec<(JobState, ProviderKind, i64)>,
    /// When the queued job due longest ago became due (epoch ms), if any is due.
    pub oldest_due_at: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::PageCursor;

    #[test]
    fn cursors_round_trip_and_strangers_are_refused() {
        let c = PageCursor {
            at: -5,
            id: "chat_01M8E".into(),
        };
        assert_eq!(PageCursor::decode(&c.encode()), Some(c.clone()));
        // As it arrives when a `+` was not URL-encoded.
        assert_eq!(PageCursor::decode(&c.encode().replace('+', " ")), Some(c));
        for raw in ["", "%%%", "bm8tY29sb24", "YWJjOmRlZg=="] {
            assert_eq!(PageCursor::decode(raw), None, "{raw}");
        }
    }
}
