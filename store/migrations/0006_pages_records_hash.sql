-- A digest of the records each listing page held when last stored: a page
-- re-parsed from its capture into the same records needs no writes.
ALTER TABLE pages ADD COLUMN records_hash TEXT NOT NULL DEFAULT '';
