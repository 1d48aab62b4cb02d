-- Webhooks (issue 14): the tables of SQLite migration 0007, in PostgreSQL's types.

CREATE TABLE webhooks (
    id                    TEXT COLLATE "C" PRIMARY KEY,
    owner                 TEXT NOT NULL,
    mode                  TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    source                TEXT NOT NULL CHECK (source IN ('account_status', 'messaging')),
    name                  TEXT,
    request_url           TEXT NOT NULL,
    all_accounts          BOOLEAN NOT NULL,
    options               TEXT NOT NULL,      -- JSON: format, events, data
    sealed                BYTEA NOT NULL,     -- AES-256-GCM of JSON: secrets and headers
    previous_secret_until BIGINT,
    enabled               BOOLEAN NOT NULL,
    disabled_reason       TEXT,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL,
    lease_owner           TEXT,
    lease_expires_at      BIGINT,
    lease_token           BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX webhooks_owner ON webhooks (owner, mode, source);

CREATE TABLE webhook_accounts (
    webhook_id  TEXT COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    account_id  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (webhook_id, account_id)
);

CREATE TABLE webhook_deliveries (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               TEXT COLLATE "C" NOT NULL UNIQUE,
    webhook_id       TEXT COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event            TEXT NOT NULL,
    account_id       TEXT COLLATE "C",
    payload          TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT,
    created_at       BIGINT NOT NULL,
    finished_at      BIGINT
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_id, seq) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at) WHERE state <> 'pending';

CREATE TABLE webhook_attempts (
    delivery_id      TEXT COLLATE "C" NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    number           BIGINT NOT NULL,
    webhook_id       TEXT COLLATE "C" NOT NULL,
    at               BIGINT NOT NULL,
    status_code      BIGINT,
    latency_ms       BIGINT NOT NULL,
    error            TEXT,
    next_attempt_at  BIGINT,
    PRIMARY KEY (delivery_id, number)
);
CREATE INDEX webhook_attempts_recent ON webhook_attempts (webhook_id, at DESC);

-- A delivery was queued: idle delivery workers on every node wake (polling stays the fallback).
CREATE FUNCTION msgsync_notify_webhook_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('msgsync_webhooks', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER webhook_deliveries_queued AFTER INSERT ON webhook_deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION msgsync_notify_webhook_queued();
