-- Per-key quotas (SPEC §10). NULL limits are unlimited, the default.

ALTER TABLE api_keys ADD COLUMN rate_limit_rpm BIGINT CHECK (rate_limit_rpm > 0);
ALTER TABLE api_keys ADD COLUMN max_concurrent_jobs BIGINT CHECK (max_concurrent_jobs > 0);

-- Requests per minute, counted in the database so that every process
-- sharing it counts into the same row: one upsert per request of a limited
-- key. Windows are fixed UTC minutes; a key's older windows are deleted when
-- its next window opens, so a key holds one or two rows.
CREATE TABLE rate_windows (
    key_id       UUID NOT NULL REFERENCES api_keys (id),
    window_start BIGINT NOT NULL,   -- Unix seconds of the window's first second
    requests     BIGINT NOT NULL,
    PRIMARY KEY (key_id, window_start)
);

-- Concurrent jobs are the key's jobs that are queued or running.
CREATE INDEX jobs_active_by_key ON jobs (key_id) WHERE state IN ('queued', 'running');
