-- The audit datastore's schema, as a new datastore gets it whole. `PRAGMA user_version`
-- says which version a datastore has; `migrations/N.sql` takes one of version N-1 to N,
-- and a test checks that the migrations end in exactly this schema.
--
-- The constraints state what the code writes, so that a datastore edited by hand, or
-- damaged, is refused when written rather than misread in a report:
-- * STRICT tables: a value of the wrong type is an error, not stored as it came;
-- * NOT NULL on every key (SQLite allows NULL in a rowid table's TEXT PRIMARY KEY);
-- * CHECK on every closed set (kinds, statuses, severities) and on the shape of ids;
-- * foreign keys from every place, ref and triage decision to what it names. They are
--   checked at COMMIT (DEFERRABLE INITIALLY DEFERRED): a merge adds places before the
--   repositories they name, in one transaction.

-- Named values: `key` (the datastore's own fingerprint key, when no key was given),
-- `key_check` (what tells two keys apart), `rules_digest` (the rules `clean` was judged by).
CREATE TABLE meta (
    name TEXT NOT NULL PRIMARY KEY CHECK (name <> ''),
    value TEXT NOT NULL
) STRICT;

-- Every repository audited, or that failed to be (`error`, with `scanned_ms` unset when it
-- never was). `origin`: the organisation, user or group it was listed from (`github-org:ORG`,
-- `github-user:USER`, `gitlab-group:GROUP`), NULL when named directly; `activity`: the
-- forge's `pushed_at` or `last_activity_at` at its last complete audit. (Those two are
-- written as SQLite writes the columns migration 5 adds, so that both schemas read alike.)
CREATE TABLE repositories (
    name TEXT NOT NULL PRIMARY KEY CHECK (name <> ''),
    location TEXT NOT NULL,
    scanned_ms INTEGER CHECK (scanned_ms >= 0),
    error TEXT
    , origin TEXT CHECK (origin <> ''), activity TEXT) STRICT;

-- Each ref's tip at the last complete audit: the next one scans only what is new.
CREATE TABLE refs (
    repository TEXT NOT NULL REFERENCES repositories (name) DEFERRABLE INITIALLY DEFERRED,
    name TEXT NOT NULL,
    tip TEXT NOT NULL CHECK (length(tip) IN (40, 64) AND tip NOT GLOB '*[^0-9a-f]*'),
    PRIMARY KEY (repository, name)
) WITHOUT ROWID, STRICT;

-- (blob, path) pairs scanned without a finding: 16 bytes of a hash of both.
CREATE TABLE clean (
    key BLOB NOT NULL PRIMARY KEY CHECK (length(key) = 16)
) WITHOUT ROWID, STRICT;

CREATE TABLE rules (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    description TEXT NOT NULL,
    remediation TEXT NOT NULL
) STRICT;

-- One secret (or one path rule's file), wherever it was found. The id is the first 16 hex
-- digits of a keyed hash; the secret is kept only with `--show-secrets`.
CREATE TABLE incidents (
    id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 16 AND id NOT GLOB '*[^0-9a-f]*'),
    kind TEXT NOT NULL CHECK (kind IN ('content', 'path')),
    secret TEXT
) STRICT;

-- Every place an incident was found: the first commit of each (repository, path).
-- `severity` is 0 low, 1 medium, 2 high, 3 critical. `exposure`: who can read it beyond
-- the repository (`client`: the file ships to browsers or devices), NULL for none.
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
    exposure TEXT CHECK (exposure IN ('browser-name', 'client', 'log', 'browser-storage')),
    PRIMARY KEY (incident, repository, commit_id, path)
) WITHOUT ROWID, STRICT;
CREATE INDEX locations_repository ON locations (repository);
CREATE INDEX locations_rule ON locations (rule_id);

-- Every triage decision, never overwritten: the last one (by `at_ms`) is an incident's
-- status.
CREATE TABLE triage (
    incident TEXT NOT NULL REFERENCES incidents (id) DEFERRABLE INITIALLY DEFERRED,
    at_ms INTEGER NOT NULL CHECK (at_ms >= 0),
    by TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'revoked', 'false-positive', 'accepted')),
    note TEXT NOT NULL,
    PRIMARY KEY (incident, at_ms, by, status, note)
) WITHOUT ROWID, STRICT;

-- Every check of an incident's secret with its issuer (`audit --validate`), never
-- overwritten: the last one (by `checked_ms`) is the incident's validation. `details` is a
-- JSON object of the few non-secret facts a live answer gave (an account, scopes).
CREATE TABLE validations (
    incident TEXT NOT NULL REFERENCES incidents (id) DEFERRABLE INITIALLY DEFERRED,
    checked_ms INTEGER NOT NULL CHECK (checked_ms >= 0),
    status TEXT NOT NULL CHECK (status IN ('live', 'inactive', 'unknown')),
    reason TEXT NOT NULL,
    details TEXT NOT NULL CHECK (json_valid(details) AND json_type(details) = 'object'),
    PRIMARY KEY (incident, checked_ms)
) WITHOUT ROWID, STRICT;
