-- Organisations, API keys, the standards catalogue and change revisions.

CREATE TABLE organisations (
    id            UUID PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    coins_balance BIGINT NOT NULL DEFAULT 0,
    unlimited     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_keys (
    id           UUID PRIMARY KEY,
    org_id       UUID NOT NULL REFERENCES organisations (id),
    name         TEXT NOT NULL,
    digest       BYTEA NOT NULL UNIQUE,   -- SHA-256 of the whole key
    prefix       TEXT NOT NULL,           -- myqa_ + 6 characters, for listings
    permissions  JSONB NOT NULL,          -- array of permission names
    allowed_ips  JSONB NOT NULL,          -- array of addresses / CIDRs
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,             -- may lie ahead: end of a rotation grace
    expires_at   TIMESTAMPTZ
);
CREATE INDEX api_keys_by_org ON api_keys (org_id, created_at);

-- Counters bumped by every change that caches elsewhere must notice
-- (a revoked key, an imported standard). Servers poll them and LISTEN on
-- the channel myqa_revisions.
CREATE TABLE revisions (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO revisions (name, value) VALUES ('keys', 0), ('standards', 0);

CREATE TABLE standards (
    id               UUID PRIMARY KEY,
    code             TEXT NOT NULL,
    code_key         TEXT NOT NULL UNIQUE,   -- normalised code
    name             TEXT NOT NULL,
    version          TEXT NOT NULL,
    description      TEXT NOT NULL,
    default_language TEXT NOT NULL,
    grading_scheme   TEXT NOT NULL,
    source           TEXT NOT NULL CHECK (source IN ('shipped', 'imported')),
    content_hash     TEXT NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE standard_chapters (
    id          UUID PRIMARY KEY,
    standard_id UUID NOT NULL REFERENCES standards (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    number      TEXT NOT NULL,
    title       TEXT NOT NULL
);
CREATE INDEX standard_chapters_by_standard ON standard_chapters (standard_id, position);

CREATE TABLE standard_sections (
    id          UUID PRIMARY KEY,
    standard_id UUID NOT NULL REFERENCES standards (id) ON DELETE CASCADE,
    chapter_id  UUID NOT NULL REFERENCES standard_chapters (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    number      TEXT NOT NULL,
    title       TEXT NOT NULL
);
CREATE INDEX standard_sections_by_standard ON standard_sections (standard_id, position);

CREATE TABLE standard_clauses (
    id          UUID PRIMARY KEY,
    standard_id UUID NOT NULL REFERENCES standards (id) ON DELETE CASCADE,
    section_id  UUID NOT NULL REFERENCES standard_sections (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    number      TEXT NOT NULL,
    title       TEXT NOT NULL,
    requirement TEXT NOT NULL,
    ko          BOOLEAN NOT NULL DEFAULT FALSE,
    fundamental BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX standard_clauses_by_standard ON standard_clauses (standard_id, position);
