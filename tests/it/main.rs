//! One integration test binary: each module drives the real `leakguard` binary.
//!
//! - `architecture`: module dependencies go one way (no cycles; sources never use the engine).
//! - `audit`: `audit`, `triage`, `merge` and `report`: incidents, re-runs, shards, kill -9.
//! - `audit_html`: the HTML audit report in the Nu Html Checker and headless Chromium.
//! - `archives`: zip, tar and compressed files: formats, nesting, bombs, staged, history.
//! - `scan`: walking, skipping, exit codes and output of `leakguard scan` (custom rules).
//! - `builtin`: the built-in rules against synthetic secrets and decoys.
//! - `config`: config discovery and config errors.
//! - `exposure`: server secrets under names frameworks ship to browsers (issue 24).
//! - `rules`: `leakguard rules list|test`.
//! - `fixtures`: the `fixtures/` tree, snapshotted.
//! - `staged`, `history`: the git sources, on repositories built with the `git` CLI.
//! - `stdin`: `leakguard scan -` in every format, named, with a baseline, empty and binary.
//! - `baseline`: `leakguard baseline` and `--baseline`.
//! - `ci`: severity gates, config and baseline from BASE, `--no-inline-allow`.
//! - `redaction`: no secret in any output of any command unless `--show-secrets`.
//! - `signals`: Ctrl-C (exit 130, no report file) and a closed stdout.
//! - `hook`: `leakguard install|uninstall` and the hook in a real commit.
//! - `fingerprints`: keyed fingerprints stable across runs, clones, rebases and shallow clones.
//! - `formats`: SARIF and JSON against their schemas, and redaction in every format.
//! - `bigfiles`: the size limit, files scanned in windows, Ctrl-C in a huge file, lying BOMs.
//! - `hostile_fs`: hostile files, names, links, special files and oversized rule files.
//! - `hostile_archives`: every zip compression method in every command; unreadable entries,
//!   bomb limits and unopenable archives make every command incomplete; nested stored zips.
//! - `hostile_datastore`: two audits at once, read-only, future-schema, empty and non-SQLite
//!   datastores, a refused merge input, names SQLite would read as URIs, re-revoking.
//! - `hostile_git`: corrupt objects, broken indexes, odd layouts; never runs or writes anything.
//! - `hostile_metadata`: secrets in commit messages, authors' names and e-mails, ref names.
//! - `hostile_names`: non-ASCII names redacted on character boundaries in every command, no
//!   allowlist text in `--explain`, SARIF URIs of a name's real bytes.
//! - `hostile_special`: FIFOs, devices and links out in git metadata, ignore files, config and
//!   baseline (a hang fails); `-j` capped; tracked files `.gitignore` matches are scanned.
//! - `hostile_terminal`: ANSI escapes, controls and bidi overrides in authors, file, directory
//!   and repository names are printed escaped in text, CSV and messages; no forged lines.
//! - `hostile_urls`: credentials in audited URLs (user, password, scp-like, malformed, in gix's
//!   and ssh's errors) reach no output, datastore or report; `file://` starts no process.
//! - `images`: container images (`docker save`, OCI layouts and archives, written by `oci`):
//!   config, layers, build steps, deleted and overwritten files, platforms.
//! - `hostile_lines`: many findings on one long line (positions), regexes that rescan lines.
//! - `integrations`: `action.yml` (and its install step) and the GitLab CI template, their
//!   scripts run with bash; the README's pinned wheel version.
//! - `quality`: the built-in rules scored against the labelled corpus in `fixtures/corpus/`.
//! - `properties`: proptest invariants (redaction, line/column, staged vs whole, fingerprints).
//! - `cli`: the CLI contract snapshotted: exit code, stdout and stderr of each command.
//! - `completions`: `leakguard completions SHELL` run in bash (and fish), and `leakguard man`.
//! - `org_audit` (https feature): `audit --github-org/--github-user/--gitlab-group` against
//!   a loopback mock of the forges' APIs and repositories served by `git http-backend`.
//! - `validation`: `leakguard validate` against a loopback HTTPS mock of the issuers
//!   (`mock_issuer`): every validating rule live and dead, and the safety defaults.

mod architecture;
mod archives;
mod audit;
mod audit_html;
mod baseline;
mod bigfiles;
mod builtin;
mod ci;
mod cli;
mod completions;
mod config;
mod delivered;
mod exposure;
mod fingerprints;
mod fixtures;
mod formats;
mod history;
mod hook;
mod hostile_archives;
mod hostile_datastore;
mod hostile_fs;
mod hostile_git;
mod hostile_lines;
mod hostile_metadata;
mod hostile_names;
mod hostile_special;
mod hostile_terminal;
mod hostile_urls;
mod images;
mod integrations;
#[cfg(feature = "https")]
mod mock_issuer;
mod oci;
#[cfg(feature = "https")]
mod org_audit;
mod pairs;
mod properties;
mod quality;
mod redaction;
mod rules;
mod scan;
mod signals;
mod staged;
mod stdin;
mod util;
mod validation;
