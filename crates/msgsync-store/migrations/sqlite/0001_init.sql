-- msgsync schema, SQLite flavour. Instants are epoch milliseconds (INTEGER).

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,          -- the lookup part of the key, not secret on its own
    owner       TEXT NOT NULL,
    name        TEXT NOT NULL,
    mode        TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    scopes      TEXT NOT NULL,             -- comma-separated
    key_hash    BLOB NOT NULL,             -- SHA-256 of the whole key
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE TABLE accounts (
    id                TEXT PRIMARY KEY,
    owner             TEXT NOT NULL,
    mode              TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    provider          TEXT NOT NULL,
    name              TEXT NOT NULL,
    state             TEXT NOT NULL DEFAULT 'ok',
    provider_user_id  TEXT,
    linkedin_products TEXT,                -- '+'-joined, NULL when unknown
    credentials       BLOB NOT NULL,       -- AES-256-GCM: nonce || ciphertext
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX accounts_owner ON accounts (owner, mode, created_at DESC, id DESC);

CREATE TABLE chats (
    id                    TEXT PRIMARY KEY,
    account_id            TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    provider_id           TEXT NOT NULL,
    inbox                 TEXT,
    name                  TEXT,
    kind                  INTEGER NOT NULL,
    timestamp             INTEGER NOT NULL,
    unread_count          INTEGER NOT NULL DEFAULT 0,
    archived              INTEGER NOT NULL DEFAULT 0,
    muted_until           INTEGER,
    read_only             INTEGER NOT NULL DEFAULT 0,
    folder                TEXT,
    attendee_provider_id  TEXT,
    content_type          TEXT,
    deleted               INTEGER NOT NULL DEFAULT 0,
    seen_series           TEXT,            -- the sync series that last saw it at the provider
    UNIQUE (account_id, provider_id)
);
CREATE INDEX chats_account_time ON chats (account_id, timestamp DESC, id DESC);

CREATE TABLE messages (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL,
    chat_id       TEXT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    provider_id   TEXT NOT NULL,
    sender_id     TEXT NOT NULL,
    text          TEXT,
    subject       TEXT,
    timestamp     INTEGER NOT NULL,
    is_sender     INTEGER NOT NULL,
    attachments   TEXT NOT NULL,           -- JSON array
    reactions     TEXT NOT NULL,           -- JSON array
    seen          INTEGER NOT NULL,
    hidden        INTEGER NOT NULL,
    deleted       INTEGER NOT NULL,
    edited        INTEGER NOT NULL,
    is_event      INTEGER NOT NULL,
    delivered     INTEGER NOT NULL,
    original      TEXT NOT NULL,
    seen_series   TEXT,
    UNIQUE (chat_id, provider_id)
);
CREATE INDEX messages_chat_time ON messages (chat_id, timestamp DESC, id DESC);
CREATE INDEX messages_account_time ON messages (account_id, timestamp);

-- One row per sync run: both the status the resync route reports and the work queue.
CREATE TABLE sync_jobs (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    series_id        TEXT NOT NULL,        -- chunks of one resync share it
    chunk_number     INTEGER NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'chunk_done', 'error')),
    reported         INTEGER NOT NULL DEFAULT 0,
    params           TEXT NOT NULL,        -- JSON SyncParams
    cursor           TEXT,                 -- JSON, owned by the engine
    chats_synced     INTEGER NOT NULL DEFAULT 0,
    messages_synced  INTEGER NOT NULL DEFAULT 0,
    chunk_chats      INTEGER NOT NULL DEFAULT 0,
    attempts         INTEGER NOT NULL DEFAULT 0,
    error_kind       TEXT,
    error_detail     TEXT,
    run_after        INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    finished_at      INTEGER
);
-- Rule 5 of the state machine, enforced by the database: at most one sync per account whose
-- outcome has not been reported (queued, running, or finished and waiting to be reported).
CREATE UNIQUE INDEX sync_jobs_one_open ON sync_jobs (account_id) WHERE reported = 0;
CREATE INDEX sync_jobs_account ON sync_jobs (account_id, created_at DESC);
CREATE INDEX sync_jobs_queue ON sync_jobs (state, run_after) WHERE state IN ('queued', 'running');
