-- The fencing token of a job's current run: every claim increments it, and every write of the
-- run carries the value its claim returned, so that a stale run of the same worker (a node that
-- re-claimed the job after its lease ran out) is refused like another worker's.
ALTER TABLE sync_jobs ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0;
