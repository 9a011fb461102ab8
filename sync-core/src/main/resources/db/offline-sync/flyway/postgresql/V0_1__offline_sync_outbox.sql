-- offline-sync outbox table for PostgreSQL, version 0.1 of the schema. Applied by Flyway from
-- classpath:db/offline-sync/flyway/{vendor}, by Liquibase from db/offline-sync/liquibase/changelog.xml, or by the
-- store itself (initialize-schema). To use another table name, replace every "offline_sync_outbox" below (the store
-- does so when it creates the schema itself).
-- Times are kept to the microsecond; payloads are UTF-8 bytes, since
-- PostgreSQL text cannot hold the character U+0000.
CREATE TABLE IF NOT EXISTS offline_sync_outbox (
    id              VARCHAR(64)                 NOT NULL PRIMARY KEY,
    kind            TEXT                        NOT NULL,
    target          TEXT                        NOT NULL,
    payload         BYTEA                       NOT NULL,
    headers         TEXT,
    idempotency_key TEXT                        NOT NULL,
    ordering_key    TEXT,
    status          VARCHAR(20)                 NOT NULL,
    attempt         INTEGER                     NOT NULL,
    last_error      TEXT,
    claim_token     VARCHAR(64),
    claimed_by      TEXT,
    next_attempt_at TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    created_at      TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    updated_at      TIMESTAMP(6) WITH TIME ZONE NOT NULL
);
-- Every index is partial, so that no index built for one query can lure the planner away from another's (a queue
-- table's statistics are often stale): claiming walks this one in id (enqueue) order and stops at its limit.
CREATE INDEX IF NOT EXISTS offline_sync_outbox_claimable_idx
    ON offline_sync_outbox (id) INCLUDE (status) WHERE status IN ('PENDING', 'FAILED');
-- An operation with an ordering key waits while an earlier one of its key is active.
CREATE INDEX IF NOT EXISTS offline_sync_outbox_ordering_idx
    ON offline_sync_outbox (ordering_key, id) WHERE ordering_key IS NOT NULL AND status IN ('PENDING', 'IN_FLIGHT', 'FAILED');
-- The stale in-flight sweep.
CREATE INDEX IF NOT EXISTS offline_sync_outbox_in_flight_idx
    ON offline_sync_outbox (updated_at) WHERE status = 'IN_FLIGHT';
-- The purge of delivered operations.
CREATE INDEX IF NOT EXISTS offline_sync_outbox_done_idx
    ON offline_sync_outbox (updated_at) WHERE status = 'DONE';
-- Parked operations, for operators. With the ones above, every status has an index to count it by.
CREATE INDEX IF NOT EXISTS offline_sync_outbox_parked_idx
    ON offline_sync_outbox (id) WHERE status = 'PERMANENTLY_FAILED';
