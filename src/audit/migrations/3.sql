-- Version 3: the checks of incidents' secrets with their issuers (`audit --validate`).
CREATE TABLE validations (
    incident TEXT NOT NULL REFERENCES incidents (id) DEFERRABLE INITIALLY DEFERRED,
    checked_ms INTEGER NOT NULL CHECK (checked_ms >= 0),
    status TEXT NOT NULL CHECK (status IN ('live', 'inactive', 'unknown')),
    reason TEXT NOT NULL,
    details TEXT NOT NULL CHECK (json_valid(details) AND json_type(details) = 'object'),
    PRIMARY KEY (incident, checked_ms)
) WITHOUT ROWID, STRICT;
