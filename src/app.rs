//! One function per subcommand, wiring source → engine → report, and the config discovery
//! that every subcommand shares. Errors get their context here, at the boundary.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::cli::{ColorChoice, Command, ConfigArgs, Format, OutputArgs, RulesCommand, ScanArgs};
use crate::engine::Engine;
use crate::finding::Finding;
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
}

/// Messages for stderr, collected so that `main` is the only place that prints them.
#[derive(Debug, Default)]
pub struct Messages {
    pub warnings: Vec<String>,
}

/// Runs a parsed command line.
pub fn run(cli: crate::cli::Cli, messages: &mut Messages) -> Result<ExitStatus> {
    match cli.command {
        Command::Scan(args) => scan(&args, messages),
        Command::Staged(args) => staged(&args),
        Command::History(args) => history(&args, messages),
        Command::Install(args) => crate::hook::install(&args, messages),
        Command::Uninstall(args) => crate::hook::uninstall(&args, messages),
        Command::Rules(RulesCommand::List(args)) => rules_list(&args.config, args.format),
        Command::Rules(RulesCommand::Test(args)) => rules_test(&args, messages),
        Command::Baseline(_) => bail!("`leakguard baseline` is not available yet"),
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
pub fn load_rules(config: Option<PathBuf>, bulk: bool) -> Result<LoadedRules> {
    let started = Instant::now();
    let text = match &config {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .with_context(|| format!("cannot read config file {}", p.display()))?,
        ),
        None => None,
    };
    let name = config
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let source = text.as_deref().map(|text| Source {
        name: name.clone(),
        text,
    });
    let set = RuleSet::load(&builtin::sources(), source.as_ref())?;
    let mut engine = Engine::new(set)?;
    if bulk {
        engine.enable_bulk_prefilter();
    }
    Ok(LoadedRules {
        engine,
        config,
        compile_ms: started.elapsed().as_secs_f64() * 1e3,
    })
}

fn scan(args: &ScanArgs, messages: &mut Messages) -> Result<ExitStatus> {
    let started = Instant::now();
    for p in &args.paths {
        if std::fs::symlink_metadata(p).is_err() {
            bail!("path does not exist: {}", p.display());
        }
    }
    let config = find_config(&args.config, &args.paths[0])?;
    let loaded = load_rules(config, true)?;
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
    let outcome = worktree::scan(&loaded.engine, &opts);
    let mut findings = outcome.findings;
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    if !args.output.quiet {
        messages.warnings.extend(outcome.warnings);
    }
    let summary = Summary::new(
        &findings,
        outcome.stats,
        loaded.engine.rules().rules.len(),
        loaded.compile_ms,
        started.elapsed().as_secs_f64() * 1e3,
    );
    emit(&args.output, &report_of(&findings, &summary, &loaded), None)?;
    Ok(status(&findings))
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
    let mut repo = gix::discover(path)
        .with_context(|| format!("{} is not inside a git repository", path.display()))?;
    repo.object_cache_size_if_unset(8 * 1024 * 1024);
    Ok(repo)
}

fn staged(args: &crate::cli::StagedArgs) -> Result<ExitStatus> {
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
    let loaded = load_rules(config, false)?;
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
    let (mut findings, stats) = staged::scan(&repo, &loaded.engine, &files, &local, opts)?;
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let summary = Summary::new(
        &findings,
        stats,
        loaded.engine.rules().rules.len(),
        loaded.compile_ms,
        started.elapsed().as_secs_f64() * 1e3,
    );
    emit(
        &args.output,
        &report_of(&findings, &summary, &loaded),
        Some(STAGED_FOOTER),
    )?;
    Ok(status(&findings))
}

fn status(findings: &[Finding]) -> ExitStatus {
    if findings.is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    }
}

fn history(args: &crate::cli::HistoryArgs, messages: &mut Messages) -> Result<ExitStatus> {
    use crate::source::history::{self, HistoryOptions, Selection};
    let started = Instant::now();
    if std::fs::symlink_metadata(&args.repo).is_err() {
        bail!("path does not exist: {}", args.repo.display());
    }
    let mut repo = open_repo(&args.repo)?;
    repo.object_cache_size_if_unset(64 * 1024 * 1024);
    let root = repo
        .workdir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| repo.git_dir().to_path_buf());
    let config = find_config(&args.config, &root)?;
    let loaded = load_rules(config, true)?;
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
    let outcome = history::scan(&repo, &loaded.engine, &selection, opts)?;
    if !args.output.quiet {
        messages.warnings.extend(outcome.notes);
    }
    let mut findings = outcome.findings;
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut summary = Summary::new(
        &findings,
        outcome.stats,
        loaded.engine.rules().rules.len(),
        loaded.compile_ms,
        started.elapsed().as_secs_f64() * 1e3,
    );
    summary.commits = Some(outcome.commits);
    emit(&args.output, &report_of(&findings, &summary, &loaded), None)?;
    Ok(status(&findings))
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
fn report_of<'a>(
    findings: &'a [Finding],
    summary: &'a Summary,
    loaded: &'a LoadedRules,
) -> report::Report<'a> {
    report::Report {
        findings,
        suppressed: &[],
        summary,
        rules: &loaded.engine.rules().rules,
    }
}

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
    let loaded = load_rules(find_config(config, Path::new("."))?, false)?;
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
    let loaded = load_rules(find_config(config, Path::new("."))?, false)?;
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
