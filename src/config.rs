//! The command line turned into a validated [`Config`], once per run: the engine (built-in
//! rules plus the discovered or trusted config file), the limits, the baseline, the severity
//! gates and where and how the report is written. Nothing after this reads a clap type.
//!
//! Where rules come from is decided here: `--config`/`--no-config`, else `.leakguard.yaml`
//! found from the scanned directory up to the repository root; for `history --range`, the
//! config and baseline as they are in the BASE commit, so that a pull request cannot weaken
//! them.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::baseline::Baseline;
use crate::chunk::Limits;
use crate::cli::{self, ColorChoice, ConfigArgs, OutputArgs};
use crate::engine::localenv::LocalSecrets;
use crate::engine::{self, Engine, Policy};
use crate::exit::Messages;
use crate::fingerprint::FingerprintKey;
use crate::incident::Status;
use crate::report::{AuditFormat, Format};
use crate::rules::{RuleSet, Severity, Source};

/// The name of the config file looked for at the scanned root and the repository root.
pub const CONFIG_FILE: &str = ".leakguard.yaml";

/// Everything a scanning command needs, validated.
pub struct Config {
    /// Never dropped: a run builds one and the OS reclaims it at exit, where freeing its
    /// hundreds of rules, regexes and automata one by one cost the hook about 0.25 ms.
    pub engine: std::mem::ManuallyDrop<Engine>,
    /// The config file the rules came from on disk, if any (paths are matched relative to
    /// its directory).
    pub config_file: Option<PathBuf>,
    pub compile_ms: f64,
    pub limits: Limits,
    /// The baseline and the name it was read under (a path, or `path@commit`).
    pub baseline: Option<(Baseline, String)>,
    pub gates: Gates,
    pub output: Output,
    /// The key of the report's fingerprints; derived (which can walk the whole history) only
    /// when the format shows fingerprints.
    pub fingerprint_key: Option<FingerprintKey>,
    /// `--validate`, with what it was given.
    pub validation: Option<Validation>,
}

/// `--validate` and its flags. The validator is made before the scan (trust roots read,
/// the `https` feature checked), so a bad flag fails before anything is scanned.
pub struct Validation {
    pub validator: crate::validate::Validator,
    /// `--validation-filter`: the statuses reported (all when empty).
    pub filter: Vec<crate::validate::Status>,
    pub fail_on_live: bool,
}

impl Validation {
    fn new(out: &OutputArgs, rules: &RuleSet) -> Result<Option<Validation>> {
        let v = &out.validation;
        if !out.validate {
            validation_flags_alone(v)?;
            return Ok(None);
        }
        let settings = validation(v)?;
        endpoints_known(&settings, rules)?;
        Ok(Some(Validation {
            validator: crate::validate::Validator::new(settings)?,
            filter: out.validation_filter.iter().map(|s| s.status()).collect(),
            fail_on_live: out.fail_on_live,
        }))
    }
}

/// Severity thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gates {
    /// Findings at or above this make the run fail (exit 1).
    pub fail_on: Severity,
    /// Findings below this are not reported.
    pub min_severity: Severity,
}

/// Where and how the report is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub format: Format,
    /// `--output FILE`; stdout when `None`.
    pub file: Option<PathBuf>,
    pub show_secrets: bool,
    pub quiet: bool,
    /// Colour in the text report (on stdout only).
    pub color: bool,
    /// List suppressed findings with their reason.
    pub explain: bool,
    /// Show a progress line on stderr.
    pub progress: bool,
}

/// Where the rules of a run come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulesFrom {
    /// Built-ins plus this file on disk (or the built-ins alone).
    Disk(Option<PathBuf>),
    /// Built-ins plus a config read from the BASE commit, as `(name, text)`.
    Base(String, String),
}

/// The parts of a scanning command's arguments every command shares.
pub struct Common<'a> {
    pub output: &'a OutputArgs,
    pub limits: cli::Limits,
    pub threads: usize,
    /// The fastest keyword matcher at a higher startup cost: for large scans, not the hook.
    pub bulk: bool,
    /// Where the scanned repository is (the fingerprint key is derived from it).
    pub repo: &'a Path,
}

impl Config {
    /// Builds the config; `baseline` was read by the caller (from disk or from BASE).
    pub fn new(
        rules: RulesFrom,
        common: Common<'_>,
        baseline: Option<(Baseline, String)>,
        local: Option<LocalSecrets>,
    ) -> Result<Config> {
        let out = common.output;
        let options = engine::Options {
            policy: Policy {
                inline_allow: !out.no_inline_allow,
                keep_suppressed: out.explain,
            },
            bulk: common.bulk,
            local,
        };
        let (engine, config_file, compile_ms) = compile(rules, options)?;
        let output = output(out);
        let fingerprint_key = output
            .format
            .shows_fingerprints()
            .then(|| FingerprintKey::find(common.repo));
        let validation = Validation::new(out, engine.rules())?;
        Ok(Config {
            engine: std::mem::ManuallyDrop::new(engine),
            config_file,
            compile_ms,
            limits: limits(common.limits, common.threads),
            baseline,
            gates: Gates {
                fail_on: out.fail_on.severity(),
                min_severity: out.min_severity.severity(),
            },
            output,
            fingerprint_key,
            validation,
        })
    }
}

/// The report settings the output flags ask for, with colour and progress resolved against
/// the terminal and the environment.
fn output(out: &OutputArgs) -> Output {
    let color = out.output.is_none() && out.format == Format::Text && use_color(out.color);
    let progress = show_progress(out.progress, out.quiet);
    Output {
        format: out.format,
        file: out.output.clone(),
        show_secrets: out.show_secrets,
        quiet: out.quiet,
        color,
        explain: out.explain,
        progress,
    }
}

/// The limits the flags ask for (`--no-archives` is depth 0), the same for scans and audits.
fn limits(flags: cli::Limits, threads: usize) -> Limits {
    Limits {
        skip_binary: flags.skip_binary,
        max_file_size: flags.max_file_size,
        threads,
        archive_depth: if flags.no_archives {
            0
        } else {
            flags.archive_depth
        },
    }
}

/// `-j N` beyond this many threads per core only costs memory and start-up time (5000
/// threads took a minute to start): N is lowered to it, with a warning.
pub const THREADS_PER_CORE: usize = 4;

/// Lowers `-j` to [`THREADS_PER_CORE`] times the cores available; the warning, if it did.
pub fn cap_threads(threads: &mut usize) -> Option<String> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cap = cores * THREADS_PER_CORE;
    (*threads > cap).then(|| {
        let asked = std::mem::replace(threads, cap);
        format!("-j {asked} lowered to {cap} ({THREADS_PER_CORE} per core on {cores} cores)")
    })
}

/// `--progress`: `auto` shows it when stderr is a terminal outside CI.
pub fn show_progress(choice: ColorChoice, quiet: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            !quiet && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
        }
    }
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    }
}

/// Compiles the built-ins plus the config the rules come from.
fn compile(rules: RulesFrom, options: engine::Options) -> Result<(Engine, Option<PathBuf>, f64)> {
    let started = Instant::now();
    let (set, file) = load(rules)?;
    let engine = Engine::new(set, options);
    Ok((engine, file, started.elapsed().as_secs_f64() * 1e3))
}

/// Loads and checks the built-ins plus the config the rules come from.
fn load(rules: RulesFrom) -> Result<(RuleSet, Option<PathBuf>)> {
    let (text, file) = match rules {
        RulesFrom::Disk(Some(p)) => {
            let text = crate::fsguard::read_text(&p, crate::fsguard::MAX_TEXT, "config file")?;
            (Some((p.display().to_string(), text)), Some(p))
        }
        RulesFrom::Disk(None) => (None, None),
        RulesFrom::Base(name, text) => (Some((name, text)), None),
    };
    let source = text.as_ref().map(|(name, text)| Source {
        name: name.clone(),
        text,
    });
    Ok((RuleSet::load_builtin(source.as_ref())?, file))
}

/// The built-in rules plus the discovered config, for `rules list|test`.
pub fn rules_only(args: &ConfigArgs) -> Result<Engine> {
    let found = find_config(args, Path::new("."))?;
    Ok(compile(RulesFrom::Disk(found), engine::Options::default())?.0)
}

/// `leakguard validate`: the rule's check and how to send it.
pub struct ValidateOne {
    pub rule: String,
    pub spec: std::sync::Arc<crate::rules::validation::ValidateSyntax>,
    pub settings: crate::validate::Settings,
    pub json: bool,
}

impl ValidateOne {
    pub fn new(args: &cli::ValidateArgs) -> Result<ValidateOne> {
        let engine = rules_only(&args.config)?;
        let Some(rule) = engine.rules().get(&args.rule) else {
            bail!(
                "no rule `{}` (`leakguard rules list` shows them)",
                args.rule
            );
        };
        let Some(spec) = rule.validate.as_ref().map(crate::rules::Check::spec) else {
            bail!(
                "rule `{}` has no check (no `validate:` block): its secrets cannot be validated",
                rule.id
            );
        };
        let settings = validation(&args.validation)?;
        endpoints_known(&settings, engine.rules())?;
        Ok(ValidateOne {
            rule: rule.id.to_string(),
            spec,
            settings,
            json: args.format == cli::VerdictFormat::Json,
        })
    }
}

/// Refuses validation flags given without `--validate`: they would do nothing.
fn validation_flags_alone(v: &cli::ValidationArgs) -> Result<()> {
    if !v.validation_endpoint.is_empty()
        || !v.validation_ca.is_empty()
        || v.allow_internal_ips
        || v.validation_timeout.is_some()
        || v.validation_jobs.is_some()
        || v.validation_rate.is_some()
    {
        bail!("--validation-* and --allow-internal-ips apply to --validate: add it, or drop them");
    }
    Ok(())
}

/// Validation's settings from the command line: `--validation-endpoint` values checked
/// (a provider name, or `provider.region`, then an https:// URL without user, query or
/// fragment).
pub fn validation(args: &cli::ValidationArgs) -> Result<crate::validate::Settings> {
    let timeout = std::time::Duration::from_secs(args.validation_timeout.unwrap_or(10));
    let mut settings = crate::validate::Settings {
        allow_internal: args.allow_internal_ips,
        ca_files: args.validation_ca.clone(),
        timeout,
        connect_timeout: timeout.min(std::time::Duration::from_secs(5)),
        ..Default::default()
    };
    if let Some(n) = args.validation_jobs {
        settings.concurrency = usize::from(n);
    }
    if let Some(n) = args.validation_rate {
        settings.per_host_rate = n;
    }
    for e in &args.validation_endpoint {
        let Some((provider, url)) = e.split_once('=') else {
            bail!("--validation-endpoint `{e}`: write PROVIDER=URL (github=https://ghe.example.com/api/v3) or PROVIDER.REGION=URL (mailgun.eu=https://mailgun.example.com)");
        };
        let plain = crate::rules::validation::split_origin(url).is_some_and(|(origin, rest)| {
            origin.len() > "https://".len() && !origin.contains('@') && !rest.contains(['?', '#'])
        });
        if !plain {
            bail!("--validation-endpoint {provider}: `{url}` must be an https:// URL without user, query or fragment");
        }
        settings
            .endpoints
            .insert(provider.to_string(), url.to_string());
    }
    Ok(settings)
}

/// Refuses a `--validation-endpoint` no rule would use: a provider no check names, or a
/// region its checks do not have (a typo would otherwise send nothing there, silently).
fn endpoints_known(settings: &crate::validate::Settings, rules: &RuleSet) -> Result<()> {
    if settings.endpoints.is_empty() {
        return Ok(());
    }
    let specs: Vec<_> = rules
        .rules
        .iter()
        .filter_map(|r| r.validate.as_ref().map(crate::rules::Check::spec))
        .collect();
    for key in settings.endpoints.keys() {
        let (provider, region) = match key.split_once('.') {
            Some((p, r)) => (p, Some(r)),
            None => (key.as_str(), None),
        };
        let mine: Vec<_> = specs.iter().filter(|s| s.provider == provider).collect();
        if mine.is_empty() {
            bail!("--validation-endpoint {key}: no rule's check names the provider `{provider}` (`leakguard rules list --format json` shows each check's provider)");
        }
        let Some(region) = region else { continue };
        let mut known: Vec<&str> = mine
            .iter()
            .flat_map(|s| s.request.regions.keys().map(String::as_str))
            .collect();
        known.sort_unstable();
        known.dedup();
        if !known.contains(&region) {
            let has = match known.is_empty() {
                true => "has no regions: give PROVIDER=URL".to_string(),
                false => format!("has the regions {}", known.join(", ")),
            };
            bail!("--validation-endpoint {key}: `{provider}` {has}");
        }
    }
    Ok(())
}

/// What an audit runs with: the rules (checked up front, compiled on first use: a re-run
/// where nothing moved never needs them), the limits, and a digest of everything that
/// decides what a blob yields (version, rules, config, limits), which the datastore's
/// knowledge of clean blobs is valid for.
pub struct AuditSetup {
    rules: std::sync::Mutex<Option<RuleSet>>,
    engine: std::sync::OnceLock<Engine>,
    pub limits: Limits,
    pub digest: String,
}

impl AuditSetup {
    /// The engine, compiled the first time it is asked for.
    pub fn engine(&self) -> &Engine {
        self.engine.get_or_init(|| {
            let rules = self.rules.lock().ok().and_then(|mut r| r.take());
            // Nor do the audited repositories' `leakguard:allow` comments silence anything.
            let options = engine::Options {
                policy: Policy {
                    inline_allow: false,
                    keep_suppressed: false,
                },
                bulk: true,
                local: None,
            };
            Engine::new(rules.unwrap_or_default(), options)
        })
    }
}

/// Everything `audit` needs, validated from its arguments: like [`Config`] for the scanning
/// commands, nothing after this reads a clap type.
pub struct Audit {
    /// What to audit as given (repositories, directories holding them, URLs), and the
    /// `--repos` file naming more; resolved by [`crate::audit::targets`].
    pub inputs: Vec<String>,
    pub repos_file: Option<PathBuf>,
    /// The datastore.
    pub db: PathBuf,
    /// Where URLs are cloned and fetched.
    pub clone_dir: PathBuf,
    /// `(index, count)`: audit only this shard of the repositories.
    pub shard: Option<(u32, u32)>,
    pub setup: AuditSetup,
    pub show_secrets: bool,
    pub all_statuses: bool,
    pub quiet: bool,
    pub progress: bool,
    /// `--validate`: how to check incidents with their issuers, and after how long a live or
    /// unknown one is checked again.
    pub validation: Option<(crate::validate::Settings, std::time::Duration)>,
    /// The organisations, users and groups whose repositories are listed and audited.
    pub forges: Forges,
}

/// Whose repositories a forge lists for an audit (`--github-org` …), and how.
#[derive(Debug, Clone, Default)]
pub struct Forges {
    pub owners: Vec<Owner>,
    /// `--api-url`, without a trailing `/`; `None` for the public instance's.
    pub api_url: Option<String>,
    /// `--api-ca`: more trust roots for the API.
    pub ca_files: Vec<PathBuf>,
    pub include_forks: bool,
    pub exclude_archived: bool,
    /// `--clone-protocol ssh`.
    pub ssh: bool,
}

/// An organisation, user or group whose repositories are audited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub kind: OwnerKind,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerKind {
    GithubOrg,
    GithubUser,
    GitlabGroup,
}

impl Owner {
    /// `github-org:ORG`, `github-user:USER` or `gitlab-group:GROUP`: what the datastore
    /// records as a repository's origin.
    pub fn origin(&self) -> String {
        let kind = match self.kind {
            OwnerKind::GithubOrg => "github-org",
            OwnerKind::GithubUser => "github-user",
            OwnerKind::GitlabGroup => "gitlab-group",
        };
        format!("{kind}:{}", self.name)
    }

    pub fn is_gitlab(&self) -> bool {
        self.kind == OwnerKind::GitlabGroup
    }
}

impl Forges {
    /// Checks the forge flags: owners named plainly, an `https://` API URL (`http://` only
    /// to this machine, where tests run their mock), one forge per `--api-url`, and a
    /// build that can speak HTTPS.
    fn new(args: &cli::AuditArgs) -> Result<Forges> {
        let kinds = [
            (OwnerKind::GithubOrg, &args.github_org, "--github-org"),
            (OwnerKind::GithubUser, &args.github_user, "--github-user"),
            (OwnerKind::GitlabGroup, &args.gitlab_group, "--gitlab-group"),
        ];
        let mut owners = Vec::new();
        for (kind, names, flag) in kinds {
            for name in names {
                let name = name.trim().trim_matches('/');
                let bad = |c: char| c.is_whitespace() || c.is_control() || "?#%\\".contains(c);
                let slash_ok = kind == OwnerKind::GitlabGroup;
                if name.is_empty() || name.contains(bad) || (!slash_ok && name.contains('/')) {
                    bail!("{flag} `{name}` is not a name (ORG, USER or GROUP/SUBGROUP)");
                }
                owners.push(Owner {
                    kind,
                    name: name.to_string(),
                });
            }
        }
        let ssh = args.clone_protocol == "ssh";
        let others = args.api_url.is_some()
            || !args.api_ca.is_empty()
            || args.include_forks
            || args.exclude_archived
            || ssh;
        if owners.is_empty() {
            if others {
                bail!("--api-url, --api-ca, --include-forks, --exclude-archived and --clone-protocol apply to --github-org, --github-user and --gitlab-group: add one, or drop them");
            }
            return Ok(Forges::default());
        }
        if cfg!(not(feature = "https")) {
            bail!("--github-org, --github-user and --gitlab-group need a build with the https feature (cargo feature `https`; the release binaries have it)");
        }
        let api_url = match &args.api_url {
            None => None,
            Some(url) => {
                if owners.iter().any(Owner::is_gitlab) && !owners.iter().all(Owner::is_gitlab) {
                    bail!("--api-url names one forge's API: audit GitHub and GitLab owners in two runs (or with the same --db, one after the other)");
                }
                Some(api_url(url)?)
            }
        };
        Ok(Forges {
            owners,
            api_url,
            ca_files: args.api_ca.clone(),
            include_forks: args.include_forks,
            exclude_archived: args.exclude_archived,
            ssh,
        })
    }
}

/// `--api-url` checked: `https://HOST[/PATH]`, or `http://` to a loopback address; no
/// user, query or fragment (a token goes in a header, never in the URL).
fn api_url(url: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/');
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split('/').next().unwrap_or("");
    let name = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    let loopback = matches!(name, "127.0.0.1" | "localhost" | "[::1]");
    let plain = !host.is_empty() && !rest.contains(['@', '?', '#', ' ']);
    match scheme.to_ascii_lowercase().as_str() {
        "https" if plain => Ok(url.to_string()),
        "http" if plain && loopback => Ok(url.to_string()),
        _ => bail!("--api-url `{}` must be an https:// URL without user, query or fragment (http:// only to this machine)", crate::printable::url(url)),
    }
}

/// `leakguard triage`, validated.
pub struct Triage {
    pub db: PathBuf,
    /// The incident's id or a unique prefix of it, as given.
    pub id: String,
    pub status: Status,
    pub note: String,
    /// Who decided: `--by`, else `$LEAKGUARD_USER`, `$USER`, `$USERNAME`, else `unknown`.
    pub by: String,
}

impl Triage {
    pub fn new(args: &cli::TriageArgs) -> Triage {
        let by = args
            .by
            .clone()
            .or_else(|| std::env::var("LEAKGUARD_USER").ok())
            .or_else(|| std::env::var("USER").ok())
            .or_else(|| std::env::var("USERNAME").ok())
            .unwrap_or_else(|| "unknown".to_string());
        Triage {
            db: args.db.db.clone(),
            id: args.id.clone(),
            status: match args.status {
                cli::TriageStatus::Open => Status::Open,
                cli::TriageStatus::Revoked => Status::Revoked,
                cli::TriageStatus::FalsePositive => Status::FalsePositive,
                cli::TriageStatus::Accepted => Status::Accepted,
            },
            note: args.note.clone(),
            by,
        }
    }
}

/// `leakguard merge`: the datastores to merge and the one to merge them into.
pub struct Merge {
    pub inputs: Vec<PathBuf>,
    pub output: PathBuf,
}

impl Merge {
    pub fn new(args: &cli::MergeArgs) -> Merge {
        Merge {
            inputs: args.inputs.clone(),
            output: args.output.clone(),
        }
    }
}

/// `leakguard report`: which datastore, in which format, to where.
pub struct AuditReportSettings {
    pub db: PathBuf,
    pub format: AuditFormat,
    /// Standard output when `None`.
    pub output: Option<PathBuf>,
    pub all_statuses: bool,
}

impl AuditReportSettings {
    pub fn new(args: &cli::ReportArgs) -> AuditReportSettings {
        AuditReportSettings {
            db: args.db.db.clone(),
            format: args.format,
            output: args.output.clone(),
            all_statuses: args.all_statuses,
        }
    }
}

/// The environment variable an Indexed Job sets to each pod's index (`--shards N`).
pub const SHARD_ENV: &str = "JOB_COMPLETION_INDEX";

impl Audit {
    pub fn new(args: &cli::AuditArgs) -> Result<Audit> {
        let shard = shard(args.shard, args.shards)?;
        let setup = for_audit(&args.config, args.limits, args.threads)?;
        let validation = match args.validate {
            true => {
                let settings = validation(&args.validation)?;
                // Compiles the rules now rather than on first use: only with --validate.
                endpoints_known(&settings, setup.engine().rules())?;
                let again = args.revalidate_after;
                Some((
                    settings,
                    again.unwrap_or(std::time::Duration::from_secs(24 * 3600)),
                ))
            }
            false => {
                validation_flags_alone(&args.validation)?;
                None
            }
        };
        Ok(Audit {
            inputs: args.inputs.clone(),
            repos_file: args.repos_file.clone(),
            db: args.db.db.clone(),
            clone_dir: args.clone_dir.clone().unwrap_or_else(default_clone_dir),
            shard,
            setup,
            show_secrets: args.show_secrets,
            all_statuses: args.all_statuses,
            quiet: args.quiet,
            progress: show_progress(args.progress, args.quiet),
            validation,
            forges: Forges::new(args)?,
        })
    }
}

/// The default clone directory: the user's cache (`$XDG_CACHE_HOME` or `~/.cache`, else the
/// temporary directory).
fn default_clone_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("leakguard").join("clones")
}

/// `--shard I/N`, or `--shards N` with I from [`SHARD_ENV`].
fn shard(shard: Option<(u32, u32)>, shards: Option<u32>) -> Result<Option<(u32, u32)>> {
    if let Some(s) = shard {
        return Ok(Some(s));
    }
    let Some(n) = shards else {
        return Ok(None);
    };
    let raw = std::env::var(SHARD_ENV).with_context(|| {
        format!("--shards {n} takes the shard's index from {SHARD_ENV}, which is not set")
    })?;
    match raw.trim().parse::<u32>() {
        Ok(i) if i < n => Ok(Some((i, n))),
        _ => bail!("{SHARD_ENV}={raw} is not a shard index below {n}"),
    }
}

/// The audit's rules: the built-ins plus `--config` (or `LEAKGUARD_CONFIG`) only. A config
/// inside an audited repository is never read: the repositories under audit do not get to
/// allowlist their own leaks.
fn for_audit(args: &ConfigArgs, flags: cli::Limits, threads: usize) -> Result<AuditSetup> {
    use sha2::{Digest, Sha256};
    let file = match (&args.config, args.no_config) {
        (Some(p), false) => Some(explicit_config(p)?),
        _ => None,
    };
    let (rules, file) = load(RulesFrom::Disk(file))?;
    let limits = limits(flags, threads);
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION"));
    for src in crate::rules::builtin::sources() {
        h.update(src.name.as_bytes());
        h.update(src.text.as_bytes());
    }
    if let Some(f) = &file {
        h.update(crate::fsguard::read_regular(
            f,
            crate::fsguard::MAX_TEXT,
            "config file",
        )?);
    }
    let l = &limits;
    h.update(format!(
        "{} {} {}",
        l.skip_binary, l.max_file_size, l.archive_depth
    ));
    let digest = h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(AuditSetup {
        rules: std::sync::Mutex::new(Some(rules)),
        engine: std::sync::OnceLock::new(),
        limits,
        digest,
    })
}

/// Finds the config file: `--config`, else `.leakguard.yaml` at the first scanned directory,
/// else at the root of the git repository holding it.
pub fn find_config(args: &ConfigArgs, start: &Path) -> Result<Option<PathBuf>> {
    if args.no_config {
        return Ok(None);
    }
    if let Some(path) = &args.config {
        return explicit_config(path).map(Some);
    }
    let dir = if start.is_dir() {
        start.to_path_buf()
    } else {
        start.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    // Look in the scanned directory, then upwards to the repository root (the directory
    // holding `.git`); outside a repository, no higher than the current directory.
    let abs = dir.canonicalize().unwrap_or(dir);
    let cwd = std::env::current_dir().and_then(|c| c.canonicalize()).ok();
    let in_repo = abs.ancestors().any(|a| a.join(".git").exists());
    // A discovered config may be a link within the repository (or the current directory),
    // never out of it: the scanned tree does not get to read files elsewhere.
    let top = match in_repo {
        true => abs.ancestors().find(|a| a.join(".git").exists()),
        false => cwd.as_deref().filter(|c| abs.starts_with(c)),
    }
    .unwrap_or(&abs)
    .to_path_buf();
    for anc in abs.ancestors() {
        let c = anc.join(CONFIG_FILE);
        use crate::fsguard::Kind;
        match crate::fsguard::kind(&c) {
            Kind::Missing => {}
            Kind::File(_) => return Ok(Some(c)),
            Kind::Link(real, false) if real.starts_with(&top) => return Ok(Some(c)),
            Kind::Link(real, false) => bail!(
                "config file {} is a link out of {}, to {}: not read",
                c.display(),
                top.display(),
                real.display()
            ),
            Kind::Dir | Kind::Link(_, true) => {
                bail!(
                    "config file {} is a directory, not a regular file",
                    c.display()
                )
            }
            Kind::Special(why) => bail!("config file {} {why}", c.display()),
        }
        let at_top = if in_repo {
            anc.join(".git").exists()
        } else {
            cwd.as_deref()
                .is_none_or(|cwd| anc == cwd || !anc.starts_with(cwd))
        };
        if at_top {
            break;
        }
    }
    Ok(None)
}

/// `--config FILE`: it must exist and be a regular file (or a link to one: the user named
/// it); the error says what it is otherwise.
fn explicit_config(path: &Path) -> Result<PathBuf> {
    match std::fs::metadata(path) {
        Err(_) if std::fs::symlink_metadata(path).is_ok() => {
            bail!("config file {} is a dangling link", path.display())
        }
        Err(_) => bail!("config file {} does not exist", path.display()),
        Ok(m) if !m.is_file() => bail!(
            "config file {} is {}, not a regular file",
            path.display(),
            crate::fsguard::describe(m.file_type())
        ),
        Ok(_) => Ok(path.to_path_buf()),
    }
}

/// Loads `--baseline` from disk, if given.
pub fn disk_baseline(out: &OutputArgs) -> Result<Option<(Baseline, String)>> {
    match &out.baseline {
        Some(p) => Ok(Some((Baseline::load(p)?, p.display().to_string()))),
        None => Ok(None),
    }
}

/// Where a range scan's config is read: the CI author's explicit choice (`--config FILE`,
/// `--no-config`) is honoured; otherwise the discovered `.leakguard.yaml` is read from BASE.
pub fn config_at_base(args: &ConfigArgs) -> bool {
    !args.no_config && args.config.is_none()
}

/// The rules and baseline of a history scan: for `range` (`BASE..HEAD`, unless the user
/// opted out), as they are in BASE; otherwise from the work tree (or the bare repository).
pub fn for_history(
    repo: &gix::Repository,
    range: Option<&str>,
    args: &ConfigArgs,
    out: &OutputArgs,
    messages: &mut Messages,
) -> Result<(RulesFrom, Option<(Baseline, String)>)> {
    let base = match range {
        Some(range) => crate::source::history::range_base(repo, range)?,
        None => None,
    };
    match base {
        Some(base) => trusted_from_base(repo, base, args, out, messages),
        None => {
            let root = repo.workdir().unwrap_or_else(|| repo.git_dir());
            let found = find_config(args, root)?;
            Ok((RulesFrom::Disk(found), disk_baseline(out)?))
        }
    }
}

/// The rules and baseline of a `history --range BASE..HEAD` scan, as they are in BASE.
pub fn trusted_from_base(
    repo: &gix::Repository,
    base: gix::ObjectId,
    args: &ConfigArgs,
    out: &OutputArgs,
    messages: &mut Messages,
) -> Result<(RulesFrom, Option<(Baseline, String)>)> {
    use crate::source::history::read_at;
    let short = base.to_hex_with_len(12).to_string();
    let rules = if !config_at_base(args) {
        RulesFrom::Disk(find_config(args, Path::new("."))?)
    } else {
        match read_at(repo, base, CONFIG_FILE)? {
            Some(text) => {
                messages.notes.push(format!(
                    "config: {CONFIG_FILE} as of BASE {short} (a pull request cannot change it; --config-from-worktree uses the work tree's)"
                ));
                let text = String::from_utf8(text)
                    .with_context(|| format!("{CONFIG_FILE} at {short} is not UTF-8"))?;
                RulesFrom::Base(format!("{CONFIG_FILE}@{short}"), text)
            }
            None => {
                messages.notes.push(format!(
                    "config: built-in rules only ({CONFIG_FILE} does not exist at BASE {short})"
                ));
                RulesFrom::Disk(None)
            }
        }
    };
    let baseline = match &out.baseline {
        None => None,
        Some(p) => match tree_path(repo, p) {
            None => disk_baseline(out)?,
            Some(rel) => match read_at(repo, base, &rel)? {
                Some(text) => {
                    messages
                        .notes
                        .push(format!("baseline: {rel} as of BASE {short}"));
                    let text = String::from_utf8_lossy(&text);
                    let name = format!("{rel}@{short}");
                    Some((Baseline::parse(&text, &name)?, name))
                }
                None => {
                    messages.warnings.push(format!(
                        "baseline {rel} does not exist at BASE {short}: it suppresses nothing (a pull request cannot bring its own baseline)"
                    ));
                    None
                }
            },
        },
    };
    Ok((rules, baseline))
}

/// `path` relative to the repository's work tree, `/`-separated, if it lies inside it.
fn tree_path(repo: &gix::Repository, path: &Path) -> Option<String> {
    let workdir = repo.workdir()?.canonicalize().ok()?;
    let abs = std::env::current_dir().ok()?.join(path);
    // The file may not exist on disk: canonicalise its directory.
    let dir = abs.parent()?.canonicalize().ok()?;
    let full = dir.join(abs.file_name()?);
    let rel = full.strip_prefix(&workdir).ok()?;
    Some(crate::source::worktree::slash_path(rel))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;
    use std::process::Command as Process;

    fn audit_args(extra: &[&str]) -> crate::cli::AuditArgs {
        let argv = ["leakguard", "audit"].iter().chain(extra);
        match Cli::try_parse_from(argv).expect("parses").command {
            Command::Audit(a) => a,
            _ => unreachable!(),
        }
    }

    #[test]
    fn forge_flags_are_checked() {
        let ok = [
            "https://ghe.example.test/api/v3/",
            "http://127.0.0.1:8080/api",
        ];
        assert_eq!(api_url(ok[0]).unwrap(), "https://ghe.example.test/api/v3");
        assert_eq!(api_url(ok[1]).unwrap(), ok[1]);
        for bad in [
            "http://ghe.example.test/api/v3",
            "https://user:pw@ghe.example.test",
            "https://ghe.example.test/api?x=1",
            "ftp://ghe.example.test",
            "ghe.example.test",
            "https://",
        ] {
            let e = api_url(bad).unwrap_err().to_string();
            assert!(e.contains("--api-url") && !e.contains("pw@"), "{bad}: {e}");
        }
        let forges = |extra: &[&str]| Forges::new(&audit_args(extra)).map_err(|e| e.to_string());
        assert!(forges(&["--github-org", "a/b"])
            .unwrap_err()
            .contains("not a name"));
        assert!(forges(&["--exclude-archived", "."])
            .unwrap_err()
            .contains("apply to"));
        let both = [
            "--github-org",
            "a",
            "--gitlab-group",
            "g",
            "--api-url",
            ok[0],
        ];
        if cfg!(feature = "https") {
            assert!(forges(&both).unwrap_err().contains("one forge's API"));
            let f = forges(&["--gitlab-group", "/g/sub/", "--clone-protocol", "ssh"]).unwrap();
            assert_eq!(f.owners[0].origin(), "gitlab-group:g/sub");
            assert!(f.ssh && f.api_url.is_none());
        } else {
            assert!(forges(&both).unwrap_err().contains("https feature"));
        }
    }

    fn history_args(extra: &[&str]) -> crate::cli::HistoryArgs {
        let argv = ["leakguard", "history"].iter().chain(extra);
        match Cli::try_parse_from(argv).expect("parses").command {
            Command::History(a) => a,
            _ => unreachable!(),
        }
    }

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Process::new("git")
            .current_dir(dir)
            .args(["-c", "user.name=T", "-c", "user.email=t@example.test"])
            .args(args)
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A repository whose first commit (BASE) has `base_files` and whose second adds
    /// `head_files`; returns (dir, BASE id).
    fn repo(
        base_files: &[(&str, &str)],
        head_files: &[(&str, &str)],
    ) -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q", "-b", "main"]);
        let mut base = String::new();
        for (i, files) in [base_files, head_files].iter().enumerate() {
            std::fs::write(dir.path().join(format!("f{i}.txt")), "x\n").unwrap();
            for (name, text) in files.iter() {
                std::fs::write(dir.path().join(name), text).unwrap();
            }
            git(dir.path(), &["add", "-A"]);
            git(dir.path(), &["commit", "-q", "-m", "c"]);
            if i == 0 {
                base = git(dir.path(), &["rev-parse", "HEAD"]);
            }
        }
        (dir, base)
    }

    #[test]
    fn find_config_honours_flags_and_stops_at_the_repository_root() {
        let (dir, _) = repo(&[(CONFIG_FILE, "rules: []\n")], &[]);
        let sub = dir.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        let none = history_args(&["--no-config"]).config;
        assert_eq!(find_config(&none, &sub).unwrap(), None);
        let missing = history_args(&["--config", "/nonexistent/x.yaml"]).config;
        let err = find_config(&missing, &sub).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/x.yaml"), "{err}");
        // Found upwards from a subdirectory, at the repository root.
        let found = find_config(&history_args(&[]).config, &sub).unwrap();
        assert_eq!(
            found,
            Some(dir.path().canonicalize().unwrap().join(CONFIG_FILE))
        );
        // The nearest one wins; a file's own directory counts.
        std::fs::write(sub.join(CONFIG_FILE), "rules: []\n").unwrap();
        std::fs::write(sub.join("f.py"), "").unwrap();
        let found = find_config(&history_args(&[]).config, &sub.join("f.py")).unwrap();
        assert_eq!(found, Some(sub.canonicalize().unwrap().join(CONFIG_FILE)));
        // Never above the repository root: a config outside the repository is not used.
        let outer = tempfile::tempdir().unwrap();
        std::fs::write(outer.path().join(CONFIG_FILE), "rules: []\n").unwrap();
        let inner = outer.path().join("repo");
        std::fs::create_dir(&inner).unwrap();
        git(&inner, &["init", "-q"]);
        assert_eq!(
            find_config(&history_args(&[]).config, &inner).unwrap(),
            None
        );
    }

    #[test]
    fn a_range_trusts_the_config_and_baseline_of_base() {
        let base_cfg = "rules: []\n# at base\n";
        let (dir, base) = repo(
            &[(CONFIG_FILE, base_cfg), ("bl.json", "not json at base")],
            &[(CONFIG_FILE, "rules: []\n# changed by the PR\n")],
        );
        let r = gix::open(dir.path()).unwrap();
        let base_id = gix::ObjectId::from_hex(base.as_bytes()).unwrap();
        let short = &base[..12];
        let bl = dir.path().join("bl.json");
        let args = history_args(&["--baseline", bl.to_str().unwrap()]);
        let mut m = Messages::default();
        let res = trusted_from_base(&r, base_id, &args.config, &args.output, &mut m);
        // The baseline is read from BASE (where it is broken), not from the work tree.
        let err = format!("{:#}", res.expect_err("BASE's baseline is not JSON"));
        assert!(err.contains(&format!("bl.json@{short}")), "{err}");

        let args = history_args(&[]);
        let mut m = Messages::default();
        let (rules, baseline) =
            trusted_from_base(&r, base_id, &args.config, &args.output, &mut m).unwrap();
        let name = format!("{CONFIG_FILE}@{short}");
        assert_eq!(rules, RulesFrom::Base(name, base_cfg.to_string()));
        assert!(baseline.is_none());
        assert!(m.notes[0].contains("as of BASE"), "{:?}", m.notes);

        // The CI author's explicit choice is honoured.
        let args = history_args(&["--no-config"]);
        let (rules, _) =
            trusted_from_base(&r, base_id, &args.config, &args.output, &mut m).unwrap();
        assert_eq!(rules, RulesFrom::Disk(None));
        assert!(!config_at_base(&args.config));
    }

    #[test]
    fn a_config_or_baseline_missing_at_base_gives_built_ins_and_no_baseline() {
        let (dir, base) = repo(&[], &[(CONFIG_FILE, "rules: []\n"), ("bl.json", "{}")]);
        let r = gix::open(dir.path()).unwrap();
        let base_id = gix::ObjectId::from_hex(base.as_bytes()).unwrap();
        let bl = dir.path().join("bl.json");
        let args = history_args(&["--baseline", bl.to_str().unwrap()]);
        let mut m = Messages::default();
        let (rules, baseline) =
            trusted_from_base(&r, base_id, &args.config, &args.output, &mut m).unwrap();
        assert_eq!(rules, RulesFrom::Disk(None));
        assert!(baseline.is_none());
        assert!(m.notes[0].contains("built-in rules only"), "{:?}", m.notes);
        assert!(
            m.warnings[0].contains("suppresses nothing"),
            "{:?}",
            m.warnings
        );
        // Without a range, the work tree's config is used.
        let (mut m, plain) = (Messages::default(), history_args(&[]));
        let (rules, _) = for_history(&r, None, &plain.config, &plain.output, &mut m).unwrap();
        let want = dir.path().canonicalize().unwrap().join(CONFIG_FILE);
        assert_eq!(rules, RulesFrom::Disk(Some(want)));
    }
}
