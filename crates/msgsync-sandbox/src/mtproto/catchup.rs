//! What a client asks right after connecting, to learn where its updates stand and to catch
//! up: `updates.getState`, `updates.getDifference`, `updates.getChannelDifference`, and
//! `help.getNearestDc`.
//!
//! Telethon 1.x calls `updates.getState` then `updates.getDifference` in `connect()` whenever
//! its session holds no update state (a new string session holds none); grammers calls
//! `updates.getState` to check authorization (msgsync's connector to probe a lost connection)
//! and both differences when it catches up on updates.
//!
//! Sandbox data never changes while a server runs, so a client that is up to date has nothing
//! to fetch. The states are what the data implies (core.telegram.org/api/updates): the
//! account's common message box (private chats and basic groups) has seen one event per
//! message, so its `pts` is their count; channels keep their own `pts`, the one
//! `messages.getDialogs` and `channelMessages` report ([`CHANNEL_PTS`]); there are no secret
//! chats (`qts` 0) and no sequence of pushed updates (`seq` 0).
//!
//! Answers, from the method pages (core.telegram.org/method/updates.getDifference,
//! …/updates.getChannelDifference, …/type/updates.ChannelDifference):
//! - a `pts` of 0 or less: `400 PERSISTENT_TIMESTAMP_EMPTY`; one beyond the server's:
//!   `400 PERSISTENT_TIMESTAMP_INVALID`;
//! - `getDifference` from the current `pts`: `updates.differenceEmpty`; from an older one:
//!   `updates.differenceTooLong` with the current `pts` (the events are not replayed: the
//!   client refetches dialogs and history, as that answer tells it to);
//! - `getChannelDifference` of a channel the account has, from its current `pts`:
//!   `updates.channelDifferenceEmpty` (final); a channel the account does not have, or a wrong
//!   access hash: `400 CHANNEL_INVALID`.

use grammers_tl_types::{enums, functions, types, Serializable};
use msgsync_providers::ChatKind;

use super::rpc::Answer;
use super::tl as build;
use super::{Account, SANDBOX_DC};
use crate::generator::Dataset;

/// The `pts` of every sandbox channel: what `messages.getDialogs` and `channelMessages` report.
pub(crate) const CHANNEL_PTS: i32 = 1;

fn error(message: &str) -> Answer {
    Answer::Error(400, message.to_string())
}

/// The account's update state.
fn state(ds: &Dataset, now: i32) -> types::updates::State {
    let per_chat = i64::from(ds.messages_per_chat());
    let (mut events, mut unread) = (0i64, 0i64);
    for index in 0..ds.chat_count() {
        let Some(info) = ds.chat_info(index) else {
            continue;
        };
        if info.kind != ChatKind::Channel {
            events += per_chat;
        }
        unread += ds.provider_chat(&info).unread_count;
    }
    types::updates::State {
        // A pts of 0 means "no state" (PERSISTENT_TIMESTAMP_EMPTY): an empty box reports 1.
        pts: i32::try_from(events.max(1)).unwrap_or(i32::MAX),
        qts: 0,
        date: now,
        seq: 0,
        unread_count: i32::try_from(unread).unwrap_or(i32::MAX),
    }
}

/// The account's update state, as `updates.getState` tells it.
pub(crate) fn state_of(acct: &Account, now: i32) -> types::updates::State {
    state(&acct.dataset, now)
}

/// `updates.getState`.
pub(crate) fn get_state(acct: &Account, now: i32) -> Answer {
    Answer::Result(enums::updates::State::State(state(&acct.dataset, now)).to_bytes())
}

/// `updates.getDifference`.
pub(crate) fn get_difference(
    acct: &Account,
    q: &functions::updates::GetDifference,
    now: i32,
) -> Answer {
    let current = state(&acct.dataset, now);
    if q.pts <= 0 {
        return error("PERSISTENT_TIMESTAMP_EMPTY");
    }
    if q.pts > current.pts {
        return error("PERSISTENT_TIMESTAMP_INVALID");
    }
    let answer = if q.pts == current.pts {
        enums::updates::Difference::Empty(types::updates::DifferenceEmpty {
            date: now,
            seq: current.seq,
        })
    } else {
        enums::updates::Difference::TooLong(types::updates::DifferenceTooLong { pts: current.pts })
    };
    Answer::Result(answer.to_bytes())
}

/// `updates.getChannelDifference`.
pub(crate) fn get_channel_difference(
    acct: &Account,
    q: &functions::updates::GetChannelDifference,
) -> Answer {
    let enums::InputChannel::Channel(channel) = &q.channel else {
        return error("CHANNEL_INVALID");
    };
    let known = channel.access_hash == build::access_hash(acct.seed(), channel.channel_id)
        && acct
            .dataset
            .chat_index(&format!("-100{}", channel.channel_id))
            .and_then(|index| acct.dataset.chat_info(index))
            .is_some_and(|info| info.kind == ChatKind::Channel);
    if !known {
        return error("CHANNEL_INVALID");
    }
    if q.pts <= 0 {
        return error("PERSISTENT_TIMESTAMP_EMPTY");
    }
    if q.pts > CHANNEL_PTS {
        return error("PERSISTENT_TIMESTAMP_INVALID");
    }
    Answer::Result(
        enums::updates::ChannelDifference::Empty(types::updates::ChannelDifferenceEmpty {
            r#final: true,
            pts: CHANNEL_PTS,
            timeout: None,
        })
        .to_bytes(),
    )
}

/// `help.getNearestDc`: the simulator's DCs share one address, so the nearest is the home
/// DC. The country comes from geo-IP, which a loopback address has none of: it stays empty.
pub(crate) fn get_nearest_dc(acct: &Account) -> Answer {
    Answer::Result(
        enums::NearestDc::Dc(types::NearestDc {
            country: String::new(),
            this_dc: acct.dc,
            nearest_dc: i32::from(SANDBOX_DC),
        })
        .to_bytes(),
    )
}

#[cfg(test)]
mod tests;
