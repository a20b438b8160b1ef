//! One function per subcommand, wiring source → engine → report, and the config discovery
//! that every subcommand shares. Errors get their context here, at the boundary.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::baseline::Baseline;
use crate::cancel::Cancel;
use crate::cli::{
    BaselineArgs, BaselineSource, ColorChoice, Command, ConfigArgs, Format, HistoryArgs,
    OutputArgs, RulesCommand, ScanArgs,
};
use crate::engine::{Engine, Policy};
use crate::finding::Finding;
use crate::progress::Progress;
use crate::report::{self, Summary};
use crate::rules::{builtin, check, RuleSet, Source};
use crate::source::worktree::{self, Root, WalkOptions};

/// The name of the config file looked for at the scanned root and the repository root.
pub const CONFIG_FILE: &str = ".leakguard.yaml";

/// How a run ended; `main` maps it to the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing found (0).
    Clean,
    /// Findings reported (1).
    Findings,
    /// No failing finding, but some content could not be read (2): the scan cannot vouch
    /// for what it did not see. The report is written; the warnings name what was missed.
    Incomplete,
}

/// Messages for stderr, collected so that `main` is the only place that prints them.
#[derive(Debug, Default)]
pub struct Messages {
    pub warnings: Vec<String>,
    /// Facts the user should know about how the run was set up (printed as notes).
    pub notes: Vec<String>,
    /// `--quiet`: print no notes, and warnings only when they explain an incomplete scan.
    pub quiet: bool,
}

/// Runs a parsed command line.
/// `cancel` is set by Ctrl-C; a cancelled run returns [`crate::cancel::Interrupted`].
pub fn run(cli: crate::cli::Cli, messages: &mut Messages, cancel: &Cancel) -> Result<ExitStatus> {
    match cli.command {
        Command::Scan(args) => scan(&args, messages, cancel),
        Command::Staged(args) => staged(&args, cancel),
        Command::History(args) => history(&args, messages, cancel),
        Command::Install(args) => crate::hook::install(&args, messages),
        Command::Uninstall(args) => crate::hook::uninstall(&args, messages),
        Command::Rules(RulesCommand::List(args)) => rules_list(&args.config, args.format),
        Command::Rules(RulesCommand::Test(args)) => rules_test(&args, messages),
        Command::Baseline(args) => baseline(&args, messages, cancel),
    }
}

/// Rules loaded from the built-ins and the discovered config.
pub struct LoadedRules {
    pub engine: Engine,
    /// The config file used, if any.
    pub config: Option<PathBuf>,
    pub compile_ms: f64,
}

/// Finds the config file: `--config`, else `.leakguard.yaml` at the first scanned directory,
/// else at the root of the git repository holding it.
pub fn find_config(args: &ConfigArgs, start: &Path) -> Result<Option<PathBuf>> {
    if args.no_config {
        return Ok(None);
    }
    if let Some(path) = &args.config {
        if !path.is_file() {
            bail!("config file {} does not exist", path.display());
        }
        return Ok(Some(path.clone()));
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
    for anc in abs.ancestors() {
        let c = anc.join(CONFIG_FILE);
        if c.is_file() {
            return Ok(Some(c));
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

/// Loads the built-in rules plus the config file (if any) and compiles the engine. `bulk`
/// asks for the fastest keyword matcher built in (large scans), at a higher startup cost.
pub fn load_rules(config: Option<PathBuf>, bulk: bool, policy: Policy) -> Result<LoadedRules> {
    let text = match &config {
        Some(p) => Some((
            p.display().to_string(),
            std::fs::read_to_string(p)
                .with_context(|| format!("cannot read config file {}", p.display()))?,
        )),
        None => None,
    };
    compile_rules(text, config, bulk, policy)
}

/// Compiles the built-ins plus a config given as `(name, text)`.
fn compile_rules(
    text: Option<(String, String)>,
    config: Option<PathBuf>,
    bulk: bool,
    policy: Policy,
) -> Result<LoadedRules> {
    let started = Instant::now();
    let source = text.as_ref().map(|(name, text)| Source {
        name: name.clone(),
        text,
    });
    let set = RuleSet::load(&builtin::sources(), source.as_ref())?;
    let mut engine = Engine::new(set)?;
    engine.set_policy(policy);
    if bulk {
        engine.enable_bulk_prefilter();
    }
    Ok(LoadedRules {
        engine,
        config,
        compile_ms: started.elapsed().as_secs_f64() * 1e3,
    })
}

/// The engine policy the output flags ask for.
fn policy(out: &OutputArgs) -> Policy {
    Policy {
        inline_allow: !out.no_inline_allow,
        keep_suppressed: out.explain,
    }
}

/// A baseline and the name it was read under (a path, or `path@commit`).
type NamedBaseline = (Baseline, String);

/// What a source produced, before suppression and reporting.
struct Scanned {
    findings: Vec<Finding>,
    stats: crate::source::worktree::Stats,
    commits: Option<usize>,
}

/// The shared end of every scanning command: baseline, severity floor, report, exit status.
fn conclude(
    out: &OutputArgs,
    loaded: &LoadedRules,
    baseline: Option<&NamedBaseline>,
    scanned: Scanned,
    started: Instant,
    footer: Option<&'static str>,
) -> Result<ExitStatus> {
    let (mut suppressed, reported): (Vec<Finding>, Vec<Finding>) = scanned
        .findings
        .into_iter()
        .partition(|f| f.suppressed.is_some());
    let mut stale = Vec::new();
    let mut reported = match baseline {
        Some((b, file)) => {
            let applied = b.apply(reported, &suppressed, file);
            suppressed.extend(applied.suppressed);
            stale = applied.stale.iter().map(|e| e.display()).collect();
            applied.kept
        }
        None => reported,
    };
    let min = out.min_severity.severity();
    let before = reported.len();
    reported.retain(|f| f.severity >= min);
    let below = before - reported.len();
    reported.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    suppressed.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let unreadable = scanned.stats.files_unreadable;
    let mut summary = Summary::new(
        &reported,
        scanned.stats,
        loaded.engine.rules().rules.len(),
        loaded.compile_ms,
        started.elapsed().as_secs_f64() * 1e3,
    );
    summary.commits = scanned.commits;
    summary.suppressed = suppressed.len();
    summary.below_min_severity = below;
    summary.stale_baseline = stale;
    let fail = out.fail_on.severity();
    let status = if reported.iter().any(|f| f.severity >= fail) {
        ExitStatus::Findings
    } else if unreadable > 0 {
        ExitStatus::Incomplete
    } else {
        ExitStatus::Clean
    };
    let rep = report::Report {
        findings: &reported,
        suppressed: if out.explain { &suppressed } else { &[] },
        summary: &summary,
        rules: &loaded.engine.rules().rules,
    };
    let footer = footer.filter(|_| status == ExitStatus::Findings);
    emit(out, &rep, footer)?;
    Ok(status)
}

/// Loads `--baseline` from disk, if given.
fn disk_baseline(out: &OutputArgs) -> Result<Option<NamedBaseline>> {
    match &out.baseline {
        Some(p) => Ok(Some((Baseline::load(p)?, p.display().to_string()))),
        None => Ok(None),
    }
}

fn scan(args: &ScanArgs, messages: &mut Messages, cancel: &Cancel) -> Result<ExitStatus> {
    let started = Instant::now();
    let baseline = disk_baseline(&args.output)?;
    let (loaded, scanned) = scan_files(args, messages, cancel)?;
    conclude(
        &args.output,
        &loaded,
        baseline.as_ref(),
        scanned,
        started,
        None,
    )
}

/// Runs `scan`'s source: the files on disk.
fn scan_files(
    args: &ScanArgs,
    messages: &mut Messages,
    cancel: &Cancel,
) -> Result<(LoadedRules, Scanned)> {
    for p in &args.paths {
        if std::fs::symlink_metadata(p).is_err() {
            bail!("path does not exist: {}", p.display());
        }
    }
    let config = find_config(&args.config, &args.paths[0])?;
    let loaded = load_rules(config, true, policy(&args.output))?;
    let base = match &loaded.config {
        Some(c) => c.parent().map(Path::to_path_buf).unwrap_or_default(),
        None => args.paths[0].clone(),
    };
    let base = canonical_dir(&base);
    let roots = args
        .paths
        .iter()
        .map(|p| make_root(p, base.as_deref()))
        .collect();
    let opts = WalkOptions {
        roots,
        no_ignore: args.no_ignore,
        skip_binary: args.limits.skip_binary,
        max_file_size: args.limits.max_file_size,
        threads: args.threads,
    };
    let outcome = Progress::run(show_progress(&args.output), "files", |p| {
        worktree::scan(&loaded.engine, &opts, p, cancel)
    });
    cancel.check()?;
    messages.quiet |= args.output.quiet;
    messages.warnings.extend(outcome.warnings);
    let scanned = Scanned {
        findings: outcome.findings,
        stats: outcome.stats,
        commits: None,
    };
    Ok((loaded, scanned))
}

/// Advice shown under findings that block a commit.
const STAGED_FOOTER: &str = "\
leakguard: this commit is blocked. Ways out:
  - move the value to an environment variable or a secret store, then `git add` the file again
  - unstage the file: git restore --staged <file>
  - if the secret was ever pushed or shared, rotate it now (see `fix` above)
  - a genuine false positive: add a `leakguard:allow` comment on that line
";

fn open_repo(path: &Path) -> Result<gix::Repository> {
    // As git does: `GIT_DIR` names the repository (no discovery from `path`) and
    // `GIT_WORK_TREE` its work tree; `gix::discover` alone would ignore both.
    let mut repo = match std::env::var_os("GIT_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => gix::open_with_environment_overrides(path).with_context(|| {
            format!(
                "GIT_DIR={} is not a git repository",
                Path::new(&dir).display()
            )
        })?,
        None => gix::discover(path)
            .with_context(|| format!("{} is not inside a git repository", path.display()))?,
    };
    repo.object_cache_size_if_unset(8 * 1024 * 1024);
    Ok(repo)
}

fn staged(args: &crate::cli::StagedArgs, cancel: &Cancel) -> Result<ExitStatus> {
    use crate::source::localenv::LocalSecrets;
    use crate::source::staged;
    let started = Instant::now();
    let repo = open_repo(&args.repo)?;
    let Some(workdir) = repo.workdir().map(Path::to_path_buf) else {
        bail!(
            "{} is a bare repository: there is no work tree, so nothing is staged",
            repo.git_dir().display()
        );
    };
    let config = find_config(&args.config, &workdir)?;
    let baseline = disk_baseline(&args.output)?;
    let loaded = load_rules(config, false, policy(&args.output))?;
    let index = staged::open_index(&repo)?;
    let files = staged::staged_files(&repo, &index)?;
    // Local secrets: `.env*` files at the top and beside every staged file.
    let mut dirs: Vec<String> = vec![String::new()];
    for f in &files {
        let p = staged::display(f.path.as_ref());
        if let Some((dir, _)) = p.rsplit_once('/') {
            dirs.push(format!("{dir}/"));
        }
    }
    dirs.sort();
    dirs.dedup();
    let abs: Vec<(PathBuf, String)> = dirs.into_iter().map(|d| (workdir.join(&d), d)).collect();
    let local = LocalSecrets::load(abs.iter().map(|(p, d)| (p.as_path(), d.clone())), |rel| {
        index.entry_by_path(rel.into()).is_some()
    });
    let opts = staged::StagedOptions {
        skip_binary: args.limits.skip_binary,
        max_file_size: args.limits.max_file_size,
    };
    let (findings, stats) = staged::scan(&repo, &loaded.engine, &files, &local, opts, cancel)?;
    let scanned = Scanned {
        findings,
        stats,
        commits: None,
    };
    conclude(
        &args.output,
        &loaded,
        baseline.as_ref(),
        scanned,
        started,
        Some(STAGED_FOOTER),
    )
}

fn history(args: &HistoryArgs, messages: &mut Messages, cancel: &Cancel) -> Result<ExitStatus> {
    let started = Instant::now();
    let (loaded, baseline, scanned) = history_scan(args, messages, cancel)?;
    conclude(
        &args.output,
        &loaded,
        baseline.as_ref(),
        scanned,
        started,
        None,
    )
}

/// Runs `history`'s source, with the config and baseline it trusts: from BASE for a range
/// (so that a pull request cannot weaken them), else from the work tree.
fn history_scan(
    args: &HistoryArgs,
    messages: &mut Messages,
    cancel: &Cancel,
) -> Result<(LoadedRules, Option<NamedBaseline>, Scanned)> {
    use crate::source::history::{self, HistoryOptions, Selection};
    if std::fs::symlink_metadata(&args.repo).is_err() {
        bail!("path does not exist: {}", args.repo.display());
    }
    let mut repo = open_repo(&args.repo)?;
    repo.object_cache_size_if_unset(64 * 1024 * 1024);
    let root = repo
        .workdir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| repo.git_dir().to_path_buf());
    let from_base = match &args.range {
        Some(range) if !args.config_from_worktree => history::range_base(&repo, range)?,
        _ => None,
    };
    let (loaded, baseline) = match from_base {
        Some(base) => trusted_from_base(&repo, base, args, messages)?,
        None => {
            let config = find_config(&args.config, &root)?;
            (
                load_rules(config, true, policy(&args.output))?,
                disk_baseline(&args.output)?,
            )
        }
    };
    let selection = match (&args.range, args.all) {
        (Some(r), _) => Selection::Range(r.clone()),
        (None, true) => Selection::All,
        (None, false) => Selection::Head,
    };
    let opts = HistoryOptions {
        skip_binary: args.limits.skip_binary,
        max_file_size: args.limits.max_file_size,
        threads: args.threads,
    };
    let outcome = Progress::run(show_progress(&args.output), "blobs", |p| {
        history::scan(&repo, &loaded.engine, &selection, opts, p, cancel)
    })?;
    messages.quiet |= args.output.quiet;
    messages.warnings.extend(outcome.notes);
    let scanned = Scanned {
        findings: outcome.findings,
        stats: outcome.stats,
        commits: Some(outcome.commits),
    };
    Ok((loaded, baseline, scanned))
}

/// The config and baseline as they are in the BASE commit of a range. An explicit
/// `--config FILE` or `--no-config` is the CI author's choice and is honoured; the discovered
/// `.leakguard.yaml` and a `--baseline` inside the work tree are read from BASE.
fn trusted_from_base(
    repo: &gix::Repository,
    base: gix::ObjectId,
    args: &HistoryArgs,
    messages: &mut Messages,
) -> Result<(LoadedRules, Option<NamedBaseline>)> {
    use crate::source::history::read_at;
    let short = base.to_hex_with_len(12).to_string();
    let policy = policy(&args.output);
    let loaded = if args.config.no_config || args.config.config.is_some() {
        load_rules(find_config(&args.config, Path::new("."))?, true, policy)?
    } else {
        match read_at(repo, base, CONFIG_FILE)? {
            Some(text) => {
                messages.notes.push(format!(
                    "config: {CONFIG_FILE} as of BASE {short} (a pull request cannot change it; --config-from-worktree uses the work tree's)"
                ));
                let text = String::from_utf8(text)
                    .with_context(|| format!("{CONFIG_FILE} at {short} is not UTF-8"))?;
                compile_rules(
                    Some((format!("{CONFIG_FILE}@{short}"), text)),
                    None,
                    true,
                    policy,
                )?
            }
            None => {
                messages.notes.push(format!(
                    "config: built-in rules only ({CONFIG_FILE} does not exist at BASE {short})"
                ));
                compile_rules(None, None, true, policy)?
            }
        }
    };
    let baseline = match &args.output.baseline {
        None => None,
        Some(p) => match tree_path(repo, p) {
            None => disk_baseline(&args.output)?,
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
    Ok((loaded, baseline))
}

/// `path` relative to the repository's work tree, `/`-separated, if it lies inside it.
fn tree_path(repo: &gix::Repository, path: &Path) -> Option<String> {
    let workdir = repo.workdir()?.canonicalize().ok()?;
    let abs = std::env::current_dir().ok()?.join(path);
    // The file may not exist on disk: canonicalise its directory.
    let dir = abs.parent()?.canonicalize().ok()?;
    let full = dir.join(abs.file_name()?);
    let rel = full.strip_prefix(&workdir).ok()?;
    Some(worktree::slash_path(rel))
}

/// `leakguard baseline`: record today's findings (keeping the file's key and entries).
fn baseline(args: &BaselineArgs, messages: &mut Messages, cancel: &Cancel) -> Result<ExitStatus> {
    let default_scan;
    let source = match &args.source {
        Some(s) => s,
        None => {
            use clap::Parser as _;
            default_scan = match crate::cli::Cli::try_parse_from(["leakguard", "scan", "."]) {
                Ok(crate::cli::Cli {
                    command: Command::Scan(a),
                }) => BaselineSource::Scan(a),
                _ => bail!("cannot build the default `scan .`"),
            };
            &default_scan
        }
    };
    let out = match source {
        BaselineSource::Scan(a) => &a.output,
        BaselineSource::History(a) => &a.output,
    };
    if out.baseline.is_some() {
        bail!("--baseline applies to scans; `leakguard baseline` writes the file named by --file");
    }
    let found = match source {
        BaselineSource::Scan(a) => scan_files(a, messages, cancel)?.1.findings,
        BaselineSource::History(a) => history_scan(a, messages, cancel)?.2.findings,
    };
    let mut b = if args.file.exists() {
        Baseline::load(&args.file)?
    } else {
        Baseline::new()?
    };
    let before = b.entries.len();
    let mut wanted = std::collections::BTreeSet::new();
    for f in found.iter().filter(|f| f.suppressed.is_none()) {
        let e = match b.lookup(f) {
            Some(e) => e.clone(),
            None => b.entry_for(f, !args.per_path),
        };
        wanted.insert(e);
    }
    let stale = b.entries.difference(&wanted).count();
    let added = wanted.difference(&b.entries).count();
    if args.prune {
        b.entries = wanted;
    } else {
        b.entries.extend(wanted);
    }
    write_atomically(&args.file, b.to_text().as_bytes())?;
    let pruned = if args.prune { stale } else { 0 };
    let hint = if !args.prune && stale > 0 {
        format!("; {stale} stale: run with --prune to drop them")
    } else {
        String::new()
    };
    messages.notes.push(format!(
        "baseline {}: {} entries ({added} added, {} kept, {pruned} pruned{hint})",
        args.file.display(),
        b.entries.len(),
        before - pruned,
    ));
    Ok(ExitStatus::Clean)
}

/// Writes `bytes` to `path` through a temp file renamed into place.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.flush())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn canonical_dir(p: &Path) -> Option<PathBuf> {
    let p = if p.as_os_str().is_empty() {
        Path::new(".")
    } else {
        p
    };
    let c = p.canonicalize().ok()?;
    Some(if c.is_dir() {
        c
    } else {
        c.parent()?.to_path_buf()
    })
}

/// A walk root and the prefix that makes its paths relative to the config's directory.
fn make_root(path: &Path, base: Option<&Path>) -> Root {
    let is_dir = path.is_dir();
    let rel = base.and_then(|b| {
        let c = path.canonicalize().ok()?;
        let r = c.strip_prefix(b).ok()?;
        Some(worktree::slash_path(r))
    });
    let match_prefix = match rel {
        Some(r) if is_dir && !r.is_empty() => format!("{r}/"),
        Some(r) if !is_dir => r,
        _ => String::new(),
    };
    Root {
        path: path.to_path_buf(),
        match_prefix,
        is_dir,
    }
}

/// Writes the report to `--output` (atomically: a temp file renamed into place) or stdout.
fn emit(out: &OutputArgs, rep: &report::Report<'_>, footer: Option<&'static str>) -> Result<()> {
    let mut opts = report::Options {
        show_secrets: out.show_secrets,
        quiet: out.quiet,
        color: false,
        footer,
    };
    match &out.output {
        // A device, FIFO or other special file (`-o /dev/null`, `-o /dev/stdout`) is written
        // in place: renaming a temp file over it would replace the device.
        Some(path) if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) => {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            report::write(out.format, rep, opts, &mut file)
                .and_then(|()| file.flush())
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        Some(path) => {
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("cannot write {}", path.display()))?;
            report::write(out.format, rep, opts, &mut tmp)
                .and_then(|()| tmp.flush())
                .with_context(|| format!("cannot write {}", path.display()))?;
            tmp.persist(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => {
            opts.color = out.format == Format::Text && use_color(out.color);
            let stdout = io::stdout();
            let mut lock = io::BufWriter::new(stdout.lock());
            let res = report::write(out.format, rep, opts, &mut lock).and_then(|()| lock.flush());
            match res {
                // A closed pipe (`leakguard scan | head`) is not an error.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
                r => r.context("cannot write to standard output")?,
            }
        }
    }
    Ok(())
}

/// Progress on stderr: when asked, or on a terminal outside CI and without `--quiet`.
fn show_progress(out: &OutputArgs) -> bool {
    match out.progress {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            !out.quiet && io::stderr().is_terminal() && std::env::var_os("CI").is_none()
        }
    }
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    }
}

fn rules_list(config: &ConfigArgs, format: Format) -> Result<ExitStatus> {
    let loaded = load_rules(
        find_config(config, Path::new("."))?,
        false,
        Policy::default(),
    )?;
    let rules = &loaded.engine.rules().rules;
    let mut buf = Vec::new();
    match format {
        Format::Json | Format::Sarif => {
            let list: Vec<_> = rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id,
                        "severity": r.severity,
                        "description": r.description,
                        "kind": if r.is_path_rule() { "path" } else { "content" },
                        "keywords": r.keywords,
                        "pattern": r.pattern,
                        "source": r.source,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut buf, &serde_json::json!({ "rules": list }))?;
            writeln!(buf)?;
        }
        Format::Text => {
            let w = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
            for r in rules {
                writeln!(
                    buf,
                    "{:<w$}  {:<8}  {}",
                    r.id,
                    r.severity.as_str(),
                    r.description
                )?;
            }
        }
    }
    write_stdout(&buf)?;
    Ok(ExitStatus::Clean)
}

fn rules_test(config: &ConfigArgs, messages: &mut Messages) -> Result<ExitStatus> {
    let loaded = load_rules(
        find_config(config, Path::new("."))?,
        false,
        Policy::default(),
    )?;
    let rules = loaded.engine.rules();
    messages.warnings.extend(rules.warnings.iter().cloned());
    let failures = check::check_all(&loaded.engine);
    let examples: usize = rules
        .rules
        .iter()
        .map(|r| r.examples.matches.len() + r.examples.no_match.len())
        .sum();
    let mut buf = Vec::new();
    for f in &failures {
        writeln!(buf, "FAIL {f}")?;
    }
    writeln!(
        buf,
        "{} rules, {} examples: {} failed",
        rules.rules.len(),
        examples,
        failures.len()
    )?;
    write_stdout(&buf)?;
    Ok(if failures.is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    })
}

fn write_stdout(buf: &[u8]) -> Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(buf).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("cannot write to standard output"),
    }
}
