//! The audit datastore: one SQLite file holding the repositories audited (with the tips
//! scanned, so a re-run walks only what is new), the (blob, path) pairs known clean (so a
//! fork or a copied file is not scanned twice), the incidents and every place they were
//! found, and the triage decisions.
//!
//! Never the clear secret (unless the audit ran with `--show-secrets`): an incident's id is
//! a keyed hash of it. The key is `LEAKGUARD_FINGERPRINT_KEY`, or one made at random when the
//! datastore is created and kept in it; only a hash of the key (`key_check`) tells whether
//! two datastores can be merged.
//!
//! Each repository's results are written in one transaction, in WAL mode: a run killed at
//! any point loses at most the repository in progress.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use rusqlite::{params, Connection, OptionalExtension};

use super::aggregate;
use super::model::{AuditReport, Status};
use crate::finding::{CommitInfo, Exposure, FindingKind};
use crate::fingerprint::{FingerprintKey, KEY_ENV};
use crate::rules::Severity;

/// The current schema, which a new datastore gets whole.
const SCHEMA: &str = include_str!("schema.sql");

/// What takes a datastore from one version to the next: `UPGRADES[i]` from version `i + 1`
/// to `i + 2`. Each is frozen once released; a test checks that they end in [`SCHEMA`].
const UPGRADES: &[&str] = &[
    include_str!("migrations/2.sql"),
    include_str!("migrations/3.sql"),
    include_str!("migrations/4.sql"),
    include_str!("migrations/5.sql"),
];

/// The schema version this leakguard writes (`PRAGMA user_version`).
const VERSION: usize = UPGRADES.len() + 1;

/// A place an incident's secret was found, where it can be read again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub rule_id: String,
    pub repository: String,
    pub commit: String,
    pub path: String,
}

/// An open datastore.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Opened in WAL mode, to be switched back when closed.
    wal: bool,
}

impl Drop for Store {
    /// A writer leaves the datastore in rollback-journal mode when no one else has it open:
    /// then a reader (`report`) needs no `-wal` and `-shm` files beside it, and can read it
    /// on read-only media. Not possible while others use it: it stays in WAL mode, as valid.
    fn drop(&mut self) {
        if self.wal {
            let _ = self.conn.busy_timeout(std::time::Duration::ZERO);
            let _ = self.conn.pragma_update(None, "journal_mode", "DELETE");
        }
    }
}

/// What one repository's audit found, written in one transaction.
#[derive(Debug, Default)]
pub struct Scanned {
    /// Every ref and its tip: the next run hides these. Empty when the audit of this
    /// repository was incomplete, so that the next run scans it all again.
    pub refs: Vec<(String, String)>,
    pub locations: Vec<NewLocation>,
    /// (blob, path) pairs scanned without a finding.
    pub clean: Vec<[u8; 16]>,
    /// Set when something could not be read: the results are kept, and the repository is
    /// audited again next time.
    pub error: Option<String>,
}

/// A place a secret was found, as the audit hands it over.
#[derive(Debug, Clone)]
pub struct NewLocation {
    pub incident: String,
    pub kind: FindingKind,
    /// Only with `--show-secrets`.
    pub secret: Option<String>,
    pub rule_id: String,
    pub description: String,
    pub remediation: String,
    pub severity: Severity,
    pub redacted: String,
    pub commit: CommitInfo,
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub exposure: Option<Exposure>,
}

/// Where a repository was read from, stored with each audit of it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Provenance<'a> {
    /// A path, or the URL without its credentials.
    pub location: &'a str,
    /// The organisation, user or group it was listed from (`github-org:ORG`), if any.
    pub origin: Option<&'a str>,
    /// The forge's last activity time for it (`pushed_at`), kept only with a complete audit.
    pub activity: Option<&'a str>,
}

/// A repository's state from its last audit.
#[derive(Debug, Default)]
pub struct Known {
    pub refs: Vec<(String, String)>,
    pub error: Option<String>,
    /// The forge's activity time at the last complete audit.
    pub activity: Option<String>,
}

impl Known {
    /// Was this audit complete, with exactly these refs? Then there is nothing to scan.
    pub fn unchanged(&self, refs: &[(String, String)]) -> bool {
        self.error.is_none() && self.refs == refs
    }

    /// Was this audit complete, when the forge said the same last activity time? Then the
    /// repository is not even fetched: nothing has been pushed to it since.
    pub fn idle_since(&self, activity: &str) -> bool {
        self.error.is_none() && self.activity.as_deref() == Some(activity)
    }
}

/// How long a write waits for another process's transaction on the same datastore.
const BUSY: std::time::Duration = std::time::Duration::from_secs(30);

/// The first 16 bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// How a command uses the datastore.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Access {
    /// `report` and `merge`'s inputs: opened read-only; nothing is created, migrated or
    /// switched to WAL, so a read-only file or a newer leakguard's datastore stays as it was.
    Read,
    /// `triage`: an existing datastore, migrated if it is older.
    Write,
    /// `audit` and `merge`'s output: created if absent or empty.
    Create,
    /// `merge`'s scratch file: created, with its rollback journal in memory (no WAL or
    /// journal files beside it; it is thrown away on any error).
    Scratch,
}

impl Store {
    /// Opens (creating it if needed) the datastore at `path`, migrated to the current
    /// schema, with its key: from `env_key` (LEAKGUARD_FINGERPRINT_KEY) or its own.
    /// `need_shared_key` (sharded audits) refuses a datastore-made key.
    pub fn open(
        path: &Path,
        env_key: Option<&str>,
        need_shared_key: bool,
    ) -> Result<(Store, FingerprintKey)> {
        if need_shared_key && env_key.is_none() {
            bail!(
                "a sharded audit needs one key shared by every shard and the merge: set {KEY_ENV} (any secret string, the same everywhere)"
            );
        }
        let mut store = Store::connect(path, Access::Create)?;
        let key = retry_busy(|| store.key(env_key))?;
        Ok((store, key))
    }

    /// Opens an existing datastore to write to it (`triage`), migrating it if older.
    pub fn open_existing(path: &Path) -> Result<Store> {
        Store::connect(path, Access::Write)
    }

    /// Opens an existing datastore read-only (`report`, and `merge`'s inputs): it must
    /// have this leakguard's schema, and nothing in or beside it is created or changed.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        Store::connect(path, Access::Read)
    }

    fn connect(path: &Path, access: Access) -> Result<Store> {
        use rusqlite::OpenFlags;
        let shown = path.display();
        check_file(path, access)?;
        // The bundled SQLite reads a name starting with `file:` as a URI (it is built with
        // SQLITE_USE_URI=1, whatever the open flags say), and `:memory:` or an empty name
        // as no file at all. An absolute path is always a file name.
        let file = std::path::absolute(path)
            .with_context(|| format!("cannot open the audit datastore {shown}"))?;
        let flags = OpenFlags::SQLITE_OPEN_NO_MUTEX
            | match access {
                Access::Read => OpenFlags::SQLITE_OPEN_READ_ONLY,
                Access::Write => OpenFlags::SQLITE_OPEN_READ_WRITE,
                // URIs on only for ATTACH (merge's read-only inputs): this path is absolute.
                Access::Create | Access::Scratch => {
                    OpenFlags::SQLITE_OPEN_READ_WRITE
                        | OpenFlags::SQLITE_OPEN_CREATE
                        | OpenFlags::SQLITE_OPEN_URI
                }
            };
        let conn = Connection::open_with_flags(&file, flags)
            .with_context(|| format!("cannot open the audit datastore {shown}"))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            wal: false,
        };
        retry_busy(|| store.prepare(access))
            .with_context(|| format!("cannot use the audit datastore {shown}"))?;
        Ok(store)
    }

    /// Checks the schema version before anything is written; for a writer, then creates or
    /// upgrades the schema in one write transaction, and only then switches to WAL (a
    /// commit needs no fsync of the whole file, and a killed run leaves a journal SQLite
    /// replays): an upgrade that fails leaves the file byte for byte as it was.
    fn prepare(&mut self, access: Access) -> Result<()> {
        self.conn.busy_timeout(BUSY)?;
        let version = schema(&self.conn)?;
        if access == Access::Read {
            match version {
                0 => bail!("it is an SQLite database without leakguard's schema"),
                v if v < VERSION => bail!(
                    "it has schema version {v}, older than this leakguard's ({VERSION}): run `leakguard audit` or `triage` on it once to upgrade it"
                ),
                _ => {}
            }
            self.conn.pragma_update(None, "query_only", true)?;
            return Ok(());
        }
        if self.conn.is_readonly(rusqlite::MAIN_DB)? {
            bail!("it is read-only, and audit, triage and merge write to it");
        }
        if access == Access::Scratch {
            self.conn.pragma_update(None, "journal_mode", "MEMORY")?;
        }
        // Off while the schema is made or upgraded (an upgrade renames tables away and
        // makes them anew); checked before the upgrade commits, and on from then on.
        self.conn.pragma_update(None, "foreign_keys", "OFF")?;
        // Every write transaction takes the write lock when it begins: a transaction that
        // read first could not wait for another writer (SQLite answers SQLITE_BUSY at once).
        self.conn
            .set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        // The version is read again under the write lock: two audits started at once on a
        // new or empty file cannot both create the schema.
        let tx = self.conn.transaction()?;
        let version = schema(&tx)?;
        let upgrade = |step: usize| {
            move || format!("cannot upgrade it to schema version {step} (it stays as it was)")
        };
        if version == 0 {
            tx.execute_batch(SCHEMA)
                .context("cannot create the schema")?;
        } else {
            for (i, sql) in UPGRADES.iter().enumerate().skip(version - 1) {
                tx.execute_batch(sql).with_context(upgrade(i + 2))?;
            }
        }
        if version < VERSION {
            check_foreign_keys(&tx).with_context(upgrade(VERSION))?;
            tx.pragma_update(None, "user_version", VERSION as i64)?;
        }
        tx.commit()?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        if access != Access::Scratch {
            self.conn.pragma_update(None, "journal_mode", "WAL")?;
            self.wal = true;
            self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        }
        Ok(())
    }

    fn meta(&self, name: &str) -> rusqlite::Result<Option<String>> {
        meta(&self.conn, name)
    }

    /// The datastore's key: the environment's, or the one it keeps. The first run decides
    /// which; later runs must agree, or incident ids would change under the triage. Read
    /// and set in one write transaction, so that two audits started at once on a new
    /// datastore agree on one key.
    fn key(&mut self, env_key: Option<&str>) -> Result<FingerprintKey> {
        let path = self.path.clone();
        let shown = path.display();
        let tx = self.conn.transaction().with_context(writing(&path))?;
        let meta = |name| meta(&tx, name).with_context(reading(&path));
        let key = match (env_key, meta("key")?) {
            (Some(_), Some(_)) => bail!(
                "{shown} keeps its own key (it was created without {KEY_ENV}); unset {KEY_ENV} to use it"
            ),
            (Some(v), None) => FingerprintKey::from_env(v),
            (None, Some(material)) => FingerprintKey::datastore(material.as_bytes()),
            (None, None) if meta("key_check")?.is_some() => bail!(
                "{shown} was created with {KEY_ENV} set: set it to the same value"
            ),
            (None, None) => {
                let material = hex(&crate::fingerprint::random_bytes());
                set_meta_if_absent(&tx, "key", &material).with_context(writing(&path))?;
                let kept = meta("key")?.unwrap_or(material);
                FingerprintKey::datastore(kept.as_bytes())
            }
        };
        let check = key_check(&key);
        set_meta_if_absent(&tx, "key_check", &check).with_context(writing(&path))?;
        if meta("key_check")?.as_deref() != Some(check.as_str()) {
            bail!("{KEY_ENV} is not the key {shown} was created with: set it to the same value");
        }
        tx.commit().with_context(writing(&path))?;
        Ok(key)
    }

    /// Forgets the clean (blob, path) pairs when the rules or limits they were judged by
    /// changed (`digest` names them): they would have to be scanned again.
    pub fn use_rules(&mut self, digest: &str) -> Result<bool> {
        let tx = self.conn.transaction().with_context(writing(&self.path))?;
        let changed = (|| -> Result<bool> {
            let old = meta(&tx, "rules_digest")?;
            if old.as_deref() == Some(digest) {
                return Ok(false);
            }
            tx.execute("DELETE FROM clean", [])?;
            set_meta(&tx, "rules_digest", digest)?;
            Ok(old.is_some())
        })()
        .and_then(|changed| Ok(tx.commit().map(|()| changed)?))
        .with_context(writing(&self.path))?;
        Ok(changed)
    }

    /// The refs and error of `repository`'s last audit (`None` if never audited).
    pub fn known(&self, repository: &str) -> Result<Option<Known>> {
        self.known_in(repository).with_context(reading(&self.path))
    }

    fn known_in(&self, repository: &str) -> Result<Option<Known>> {
        let row = self
            .conn
            .query_row(
                "SELECT error, activity FROM repositories WHERE name = ?1",
                [repository],
                |r| Ok((r.get::<_, Option<String>>(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((error, activity)) = row else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name, tip FROM refs WHERE repository = ?1 ORDER BY name")?;
        let refs = stmt
            .query_map([repository], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<(String, String)>>>()?;
        Ok(Some(Known {
            refs,
            error,
            activity,
        }))
    }

    /// Was `repository` audited completely with exactly these refs?
    pub fn unchanged(&self, repository: &str, refs: &[(String, String)]) -> Result<bool> {
        Ok(self.known(repository)?.is_some_and(|k| k.unchanged(refs)))
    }

    /// Which of `keys` are known clean (blob, path) pairs.
    pub fn clean_among(&self, keys: &[[u8; 16]]) -> Result<HashSet<[u8; 16]>> {
        self.clean_among_in(keys).with_context(reading(&self.path))
    }

    fn clean_among_in(&self, keys: &[[u8; 16]]) -> Result<HashSet<[u8; 16]>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM clean WHERE key = ?1")?;
        let mut known = HashSet::new();
        for k in keys {
            if stmt.exists([&k[..]])? {
                known.insert(*k);
            }
        }
        Ok(known)
    }

    /// Records a repository's audit, all of it or nothing.
    pub fn record(&mut self, repository: &str, from: Provenance, scanned: &Scanned) -> Result<()> {
        self.record_in(repository, from, scanned)
            .with_context(writing(&self.path))
    }

    fn record_in(&mut self, repository: &str, from: Provenance, scanned: &Scanned) -> Result<()> {
        let now = now_ms();
        let tx = self.conn.transaction()?;
        // The activity time only with a complete audit: an incomplete one is redone.
        let activity = from.activity.filter(|_| scanned.error.is_none());
        tx.execute(
            "INSERT INTO repositories (name, location, scanned_ms, error, origin, activity)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (name) DO UPDATE SET location = excluded.location,
                 scanned_ms = excluded.scanned_ms, error = excluded.error,
                 origin = excluded.origin, activity = excluded.activity",
            params![
                repository,
                from.location,
                now,
                scanned.error,
                from.origin,
                activity
            ],
        )?;
        if scanned.error.is_none() {
            tx.execute("DELETE FROM refs WHERE repository = ?1", [repository])?;
            let mut stmt =
                tx.prepare_cached("INSERT INTO refs (repository, name, tip) VALUES (?1, ?2, ?3)")?;
            for (name, tip) in &scanned.refs {
                stmt.execute(params![repository, name, tip])?;
            }
        }
        {
            let mut clean = tx.prepare_cached("INSERT OR IGNORE INTO clean (key) VALUES (?1)")?;
            for k in &scanned.clean {
                clean.execute([&k[..]])?;
            }
            let mut rule = tx.prepare_cached(
                "INSERT INTO rules (id, description, remediation) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET description = excluded.description,
                     remediation = excluded.remediation",
            )?;
            let mut incident = tx.prepare_cached(
                "INSERT INTO incidents (id, kind, secret) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET secret = coalesce(secret, excluded.secret)",
            )?;
            let mut place = tx.prepare_cached(
                "INSERT INTO locations (incident, repository, commit_id, path, line, col, rule_id,
                     severity, redacted, author, email, date, seconds, found_ms, exposure)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                 ON CONFLICT DO NOTHING",
            )?;
            for l in &scanned.locations {
                rule.execute(params![l.rule_id, l.description, l.remediation])?;
                incident.execute(params![l.incident, kind_name(l.kind), l.secret])?;
                let c = &l.commit;
                place.execute(params![
                    l.incident,
                    repository,
                    c.id,
                    l.path,
                    l.line as i64,
                    l.column as i64,
                    l.rule_id,
                    severity_rank(l.severity),
                    l.redacted,
                    c.author,
                    c.email,
                    c.date,
                    c.seconds,
                    now,
                    l.exposure.map(Exposure::as_str)
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The content incidents to check with their issuers: never checked, or last found
    /// live or unknown before `before_ms`. Each with its places `(rule, repository, commit,
    /// path)`, earliest found first: where its secret can be read again.
    pub fn due_for_validation(&self, before_ms: i64) -> Result<Vec<(String, Vec<Place>)>> {
        (|| -> rusqlite::Result<Vec<(String, Vec<Place>)>> {
            let mut stmt = self.conn.prepare(
                "WITH last AS (
                     SELECT incident, status, max(checked_ms) AS at FROM validations GROUP BY incident
                 )
                 SELECT i.id, l.rule_id, l.repository, l.commit_id, l.path
                 FROM incidents i
                 JOIN locations l ON l.incident = i.id
                 LEFT JOIN last ON last.incident = i.id
                 WHERE i.kind = 'content'
                   AND (last.incident IS NULL
                        OR (last.status IN ('live', 'unknown') AND last.at < ?1))
                 ORDER BY i.id, l.found_ms, l.repository, l.path",
            )?;
            let rows = stmt.query_map([before_ms], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Place {
                        rule_id: r.get(1)?,
                        repository: r.get(2)?,
                        commit: r.get(3)?,
                        path: r.get(4)?,
                    },
                ))
            })?;
            let mut due: Vec<(String, Vec<Place>)> = Vec::new();
            for row in rows {
                let (id, place) = row?;
                match due.last_mut() {
                    Some((last, places)) if *last == id => places.push(place),
                    _ => due.push((id, vec![place])),
                }
            }
            Ok(due)
        })()
        .with_context(reading(&self.path))
    }

    /// Records checks of incidents' secrets, all of them or none.
    pub fn record_validations(
        &mut self,
        checks: &[(String, i64, crate::validate::Verdict)],
    ) -> Result<()> {
        let tx = self.conn.transaction().with_context(writing(&self.path))?;
        (|| -> rusqlite::Result<()> {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO validations (incident, checked_ms, status, reason, details)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            )?;
            for (incident, at, v) in checks {
                let details = serde_json::to_string(&v.details).unwrap_or_else(|_| "{}".into());
                stmt.execute(params![incident, at, v.status.as_str(), v.reason, details])?;
            }
            Ok(())
        })()
        .and_then(|()| tx.commit())
        .with_context(writing(&self.path))?;
        Ok(())
    }

    /// Records that a repository could not be audited (its earlier results stay).
    pub fn record_failure(
        &mut self,
        repository: &str,
        from: Provenance,
        error: &str,
    ) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO repositories (name, location, scanned_ms, error, origin)
                 VALUES (?1, ?2, NULL, ?3, ?4)
             ON CONFLICT (name) DO UPDATE SET location = excluded.location, error = excluded.error,
                 origin = excluded.origin",
                params![repository, from.location, error, from.origin],
            )
            .with_context(writing(&self.path))?;
        Ok(())
    }

    /// Records that a repository listed by a forge was found unchanged by a fetch: its
    /// activity time is kept, so that the next run does not fetch it while it stays idle.
    pub fn record_idle(&mut self, repository: &str, from: Provenance) -> Result<()> {
        self.conn
            .execute(
                "UPDATE repositories SET origin = ?2, activity = ?3 WHERE name = ?1 AND error IS NULL",
                params![repository, from.origin, from.activity],
            )
            .with_context(writing(&self.path))?;
        Ok(())
    }

    /// Records a triage decision about the incident whose id starts with `id` (at least 6
    /// hex digits, and unambiguous); returns the full id.
    pub fn triage(&mut self, id: &str, status: Status, note: &str, by: &str) -> Result<String> {
        let id = id.trim().to_ascii_lowercase();
        if id.len() < 6 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!("`{id}` is not an incident id (at least 6 hex digits, as reports show them)");
        }
        let found: Vec<String> = self
            .conn
            .prepare(
                "SELECT id FROM incidents WHERE id >= ?1 AND id < ?1 || 'g' ORDER BY id LIMIT 2",
            )
            .and_then(|mut stmt| {
                stmt.query_map([&id], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()
            })
            .with_context(reading(&self.path))?;
        let full = match found.as_slice() {
            [one] => one.clone(),
            [] => bail!("no incident {id} in {}", self.path.display()),
            _ => bail!("{id} names more than one incident: give more digits"),
        };
        // Two decisions in the same millisecond stay in the order they were made (the
        // write lock is taken before the last one is read).
        let tx = self.conn.transaction().with_context(writing(&self.path))?;
        (|| -> rusqlite::Result<()> {
            let last: Option<i64> = tx.query_row(
                "SELECT max(at_ms) FROM triage WHERE incident = ?1",
                [&full],
                |r| r.get(0),
            )?;
            let at = now_ms().max(last.map_or(0, |l| l + 1));
            tx.execute(
                "INSERT INTO triage (incident, at_ms, by, status, note) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![full, at, by, status.as_str(), note],
            )?;
            Ok(())
        })()
        .and_then(|()| tx.commit())
        .with_context(writing(&self.path))?;
        Ok(full)
    }

    /// Adds everything in the datastore at `other` (idempotent, in any order): incidents
    /// and their places, triage, repositories (the most recently audited state of each).
    /// `other` is only read; the whole of it is added in one transaction, or nothing.
    pub fn merge_from(&mut self, other: &Path) -> Result<()> {
        let shown = other.display();
        let theirs = Store::open_read_only(other)?;
        let (their_check, their_key, their_digest) = (|| -> rusqlite::Result<_> {
            Ok((
                theirs.meta("key_check")?,
                theirs.meta("key")?,
                theirs.meta("rules_digest")?,
            ))
        })()
        .with_context(reading(other))?;
        drop(theirs);
        // ATTACH takes no open flags: a URI with mode=ro opens the input read-only.
        self.conn
            .execute("ATTACH DATABASE ?1 AS theirs", [read_only_uri(other)?])
            .with_context(|| format!("cannot read the audit datastore {shown}"))?;
        let merged = self.merge_attached(
            &shown.to_string(),
            their_check.as_deref(),
            their_key.as_deref(),
            their_digest.as_deref(),
        );
        let detached = self.conn.execute("DETACH DATABASE theirs", []);
        merged?;
        detached.with_context(writing(&self.path))?;
        Ok(())
    }

    /// [`Store::merge_from`] once the input is attached as `theirs`.
    fn merge_attached(
        &mut self,
        shown: &str,
        their_check: Option<&str>,
        their_key: Option<&str>,
        their_digest: Option<&str>,
    ) -> Result<()> {
        let ours = self.path.clone();
        let tx = self.conn.transaction().with_context(writing(&ours))?;
        let our_check = meta(&tx, "key_check").with_context(reading(&ours))?;
        match (their_check, our_check.as_deref()) {
            (Some(t), Some(o)) if t != o => bail!(
                "{shown} was audited with another key: its incident ids cannot be matched; audit every shard with the same {KEY_ENV}"
            ),
            (Some(t), None) => {
                set_meta(&tx, "key_check", t).with_context(writing(&ours))?;
                if let Some(k) = their_key {
                    set_meta(&tx, "key", k).with_context(writing(&ours))?;
                }
            }
            _ => {}
        }
        (|| -> Result<()> {
            let same_rules = match (meta(&tx, "rules_digest")?, their_digest) {
                (None, Some(d)) => {
                    set_meta(&tx, "rules_digest", d)?;
                    true
                }
                (Some(ours), Some(d)) => ours == d,
                (_, None) => true,
            };
            tx.execute_batch(
                "INSERT INTO rules SELECT * FROM theirs.rules WHERE true
                     ON CONFLICT (id) DO UPDATE SET
                         description = max(description, excluded.description),
                         remediation = max(remediation, excluded.remediation);
                 INSERT INTO incidents SELECT * FROM theirs.incidents WHERE true
                     ON CONFLICT (id) DO UPDATE SET secret = coalesce(secret, excluded.secret);
                 INSERT INTO locations SELECT * FROM theirs.locations WHERE true
                     ON CONFLICT DO UPDATE SET found_ms = min(found_ms, excluded.found_ms);
                 INSERT OR IGNORE INTO triage SELECT * FROM theirs.triage;
                 INSERT OR IGNORE INTO validations SELECT * FROM theirs.validations;
                 -- Repositories: the later audit of each wins (ties: the one without an error).
                 CREATE TEMP TABLE newer AS
                     SELECT t.name FROM theirs.repositories t
                     LEFT JOIN main.repositories m ON m.name = t.name
                     WHERE m.name IS NULL
                        OR coalesce(t.scanned_ms, -1) > coalesce(m.scanned_ms, -1)
                        OR (coalesce(t.scanned_ms, -1) = coalesce(m.scanned_ms, -1)
                            AND coalesce(t.error, '') < coalesce(m.error, ''));
                 DELETE FROM main.refs WHERE repository IN (SELECT name FROM newer);
                 INSERT INTO main.refs SELECT * FROM theirs.refs
                     WHERE repository IN (SELECT name FROM newer);
                 INSERT INTO main.repositories SELECT * FROM theirs.repositories
                     WHERE name IN (SELECT name FROM newer)
                     ON CONFLICT (name) DO UPDATE SET location = excluded.location,
                         scanned_ms = excluded.scanned_ms, error = excluded.error,
                         origin = excluded.origin, activity = excluded.activity;
                 DROP TABLE newer;",
            )?;
            if same_rules {
                tx.execute_batch("INSERT OR IGNORE INTO clean SELECT * FROM theirs.clean;")?;
            } else {
                // Judged by other rules: nothing is known clean for both.
                tx.execute_batch("DELETE FROM clean;")?;
                tx.execute(
                    "UPDATE meta SET value = 'mixed' WHERE name = 'rules_digest'",
                    [],
                )?;
            }
            Ok(())
        })()
        .and_then(|()| Ok(tx.commit()?))
        .with_context(|| format!("cannot merge {shown} into {}", ours.display()))
    }

    /// Everything a report shows: incidents that need attention (open, or revoked and found
    /// again), or all of them with `all_statuses`.
    pub fn report(&self, all_statuses: bool) -> Result<AuditReport> {
        self.report_in(all_statuses)
            .with_context(reading(&self.path))
    }

    fn report_in(&self, all_statuses: bool) -> Result<AuditReport> {
        Ok(aggregate::report(self.rows()?, all_statuses, now_ms()))
    }

    /// What a report is made of, as stored ([`aggregate`] decides the rest).
    fn rows(&self) -> rusqlite::Result<aggregate::Rows> {
        let rules = self
            .conn
            .prepare("SELECT id, description, remediation FROM rules")?
            .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
            .collect::<rusqlite::Result<_>>()?;
        let triage = self
            .conn
            .prepare("SELECT incident, at_ms, by, status, note FROM triage")?
            .query_map([], |r| {
                Ok(aggregate::TriageRow {
                    incident: r.get(0)?,
                    at_ms: r.get(1)?,
                    by: r.get(2)?,
                    status: r.get(3)?,
                    note: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let locations = self
            .conn
            .prepare(
                "SELECT l.incident, i.kind, i.secret, l.repository, l.commit_id, l.path, l.line,
                     l.col, l.rule_id, l.severity, l.redacted, l.author, l.email, l.date,
                     l.seconds, l.found_ms, l.exposure
                 FROM locations l JOIN incidents i ON i.id = l.incident",
            )?
            .query_map([], |r| {
                Ok(aggregate::LocationRow {
                    incident: r.get(0)?,
                    kind: if r.get::<_, String>(1)? == "path" {
                        FindingKind::Path
                    } else {
                        FindingKind::Content
                    },
                    secret: r.get(2)?,
                    repository: r.get(3)?,
                    commit: r.get(4)?,
                    path: r.get(5)?,
                    line: r.get::<_, i64>(6)? as usize,
                    column: r.get::<_, i64>(7)? as usize,
                    rule_id: r.get(8)?,
                    severity: severity_of(r.get(9)?),
                    redacted: r.get(10)?,
                    author: r.get(11)?,
                    email: r.get(12)?,
                    date: r.get(13)?,
                    seconds: r.get(14)?,
                    found_ms: r.get(15)?,
                    exposure: r
                        .get::<_, Option<String>>(16)?
                        .and_then(|e| Exposure::parse(&e)),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let repositories = self
            .conn
            .prepare("SELECT name, scanned_ms, error, origin FROM repositories")?
            .query_map([], |r| {
                Ok(aggregate::RepositoryRow {
                    name: r.get(0)?,
                    scanned_ms: r.get(1)?,
                    error: r.get(2)?,
                    origin: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let validations = self
            .conn
            .prepare("SELECT incident, checked_ms, status, reason, details FROM validations")?
            .query_map([], |r| {
                Ok(aggregate::ValidationRow {
                    incident: r.get(0)?,
                    checked_ms: r.get(1)?,
                    status: r.get(2)?,
                    reason: r.get(3)?,
                    details: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(aggregate::Rows {
            rules,
            triage,
            locations,
            repositories,
            validations,
        })
    }
}

/// Merges the datastores `inputs` into `output` (an input that is `output` itself is
/// skipped); returns how many were merged. The inputs are only read, and are merged first
/// into a scratch file beside `output`: a refused input leaves `output` as it was. A new
/// `output` is that file renamed into place; an existing one takes it in one transaction.
/// The caller holds `output`'s [`Lock`].
pub fn merge_into(output: &Path, inputs: &[PathBuf]) -> Result<usize> {
    let shown = output.display();
    let exists = match std::fs::symlink_metadata(output) {
        Ok(_) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(e).with_context(|| format!("cannot read {shown}")),
    };
    if exists {
        check_file(output, Access::Create)?;
    } else if sidecar(output, "-wal").exists() {
        // SQLite would replay it into the new file.
        bail!(
            "{} is left from a deleted datastore at {shown}: remove it first",
            sidecar(output, "-wal").display()
        );
    }
    let dir = match output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let scratch = tempfile::Builder::new()
        .prefix(".leakguard-merge-")
        .suffix(".db")
        .tempfile_in(dir)
        .with_context(|| format!("cannot write a temporary file beside {shown}"))?
        .into_temp_path();
    let target = std::fs::canonicalize(output).ok();
    let mut merged = 0;
    {
        let mut acc = Store::connect(&scratch, Access::Scratch)?;
        if exists && std::fs::metadata(output).is_ok_and(|m| m.len() > 0) {
            // The output's key and rules first: an input that does not match them is
            // refused by name, before anything is written to the output.
            let out = Store::open_read_only(output)?;
            for name in ["key_check", "key", "rules_digest"] {
                if let Some(value) = out.meta(name).with_context(reading(output))? {
                    set_meta(&acc.conn, name, &value).with_context(writing(&scratch))?;
                }
            }
        }
        for input in inputs {
            if target.is_some() && std::fs::canonicalize(input).ok() == target {
                continue;
            }
            acc.merge_from(input)?;
            merged += 1;
        }
    }
    if exists {
        let mut out = Store::connect(output, Access::Create)?;
        out.merge_from(&scratch)?;
    } else {
        scratch
            .persist_noclobber(output)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot write {shown}"))?;
    }
    Ok(merged)
}

/// Held while `audit` or `merge` writes a datastore: an exclusive lock on `DB.lock` beside
/// it, released when the process ends however it ends. A second audit of the same
/// datastore refuses at once: two would interleave their repositories, and one could
/// record blobs as clean under the other's rules.
#[derive(Debug)]
pub struct Lock {
    _file: Option<std::fs::File>,
}

impl Lock {
    pub fn acquire(db: &Path) -> Result<Lock> {
        let path = sidecar(db, ".lock");
        let shown = path.display();
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            // A FIFO planted there must not block the open.
            use std::os::unix::fs::OpenOptionsExt;
            options.custom_flags(libc::O_NONBLOCK);
        }
        let file = options
            .open(&path)
            .with_context(|| format!("cannot open the lock file {shown}"))?;
        if !file.metadata().is_ok_and(|m| m.is_file()) {
            bail!("the lock file {shown} is not a regular file: remove it");
        }
        match file.try_lock() {
            Ok(()) => Ok(Lock { _file: Some(file) }),
            Err(std::fs::TryLockError::WouldBlock) => bail!(
                "{} is in use by another leakguard audit or merge (it holds {shown}): wait for it to finish, or use another --db",
                db.display()
            ),
            // A file system without locks: SQLite's transactions still keep the datastore
            // whole, only two audits at once are not refused.
            Err(std::fs::TryLockError::Error(_)) => Ok(Lock { _file: None }),
        }
    }
}

/// `path` with `suffix` added to its name (`DB-wal`, `DB.lock`).
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Is `path` something to open as a datastore? One clear line when it is not: missing (when
/// it must exist), not a regular file (a FIFO would block SQLite's open), empty or not an
/// SQLite database (where SQLite would read an empty file as an empty database, or say
/// only "file is not a database"). A new or empty file is fine to create into.
fn check_file(path: &Path, access: Access) -> Result<()> {
    use std::io::Read;
    let shown = path.display();
    let creates = matches!(access, Access::Create | Access::Scratch);
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && creates => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("no audit datastore at {shown}")
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {shown}")),
    };
    if !meta.is_file() {
        bail!("{shown} is {}, not an audit datastore", file_kind(&meta));
    }
    if meta.len() == 0 {
        if creates {
            return Ok(());
        }
        bail!("{shown} is an empty file (0 bytes), not an audit datastore");
    }
    let mut head = Vec::with_capacity(SQLITE_HEADER.len());
    std::fs::File::open(path)
        .and_then(|f| f.take(SQLITE_HEADER.len() as u64).read_to_end(&mut head))
        .with_context(|| format!("cannot read {shown}"))?;
    if head != SQLITE_HEADER {
        bail!("{shown} is not an SQLite database, so not an audit datastore");
    }
    Ok(())
}

/// What a non-regular file is, for an error message.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    "not a regular file"
}

/// `path` as an SQLite URI that opens it read-only (ATTACH takes no open flags): every
/// byte but unreserved ones percent-encoded, so that `?`, `#` or `%` in a name stay in it.
fn read_only_uri(path: &Path) -> Result<String> {
    use std::fmt::Write;
    let file = std::path::absolute(path)
        .with_context(|| format!("cannot read the audit datastore {}", path.display()))?;
    let mut uri = String::from("file:");
    let bytes = file.as_os_str().as_encoded_bytes();
    if bytes.first() != Some(&b'/') {
        uri.push('/');
    }
    for &b in bytes {
        match b {
            b'\\' if cfg!(windows) => uri.push('/'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'.' | b'_' | b'~' => {
                uri.push(b as char)
            }
            _ => {
                let _ = write!(uri, "%{b:02X}");
            }
        }
    }
    uri.push_str("?mode=ro");
    Ok(uri)
}

fn meta(conn: &Connection, name: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
        r.get(0)
    })
    .optional()
}

fn set_meta(conn: &Connection, name: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        params![name, value],
    )?;
    Ok(())
}

/// Runs `f` again while SQLite answers "database is locked" without waiting (some steps of
/// opening a datastore that another process is creating or switching to WAL do not call
/// the busy handler), for as long as a transaction would wait.
fn retry_busy<T>(mut f: impl FnMut() -> Result<T>) -> Result<T> {
    let start = std::time::Instant::now();
    loop {
        match f() {
            Err(e) if is_busy(&e) && start.elapsed() < BUSY => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            r => return r,
        }
    }
}

fn is_busy(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<rusqlite::Error>()
            .and_then(rusqlite::Error::sqlite_error_code)
            .is_some_and(|code| code == rusqlite::ErrorCode::DatabaseBusy)
    })
}

/// The datastore's schema version, refusing a newer leakguard's and another program's
/// database. Version and tables are read in one statement (one snapshot): another process
/// creating the schema in between cannot make a new datastore look like something else.
fn schema(conn: &Connection) -> Result<usize> {
    let (version, tables): (i64, bool) = conn.query_row(
        "SELECT (SELECT user_version FROM pragma_user_version), EXISTS (SELECT 1 FROM sqlite_schema)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let version = version.max(0) as usize;
    if version > VERSION {
        bail!(
            "it has schema version {version}, newer than this leakguard knows ({}): upgrade leakguard",
            VERSION
        );
    }
    if version == 0 && tables {
        bail!("it is an SQLite database of something else (without leakguard's schema)");
    }
    Ok(version)
}

/// Refuses rows that name a row of another table that is not there (an upgraded datastore
/// edited by hand, or damaged), naming the first such table.
fn check_foreign_keys(conn: &Connection) -> Result<()> {
    let broken = conn
        .query_row(
            "SELECT \"table\", parent, count(*) FROM pragma_foreign_key_check
             GROUP BY 1, 2 ORDER BY 1, 2 LIMIT 1",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            },
        )
        .optional()?;
    if let Some((table, parent, n)) = broken {
        bail!("{n} row(s) of its table {table} name a row of {parent} that is not there");
    }
    Ok(())
}

fn set_meta_if_absent(conn: &Connection, name: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO meta (name, value) VALUES (?1, ?2)",
        params![name, value],
    )?;
    Ok(())
}

/// The context of an SQLite error while reading the datastore at `path`: its name, never
/// what was being read (SQLite's own messages name tables and columns, not values).
fn reading(path: &Path) -> impl Fn() -> String + '_ {
    move || format!("cannot read the audit datastore {}", path.display())
}

/// [`reading`], for a write.
fn writing(path: &Path) -> impl Fn() -> String + '_ {
    move || format!("cannot write the audit datastore {}", path.display())
}

/// What tells two datastores' keys apart, without revealing the key.
fn key_check(key: &FingerprintKey) -> String {
    key.hash("leakguard-audit-key-check", "", b"")
}

fn kind_name(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::Content => "content",
        FindingKind::Path => "path",
    }
}

fn severity_rank(s: Severity) -> i64 {
    s as i64
}

fn severity_of(rank: i64) -> Severity {
    match rank {
        i64::MIN..=0 => Severity::Low,
        1 => Severity::Medium,
        2 => Severity::High,
        _ => Severity::Critical,
    }
}

pub use crate::clock::now_ms;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_datastore_from_a_newer_leakguard_is_refused_not_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let (store, _) = Store::open(&path, Some("k"), false).unwrap();
        store
            .conn
            .pragma_update(None, "user_version", VERSION as i64 + 1)
            .unwrap();
        drop(store);
        let err = format!("{:#}", Store::open_existing(&path).err().unwrap());
        assert!(err.contains("newer than this leakguard knows"), "{err}");
        assert!(err.contains("a.db"), "{err}");
    }

    #[test]
    fn a_new_datastore_gets_every_migration_and_keeps_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let (store, key) = Store::open(&path, None, false).unwrap();
        let version: i64 = store
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, VERSION as i64);
        drop(store);
        let (_, again) = Store::open(&path, None, false).unwrap();
        assert_eq!(key.hash("r", "p", b"s"), again.hash("r", "p", b"s"));
        // The environment's key cannot replace the one the datastore keeps.
        let err = Store::open(&path, Some("other"), false).err().unwrap();
        assert!(format!("{err:#}").contains("keeps its own key"), "{err:#}");
    }

    /// The version-1 schema, for making datastores as an older leakguard left them.
    const VERSION_1: &str = include_str!("migrations/1.sql");

    /// Every table, index and its SQL, with runs of white space made one space.
    fn schema_of(conn: &Connection) -> Vec<(String, String, Option<String>)> {
        conn.prepare("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name")
            .unwrap()
            .query_map([], |r| {
                let sql: Option<String> = r.get(2)?;
                let sql = sql.map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "));
                Ok((r.get(0)?, r.get(1)?, sql))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    /// A version-1 datastore at `path` with one incident found in one repository and
    /// triaged, and `extra` run on it.
    fn version_1(path: &Path, extra: &str) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(VERSION_1).unwrap();
        conn.execute_batch(
            "INSERT INTO meta VALUES ('key', 'k1'), ('key_check', 'c1');
             INSERT INTO repositories VALUES ('acme/api', '/src/api', 1700000000000, NULL);
             INSERT INTO refs VALUES ('acme/api', 'refs/heads/main', '0123456789abcdef0123456789abcdef01234567');
             INSERT INTO clean VALUES (x'00112233445566778899aabbccddeeff');
             INSERT INTO rules VALUES ('github-pat', 'GitHub token', 'Revoke it.');
             INSERT INTO incidents VALUES ('00aa11bb22cc33dd', 'content', NULL);
             INSERT INTO locations VALUES ('00aa11bb22cc33dd', 'acme/api',
                 '0123456789abcdef0123456789abcdef01234567', 'config/app.env', 3, 7,
                 'github-pat', 2, 'ghp_…', 'A. Author', 'a@example.com',
                 '2024-01-01T00:00:00Z', 1704067200, 1700000000001);
             INSERT INTO triage VALUES ('00aa11bb22cc33dd', 1700000000002, 'sam', 'revoked', 'rotated');",
        )
        .unwrap();
        conn.execute_batch(extra).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
    }

    fn user_version(path: &Path) -> i64 {
        Connection::open(path)
            .unwrap()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn the_upgrades_end_in_the_schema_a_new_datastore_gets() {
        let upgraded = Connection::open_in_memory().unwrap();
        upgraded.execute_batch(VERSION_1).unwrap();
        for sql in UPGRADES {
            upgraded.execute_batch(sql).unwrap();
        }
        let new = Connection::open_in_memory().unwrap();
        new.execute_batch(SCHEMA).unwrap();
        let (upgraded, new) = (schema_of(&upgraded), schema_of(&new));
        assert!(new.iter().any(|(_, name, _)| name == "triage"), "{new:?}");
        assert_eq!(upgraded, new);
    }

    #[test]
    fn a_version_1_datastore_is_upgraded_with_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        version_1(&path, "");
        let store = Store::open_existing(&path).unwrap();
        let rows = store.rows().unwrap();
        assert_eq!(rows.locations.len(), 1);
        assert_eq!(rows.locations[0].path, "config/app.env");
        assert_eq!(rows.locations[0].severity, Severity::High);
        assert_eq!(rows.triage.len(), 1);
        assert_eq!(rows.triage[0].status, "revoked");
        assert_eq!(rows.repositories[0].scanned_ms, Some(1700000000000));
        assert_eq!(store.meta("key").unwrap().as_deref(), Some("k1"));
        assert!(store
            .unchanged(
                "acme/api",
                &[(
                    "refs/heads/main".into(),
                    "0123456789abcdef0123456789abcdef01234567".into()
                )]
            )
            .unwrap());
        assert!(!store
            .clean_among(&[[
                0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
                0xee, 0xff
            ]])
            .unwrap()
            .is_empty());
        // Now with the constraints, and foreign keys on.
        let err = store
            .conn
            .execute("UPDATE locations SET severity = 9", [])
            .unwrap_err();
        assert!(err.to_string().contains("CHECK constraint failed"), "{err}");
        drop(store);
        assert_eq!(user_version(&path), VERSION as i64);
    }

    /// Rows the constraints refuse (a hand-edited or damaged datastore) fail the upgrade by
    /// name, and the file stays at version 1 with its rows.
    #[test]
    fn an_upgrade_refuses_broken_rows_and_leaves_the_datastore_as_it_was() {
        for (extra, says) in [
            (
                "INSERT INTO triage VALUES ('99aa11bb22cc33dd', 1, 'sam', 'open', '')",
                "of its table triage name a row of incidents that is not there",
            ),
            (
                "UPDATE locations SET severity = 7",
                "CHECK constraint failed: severity BETWEEN 0 AND 3",
            ),
            (
                "UPDATE incidents SET kind = 'other'",
                "CHECK constraint failed: kind",
            ),
            (
                "UPDATE locations SET line = 'three'",
                "cannot store TEXT value in INTEGER column locations.line",
            ),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("old.db");
            version_1(&path, extra);
            let before = schema_of(&Connection::open(&path).unwrap());
            let err = format!("{:#}", Store::open_existing(&path).err().unwrap());
            assert!(err.contains("old.db"), "{err}");
            assert!(
                err.contains("cannot upgrade it to schema version")
                    && err.contains("(it stays as it was)"),
                "{err}"
            );
            assert!(err.contains(says), "{extra}: {err}");
            assert_eq!(user_version(&path), 1, "{extra}");
            assert_eq!(
                schema_of(&Connection::open(&path).unwrap()),
                before,
                "{extra}"
            );
        }
    }

    /// The schema takes what the code writes, every status among it, and refuses the rest.
    #[test]
    fn the_schema_refuses_what_leakguard_never_writes() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = Store::open(&dir.path().join("a.db"), Some("k"), false).unwrap();
        let location = NewLocation {
            incident: "00aa11bb22cc33dd".into(),
            kind: FindingKind::Content,
            secret: None,
            rule_id: "github-pat".into(),
            description: "GitHub token".into(),
            remediation: "Revoke it.".into(),
            severity: Severity::Critical,
            redacted: "ghp_…".into(),
            commit: CommitInfo {
                id: "0123456789abcdef0123456789abcdef01234567".into(),
                author: "A".into(),
                email: "a@example.com".into(),
                date: "2024-01-01T00:00:00Z".into(),
                seconds: 1704067200,
            },
            path: "a.env".into(),
            line: 1,
            column: 1,
            exposure: Some(Exposure::Client),
        };
        let scanned = Scanned {
            locations: vec![location],
            ..Scanned::default()
        };
        let from = Provenance {
            location: "/src/api",
            ..Provenance::default()
        };
        store.record("acme/api", from, &scanned).unwrap();
        for status in Status::ALL {
            store.triage("00aa11bb", status, "", "sam").unwrap();
        }
        for bad in [
            "INSERT INTO incidents VALUES ('00AA11BB22CC33DE', 'content', NULL)",
            "INSERT INTO incidents VALUES ('00aa11bb22cc33d', 'content', NULL)",
            "INSERT INTO incidents VALUES ('00aa11bb22cc33de', 'commit', NULL)",
            "INSERT INTO triage VALUES ('00aa11bb22cc33dd', 5, 'sam', 'ignored', '')",
            "INSERT INTO refs VALUES ('acme/api', 'refs/heads/x', 'main')",
            "INSERT INTO clean VALUES (x'0011')",
            "INSERT INTO repositories VALUES (NULL, '/src/x', NULL, NULL)",
            "UPDATE locations SET severity = 4",
            "UPDATE locations SET seconds = 'yesterday'",
            "UPDATE locations SET exposure = 'public'",
            // Checked at commit: a place in a repository never recorded.
            "UPDATE locations SET repository = 'acme/web'",
            "INSERT INTO triage VALUES ('99aa11bb22cc33dd', 5, 'sam', 'open', '')",
        ] {
            let tx = store.conn.transaction().unwrap();
            let refused = tx.execute(bad, []).is_err() || tx.commit().is_err();
            assert!(refused, "{bad}");
        }
        let rows = store.rows().unwrap();
        assert_eq!(rows.locations[0].severity, Severity::Critical);
        assert_eq!(rows.locations[0].exposure, Some(Exposure::Client));
    }

    /// Several audits opening one new or empty datastore at once (threads: SQLite locks
    /// the same way between connections of one process): every open succeeds, and all
    /// agree on the one key kept, which a later open still accepts.
    #[test]
    fn opens_at_once_on_a_new_or_empty_file_agree_on_one_key() {
        for round in 0..8 {
            for empty in [false, true] {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("race.db");
                if empty {
                    std::fs::write(&path, b"").unwrap();
                }
                let start = std::sync::Barrier::new(4);
                let keys: Vec<String> = std::thread::scope(|s| {
                    let handles: Vec<_> = (0..4)
                        .map(|_| {
                            s.spawn(|| {
                                start.wait();
                                let (_, key) = Store::open(&path, None, false)
                                    .map_err(|e| format!("{e:#}"))
                                    .unwrap();
                                key.hash("r", "p", b"s")
                            })
                        })
                        .collect();
                    handles.into_iter().map(|h| h.join().unwrap()).collect()
                });
                assert!(
                    keys.windows(2).all(|w| w[0] == w[1]),
                    "round {round}: {keys:?}"
                );
                let (_, again) = Store::open(&path, None, false).unwrap();
                assert_eq!(again.hash("r", "p", b"s"), keys[0]);
            }
        }
    }

    /// A listed repository's activity time is kept with a complete audit only, and merges
    /// carry it and the origin.
    #[test]
    fn the_activity_time_is_kept_with_complete_audits_and_merged() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
        let from = Provenance {
            location: "https://example.test/acme/api.git",
            origin: Some("github-org:acme"),
            activity: Some("2024-05-01T10:00:00Z"),
        };
        {
            let (mut store, _) = Store::open(&a, Some("k"), false).unwrap();
            let failed = Scanned {
                error: Some("could not read".into()),
                ..Scanned::default()
            };
            store
                .record("example.test/acme/api", from, &failed)
                .unwrap();
            let known = store.known("example.test/acme/api").unwrap().unwrap();
            assert!(!known.idle_since("2024-05-01T10:00:00Z"));
            store
                .record("example.test/acme/api", from, &Scanned::default())
                .unwrap();
            let known = store.known("example.test/acme/api").unwrap().unwrap();
            assert!(known.idle_since("2024-05-01T10:00:00Z"));
            assert!(!known.idle_since("2024-05-02T10:00:00Z"));
        }
        merge_into(&b, std::slice::from_ref(&a)).unwrap();
        let merged = Store::open_read_only(&b).unwrap();
        let known = merged.known("example.test/acme/api").unwrap().unwrap();
        assert!(known.idle_since("2024-05-01T10:00:00Z"));
        let rows = merged.rows().unwrap();
        assert_eq!(
            rows.repositories[0].origin.as_deref(),
            Some("github-org:acme")
        );
    }
}
