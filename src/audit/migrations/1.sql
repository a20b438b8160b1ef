-- Version 1: the first schema, without constraints beyond keys. A datastore is never
-- made at this version any more (a new one gets schema.sql); tests make one from it, to
-- test the upgrades.
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE repositories (
    name TEXT PRIMARY KEY,
    location TEXT NOT NULL,
    scanned_ms INTEGER,
    error TEXT
);
CREATE TABLE refs (
    repository TEXT NOT NULL,
    name TEXT NOT NULL,
    tip TEXT NOT NULL,
    PRIMARY KEY (repository, name)
) WITHOUT ROWID;
CREATE TABLE clean (key BLOB PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE rules (id TEXT PRIMARY KEY, description TEXT NOT NULL, remediation TEXT NOT NULL);
CREATE TABLE incidents (id TEXT PRIMARY KEY, kind TEXT NOT NULL, secret TEXT);
CREATE TABLE locations (
    incident TEXT NOT NULL,
    repository TEXT NOT NULL,
    commit_id TEXT NOT NULL,
    path TEXT NOT NULL,
    line INTEGER NOT NULL,
    col INTEGER NOT NULL,
    rule_id TEXT NOT NULL,
    severity INTEGER NOT NULL,
    redacted TEXT NOT NULL,
    author TEXT NOT NULL,
    email TEXT NOT NULL,
    date TEXT NOT NULL,
    seconds INTEGER NOT NULL,
    found_ms INTEGER NOT NULL,
    PRIMARY KEY (incident, repository, commit_id, path)
) WITHOUT ROWID;
CREATE INDEX locations_repository ON locations (repository);
CREATE TABLE triage (
    incident TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    by TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (incident, at_ms, by, status, note)
) WITHOUT ROWID;
