//! Group commit of sync checkpoints.
//!
//! Many syncs running at once each write small pages. With a transaction per page, the one
//! writer connection began and committed once per page, and handed every statement of each
//! transaction between the runtime and SQLite's thread while the other syncs queued for the
//! connection (`perf` during 400 accounts at once: the writer thread idle in thread switches a
//! fifth of its time, 1.1 of 2 cores busy). Checkpoints are queued instead, and one task writes
//! whatever has queued up in one transaction, in a few multi-row statements: the cursors of the
//! jobs still held by their workers, then those jobs' chats, their attendees, then their messages. A job whose
//! lease was lost writes nothing (`LostLease`); if the group fails as a whole, its checkpoints
//! are written again one by one, so one job's failure is its own.

use std::collections::HashSet;
use std::sync::Arc;

use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot, Notify};

use super::{attendees, content, jobs};
use crate::common::{messages, outbox, AttendeeWrites, ChatWrite, MessageWrite};
use crate::{StoreError, StoreResult, SyncCheckpoint};

/// The most messages one group writes: past this a transaction gains nothing and holds the
/// writer longer (measured with LinkedIn's ~3 KB rows, transactions of 5,000 rows were the
/// fastest of 5k, 20k and 50k).
const MAX_GROUP_MESSAGES: usize = 5_000;

/// Checkpoints waiting for the writer. The engine bounds the pages waiting across all runs
/// (its write buffer); this only bounds how many checkpoints the channel holds.
const QUEUE: usize = 4_096;

pub(super) struct Queued {
    checkpoint: SyncCheckpoint,
    done: oneshot::Sender<StoreResult<()>>,
}

/// The queue of the writer task.
#[derive(Debug, Clone)]
pub(super) struct GroupCommit {
    queue: mpsc::Sender<Queued>,
}

impl GroupCommit {
    /// Starts the writer task; it ends once every handle is dropped.
    /// `queued` is told when a group queued webhook deliveries.
    pub(super) fn start(writer: SqlitePool, queued: Arc<Notify>) -> GroupCommit {
        let (queue, waiting) = mpsc::channel(QUEUE);
        tokio::spawn(write_groups(writer, waiting, queued));
        GroupCommit { queue }
    }

    /// Queues a checkpoint and waits until its group is committed (or it failed).
    pub(super) async fn write(&self, checkpoint: SyncCheckpoint) -> StoreResult<()> {
        let (done, result) = oneshot::channel();
        let stopped = || StoreError::Unavailable("the database writer has stopped".into());
        self.queue
            .send(Queued { checkpoint, done })
            .await
            .map_err(|_| stopped())?;
        result.await.map_err(|_| stopped())?
    }
}

async fn write_groups(db: SqlitePool, mut waiting: mpsc::Receiver<Queued>, queued: Arc<Notify>) {
    let mut next = None;
    loop {
        let first = match next.take() {
            Some(first) => first,
            None => match waiting.recv().await {
                Some(first) => first,
                None => return,
            },
        };
        let mut messages = first.checkpoint.messages();
        let mut group = vec![first];
        while messages < MAX_GROUP_MESSAGES {
            let Ok(queued) = waiting.try_recv() else {
                break;
            };
            let more = queued.checkpoint.messages();
            if messages + more > MAX_GROUP_MESSAGES {
                next = Some(queued);
                break;
            }
            messages += more;
            group.push(queued);
        }
        let results = write_group(&db, &group, &queued).await;
        for (queued, result) in group.into_iter().zip(results) {
            // A caller that stopped waiting no longer needs the answer.
            let _ = queued.done.send(result);
        }
    }
}

/// Writes a group in one transaction; returns each checkpoint's result, in order. If the group
/// fails as a whole, each checkpoint is written again in a transaction of its own, so that one
/// job's bad write (or a transient error) fails no other job.
async fn write_group(db: &SqlitePool, group: &[Queued], queued: &Notify) -> Vec<StoreResult<()>> {
    let checkpoints: Vec<&SyncCheckpoint> = group.iter().map(|q| &q.checkpoint).collect();
    let error = match in_transaction(db, &checkpoints, queued).await {
        Ok(results) => return results,
        Err(e) => e,
    };
    if group.len() > 1 {
        tracing::warn!(error = %error, checkpoints = group.len(), "a group commit failed; writing its checkpoints one by one");
    }
    let mut results = Vec::with_capacity(group.len());
    for checkpoint in checkpoints {
        let result = match in_transaction(db, &[checkpoint], queued).await {
            Ok(mut one) => one.pop().unwrap_or(Ok(())),
            Err(e) => Err(e),
        };
        results.push(result);
    }
    results
}

async fn in_transaction(
    db: &SqlitePool,
    checkpoints: &[&SyncCheckpoint],
    queued: &Notify,
) -> StoreResult<Vec<StoreResult<()>>> {
    let mut tx = super::begin_write(db).await?;
    let (results, deliveries) = write_checkpoints(&mut tx, checkpoints).await?;
    tx.commit().await?;
    if deliveries > 0 {
        queued.notify_one();
    }
    Ok(results)
}

/// The statements of a group: every job's cursor, then the chats of the jobs still held, then
/// their messages, each step in multi-row statements, so that the number of round trips to
/// SQLite's thread does not grow with the number of jobs.
async fn write_checkpoints(
    conn: &mut SqliteConnection,
    checkpoints: &[&SyncCheckpoint],
) -> StoreResult<(Vec<StoreResult<()>>, usize)> {
    let held = jobs::save_cursors(conn, checkpoints).await?;
    struct Ids {
        job: String,
        account: String,
        series: String,
    }
    let ids: Vec<Ids> = checkpoints
        .iter()
        .map(|c| Ids {
            job: c.job.id.to_string(),
            account: c.job.account_id.to_string(),
            series: c.job.series_id.to_string(),
        })
        .collect();
    let written = || {
        checkpoints
            .iter()
            .zip(&ids)
            .filter(|(_, ids)| held.contains(&ids.job))
    };
    // Each chat once, as the last page that carries it saw it.
    let mut seen = HashSet::new();
    let mut chats: Vec<ChatWrite> = written()
        .flat_map(|(c, ids)| {
            c.pages.iter().map(|p| ChatWrite {
                account: &ids.account,
                series: &ids.series,
                chat: &p.chat,
            })
        })
        .rev()
        .filter(|w| seen.insert((w.account, w.chat.provider_id.as_str())))
        .collect();
    chats.reverse();
    let chat_ids = content::chats_upsert(conn, &chats).await?;
    let mut messages = Vec::new();
    let mut attendees = AttendeeWrites::default();
    // Where each job's messages start in `messages`.
    let mut starts = Vec::new();
    for (c, ids) in written() {
        starts.push((ids, messages.len()));
        for page in &c.pages {
            let key = (ids.account.clone(), page.chat.provider_id.clone());
            let chat = chat_ids
                .get(&key)
                .ok_or_else(|| StoreError::Corrupt(format!("no id returned for chat {key:?}")))?;
            attendees.add_page(&ids.account, chat, page);
            messages.extend(page.messages.iter().map(|message| MessageWrite {
                account: &ids.account,
                chat,
                series: &ids.series,
                message,
            }));
        }
    }
    attendees::write(attendees, conn).await?;
    // Which messages are new, per job, before they are written (if anything hears of them).
    let mut unseen = Vec::new();
    if !outbox::anyone_hears_messages::<sqlx::Sqlite>(conn).await? {
        starts.clear();
    }
    for (i, (ids, start)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(messages.len(), |(_, next)| *next);
        if let Some(who) = outbox::account::<sqlx::Sqlite>(conn, &ids.account).await? {
            let new = outbox::unseen_messages::<sqlx::Sqlite>(
                conn,
                &who,
                &ids.job,
                &messages[*start..end],
            )
            .await?;
            if !new.is_empty() {
                unseen.push((who, new));
            }
        }
    }
    messages::upsert::<sqlx::Sqlite>(conn, &messages).await?;
    let mut deliveries = 0;
    let now = checkpoints.iter().map(|c| c.now).max().unwrap_or_default();
    for (who, new) in &unseen {
        deliveries += outbox::messages_received::<sqlx::Sqlite>(conn, who, new, now).await?;
    }
    let results = ids
        .iter()
        .map(|ids| {
            if held.contains(&ids.job) {
                Ok(())
            } else {
                Err(StoreError::LostLease)
            }
        })
        .collect();
    Ok((results, deliveries))
}
