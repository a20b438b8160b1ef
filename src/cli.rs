//! The command line, as clap types. Nothing here does work: [`crate::config`] turns these
//! into a validated `Config` once, and `app.rs` runs it.

use std::path::PathBuf;
use std::sync::LazyLock;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use crate::report::rules::ListFormat;
pub use crate::report::{AuditFormat, Format};

/// leakguard: find secrets before they reach a repository.
#[derive(Debug, Parser)]
#[command(name = "leakguard", version, long_version = LONG_VERSION.as_str(), about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// `--version` (not `-V`) also says how this binary was built: release binaries differ per
/// platform (Vectorscan does not build everywhere), and a bug report needs to know which.
static LONG_VERSION: LazyLock<String> = LazyLock::new(|| {
    let features: Vec<&str> = [
        ("https", cfg!(feature = "https")),
        ("vectorscan", cfg!(feature = "vectorscan")),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect();
    let stage = if cfg!(feature = "vectorscan") {
        "vectorscan"
    } else {
        "aho-corasick"
    };
    format!(
        "{}\nkeyword stage: {stage}\noptional features: {}\nplatform: {}-{}",
        env!("CARGO_PKG_VERSION"),
        if features.is_empty() {
            "none".to_string()
        } else {
            features.join(", ")
        },
        std::env::consts::OS,
        std::env::consts::ARCH,
    )
});

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files on disk (default: the current directory).
    Scan(ScanArgs),
    /// Scan what the next commit would add (the pre-commit hook).
    Staged(StagedArgs),
    /// Scan a repository's history: every commit, all refs, or a range (CI).
    History(HistoryArgs),
    /// Install a git pre-commit hook that runs `leakguard staged`.
    Install(InstallArgs),
    /// Remove the pre-commit hook written by `leakguard install`.
    Uninstall(UninstallArgs),
    /// List or test the active rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Record today's findings in a baseline file so that later runs report only new ones.
    Baseline(BaselineArgs),
    /// Audit many repositories (paths, directories of them, URLs) into a datastore of
    /// incidents; a re-run scans only what is new.
    Audit(AuditArgs),
    /// Record a triage decision about an audit incident.
    Triage(TriageArgs),
    /// Merge audit datastores (the shards of one audit) into one.
    Merge(MergeArgs),
    /// Write a report of an audit datastore: HTML, JSON, SARIF, CSV or text.
    Report(ReportArgs),
    /// Ask a secret's issuer whether it still works (the secret is read from standard input).
    ///
    /// Never from the command line, where shell history and `ps` would keep it. Use it after
    /// rotating a key, to confirm the old one is dead. Exit code: 0 inactive, 1 live, 2 unknown.
    Validate(ValidateArgs),
    /// Print a shell completion script to standard output.
    #[command(after_long_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
    /// Print the man page (roff) to standard output, or write one page per subcommand.
    // Hidden: packagers and the release archives need it, users read the result.
    #[command(hide = true)]
    Man(ManArgs),
}

/// How each shell loads the script: in `leakguard completions --help`, not the README, so
/// that it ships with the binary.
const COMPLETIONS_HELP: &str = "\
Install it where the shell looks (then start a new shell):
  bash        leakguard completions bash > ~/.local/share/bash-completion/completions/leakguard
  zsh         leakguard completions zsh > ~/.zfunc/_leakguard
              (with `fpath+=~/.zfunc` before `compinit` in ~/.zshrc)
  fish        leakguard completions fish > ~/.config/fish/completions/leakguard.fish
  elvish      in rc.elv: eval (leakguard completions elvish | slurp)
  powershell  in $PROFILE: leakguard completions powershell | Out-String | Invoke-Expression";

/// `leakguard completions`
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// `leakguard man`
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write leakguard.1 and a page per subcommand (leakguard-audit.1, …) into DIR,
    /// creating it, instead of printing leakguard.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// The audit datastore, shared by `audit`, `triage` and `report`.
#[derive(Debug, Clone, Args)]
pub struct DbArg {
    /// The audit datastore (an SQLite file).
    #[arg(
        long,
        value_name = "FILE",
        default_value = "leakguard-audit.db",
        env = "LEAKGUARD_DB"
    )]
    pub db: PathBuf,
}

/// `leakguard audit`
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Repositories (work trees or bare), directories holding repositories (searched
    /// recursively), or git URLs (file://, ssh://, git@host:path; https:// in builds with the
    /// `https` feature).
    #[arg(value_name = "REPO")]
    pub inputs: Vec<String>,
    /// A file naming one REPO per line (`#` comments and blank lines are ignored).
    #[arg(long = "repos", value_name = "FILE")]
    pub repos_file: Option<PathBuf>,
    #[command(flatten)]
    pub db: DbArg,
    /// Where URLs are cloned (bare) and fetched on later runs (default: the user's cache
    /// directory, `leakguard/clones`).
    #[arg(long, value_name = "DIR")]
    pub clone_dir: Option<PathBuf>,
    /// Audit only shard I of N (0-based): a stable subset by hash of each repository's
    /// name. Needs LEAKGUARD_FINGERPRINT_KEY, shared by all shards.
    #[arg(long, value_name = "I/N", value_parser = parse_shard, conflicts_with = "shards")]
    pub shard: Option<(u32, u32)>,
    /// Audit shard JOB_COMPLETION_INDEX of N (a Kubernetes Indexed Job sets the variable).
    #[arg(long, value_name = "N")]
    pub shards: Option<u32>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub limits: Limits,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Keep secrets in clear in the datastore, so that reports can show them (default: only
    /// their keyed hash and a redacted form are kept).
    #[arg(long)]
    pub show_secrets: bool,
    /// Let every incident count towards the exit code, whatever its triage.
    #[arg(long)]
    pub all_statuses: bool,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Show progress on stderr (default: only when stderr is a terminal and CI is unset).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub progress: ColorChoice,
    /// Ask each incident's issuer whether its secret still works (SECURITY.md says what is
    /// sent); the check and its time are stored. Off by default.
    #[arg(long)]
    pub validate: bool,
    #[command(flatten)]
    pub validation: ValidationArgs,
    /// With --validate: check again the live and unknown incidents last checked longer ago
    /// than this (`24h`, `90m`, `7d`; default 24h). Inactive ones are not checked again.
    #[arg(long, value_name = "AGE", value_parser = parse_age, requires = "validate")]
    pub revalidate_after: Option<std::time::Duration>,
    /// Audit every repository of this GitHub organisation (token: $GITHUB_TOKEN, if set).
    /// Repeatable. Needs the `https` feature.
    #[arg(long, value_name = "ORG")]
    pub github_org: Vec<String>,
    /// Audit every repository this GitHub user owns (token: $GITHUB_TOKEN, if set).
    /// Repeatable. Needs the `https` feature.
    #[arg(long, value_name = "USER")]
    pub github_user: Vec<String>,
    /// Audit every project of this GitLab group and its subgroups (`group/subgroup`; token:
    /// $GITLAB_TOKEN, if set). Repeatable. Needs the `https` feature.
    #[arg(long, value_name = "GROUP")]
    pub gitlab_group: Vec<String>,
    /// The API of a GitHub Enterprise Server (`https://HOST/api/v3`) or a GitLab
    /// self-managed instance (`https://HOST/api/v4`); default: https://api.github.com,
    /// https://gitlab.com/api/v4.
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// More trust roots (a PEM file) for the API of --api-url. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub api_ca: Vec<PathBuf>,
    /// Also audit the forks an organisation, user or group holds (default: left out).
    #[arg(long)]
    pub include_forks: bool,
    /// Leave out archived repositories.
    #[arg(long)]
    pub exclude_archived: bool,
    /// How listed repositories are cloned: `https` (the token handed to git as a
    /// credential, never written into the URL) or `ssh` (your ssh keys).
    #[arg(long, value_name = "PROTOCOL", default_value = "https", value_parser = ["https", "ssh"])]
    pub clone_protocol: String,
}

/// `24h`, `90m`, `7d`, `30s` (a bare number is hours).
pub fn parse_age(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let (n, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "h"),
    };
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{s}` is not an age such as 24h, 90m or 7d"))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{s}`: the unit is s, m, h or d")),
    };
    Ok(std::time::Duration::from_secs(n.saturating_mul(secs)))
}

/// A validation status on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValidationStatus {
    Live,
    Inactive,
    Unknown,
    NotChecked,
}

impl ValidationStatus {
    pub fn status(self) -> crate::validate::Status {
        use crate::validate::Status;
        match self {
            ValidationStatus::Live => Status::Live,
            ValidationStatus::Inactive => Status::Inactive,
            ValidationStatus::Unknown => Status::Unknown,
            ValidationStatus::NotChecked => Status::NotChecked,
        }
    }
}

/// `leakguard triage`
#[derive(Debug, Args)]
pub struct TriageArgs {
    /// The incident's id as reports show it (a unique prefix of at least 6 digits will do).
    #[arg(value_name = "ID")]
    pub id: String,
    /// The decision.
    #[arg(long, value_enum)]
    pub status: TriageStatus,
    /// Why (kept with the decision).
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub note: String,
    /// Who decided (default: $LEAKGUARD_USER, else $USER).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    #[command(flatten)]
    pub db: DbArg,
}

/// A triage status on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TriageStatus {
    Open,
    Revoked,
    FalsePositive,
    Accepted,
}

/// `leakguard merge`
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The datastores to merge.
    #[arg(value_name = "DB", required = true)]
    pub inputs: Vec<PathBuf>,
    /// The datastore to merge them into (created if needed; merging again changes nothing).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
}

/// `leakguard report`
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Report format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
    pub format: AuditFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// List every incident, whatever its triage (default: open ones, and revoked ones found
    /// again since).
    #[arg(long)]
    pub all_statuses: bool,
}

/// Parses `I/N` with I < N.
fn parse_shard(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("`{s}` is not a shard: use I/N with 0 <= I < N, e.g. 0/4");
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (i, n): (u32, u32) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

/// `leakguard baseline [scan|history …]`
#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// The baseline file to write (it is read first if it exists: its key and entries are
    /// kept).
    #[arg(
        long,
        short = 'f',
        value_name = "FILE",
        default_value = ".leakguard-baseline.json"
    )]
    pub file: PathBuf,
    /// Drop entries that no longer match any finding.
    #[arg(long)]
    pub prune: bool,
    /// Scope new entries to the path where each secret was found (default: the secret is
    /// accepted wherever it appears, so moving it to another file keeps it suppressed).
    #[arg(long)]
    pub per_path: bool,
    /// What to scan (default: `scan .`).
    #[command(subcommand)]
    pub source: Option<BaselineSource>,
}

/// The scan whose findings a baseline records.
#[derive(Debug, Subcommand)]
pub enum BaselineSource {
    /// Files on disk.
    Scan(ScanArgs),
    /// A repository's history.
    History(HistoryArgs),
}

/// `leakguard rules …`
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Print the active rules (id, severity, description).
    List(RulesListArgs),
    /// Check every rule's examples; exit 1 naming each failing example.
    Test(ConfigArgs),
}

/// Where rules and allowlists come from.
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// Config file with extra rules, disabled rules and allowlists (default: `.leakguard.yaml`
    /// at the scanned root or the repository root).
    #[arg(long, value_name = "FILE", env = "LEAKGUARD_CONFIG")]
    pub config: Option<PathBuf>,
    /// Ignore any config file: built-in rules only.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
}

/// How validation reaches issuers (`--validate`, `leakguard validate`).
#[derive(Debug, Clone, Args)]
pub struct ValidationArgs {
    /// Send a provider's checks to another origin, such as a self-hosted instance
    /// (`github=https://ghe.example.com/api/v3`). For a provider with regions (mailgun,
    /// datadog), `PROVIDER=URL` sends one request there instead of asking each region, and
    /// `PROVIDER.REGION=URL` moves that one region only (`mailgun.eu=https://…`).
    /// Repeatable.
    #[arg(long, value_name = "PROVIDER[.REGION]=URL")]
    pub validation_endpoint: Vec<String>,
    /// More trust roots (a PEM file), for a corporate proxy or a private instance. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub validation_ca: Vec<PathBuf>,
    /// Allow checks to reach loopback, private, link-local and multicast addresses.
    #[arg(long)]
    pub allow_internal_ips: bool,
    /// Seconds one check may take, from connecting to the end of the answer (at most 5 of
    /// them to connect; default 10). A check that takes longer is `unknown`.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=300))]
    pub validation_timeout: Option<u64>,
    /// Checks in flight at once (default 8).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub validation_jobs: Option<u16>,
    /// Requests a second to any one host, at most (default 50).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub validation_rate: Option<u32>,
}

/// `leakguard validate`
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The rule whose check to run (`leakguard rules list` marks the rules that have one).
    #[arg(long, value_name = "ID")]
    pub rule: String,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub validation: ValidationArgs,
    /// `text`, or `json` (the verdict as reports carry it).
    #[arg(long, value_enum, default_value_t = VerdictFormat::Text)]
    pub format: VerdictFormat,
}

/// How `leakguard validate` prints its verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerdictFormat {
    Text,
    Json,
}

/// `leakguard rules list`
#[derive(Debug, Args)]
pub struct RulesListArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Output format (`markdown`: the coverage list, `docs/rules.md`).
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

/// `leakguard scan`
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// With `-`: the path to report standard input at, which path rules and allowlists see
    /// (`--stdin-name .env` is refused like a committed `.env`).
    #[arg(long, value_name = "NAME")]
    pub stdin_name: Option<String>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Also scan files ignored by .gitignore and .ignore.
    #[arg(long)]
    pub no_ignore: bool,
    /// In a multi-platform container image, scan only this platform (`linux/amd64`,
    /// `linux/arm64`); default: every platform.
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
    /// More trust roots (a PEM file) for `registry://` images: a private registry's CA.
    /// Repeatable.
    #[arg(long, value_name = "FILE")]
    pub registry_ca: Vec<PathBuf>,
    #[command(flatten)]
    pub limits: Limits,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
    pub threads: usize,
}

impl ScanArgs {
    /// Whether standard input is what is scanned (`-`), once the paths are checked: `-`
    /// alone, `--stdin-name` only with it, and every other path there.
    pub fn checked_stdin(&self) -> anyhow::Result<bool> {
        let stdin = self.paths.iter().any(|p| p.as_os_str() == "-");
        if stdin && self.paths.len() > 1 {
            anyhow::bail!("`-` (standard input) cannot be scanned together with other paths");
        }
        if self.stdin_name.is_some() && !stdin {
            anyhow::bail!("--stdin-name names standard input: give `-` as the path to scan");
        }
        for p in self.paths.iter().filter(|_| !stdin) {
            let registry = crate::source::image::is_registry(p);
            if !registry && std::fs::symlink_metadata(p).is_err() {
                anyhow::bail!("path does not exist: {}", p.display());
            }
        }
        Ok(stdin)
    }

    /// What `leakguard scan` means with no arguments (`leakguard baseline`'s default
    /// source): clap's own defaults and `LEAKGUARD_*` variables, so they cannot drift.
    pub fn defaults() -> Result<ScanArgs, clap::Error> {
        use clap::FromArgMatches;
        let cmd = ScanArgs::augment_args(clap::Command::new("scan"));
        ScanArgs::from_arg_matches(&cmd.try_get_matches_from(["scan"])?)
    }
}

/// `leakguard staged`
#[derive(Debug, Args)]
pub struct StagedArgs {
    /// A path inside the repository.
    #[arg(long, value_name = "PATH", default_value = ".")]
    pub repo: PathBuf,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub limits: Limits,
}

/// `leakguard history`
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// A path inside the repository.
    #[arg(value_name = "PATH", default_value = ".")]
    pub repo: PathBuf,
    /// Only the commits in BASE..HEAD (what a pull request adds).
    #[arg(long, value_name = "BASE..HEAD", conflicts_with = "all")]
    pub range: Option<String>,
    /// Commits reachable from every ref, not just HEAD.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub limits: Limits,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// With --range: take the config and baseline from the work tree instead of from BASE.
    #[arg(long)]
    pub config_from_worktree: bool,
}

/// `leakguard install`
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// A path inside the repository.
    #[arg(long, value_name = "PATH", default_value = ".")]
    pub repo: PathBuf,
    /// Replace an existing pre-commit hook that leakguard did not write.
    #[arg(long)]
    pub force: bool,
}

/// `leakguard uninstall`
#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// A path inside the repository.
    #[arg(long, value_name = "PATH", default_value = ".")]
    pub repo: PathBuf,
}

/// What to skip: shared by every command that reads content.
#[derive(Debug, Clone, Copy, Args)]
pub struct Limits {
    /// Skip binary files and blobs entirely (default: scan them with provider-specific rules
    /// only; a key compiled into a binary is still a leak).
    #[arg(long)]
    pub skip_binary: bool,
    /// Skip files and blobs larger than this (bytes, or with a K, M or G suffix); path rules
    /// still apply to them. Files over 32 MiB are scanned in windows, so a big bundle or dump
    /// costs time, not memory.
    // 256M: browser bundles and generated files, where keys leak, run to tens of MB; the
    // engine is linear and big files are streamed, so only time bounds the limit.
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = parse_size)]
    pub max_file_size: u64,
    /// Do not look inside archives (zip, jar, whl, tar, tgz, gz, bz2, xz, zst, …).
    #[arg(long)]
    pub no_archives: bool,
    /// Open archives nested up to this deep (a jar in a zip is depth 2).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub archive_depth: u8,
}

/// How findings are written.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text, env = "LEAKGUARD_FORMAT")]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print secrets in full (default: redacted to a short prefix and a length).
    #[arg(long)]
    pub show_secrets: bool,
    /// Print findings only: no summary, no warnings.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Colour in text output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Suppress findings recorded in this baseline file (see `leakguard baseline`).
    #[arg(long, value_name = "FILE", env = "LEAKGUARD_BASELINE")]
    pub baseline: Option<PathBuf>,
    /// Exit 1 only for findings of at least this severity.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = Level::Low, env = "LEAKGUARD_FAIL_ON")]
    pub fail_on: Level,
    /// Report only findings of at least this severity.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = Level::Low, env = "LEAKGUARD_MIN_SEVERITY")]
    pub min_severity: Level,
    /// Also list suppressed findings, each with what suppressed it (baseline entry,
    /// allowlist and its file, or inline comment).
    #[arg(long)]
    pub explain: bool,
    /// Ignore `leakguard:allow` comments (for CI: a comment alone cannot bypass review).
    #[arg(long, env = "LEAKGUARD_NO_INLINE_ALLOW", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_inline_allow: bool,
    /// Show progress on stderr (default: only when stderr is a terminal and CI is unset).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub progress: ColorChoice,
    /// Ask each secret's issuer whether it still works: one read-only request per distinct
    /// secret, to the issuer's documented endpoint (SECURITY.md says what is sent). Off by
    /// default; a pre-commit hook should stay offline.
    #[arg(long)]
    pub validate: bool,
    #[command(flatten)]
    pub validation: ValidationArgs,
    /// With --validate: report only the findings with these statuses (say `live,unknown`).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        value_name = "STATUS,…",
        requires = "validate"
    )]
    pub validation_filter: Vec<ValidationStatus>,
    /// With --validate: fail (exit 1) on live findings only, whatever --fail-on says.
    #[arg(long, requires = "validate")]
    pub fail_on_live: bool,
}

/// A severity threshold on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Level {
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    /// The rule severity this threshold starts at.
    pub fn severity(self) -> crate::rules::Severity {
        use crate::rules::Severity;
        match self {
            Level::Low => Severity::Low,
            Level::Medium => Severity::Medium,
            Level::High => Severity::High,
            Level::Critical => Severity::Critical,
        }
    }
}

/// When to colour text output or show progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    Always,
    Never,
}

/// Parses `1048576`, `512K`, `10M`, `1G` (binary units; `KiB`/`MB` spellings accepted).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    // Where `find` stopped, or the end: a char boundary.
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a size (e.g. 1048576, 512K, 10M, 1G)"))?;
    let mult = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return Err(format!("`{s}`: unknown size unit (use K, M or G)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{s}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10M"), Ok(10 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("7"), Ok(7));
        assert!(parse_size("x").is_err());
        assert!(parse_size("5T").is_err());
    }
}
