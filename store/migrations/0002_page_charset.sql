-- How each fetched page was decoded, and how many of its bytes were not valid
-- in that charset (replaced by U+FFFD; such a page is flagged, not dropped).
ALTER TABLE frontier ADD COLUMN charset TEXT;
ALTER TABLE frontier ADD COLUMN invalid_bytes INTEGER NOT NULL DEFAULT 0;
