-- Messages across chats (`GET /api/v1/messages`, an attendee's messages) are read newest first
-- per account. Without an index led by the account and ordered by time, every page of that
-- list sorted all of the account's messages. The index costs the sync's writes: messages
-- arrive chat by chat, so each insert goes to a random page of this index (docs/BENCHMARKS.md
-- gives the measured cost).
CREATE INDEX messages_account_time ON messages (account_id, timestamp);
