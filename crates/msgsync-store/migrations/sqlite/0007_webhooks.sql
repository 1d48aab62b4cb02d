-- Webhooks (issue 14): endpoints, the outbox of their deliveries, and the attempts made.

-- An endpoint, owned like accounts by an owner and a mode. Its signing secrets and the headers
-- sent with each delivery (which often carry a token of the receiver's) are sealed with the
-- master key like provider credentials. The lease fields let one worker at a time deliver the
-- endpoint's events, in order; every claim increments `lease_token` (fencing, as for jobs).
CREATE TABLE webhooks (
    id                    TEXT PRIMARY KEY,
    owner                 TEXT NOT NULL,
    mode                  TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    source                TEXT NOT NULL CHECK (source IN ('account_status', 'messaging')),
    name                  TEXT,
    request_url           TEXT NOT NULL,
    all_accounts          INTEGER NOT NULL,   -- else only those of webhook_accounts
    options               TEXT NOT NULL,      -- JSON: format, events, data
    sealed                BLOB NOT NULL,      -- AES-256-GCM of JSON: secrets and headers
    previous_secret_until INTEGER,            -- a rotated-out secret still signs until then
    enabled               INTEGER NOT NULL,
    disabled_reason       TEXT,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    lease_owner           TEXT,
    lease_expires_at      INTEGER,
    lease_token           INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhooks_owner ON webhooks (owner, mode, source);

-- No foreign key to accounts: an account's `DELETED` event still finds the webhooks that
-- named it.
CREATE TABLE webhook_accounts (
    webhook_id  TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    account_id  TEXT NOT NULL,
    PRIMARY KEY (webhook_id, account_id)
);

-- The outbox: one row per event and endpoint, written in the transaction of the change it
-- reports. `id` is the `webhook-id` header, the same on every attempt; `seq` orders an
-- endpoint's events.
CREATE TABLE webhook_deliveries (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    webhook_id       TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event            TEXT NOT NULL,
    account_id       TEXT,
    payload          TEXT NOT NULL,           -- JSON, before the endpoint's `data` renaming
    state            TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER,
    created_at       INTEGER NOT NULL,
    finished_at      INTEGER
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_id, seq) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at) WHERE state <> 'pending';

CREATE TABLE webhook_attempts (
    delivery_id      TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    number           INTEGER NOT NULL,
    webhook_id       TEXT NOT NULL,
    at               INTEGER NOT NULL,
    status_code      INTEGER,
    latency_ms       INTEGER NOT NULL,
    error            TEXT,
    next_attempt_at  INTEGER,
    PRIMARY KEY (delivery_id, number)
);
CREATE INDEX webhook_attempts_recent ON webhook_attempts (webhook_id, at DESC);
