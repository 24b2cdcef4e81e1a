-- Durable jobs, their webhook deliveries, and the usage ledger.
-- JSON documents are TEXT: kept byte for byte as written (JSONB would
-- reorder keys, and a webhook body must be identical on every attempt).

CREATE TABLE jobs (
    id               UUID PRIMARY KEY,          -- UUIDv7: sorts by creation
    org_id           UUID NOT NULL REFERENCES organisations (id),
    key_id           UUID NOT NULL REFERENCES api_keys (id),
    request_id       UUID NOT NULL,             -- X-Request-Id of the submitting call
    product          TEXT NOT NULL,             -- captureiq | snapreport
    mode             TEXT NOT NULL,             -- sync | async
    state            TEXT NOT NULL,             -- queued | running | completed | failed | cancelled
    input            TEXT,                      -- the validated request; cleared when the job ends
    result           TEXT,                      -- the response's data document
    error_code       TEXT,
    error_message    TEXT,
    attempts         BIGINT NOT NULL DEFAULT 0,
    available_at     TIMESTAMPTZ NOT NULL,      -- not claimed before (retry backoff)
    lease_owner      TEXT,
    lease_expires_at TIMESTAMPTZ,
    callback_url     TEXT,
    callback_secret  TEXT,
    idempotency_key  TEXT,                      -- cleared after 24 h
    request_hash     TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    started_at       TIMESTAMPTZ,
    completed_at     TIMESTAMPTZ,
    purge_after      TIMESTAMPTZ                -- set when the job ends
);
CREATE INDEX jobs_ready ON jobs (state, available_at);
CREATE INDEX jobs_leases ON jobs (state, lease_expires_at);
CREATE INDEX jobs_purge ON jobs (purge_after);
CREATE UNIQUE INDEX jobs_idempotency ON jobs (org_id, product, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

CREATE TABLE webhook_deliveries (
    id                   TEXT PRIMARY KEY,      -- the webhook-id header, same on every attempt
    job_id               UUID NOT NULL UNIQUE REFERENCES jobs (id) ON DELETE CASCADE,
    url                  TEXT NOT NULL,
    secret               TEXT,
    payload              TEXT NOT NULL,         -- the exact body, same on every attempt
    state                TEXT NOT NULL,         -- pending | delivered | failed
    attempts             BIGINT NOT NULL DEFAULT 0,
    next_attempt_at      TIMESTAMPTZ,
    lease_owner          TEXT,
    lease_expires_at     TIMESTAMPTZ,
    last_attempt_at      TIMESTAMPTZ,
    last_response_status BIGINT,
    last_error           TEXT,
    created_at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);

-- Append-only: one row per charged job, never deleted with the job.
CREATE TABLE usage_records (
    id            UUID PRIMARY KEY,
    org_id        UUID NOT NULL REFERENCES organisations (id),
    key_id        UUID NOT NULL REFERENCES api_keys (id),
    request_id    UUID NOT NULL,
    job_id        UUID NOT NULL UNIQUE,         -- a job is charged at most once
    endpoint      TEXT NOT NULL,
    input_tokens  BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    audio_ms      BIGINT NOT NULL,
    coins         BIGINT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX usage_records_by_org ON usage_records (org_id, created_at);
