-- The people of each account's chats (Unipile's chat attendees), and what kind of event a
-- service message records.

CREATE TABLE attendees (
    -- Derived from (account, provider id) by `AttendeeId::for_provider_id`, so it is both the
    -- key and the unique (account, provider id) constraint, and a message's sender names its
    -- attendee without a look-up.
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    provider_id  TEXT NOT NULL,
    name         TEXT NOT NULL,
    is_self      INTEGER NOT NULL,
    profile_url  TEXT,
    picture_url  TEXT,
    linkedin     TEXT                      -- JSON LinkedinMember, LinkedIn members only
);
CREATE INDEX attendees_account ON attendees (account_id, id);

-- Who takes part in which chat: the chat's participants as listed, and every sender of its
-- messages.
CREATE TABLE chat_attendees (
    chat_id      TEXT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    attendee_id  TEXT NOT NULL REFERENCES attendees (id) ON DELETE CASCADE,
    PRIMARY KEY (chat_id, attendee_id)
) WITHOUT ROWID;
CREATE INDEX chat_attendees_attendee ON chat_attendees (attendee_id, chat_id);

ALTER TABLE messages ADD COLUMN event_type INTEGER;
