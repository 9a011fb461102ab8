-- offline-sync outbox table for H2, version 0.2 of the schema: each operation's priority, expiry and the trace
-- context it was enqueued in. Applied after V0_1, the same ways.
ALTER TABLE offline_sync_outbox ADD COLUMN IF NOT EXISTS priority SMALLINT DEFAULT 5 NOT NULL;
ALTER TABLE offline_sync_outbox ADD COLUMN IF NOT EXISTS expires_at TIMESTAMP(6) WITH TIME ZONE;
ALTER TABLE offline_sync_outbox ADD COLUMN IF NOT EXISTS trace_context CHARACTER VARYING;
CREATE INDEX IF NOT EXISTS offline_sync_outbox_status_priority_idx ON offline_sync_outbox (status, priority DESC, id);
CREATE INDEX IF NOT EXISTS offline_sync_outbox_status_expiry_idx ON offline_sync_outbox (status, expires_at);
CREATE INDEX IF NOT EXISTS offline_sync_outbox_status_created_idx ON offline_sync_outbox (status, created_at, id);
