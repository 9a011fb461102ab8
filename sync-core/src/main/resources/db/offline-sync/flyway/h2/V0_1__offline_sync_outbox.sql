-- offline-sync outbox table for H2, version 0.1 of the schema. Applied by Flyway from
-- classpath:db/offline-sync/flyway/{vendor}, by Liquibase from db/offline-sync/liquibase/changelog.xml, or by the
-- store itself (initialize-schema). To use another table name, replace every "offline_sync_outbox" below (the store
-- does so when it creates the schema itself).
-- Times are kept to the microsecond; payloads are UTF-8 bytes.
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
