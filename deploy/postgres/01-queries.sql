-- The Orleans ADO.NET providers read the SQL they run from this table at start-up: one row per query key.
-- Every script here is idempotent, so applying them again (at every silo start, or by hand) is harmless.
CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) NOT NULL PRIMARY KEY,
    QueryText text        NOT NULL
);
