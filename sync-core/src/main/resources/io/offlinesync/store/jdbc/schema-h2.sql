-- offline-sync outbox table for H2. Times are kept to the microsecond; payloads are UTF-8 bytes.
-- To use another table name, replace every "offline_sync_outbox" below (JdbcOutboxStore does so when it creates
-- the schema itself).
CREATE TABLE IF NOT EXISTS offline_sync_outbox (
    id              VARCHAR(64)                 NOT NULL PRIMARY KEY,
    kind            CHARACTER VARYING           NOT NULL,
    target          CHARACTER VARYING           NOT NULL,
    payload         BINARY VARYING              NOT NULL,
    headers         CHARACTER VARYING,
    idempotency_key CHARACTER VARYING           NOT NULL,
    ordering_key    CHARACTER VARYING,
    status          VARCHAR(20)                 NOT NULL,
    attempt         INTEGER                     NOT NULL,
    last_error      CHARACTER VARYING,
    claim_token     VARCHAR(64),
    claimed_by      CHARACTER VARYING,
    next_attempt_at TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    created_at      TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    updated_at      TIMESTAMP(6) WITH TIME ZONE NOT NULL
);
-- H2 has no partial indexes: these cover the same queries as the PostgreSQL ones.
CREATE INDEX IF NOT EXISTS offline_sync_outbox_status_id_idx ON offline_sync_outbox (status, id);
CREATE INDEX IF NOT EXISTS offline_sync_outbox_ordering_idx ON offline_sync_outbox (ordering_key, id);
CREATE INDEX IF NOT EXISTS offline_sync_outbox_status_updated_idx ON offline_sync_outbox (status, updated_at);
