-- Hints to the other nodes of a cluster, sent by the database itself in the transaction of the
-- change they report (delivered at its commit, never for a change rolled back). Nodes poll as
-- well: a notification lost (a listener reconnecting) only delays what it would have sped up.

-- A job became claimable at once: a new sync, or one given back to the queue (a node stopping,
-- a retry due now). Idle workers on every node wake instead of waiting for their next poll.
CREATE FUNCTION msgsync_notify_job_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('msgsync_jobs', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER sync_jobs_queued AFTER INSERT OR UPDATE OF state, run_after ON sync_jobs
    FOR EACH ROW WHEN (NEW.state = 'queued' AND NEW.run_after <= (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
    EXECUTE FUNCTION msgsync_notify_job_queued();

-- An account changed or went: every node re-reads it before answering from its memory.
CREATE FUNCTION msgsync_notify_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('msgsync_accounts', OLD.id);
    RETURN NULL;
END
$$;
CREATE TRIGGER accounts_changed AFTER UPDATE OR DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION msgsync_notify_account_changed();
