//! The catch-up methods through the simulator's dispatch, wrapped as stock clients send them,
//! their answers decoded with grammers-tl-types.

use std::time::Duration;

use grammers_tl_types::{enums, functions, types, Deserializable, Serializable};
use msgsync_core::ProviderKind;

use super::CHANNEL_PTS;
use crate::mtproto::keys::KEY_LEN;
use crate::mtproto::rpc::{dispatch, Answer};
use crate::mtproto::tl as build;
use crate::mtproto::Account;
use crate::scenario::Scenario;
use crate::SandboxHub;

/// A fixed anchor (midnight UTC), so that the data does not depend on the day.
const ANCHOR: i64 = 1_767_225_600_000;
const NOW: i32 = 1_767_225_600;
/// Telethon 1.x's layer: it wraps every request in `invokeWithoutUpdates` when it is told not to
/// receive updates, and its first one in `invokeWithLayer` too.
const TELETHON_LAYER: i32 = 229;

fn account(text: &str) -> Account {
    let scenario = Scenario::parse(ProviderKind::Telegram, text).unwrap();
    let hub = SandboxHub::with_anchor(ANCHOR);
    Account {
        key: [0; KEY_LEN],
        key_id: [0; 8],
        home_key: [0; KEY_LEN],
        dc: 2,
        authorized: None,
        calls: Default::default(),
        dataset: hub.dataset(ProviderKind::Telegram, &scenario),
        scenario,
        served: Default::default(),
        local_addr: "127.0.0.1:1".parse().unwrap(),
        salt: 0,
        latency: Duration::ZERO,
        file_clock: Default::default(),
    }
}

/// Sends `query` as Telethon does, wrapped; returns the decoded result or the rpc_error.
fn call<Q: Serializable, R: Deserializable>(acct: &Account, query: Q) -> Result<R, String> {
    let body = functions::InvokeWithLayer {
        layer: TELETHON_LAYER,
        query: functions::InvokeWithoutUpdates { query },
    }
    .to_bytes();
    match dispatch(acct, &body, NOW) {
        Answer::Result(bytes) => Ok(R::from_bytes(&bytes).expect("the answer decodes")),
        Answer::Error(400, message) => Err(message),
        other => panic!("unexpected answer: {other:?}"),
    }
}

fn state(acct: &Account) -> types::updates::State {
    let enums::updates::State::State(s) = call(acct, functions::updates::GetState {}).unwrap();
    s
}

fn dialogs(acct: &Account) -> types::messages::Dialogs {
    let answer: enums::messages::Dialogs = call(
        acct,
        functions::messages::GetDialogs {
            exclude_pinned: false,
            folder_id: None,
            offset_date: 0,
            offset_id: 0,
            offset_peer: enums::InputPeer::Empty,
            limit: 100,
            hash: 0,
        },
    )
    .unwrap();
    match answer {
        enums::messages::Dialogs::Dialogs(d) => d,
        other => panic!("one page holds every dialog: {other:?}"),
    }
}

fn get_difference(pts: i32, date: i32) -> functions::updates::GetDifference {
    functions::updates::GetDifference {
        pts,
        pts_limit: None,
        pts_total_limit: None,
        date,
        qts: 0,
        qts_limit: None,
    }
}

#[test]
fn the_state_counts_what_the_dialogs_hold() {
    let acct = account("sandbox:chats=30,messages=17,seed=4,span_days=7");
    let s = state(&acct);
    let d = dialogs(&acct);
    let common_box = d
        .dialogs
        .iter()
        .filter(|d| {
            !matches!(
                d,
                enums::Dialog::Dialog(types::Dialog {
                    peer: enums::Peer::Channel(_),
                    ..
                })
            )
        })
        .count();
    assert!(common_box > 0 && common_box < 30, "a mix of chat kinds");
    assert_eq!(s.pts, common_box as i32 * 17, "one event per message");
    let unread: i32 = d
        .dialogs
        .iter()
        .map(|d| match d {
            enums::Dialog::Dialog(d) => d.unread_count,
            other => panic!("the sandbox lists plain dialogs: {other:?}"),
        })
        .sum();
    assert!(unread > 0, "some dialogs have unread messages");
    assert_eq!(s.unread_count, unread);
    assert_eq!((s.qts, s.seq, s.date), (0, 0, NOW));
    // Sandbox data never changes: asking again gives the same state.
    assert_eq!(state(&acct), s);

    // Without messages the box still has a state to catch up from.
    let empty = state(&account("sandbox:chats=3,messages=0"));
    assert_eq!(empty.pts, 1);
}

#[test]
fn channels_report_one_pts_everywhere() {
    let acct = account("sandbox:chats=30,messages=5,seed=4");
    let d = dialogs(&acct);
    let mut channels = 0;
    for dialog in &d.dialogs {
        let enums::Dialog::Dialog(dialog) = dialog else {
            continue;
        };
        let enums::Peer::Channel(p) = &dialog.peer else {
            assert_eq!(dialog.pts, None, "only channels have their own pts");
            continue;
        };
        channels += 1;
        assert_eq!(dialog.pts, Some(CHANNEL_PTS));
        let history: enums::messages::Messages = call(
            &acct,
            functions::messages::GetHistory {
                peer: enums::InputPeer::Channel(types::InputPeerChannel {
                    channel_id: p.channel_id,
                    access_hash: build::access_hash(acct.seed(), p.channel_id),
                }),
                offset_id: 0,
                offset_date: 0,
                add_offset: 0,
                limit: 10,
                max_id: 0,
                min_id: 0,
                hash: 0,
            },
        )
        .unwrap();
        match history {
            enums::messages::Messages::ChannelMessages(m) => assert_eq!(m.pts, CHANNEL_PTS),
            other => panic!("a channel's history: {other:?}"),
        }
    }
    assert!(channels > 0, "the scenario has channels");
}

#[test]
fn an_up_to_date_client_has_no_difference() {
    let acct = account("sandbox:chats=12,messages=9,seed=2");
    let s = state(&acct);
    assert!(s.pts > 2);
    let diff: Result<enums::updates::Difference, _> = call(&acct, get_difference(s.pts, s.date));
    assert_eq!(
        diff,
        Ok(enums::updates::Difference::Empty(
            types::updates::DifferenceEmpty { date: NOW, seq: 0 }
        ))
    );
    // From an older state: too long to replay, and the current pts to go on from.
    let diff: Result<enums::updates::Difference, _> =
        call(&acct, get_difference(s.pts - 2, s.date - 60));
    assert_eq!(
        diff,
        Ok(enums::updates::Difference::TooLong(
            types::updates::DifferenceTooLong { pts: s.pts }
        ))
    );
    for (pts, error) in [
        (0, "PERSISTENT_TIMESTAMP_EMPTY"),
        (-5, "PERSISTENT_TIMESTAMP_EMPTY"),
        (s.pts + 1, "PERSISTENT_TIMESTAMP_INVALID"),
    ] {
        let diff: Result<enums::updates::Difference, _> = call(&acct, get_difference(pts, s.date));
        assert_eq!(diff, Err(error.to_string()), "pts {pts}");
    }
}

#[test]
fn channel_differences() {
    let acct = account("sandbox:chats=30,messages=5,seed=4");
    let d = dialogs(&acct);
    let channel_id = d
        .chats
        .iter()
        .find_map(|c| match c {
            enums::Chat::Channel(c) => Some(c.id),
            _ => None,
        })
        .expect("a channel");
    let group_id = d
        .chats
        .iter()
        .find_map(|c| match c {
            enums::Chat::Chat(c) => Some(c.id),
            _ => None,
        })
        .expect("a basic group");
    let ask = |channel: enums::InputChannel,
               pts: i32|
     -> Result<enums::updates::ChannelDifference, String> {
        call(
            &acct,
            functions::updates::GetChannelDifference {
                force: false,
                channel,
                filter: enums::ChannelMessagesFilter::Empty,
                pts,
                limit: 100,
            },
        )
    };
    let input = |id: i64, access_hash: i64| {
        enums::InputChannel::Channel(types::InputChannel {
            channel_id: id,
            access_hash,
        })
    };
    let hash = build::access_hash(acct.seed(), channel_id);
    assert_eq!(
        ask(input(channel_id, hash), CHANNEL_PTS),
        Ok(enums::updates::ChannelDifference::Empty(
            types::updates::ChannelDifferenceEmpty {
                r#final: true,
                pts: CHANNEL_PTS,
                timeout: None,
            }
        ))
    );
    let invalid = Err("CHANNEL_INVALID".to_string());
    assert_eq!(ask(input(channel_id, hash ^ 1), CHANNEL_PTS), invalid);
    assert_eq!(ask(enums::InputChannel::Empty, CHANNEL_PTS), invalid);
    let group_hash = build::access_hash(acct.seed(), group_id);
    assert_eq!(
        ask(input(group_id, group_hash), CHANNEL_PTS),
        invalid,
        "a basic group is no channel"
    );
    assert_eq!(
        ask(input(channel_id, hash), 0),
        Err("PERSISTENT_TIMESTAMP_EMPTY".to_string())
    );
    assert_eq!(
        ask(input(channel_id, hash), CHANNEL_PTS + 1),
        Err("PERSISTENT_TIMESTAMP_INVALID".to_string())
    );
}

#[test]
fn the_nearest_dc_is_the_simulator() {
    let acct = account("sandbox:chats=1");
    let dc: Result<enums::NearestDc, _> = call(&acct, functions::help::GetNearestDc {});
    assert_eq!(
        dc,
        Ok(enums::NearestDc::Dc(types::NearestDc {
            country: String::new(),
            this_dc: 2,
            nearest_dc: 2,
        }))
    );
}

#[test]
fn a_method_the_simulator_lacks_is_refused_as_telegram_does() {
    let acct = account("sandbox:chats=1");
    let answer: Result<enums::account::Authorizations, _> =
        call(&acct, functions::account::GetAuthorizations {});
    let id =
        <functions::account::GetAuthorizations as grammers_tl_types::Identifiable>::CONSTRUCTOR_ID;
    assert_eq!(answer, Err(format!("INPUT_METHOD_INVALID_{id}")));
}
