-- Frozen. Retention: the workers' maintenance deletes request records, idempotency keys and
-- ended holds older than RETENTION_SECONDS, a small batch per statement
-- (apps/worker/src/maintenance/delete-expired-records.ts). Records go oldest first by
-- requests_created_at (T00). A key goes with its record, found by the record's id: without an
-- index, the foreign key's cascade would read the whole table once per record deleted.
create index idempotency_keys_request_id on idempotency_keys (request_id);

-- A hold has ended by its expires_at at the latest, confirmed, released or not: the holds whose
-- expires_at is older than the retention are the ones to delete, whatever their status. This
-- index replaces the active holds' one on the same column, which no query read.
create index holds_expires_at on holds (expires_at);
drop index holds_active_expires_at;
