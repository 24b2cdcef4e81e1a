-- Organisations, API keys, the standards catalogue and change revisions.
-- Ids are 16-byte UUID blobs; times are RFC 3339 text with six fractional
-- digits and a Z, so that text order is time order.

CREATE TABLE organisations (
    id            BLOB PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    coins_balance INTEGER NOT NULL DEFAULT 0,
    unlimited     INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);

CREATE TABLE api_keys (
    id           BLOB PRIMARY KEY,
    org_id       BLOB NOT NULL REFERENCES organisations (id),
    name         TEXT NOT NULL,
    digest       BLOB NOT NULL UNIQUE,   -- SHA-256 of the whole key
    prefix       TEXT NOT NULL,          -- myqa_ + 6 characters, for listings
    permissions  TEXT NOT NULL,          -- JSON array of permission names
    allowed_ips  TEXT NOT NULL,          -- JSON array of addresses / CIDRs
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT,                   -- may lie ahead: end of a rotation grace
    expires_at   TEXT
);
CREATE INDEX api_keys_by_org ON api_keys (org_id, created_at);

-- Counters bumped by every change that caches elsewhere must notice
-- (a revoked key, an imported standard). Servers poll them.
CREATE TABLE revisions (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO revisions (name, value) VALUES ('keys', 0), ('standards', 0);

CREATE TABLE standards (
    id               BLOB PRIMARY KEY,
    code             TEXT NOT NULL,
    code_key         TEXT NOT NULL UNIQUE,   -- normalised code
    name             TEXT NOT NULL,
    version          TEXT NOT NULL,
    description      TEXT NOT NULL,
    default_language TEXT NOT NULL,
    grading_scheme   TEXT NOT NULL,
    source           TEXT NOT NULL CHECK (source IN ('shipped', 'imported')),
    content_hash     TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);

CREATE TABLE standard_chapters (
    id          BLOB PRIMARY KEY,
    standard_id BLOB NOT NULL REFERENCES standards (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    number      TEXT NOT NULL,
    title       TEXT NOT NULL
);
CREATE INDEX standard_chapters_by_standard ON standard_chapters (standard_id, position);

CREATE TABLE standard_sections (
    id          BLOB PRIMARY KEY,
    standard_id BLOB NOT NULL REFERENCES standards (id) ON DELETE CASCADE,
    chapter_id  BLOB NOT NULL REFERENCES standard_chapters (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    number      TEXT NOT NULL,
    title       TEXT NOT NULL
);
CREATE INDEX standard_sections_by_standard ON standard_sections (standard_id, position);

CREATE TABLE standard_clauses (
    id          BLOB PRIMARY KEY,
    standard_id BLOB NOT NULL REFERENCES standards (id) ON DELETE CASCADE,
    section_id  BLOB NOT NULL REFERENCES standard_sections (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    number      TEXT NOT NULL,
    title       TEXT NOT NULL,
    requirement TEXT NOT NULL,
    ko          INTEGER NOT NULL DEFAULT 0,
    fundamental INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX standard_clauses_by_standard ON standard_clauses (standard_id, position);
