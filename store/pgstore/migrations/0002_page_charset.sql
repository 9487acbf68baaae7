-- store/migrations/0002_page_charset.sql.
ALTER TABLE frontier ADD COLUMN charset TEXT;
ALTER TABLE frontier ADD COLUMN invalid_bytes BIGINT NOT NULL DEFAULT 0;
