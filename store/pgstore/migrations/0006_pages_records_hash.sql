-- store/migrations/0006_pages_records_hash.sql.
ALTER TABLE pages ADD COLUMN records_hash TEXT NOT NULL DEFAULT '';
