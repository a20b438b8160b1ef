//! One short function per subcommand, wiring the one flow: a [`Config`] built once, a
//! source fed through the [`pipeline`], the run-wide [`conclude`] step, the report.
//! Errors get their context here, at the boundary.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::CommandFactory;

use crate::baseline::Baseline;
use crate::cancel::Cancel;
use crate::cli::{
    BaselineArgs, BaselineSource, Cli, Command, ConfigArgs, HistoryArgs, ManArgs, RulesCommand,
    ScanArgs, StagedArgs,
};
use crate::conclude::{conclude, Scanned};
use crate::config::{self, Common, Config, RulesFrom};
use crate::engine::localenv::LocalSecrets;
use crate::exit::{ExitStatus, Messages};
use crate::pipeline;
use crate::source::{history, image, staged, worktree};

/// Runs a parsed command line.
/// `cancel` is set by Ctrl-C; a cancelled run returns [`crate::cancel::Interrupted`].
pub fn run(mut cli: Cli, messages: &mut Messages, cancel: &Cancel) -> Result<ExitStatus> {
    let threads = match &mut cli.command {
        Command::Scan(a)
        | Command::Baseline(BaselineArgs {
            source: Some(BaselineSource::Scan(a)),
            ..
        }) => Some(&mut a.threads),
        Command::History(a)
        | Command::Baseline(BaselineArgs {
            source: Some(BaselineSource::History(a)),
            ..
        }) => Some(&mut a.threads),
        Command::Audit(a) => Some(&mut a.threads),
        _ => None,
    };
    if let Some(t) = threads {
        if let Some(warning) = config::cap_threads(t) {
            messages.warnings.push(warning);
        }
    }
    match cli.command {
        Command::Scan(args) => scan(&args, messages, cancel),
        Command::Staged(args) => staged(&args, messages, cancel),
        Command::History(args) => history(&args, messages, cancel),
        Command::Install(args) => crate::hook::install(&args, messages),
        Command::Uninstall(args) => crate::hook::uninstall(&args, messages),
        Command::Rules(RulesCommand::List(args)) => rules_list(&args.config, args.format),
        Command::Rules(RulesCommand::Test(args)) => rules_test(&args, messages),
        Command::Baseline(args) => baseline(&args, messages, cancel),
        Command::Audit(args) => crate::config::Audit::new(&args)
            .and_then(|cfg| crate::audit::run(&cfg, messages, cancel)),
        Command::Triage(args) => crate::audit::triage(&crate::config::Triage::new(&args), messages),
        Command::Merge(args) => crate::audit::merge(&crate::config::Merge::new(&args), messages),
        Command::Report(args) => {
            crate::audit::report(&crate::config::AuditReportSettings::new(&args))
        }
        Command::Validate(args) => validate(&args),
        Command::Completions(args) => completions(args.shell),
        Command::Man(args) => man(&args, messages),
    }
}

fn scan(args: &ScanArgs, messages: &mut Messages, cancel: &Cancel) -> Result<ExitStatus> {
    let started = Instant::now();
    let baseline = config::disk_baseline(&args.output)?;
    let (config, scanned) = scan_files(args, baseline, messages, cancel)?;
    conclude(&config, scanned, started, None)
}

/// `scan`'s config and source: the files on disk.
fn scan_files(
    args: &ScanArgs,
    baseline: Option<(Baseline, String)>,
    messages: &mut Messages,
    cancel: &Cancel,
) -> Result<(Config, Scanned)> {
    let stdin = args.checked_stdin()?;
    // A registry image has no directory to find a config from: the current one is used.
    let local = args.paths.iter().find(|p| !stdin && !image::is_registry(p));
    let start = local.map_or(Path::new("."), |p| p.as_path());
    let found = config::find_config(&args.config, start)?;
    let common = Common {
        output: &args.output,
        limits: args.limits,
        threads: args.threads,
        bulk: true,
        repo: local.unwrap_or(&args.paths[0]),
    };
    let config = Config::new(RulesFrom::Disk(found), common, baseline, None)?;
    let progress = config.output.progress.then_some("files");
    let (mut images, paths) =
        image::split(&args.paths, args.platform.as_deref(), &args.registry_ca)?;
    let (image_scan, outcome) = match stdin {
        true => {
            let origin = crate::source::stdin::origin(args.stdin_name.as_deref());
            pipeline::run(&config.engine, config.limits, None, |make| {
                let input = std::io::stdin().lock();
                crate::source::stdin::feed(input, &origin, cancel, &mut make());
                Default::default()
            })
        }
        false => {
            let walk = worktree::walk(&paths, config.config_file.as_deref(), args.no_ignore);
            if !args.no_ignore {
                crate::source::walkguard::check_roots(&walk)?;
            }
            pipeline::run(&config.engine, config.limits, progress, |make| {
                let met = worktree::feed(&walk, config.limits, cancel, make);
                images.add(
                    met.into_iter()
                        .map(|p| (worktree::origin(&walk, &p), p))
                        .collect(),
                );
                images.feed(config.limits, cancel, make)
            })
        }
    };
    cancel.check()?;
    messages.quiet |= args.output.quiet;
    messages.warnings.extend(outcome.warnings.iter().cloned());
    let stats = outcome.stats;
    let mut findings = images.attribute(&image_scan, outcome.found);
    crate::engine::delivered::mark_extensions(&paths, &mut findings);
    Ok((config, Scanned::new(findings, stats, None)))
}

/// Advice shown under findings that block a commit.
const STAGED_FOOTER: &str = "\
leakguard: this commit is blocked. Ways out:
  - move the value to an environment variable or a secret store, then `git add` the file again
  - unstage the file: git restore --staged <file>
  - if the secret was ever pushed or shared, rotate it now (see `fix` above)
  - a genuine false positive: add a `leakguard:allow` comment on that line
";

fn staged(args: &StagedArgs, messages: &mut Messages, cancel: &Cancel) -> Result<ExitStatus> {
    let started = Instant::now();
    let repo = crate::source::open_repo(&args.repo)?;
    let Some(workdir) = repo.workdir().map(Path::to_path_buf) else {
        bail!(
            "{} is a bare repository: there is no work tree, so nothing is staged",
            repo.git_dir().display()
        );
    };
    let found = config::find_config(&args.config, &workdir)?;
    let baseline = config::disk_baseline(&args.output)?;
    let index = staged::open_index(&repo)?;
    let files = staged::staged_files(&repo, &index)?;
    let local = local_values(&workdir, &index, &files);
    let common = Common {
        output: &args.output,
        limits: args.limits,
        threads: 1,
        bulk: false,
        repo: &args.repo,
    };
    let config = Config::new(RulesFrom::Disk(found), common, baseline, Some(local))?;
    let (fed, outcome) = pipeline::run(&config.engine, config.limits, None, |make| {
        staged::feed(&repo, &files, config.limits, cancel, &mut make())
    });
    fed?;
    // A blob or archive entry the hook could not read makes the scan incomplete, as in
    // every command: it cannot vouch for that commit (exit 2 unless findings make it 1).
    messages.quiet |= args.output.quiet;
    messages.warnings.extend(outcome.warnings.iter().cloned());
    let stats = outcome.stats;
    let mut findings = outcome.findings();
    crate::engine::delivered::mark_extensions(std::slice::from_ref(&workdir), &mut findings);
    let scanned = Scanned::new(findings, stats, None);
    conclude(&config, scanned, started, Some(STAGED_FOOTER))
}

/// The developer's own values from untracked `.env*` files at the top of the work tree and
/// beside every staged file; a directory that is a link now (out of the tree, perhaps) is
/// not read.
fn local_values(
    workdir: &Path,
    index: &gix::index::File,
    files: &[staged::StagedFile],
) -> LocalSecrets {
    let top = workdir
        .canonicalize()
        .unwrap_or_else(|_| workdir.to_path_buf());
    let dirs = staged::env_dirs(files)
        .into_iter()
        .map(|d| (top.join(&d), d))
        .filter(|(dir, _)| dir.canonicalize().is_ok_and(|c| c == dir.as_path()));
    LocalSecrets::load(dirs, |rel| index.entry_by_path(rel.into()).is_some())
}

fn history(args: &HistoryArgs, messages: &mut Messages, cancel: &Cancel) -> Result<ExitStatus> {
    let started = Instant::now();
    let (config, scanned) = history_scan(args, messages, cancel)?;
    conclude(&config, scanned, started, None)
}

/// `history`'s config and source. A range trusts the config and baseline of its BASE
/// commit (so that a pull request cannot weaken them); otherwise the work tree's.
fn history_scan(
    args: &HistoryArgs,
    messages: &mut Messages,
    cancel: &Cancel,
) -> Result<(Config, Scanned)> {
    if std::fs::symlink_metadata(&args.repo).is_err() {
        bail!("path does not exist: {}", args.repo.display());
    }
    let repo = crate::source::open_repo(&args.repo)?;
    let range = args.range.as_deref().filter(|_| !args.config_from_worktree);
    let (rules, baseline) =
        config::for_history(&repo, range, &args.config, &args.output, messages)?;
    let common = Common {
        output: &args.output,
        limits: args.limits,
        threads: args.threads,
        bulk: true,
        repo: &args.repo,
    };
    let config = Config::new(rules, common, baseline, None)?;
    let selection = history::Selection::new(args.range.as_deref(), args.all);
    let plan = history::plan(&repo, &selection, cancel)?;
    let pool = history::pool(config.limits.threads)?;
    let progress = config.output.progress.then_some("blobs");
    let (fed, outcome) = pipeline::run(&config.engine, config.limits, progress, |make| {
        history::feed(&pool, &repo, &plan, config.limits, cancel, make)
    });
    fed?;
    let mut scanner = config.engine.scanner();
    let mut shown = |s: &str| scanner.printable_path(s).into_owned();
    let findings = history::attribute(&repo, &plan, outcome.found, &mut shown)?;
    messages.quiet |= args.output.quiet;
    let mut notes: Vec<String> = plan.notes.iter().cloned().chain(outcome.warnings).collect();
    notes.sort();
    notes.dedup();
    messages.warnings.extend(notes);
    let (stats, commits) = (outcome.stats, Some(plan.commits()));
    Ok((config, Scanned::new(findings, stats, commits)))
}

/// `leakguard baseline`: record today's findings (keeping the file's key and entries).
fn baseline(args: &BaselineArgs, messages: &mut Messages, cancel: &Cancel) -> Result<ExitStatus> {
    let source = match &args.source {
        Some(s) => s,
        None => &BaselineSource::Scan(ScanArgs::defaults()?),
    };
    let out = match source {
        BaselineSource::Scan(a) => &a.output,
        BaselineSource::History(a) => &a.output,
    };
    if out.baseline.is_some() {
        bail!("--baseline applies to scans; `leakguard baseline` writes the file named by --file");
    }
    let found = match source {
        BaselineSource::Scan(a) => scan_files(a, None, messages, cancel)?.1.findings,
        BaselineSource::History(a) => history_scan(a, messages, cancel)?.1.findings,
    };
    let mut b = if args.file.exists() {
        Baseline::load(&args.file)?
    } else {
        Baseline::new()?
    };
    let change = b.record(&found, args.per_path, args.prune);
    crate::output::to_file(&args.file, |w| w.write_all(b.to_text().as_bytes()))?;
    messages
        .notes
        .push(format!("baseline {}: {change}", args.file.display()));
    Ok(ExitStatus::Clean)
}

fn rules_list(config: &ConfigArgs, format: crate::report::rules::ListFormat) -> Result<ExitStatus> {
    let engine = config::rules_only(config)?;
    let rules = &engine.rules().rules;
    crate::output::to_stdout(|w| crate::report::rules::write(rules, format, w))?;
    Ok(ExitStatus::Clean)
}

/// `leakguard validate`: one secret from standard input, one check, one verdict.
fn validate(args: &crate::cli::ValidateArgs) -> Result<ExitStatus> {
    let one = config::ValidateOne::new(args)?;
    let sent = crate::validate::read_credential(std::io::stdin().lock(), one.spec.uses_pair())?;
    let validator = crate::validate::Validator::new(one.settings)?;
    let verdict = validator.check_all(&[(one.spec, sent)]).remove(0);
    crate::output::to_stdout(|w| crate::report::verdict::write(&one.rule, &verdict, one.json, w))?;
    Ok(match verdict.status {
        crate::validate::Status::Live => ExitStatus::Findings,
        crate::validate::Status::Inactive => ExitStatus::Clean,
        _ => ExitStatus::Incomplete,
    })
}

fn rules_test(config: &ConfigArgs, messages: &mut Messages) -> Result<ExitStatus> {
    let engine = config::rules_only(config)?;
    let rules = engine.rules();
    messages.warnings.extend(rules.warnings.iter().cloned());
    let failures = crate::selftest::check_all(&engine);
    crate::output::to_stdout(|w| crate::report::rules::write_test(&rules.rules, &failures, w))?;
    Ok(if failures.is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    })
}

fn completions(shell: clap_complete::Shell) -> Result<ExitStatus> {
    // clap_complete offers hidden subcommands too (clap issue 1335): complete a copy of the
    // command line without them.
    let full = Cli::command();
    let mut cmd = clap::Command::new("leakguard")
        .version(env!("CARGO_PKG_VERSION"))
        .args(full.get_arguments().cloned())
        .subcommands(full.get_subcommands().filter(|c| !c.is_hide_set()).cloned());
    // Into memory first: `generate` panics on a write error, such as a closed pipe.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "leakguard", &mut script);
    crate::output::to_stdout(|w| w.write_all(&script))?;
    Ok(ExitStatus::Clean)
}

/// `leakguard man`: leakguard.1 on stdout, or every visible command's page into `--dir`.
fn man(args: &ManArgs, messages: &mut Messages) -> Result<ExitStatus> {
    // No `help` subcommand: its page would only repeat `--help`. Built, so that subcommands
    // know their page names (`leakguard-rules-list`).
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = &args.dir else {
        crate::output::to_stdout(|w| clap_mangen::Man::new(cmd).render(w))?;
        return Ok(ExitStatus::Clean);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let (mut todo, mut written) = (vec![cmd], 0);
    while let Some(cmd) = todo.pop() {
        todo.extend(cmd.get_subcommands().filter(|c| !c.is_hide_set()).cloned());
        let page = clap_mangen::Man::new(cmd);
        crate::output::to_file(&dir.join(page.get_filename()), |w| page.render(w))?;
        written += 1;
    }
    let dir = dir.display();
    messages
        .notes
        .push(format!("{written} man pages written to {dir}"));
    Ok(ExitStatus::Clean)
}
