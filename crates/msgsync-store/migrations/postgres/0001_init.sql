-- msgsync schema, PostgreSQL flavour: the same tables as the SQLite migrations 0001–0006 taken
-- together. Instants are epoch milliseconds (BIGINT), flags BOOLEAN. Ids are compared and
-- ordered bytewise (COLLATE "C"), as SQLite does, so that keyset paging gives the same pages
-- whatever the database's locale.

CREATE TABLE api_keys (
    id          TEXT COLLATE "C" PRIMARY KEY,  -- the lookup part of the key, not secret on its own
    owner       TEXT NOT NULL,
    name        TEXT NOT NULL,
    mode        TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    scopes      TEXT NOT NULL,                 -- comma-separated
    key_hash    BYTEA NOT NULL,                -- SHA-256 of the whole key
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

CREATE TABLE accounts (
    id                TEXT COLLATE "C" PRIMARY KEY,
    owner             TEXT NOT NULL,
    mode              TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    provider          TEXT NOT NULL,
    name              TEXT NOT NULL,
    state             TEXT NOT NULL DEFAULT 'ok',
    provider_user_id  TEXT,
    linkedin_products TEXT,                    -- '+'-joined, NULL when unknown
    credentials       BYTEA NOT NULL,          -- AES-256-GCM: nonce || ciphertext
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX accounts_owner ON accounts (owner, mode, created_at DESC, id DESC);

CREATE TABLE chats (
    id                    TEXT COLLATE "C" PRIMARY KEY,
    account_id            TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    provider_id           TEXT COLLATE "C" NOT NULL,
    inbox                 TEXT,
    name                  TEXT,
    kind                  BIGINT NOT NULL,
    timestamp             BIGINT NOT NULL,
    unread_count          BIGINT NOT NULL DEFAULT 0,
    archived              BOOLEAN NOT NULL DEFAULT false,
    muted_until           BIGINT,
    read_only             BOOLEAN NOT NULL DEFAULT false,
    folder                TEXT,
    attendee_provider_id  TEXT,
    content_type          TEXT,
    deleted               BOOLEAN NOT NULL DEFAULT false,
    seen_series           TEXT COLLATE "C",    -- the sync series that last saw it at the provider
    -- What a connector needs to reach the chat again without listing the account's chats, as
    -- the connector wrote it: opaque here.
    provider_ref          TEXT,
    UNIQUE (account_id, provider_id)
);
CREATE INDEX chats_account_time ON chats (account_id, timestamp DESC, id DESC);

-- No index led by the account and ordered by time: messages arrive chat by chat, and such an
-- index takes every insert to a random page of a B-tree as large as the account's history.
-- Reconciliation walks the account's chats and their `messages_chat_time` ranges instead.
CREATE TABLE messages (
    id            TEXT COLLATE "C" PRIMARY KEY,
    account_id    TEXT COLLATE "C" NOT NULL,
    chat_id       TEXT COLLATE "C" NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    provider_id   TEXT COLLATE "C" NOT NULL,
    sender_id     TEXT COLLATE "C" NOT NULL,
    text          TEXT,
    subject       TEXT,
    timestamp     BIGINT NOT NULL,
    is_sender     BOOLEAN NOT NULL,
    attachments   TEXT NOT NULL,               -- JSON array, as serde wrote it
    reactions     TEXT NOT NULL,               -- JSON array, as serde wrote it
    seen          BOOLEAN NOT NULL,
    hidden        BOOLEAN NOT NULL,
    deleted       BOOLEAN NOT NULL,
    edited        BOOLEAN NOT NULL,
    is_event      BOOLEAN NOT NULL,
    delivered     BOOLEAN NOT NULL,
    original      TEXT NOT NULL,
    seen_series   TEXT COLLATE "C",
    event_type    BIGINT,                      -- what kind of event a service message records
    UNIQUE (chat_id, provider_id)
);
CREATE INDEX messages_chat_time ON messages (chat_id, timestamp DESC, id DESC);

-- The people of each account's chats. The id is derived from (account, provider id) by
-- `AttendeeId::for_provider_id`, so it is both the key and the unique (account, provider id)
-- constraint, and a message's sender names its attendee without a look-up.
CREATE TABLE attendees (
    id           TEXT COLLATE "C" PRIMARY KEY,
    account_id   TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    provider_id  TEXT COLLATE "C" NOT NULL,
    name         TEXT NOT NULL,
    is_self      BOOLEAN NOT NULL,
    profile_url  TEXT,
    picture_url  TEXT,
    linkedin     TEXT                          -- JSON LinkedinMember, LinkedIn members only
);
CREATE INDEX attendees_account ON attendees (account_id, id);

-- Who takes part in which chat: the chat's participants as listed, and every sender of its
-- messages.
CREATE TABLE chat_attendees (
    chat_id      TEXT COLLATE "C" NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    attendee_id  TEXT COLLATE "C" NOT NULL REFERENCES attendees (id) ON DELETE CASCADE,
    PRIMARY KEY (chat_id, attendee_id)
);
CREATE INDEX chat_attendees_attendee ON chat_attendees (attendee_id, chat_id);

-- One row per sync run: both the status the resync route reports and the work queue.
CREATE TABLE sync_jobs (
    id               TEXT COLLATE "C" PRIMARY KEY,
    account_id       TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    series_id        TEXT COLLATE "C" NOT NULL, -- chunks of one resync share it
    chunk_number     BIGINT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'chunk_done', 'error')),
    reported         BOOLEAN NOT NULL DEFAULT false,
    params           TEXT NOT NULL,            -- JSON SyncParams, as serde wrote it
    cursor           TEXT,                     -- JSON, owned by the engine
    chats_synced     BIGINT NOT NULL DEFAULT 0,
    messages_synced  BIGINT NOT NULL DEFAULT 0,
    chunk_chats      BIGINT NOT NULL DEFAULT 0,
    -- What the provider says the sync has in all, where it says so.
    chats_total      BIGINT,
    messages_total   BIGINT,
    attempts         BIGINT NOT NULL DEFAULT 0,
    error_kind       TEXT,
    error_detail     TEXT,
    run_after        BIGINT NOT NULL,
    lease_owner      TEXT,
    lease_expires_at BIGINT,
    -- The fencing token of the current run: every claim increments it, and every write of the
    -- run carries the value its claim returned.
    lease_token      BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    finished_at      BIGINT
);
-- Rule 5 of the state machine, enforced by the database: at most one sync per account whose
-- outcome has not been reported (queued, running, or finished and waiting to be reported).
-- Concurrent first requests on several nodes race on it; the loser retries and sees the winner.
CREATE UNIQUE INDEX sync_jobs_one_open ON sync_jobs (account_id) WHERE NOT reported;
CREATE INDEX sync_jobs_account ON sync_jobs (account_id, created_at DESC);
CREATE INDEX sync_jobs_queue ON sync_jobs (state, run_after) WHERE state IN ('queued', 'running');

-- Facts about the database itself: the check value of the master key its credentials are
-- encrypted with (`key_check`), so that a node started with another key refuses to start.
CREATE TABLE settings (
    name   TEXT PRIMARY KEY,
    value  BYTEA NOT NULL
);
