-- Version 2: the same tables and columns, with the constraints of schema.sql (STRICT
-- tables, NOT NULL keys, CHECKs, foreign keys) and an index on locations.rule_id.
-- SQLite cannot add a constraint to a table: each table is renamed away, made anew and
-- its rows copied. A row that breaks a constraint fails the upgrade, and the datastore
-- stays at version 1, as it was. The code runs this with foreign keys off and checks
-- them (PRAGMA foreign_key_check) before it commits.
DROP INDEX locations_repository;
ALTER TABLE meta RENAME TO v1_meta;
ALTER TABLE repositories RENAME TO v1_repositories;
ALTER TABLE refs RENAME TO v1_refs;
ALTER TABLE clean RENAME TO v1_clean;
ALTER TABLE rules RENAME TO v1_rules;
ALTER TABLE incidents RENAME TO v1_incidents;
ALTER TABLE locations RENAME TO v1_locations;
ALTER TABLE triage RENAME TO v1_triage;
CREATE TABLE meta (
    name TEXT NOT NULL PRIMARY KEY CHECK (name <> ''),
    value TEXT NOT NULL
) STRICT;
CREATE TABLE repositories (
    name TEXT NOT NULL PRIMARY KEY CHECK (name <> ''),
    location TEXT NOT NULL,
    scanned_ms INTEGER CHECK (scanned_ms >= 0),
    error TEXT
) STRICT;
CREATE TABLE refs (
    repository TEXT NOT NULL REFERENCES repositories (name) DEFERRABLE INITIALLY DEFERRED,
    name TEXT NOT NULL,
    tip TEXT NOT NULL CHECK (length(tip) IN (40, 64) AND tip NOT GLOB '*[^0-9a-f]*'),
    PRIMARY KEY (repository, name)
) WITHOUT ROWID, STRICT;
CREATE TABLE clean (
    key BLOB NOT NULL PRIMARY KEY CHECK (length(key) = 16)
) WITHOUT ROWID, STRICT;
CREATE TABLE rules (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    description TEXT NOT NULL,
    remediation TEXT NOT NULL
) STRICT;
CREATE TABLE incidents (
    id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 16 AND id NOT GLOB '*[^0-9a-f]*'),
    kind TEXT NOT NULL CHECK (kind IN ('content', 'path')),
    secret TEXT
) STRICT;
CREATE TABLE locations (
    incident TEXT NOT NULL REFERENCES incidents (id) DEFERRABLE INITIALLY DEFERRED,
    repository TEXT NOT NULL REFERENCES repositories (name) DEFERRABLE INITIALLY DEFERRED,
    commit_id TEXT NOT NULL,
    path TEXT NOT NULL,
    line INTEGER NOT NULL CHECK (line >= 0),
    col INTEGER NOT NULL CHECK (col >= 0),
    rule_id TEXT NOT NULL REFERENCES rules (id) DEFERRABLE INITIALLY DEFERRED,
    severity INTEGER NOT NULL CHECK (severity BETWEEN 0 AND 3),
    redacted TEXT NOT NULL,
    author TEXT NOT NULL,
    email TEXT NOT NULL,
    date TEXT NOT NULL,
    seconds INTEGER NOT NULL,
    found_ms INTEGER NOT NULL CHECK (found_ms >= 0),
    PRIMARY KEY (incident, repository, commit_id, path)
) WITHOUT ROWID, STRICT;
CREATE INDEX locations_repository ON locations (repository);
CREATE INDEX locations_rule ON locations (rule_id);
CREATE TABLE triage (
    incident TEXT NOT NULL REFERENCES incidents (id) DEFERRABLE INITIALLY DEFERRED,
    at_ms INTEGER NOT NULL CHECK (at_ms >= 0),
    by TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'revoked', 'false-positive', 'accepted')),
    note TEXT NOT NULL,
    PRIMARY KEY (incident, at_ms, by, status, note)
) WITHOUT ROWID, STRICT;
INSERT INTO meta SELECT * FROM v1_meta;
INSERT INTO repositories SELECT * FROM v1_repositories;
INSERT INTO refs SELECT * FROM v1_refs;
INSERT INTO clean SELECT * FROM v1_clean;
INSERT INTO rules SELECT * FROM v1_rules;
INSERT INTO incidents SELECT * FROM v1_incidents;
INSERT INTO locations SELECT * FROM v1_locations;
INSERT INTO triage SELECT * FROM v1_triage;
DROP TABLE v1_meta;
DROP TABLE v1_repositories;
DROP TABLE v1_refs;
DROP TABLE v1_clean;
DROP TABLE v1_rules;
DROP TABLE v1_incidents;
DROP TABLE v1_locations;
DROP TABLE v1_triage;
