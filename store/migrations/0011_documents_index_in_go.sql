-- The full-text details and the facet terms of document pages are written
-- by the store's own code as each page is saved (store/index.go), from the
-- page it holds already parsed: the triggers of 0009 that did it, taking the
-- page's JSON apart again for every row, cost more than the rest of a
-- document crawl together. The terms' counts stay with their trigger.
DROP TRIGGER documents_fts_insert;
DROP TRIGGER documents_fts_update;
DROP TRIGGER documents_terms_insert;
DROP TRIGGER documents_terms_update;
