-- offline-sync outbox table for PostgreSQL, version 0.2 of the schema: each operation's priority, expiry and the
-- trace context it was enqueued in. Applied after V0_1, the same ways.
ALTER TABLE offline_sync_outbox ADD COLUMN IF NOT EXISTS priority SMALLINT NOT NULL DEFAULT 5;
ALTER TABLE offline_sync_outbox ADD COLUMN IF NOT EXISTS expires_at TIMESTAMP(6) WITH TIME ZONE;
ALTER TABLE offline_sync_outbox ADD COLUMN IF NOT EXISTS trace_context TEXT;
-- Claiming walks this one: the highest priority first, oldest first within it, and stops at its limit.
CREATE INDEX IF NOT EXISTS offline_sync_outbox_claim_order_idx
    ON offline_sync_outbox (priority DESC, id) INCLUDE (status) WHERE status IN ('PENDING', 'FAILED');
-- The share of claims that take the oldest first, and the oldest undelivered operation, walk this one by creation
-- time. Not by id: the primary key gives that order too, and walking it passes over every delivered operation kept
-- for its retention, which sit at its head. V0_1's claimable index, in id order, is no longer used.
DROP INDEX IF EXISTS offline_sync_outbox_claimable_idx;
CREATE INDEX IF NOT EXISTS offline_sync_outbox_oldest_idx
    ON offline_sync_outbox (created_at, id) INCLUDE (status) WHERE status IN ('PENDING', 'FAILED');
-- Expiring finds the operations whose expiry has passed without reading any other.
CREATE INDEX IF NOT EXISTS offline_sync_outbox_expiry_idx
    ON offline_sync_outbox (expires_at) WHERE expires_at IS NOT NULL AND status IN ('PENDING', 'FAILED');
-- Expired operations are purged like delivered ones, and counted by status.
CREATE INDEX IF NOT EXISTS offline_sync_outbox_expired_idx
    ON offline_sync_outbox (updated_at) WHERE status = 'EXPIRED';
