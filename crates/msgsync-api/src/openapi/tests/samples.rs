//! Values of every view's inputs, covering each optional field both present and absent, each
//! variant of each union, each state.

use msgsync_core::content::{
    Attachment, AttachmentSize, LinkedinMember, MessageEventType, NetworkDistance, Reaction,
};
use msgsync_core::{
    AccountId, AccountState, ApiKeyMode, AttendeeId, ChatId, ErrorKind, LinkedinProduct, MessageId,
    ProviderKind, Span, SyncId, SyncParams,
};
use msgsync_store::{
    AccountRecord, AttendeeRecord, ChatRecord, JobState, MessageRecord, Page, PageCursor, SyncJob,
};

pub const T0: i64 = 1_795_665_119_123;

pub fn accounts() -> Vec<AccountRecord> {
    let mut all = Vec::new();
    for provider in ProviderKind::ALL {
        for (state, products) in [
            (AccountState::Ok, None),
            (
                AccountState::Credentials,
                Some(vec![LinkedinProduct::Classic, LinkedinProduct::Recruiter]),
            ),
            (
                AccountState::Restricted,
                Some(LinkedinProduct::ALL.to_vec()),
            ),
            (AccountState::Disconnected, Some(vec![])),
            (AccountState::Error, None),
        ] {
            all.push(AccountRecord {
                id: AccountId::new(),
                owner: "default".into(),
                mode: ApiKeyMode::Test,
                provider,
                name: "Ada".into(),
                state,
                provider_user_id: (state != AccountState::Error).then(|| "12345".into()),
                linkedin_products: products,
                created_at: T0,
                updated_at: T0,
            });
        }
    }
    all
}

pub fn chat(
    muted_until: Option<i64>,
    folder: Option<&str>,
    content_type: Option<&str>,
) -> ChatRecord {
    ChatRecord {
        id: ChatId::new(),
        account_id: AccountId::new(),
        account_type: ProviderKind::Linkedin,
        provider_id: "2-abc".into(),
        inbox: Some(LinkedinProduct::Classic),
        name: folder.map(|_| "A chat".to_owned()),
        kind: 1,
        timestamp: T0,
        unread_count: 3,
        archived: true,
        muted_until,
        read_only: false,
        folder: folder.map(str::to_owned),
        attendee_provider_id: content_type.map(|_| "ACoAAB".to_owned()),
        content_type: content_type.map(str::to_owned),
        provider_ref: None,
        deleted: false,
    }
}

pub fn chats() -> Vec<ChatRecord> {
    vec![
        chat(None, None, None),
        chat(Some(-1), Some("INBOX"), Some("inmail")),
        chat(
            Some(T0),
            Some("INBOX_LINKEDIN_RECRUITER"),
            Some("sponsored"),
        ),
        // Not among the folders and content types the SDK knows: shown without them.
        chat(Some(T0 + 1), Some("ARCHIVE"), Some("other")),
    ]
}

pub fn attachment(kind: &str) -> Attachment {
    Attachment {
        id: format!("{kind}-1"),
        kind: kind.into(),
        file_name: (kind != "img").then(|| "a.bin".to_owned()),
        mimetype: Some("application/octet-stream".into()),
        file_size: Some(1024),
        url: Some("https://example.com/x".into()),
        size: (kind == "video").then_some(AttachmentSize {
            width: 640,
            height: 480,
        }),
        duration: Some(12),
        voice_note: kind == "audio",
        sticker: kind == "img",
        gif: kind == "video",
        unavailable: kind == "file",
    }
}

pub fn messages() -> Vec<MessageRecord> {
    let kinds = ["img", "video", "audio", "file", "linkedin_post", "unknown"];
    let attachments: Vec<Attachment> = kinds.into_iter().map(attachment).collect();
    let reactions = vec![Reaction {
        value: "👍".into(),
        sender_id: "ACoAAB".into(),
        is_sender: true,
    }];
    let message = |text: Option<&str>, event: Option<MessageEventType>| MessageRecord {
        id: MessageId::new(),
        account_id: AccountId::new(),
        chat_id: ChatId::new(),
        chat_provider_id: "2-abc".into(),
        provider_id: "m-1".into(),
        sender_id: "ACoAAB".into(),
        text: text.map(str::to_owned),
        subject: text.map(|_| "Hello".to_owned()),
        timestamp: T0,
        is_sender: true,
        attachments: serde_json::to_string(&attachments).unwrap(),
        reactions: serde_json::to_string(&reactions).unwrap(),
        seen: true,
        hidden: false,
        deleted: true,
        edited: false,
        is_event: event.is_some(),
        event_type: event,
        delivered: true,
        original: "{}".into(),
    };
    let mut bare = message(None, Some(MessageEventType::CallMissedVideo));
    bare.attachments = "[]".into();
    bare.reactions = "not json".into();
    vec![message(Some("Hi"), None), bare]
}

pub fn attendees() -> Vec<AttendeeRecord> {
    let attendee = |linkedin: Option<LinkedinMember>| AttendeeRecord {
        id: AttendeeId::new(),
        account_id: AccountId::new(),
        provider_id: "ACoAAB".into(),
        name: "Ada".into(),
        is_self: linkedin.is_none(),
        profile_url: linkedin
            .as_ref()
            .map(|_| "https://www.linkedin.com/in/ada".into()),
        picture_url: linkedin
            .as_ref()
            .map(|_| "https://example.com/p.jpg".into()),
        linkedin,
    };
    let member = |network_distance, headline: Option<&str>| LinkedinMember {
        member_urn: "urn:li:fsd_profile:ACoAAB".into(),
        headline: headline.map(str::to_owned),
        network_distance,
    };
    vec![
        attendee(None),
        attendee(Some(member(None, None))),
        attendee(Some(member(
            Some(NetworkDistance::Distance1),
            Some("Engineer"),
        ))),
        attendee(Some(member(Some(NetworkDistance::OutOfNetwork), None))),
    ]
}

pub fn job(state: JobState, error: Option<(ErrorKind, &str)>, attempts: i64) -> SyncJob {
    let id = SyncId::new();
    SyncJob {
        id,
        account_id: AccountId::new(),
        series_id: id,
        chunk_number: 2,
        state,
        reported: state == JobState::Done,
        params: SyncParams {
            chunk_size: (attempts == 0).then_some(10),
            partial: attempts > 0,
            span: Span {
                after: Some(T0 - 1000),
                before: (attempts > 0).then_some(T0),
            },
            linkedin_product: (attempts > 0).then_some(LinkedinProduct::SalesNavigator),
        },
        cursor: None,
        chats_synced: 12,
        messages_synced: 300,
        chunk_chats: 2,
        // A queued job has seen no provider total yet (null); the others have one.
        chats_total: (state != JobState::Queued).then_some(40),
        messages_total: (state != JobState::Queued).then_some(1_200),
        attempts,
        error_kind: error.map(|(k, _)| k.type_uri()),
        error_detail: error.map(|(_, d)| d.to_owned()),
        run_after: T0 + 5000,
        lease_owner: None,
        lease_expires_at: None,
        lease_token: 0,
        created_at: T0,
        updated_at: T0 + 10,
        finished_at: matches!(
            state,
            JobState::Done | JobState::ChunkDone | JobState::Error
        )
        .then_some(T0 + 10),
    }
}

pub fn jobs() -> Vec<SyncJob> {
    let failed = Some((ErrorKind::ExpiredCredentials, "the session expired"));
    let waiting = Some((ErrorKind::ServiceUnavailable, "rate limited"));
    vec![
        job(JobState::Queued, None, 0),
        job(JobState::Running, waiting, 2),
        job(JobState::Done, None, 0),
        job(JobState::ChunkDone, None, 0),
        job(JobState::Error, failed, 5),
    ]
}

pub fn paged<T>(items: Vec<T>, more: bool) -> Page<T> {
    Page {
        items,
        next: more.then(|| PageCursor {
            at: T0,
            id: "chat_01".into(),
        }),
    }
}
