-- The kind of page each frontier entry is (harvest.KindListing, KindDocument,
-- KindAttachment): the crawl schedules tasks by kind, and a re-parse of
-- captured pages finds the listing pages here. Every page before was a
-- listing page.
ALTER TABLE frontier ADD COLUMN kind TEXT NOT NULL DEFAULT 'listing';
