//! Answers with records msgsync cannot use: they are skipped, the rest of the page is kept;
//! only a page with nothing usable fails. (LinkedIn answers these; the simulator's scenarios
//! do not, so a one-answer server plays LinkedIn.)

use std::time::Duration;

use msgsync_core::{AccountId, LinkedinProduct, Span};
use msgsync_providers::linkedin::{LinkedinConfig, LinkedinConnector, GRAPHQL_PATH, ME_PATH};
use msgsync_providers::{ChatPageRequest, MessagePageRequest, ProviderError, ProviderSession};
use serde_json::json;

use crate::common::*;
use crate::mock::{self, response};

const OWNER: &str = "ACoAAowner";

fn me() -> String {
    response(
        "200 OK",
        "Content-Type: application/json\r\n",
        &json!({"miniProfile": {"dashEntityUrn": format!("urn:li:fsd_profile:{OWNER}")}})
            .to_string(),
    )
}

fn conversation(thread: &str, last_activity: Option<i64>) -> serde_json::Value {
    let mut c = json!({
        "entityUrn": format!("urn:li:msg_conversation:(urn:li:fsd_profile:{OWNER},{thread})"),
        "groupChat": false,
        "conversationParticipants": [
            {"hostIdentityUrn": "urn:li:fsd_profile:ACoAAother",
             "participantType": {"member": {"firstName": {"text": "Ada"}, "lastName": {"text": "Byron"}}}}
        ]
    });
    if let Some(at) = last_activity {
        c["lastActivityAt"] = json!(at);
    }
    c
}

fn message(id: &str, delivered: Option<i64>, sender: bool) -> serde_json::Value {
    let mut m = json!({
        "entityUrn": format!("urn:li:msg_message:(urn:li:fsd_profile:{OWNER},{id})"),
        "body": {"text": id},
    });
    if let Some(at) = delivered {
        m["deliveredAt"] = json!(at);
    }
    if sender {
        m["sender"] = json!({"hostIdentityUrn": "urn:li:fsd_profile:ACoAAother"});
    }
    m
}

/// A live session against a server answering `graphql` to every GraphQL query.
async fn session(graphql: serde_json::Value) -> Box<dyn ProviderSession> {
    let mock = mock::serve_routes(vec![
        (ME_PATH.to_string(), me()),
        (
            GRAPHQL_PATH.to_string(),
            response(
                "200 OK",
                "Content-Type: application/json\r\n",
                &graphql.to_string(),
            ),
        ),
    ])
    .await;
    let mut config = LinkedinConfig::sandbox(&mock.base_url);
    config.request_timeout = Duration::from_secs(5);
    let live = LinkedinConnector::new(config);
    open(
        &live,
        AccountId::new(),
        "li_at=AQEDAQx; JSESSIONID=\"ajax:1\"",
    )
    .await
    .unwrap()
}

fn first_page() -> ChatPageRequest {
    ChatPageRequest {
        inbox: Some(LinkedinProduct::Classic),
        cursor: None,
        span: Span::default(),
        limit: 25,
        known_activity_ms: None,
    }
}

fn conversations(elements: Vec<serde_json::Value>, errors: bool) -> serde_json::Value {
    let mut answer = json!({"data": {"messengerConversationsByCategoryQuery": {
        "elements": elements, "metadata": {"nextCursor": null}}}});
    if errors {
        answer["errors"] = json!([{"message": "one field could not be resolved"}]);
    }
    answer
}

#[tokio::test]
async fn unusable_conversations_are_skipped_and_errors_next_to_data_do_not_fail_the_page() {
    let answer = conversations(
        vec![
            conversation("2-good", Some(50)),
            conversation("2-timeless", None),
            json!("not a conversation"),
            json!({"lastActivityAt": 40}),
            conversation("2-also-good", Some(30)),
        ],
        true,
    );
    let page = session(answer)
        .await
        .chats_page(&first_page())
        .await
        .unwrap();
    let ids: Vec<_> = page.chats.iter().map(|c| c.provider_id.as_str()).collect();
    assert_eq!(ids, ["2-good", "2-also-good"]);
    assert_eq!(page.chats[0].name.as_deref(), Some("Ada Byron"));
}

#[tokio::test]
async fn a_page_with_nothing_usable_fails() {
    let answer = conversations(vec![conversation("2-timeless", None)], false);
    let err = session(answer)
        .await
        .chats_page(&first_page())
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Protocol(_)), "{err:?}");
    // GraphQL errors without data are no page either.
    let err = session(json!({"errors": [{"message": "boom"}]}))
        .await
        .chats_page(&first_page())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Protocol(m) if m.contains("boom")),
        "{err:?}"
    );
}

#[tokio::test]
async fn messages_without_sender_or_time_are_skipped() {
    let answer = json!({"data": {"messengerMessagesByAnchorTimestamp": {
        "elements": [
            message("2-m1", Some(10), true),
            message("2-no-sender", Some(11), false),
            message("2-no-time", None, true),
            message("2-m2", Some(12), true),
        ],
        "metadata": {"prevCursor": null}}}});
    let request = MessagePageRequest {
        inbox: Some(LinkedinProduct::Classic),
        chat_provider_id: "2-t".into(),
        cursor: None,
        span: Span::default(),
        limit: 20,
        chat_provider_ref: None,
    };
    let page = session(answer).await.messages_page(&request).await.unwrap();
    let ids: Vec<_> = page
        .messages
        .iter()
        .map(|m| m.provider_id.as_str())
        .collect();
    assert_eq!(ids, ["2-m1", "2-m2"]);
    let nothing = json!({"data": {"messengerMessagesByAnchorTimestamp": {
        "elements": [message("2-no-sender", Some(11), false)]}}});
    let err = session(nothing)
        .await
        .messages_page(&request)
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Protocol(_)), "{err:?}");
}
