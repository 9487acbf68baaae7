-- store/migrations/0011_documents_index_in_go.sql changes the SQLite search
-- index of 0009 (FTS5), which the PostgreSQL store does not have (harvest
-- serve reads SQLite only). This step keeps the two stores' schema versions
-- in step, so that harvest migrate copies between them; it changes nothing.
SELECT 1;
