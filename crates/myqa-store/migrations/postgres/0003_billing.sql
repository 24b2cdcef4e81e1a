-- Coins granted to organisations by the operator: the other half of the
-- ledger (usage_records holds what was charged). Append-only.

CREATE TABLE coin_grants (
    id         UUID PRIMARY KEY,
    org_id     UUID NOT NULL REFERENCES organisations (id),
    amount     BIGINT NOT NULL,
    note       TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX coin_grants_by_org ON coin_grants (org_id, created_at);
