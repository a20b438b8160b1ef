//! `leakguard install` / `uninstall`: the git pre-commit hook.
//!
//! The hook lives where git looks for it: `core.hooksPath` if set (a relative value is
//! relative to the work tree root, as in git; `~/` is expanded), else `hooks/` in the common
//! git directory (in a linked worktree that is the main repository's, not the worktree's).
//! leakguard recognises its own hook by [`MARKER`] and never overwrites or removes a hook it did
//! not write, unless `install --force` is given (which keeps a backup).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::cli::{InstallArgs, UninstallArgs};
use crate::exit::{ExitStatus, Messages};

/// The line that marks a hook as written by `leakguard install`.
pub const MARKER: &str = "# installed by leakguard install";

/// The hook's file name.
const HOOK_NAME: &str = "pre-commit";

/// Where a replaced hook is moved to (`.1`, `.2`, … if taken).
const BACKUP_SUFFIX: &str = ".leakguard-backup";

/// The hook script.
pub const SCRIPT: &str = r#"#!/bin/sh
# installed by leakguard install
# Scans what this commit adds for secrets: `leakguard staged`. A finding stops the commit.
# Skip it once with `git commit --no-verify`; remove it with `leakguard uninstall`.
if ! command -v leakguard >/dev/null 2>&1; then
    echo "leakguard pre-commit hook: \`leakguard\` is not on PATH; install it (pipx install leakguard-bin, or cargo install leakguard-cli --locked)," >&2
    echo "or remove this hook with \`leakguard uninstall\` (skip it once: git commit --no-verify)" >&2
    exit 1
fi
exec leakguard staged "$@"
"#;

/// Where the hook goes, and why.
#[derive(Debug)]
struct HookLocation {
    /// The hooks directory.
    dir: PathBuf,
    /// True when the directory comes from `core.hooksPath`.
    from_config: bool,
}

impl HookLocation {
    fn hook(&self) -> PathBuf {
        self.dir.join(HOOK_NAME)
    }

    fn origin(&self) -> &'static str {
        if self.from_config {
            " (core.hooksPath)"
        } else {
            ""
        }
    }
}

/// Writes the pre-commit hook.
pub fn install(args: &InstallArgs, _messages: &mut Messages) -> Result<ExitStatus> {
    let repo = discover(&args.repo)?;
    if repo.workdir().is_none() {
        bail!(
            "{} is a bare repository: nothing is committed there, so a pre-commit hook would never run",
            display(repo.git_dir()).display()
        );
    }
    let loc = hooks_dir(&repo)?;
    let hook = loc.hook();
    let shown = display(&hook);

    let mut backup = None;
    let existing = read_hook(&hook)?;
    let verb = match &existing {
        Some(Existing::Ours(text)) if text == SCRIPT => {
            // Make sure it is still executable, then say so.
            set_executable(&hook)?;
            out(&format!(
                "leakguard: pre-commit hook already installed at {}{}",
                shown.display(),
                loc.origin()
            ))?;
            return Ok(ExitStatus::Clean);
        }
        Some(Existing::Ours(_)) => "updated",
        Some(Existing::Foreign { framework }) => {
            if !args.force {
                let hint = if *framework {
                    "it was written by the pre-commit framework: add the `leakguard` hook to \
                     .pre-commit-config.yaml instead, or rerun with --force to replace it"
                } else {
                    "rerun with --force to replace it (the old hook is kept as a backup), \
                     or call `leakguard staged` from it yourself"
                };
                bail!(
                    "{} already exists and was not written by leakguard; {hint}",
                    shown.display()
                );
            }
            let to = backup_path(&hook);
            std::fs::rename(&hook, &to).with_context(|| {
                format!(
                    "cannot move {} to {}",
                    shown.display(),
                    display(&to).display()
                )
            })?;
            backup = Some(to);
            "installed"
        }
        None => "installed",
    };

    std::fs::create_dir_all(&loc.dir)
        .with_context(|| format!("cannot create {}", display(&loc.dir).display()))?;
    write_script(&loc.dir, &hook).with_context(|| format!("cannot write {}", shown.display()))?;

    let mut msg = format!(
        "leakguard: {verb} pre-commit hook at {}{}",
        shown.display(),
        loc.origin()
    );
    if let Some(b) = backup {
        msg.push_str(&format!(
            "\nleakguard: the previous hook was moved to {}",
            display(&b).display()
        ));
    }
    out(&msg)?;
    Ok(ExitStatus::Clean)
}

/// Removes the hook written by [`install`].
pub fn uninstall(args: &UninstallArgs, _messages: &mut Messages) -> Result<ExitStatus> {
    let repo = discover(&args.repo)?;
    let loc = hooks_dir(&repo)?;
    let hook = loc.hook();
    let shown = display(&hook);
    match read_hook(&hook)? {
        None => {
            out(&format!(
                "leakguard: no pre-commit hook at {}{}; nothing to uninstall",
                shown.display(),
                loc.origin()
            ))?;
        }
        Some(Existing::Foreign { .. }) => bail!(
            "{} was not written by leakguard; left it untouched",
            shown.display()
        ),
        Some(Existing::Ours(_)) => {
            std::fs::remove_file(&hook)
                .with_context(|| format!("cannot remove {}", shown.display()))?;
            let mut msg = format!("leakguard: removed pre-commit hook {}", shown.display());
            for b in backups(&hook) {
                msg.push_str(&format!(
                    "\nleakguard: a hook replaced by `leakguard install --force` is kept at {}; \
                     rename it to {HOOK_NAME} to restore it",
                    display(&b).display()
                ));
            }
            out(&msg)?;
        }
    }
    Ok(ExitStatus::Clean)
}

/// Opens the repository holding `path`.
fn discover(path: &Path) -> Result<gix::Repository> {
    if std::fs::metadata(path).is_err() {
        bail!("path does not exist: {}", path.display());
    }
    let shown = if path.as_os_str().is_empty() || path == Path::new(".") {
        std::env::current_dir().unwrap_or_else(|_| path.to_path_buf())
    } else {
        path.to_path_buf()
    };
    crate::source::preflight::check(path)?;
    // Find it first, for a one-line error naming the path; then open it.
    if let Err(e) = gix::discover::upwards(path) {
        use gix::discover::upwards::Error as E;
        match e.downcast_any_ref::<E>() {
            Some(
                E::NoGitRepository { .. }
                | E::NoGitRepositoryWithinCeiling { .. }
                | E::NoGitRepositoryWithinFs { .. },
            ) => bail!(
                "not a git repository (or any of its parents): {}",
                shown.display()
            ),
            Some(e) => bail!("{e}"),
            None => {
                return Err(anyhow::Error::new(e)).with_context(|| {
                    format!("cannot find a git repository at {}", shown.display())
                })
            }
        }
    }
    gix::discover(path)
        .with_context(|| format!("cannot open the git repository at {}", shown.display()))
}

/// The hooks directory git uses for `repo`.
fn hooks_dir(repo: &gix::Repository) -> Result<HookLocation> {
    let config = repo.config_snapshot();
    if let Some(raw) = config.string("core.hooksPath") {
        if raw.is_empty() {
            bail!("core.hooksPath is set but empty; set it to a directory or unset it");
        }
        let path = config
            .trusted_path("core.hooksPath")
            .with_context(|| format!("cannot interpret core.hooksPath `{raw}`"))?;
        // `None`: the value is only in a config file gix does not trust; git would refuse to
        // work in such a repository too, so do not guess.
        let Some(path) = path else {
            bail!("core.hooksPath `{raw}` comes from a config file that is not trusted");
        };
        let dir = if path.is_absolute() {
            path
        } else {
            // Git runs hooks from the work tree root (the git dir in a bare repository), and
            // resolves a relative hooksPath from there.
            repo.workdir().unwrap_or_else(|| repo.git_dir()).join(path)
        };
        return Ok(HookLocation {
            dir: absolute(&dir),
            from_config: true,
        });
    }
    Ok(HookLocation {
        dir: absolute(&repo.common_dir().join("hooks")),
        from_config: false,
    })
}

/// What is at the hook's path.
enum Existing {
    /// leakguard's hook, with its text.
    Ours(String),
    /// Someone else's; `framework`: the pre-commit framework's.
    Foreign { framework: bool },
}

fn read_hook(hook: &Path) -> Result<Option<Existing>> {
    // A dangling symlink is still a hook someone put there.
    if std::fs::symlink_metadata(hook).is_err() {
        return Ok(None);
    }
    // A hook is a small script; a FIFO or a device there is refused, not read.
    let bytes = match std::fs::metadata(hook) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        _ => crate::fsguard::read_regular(&display(hook), crate::fsguard::MAX_TEXT, "hook")?,
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let is_symlink = std::fs::symlink_metadata(hook).is_ok_and(|m| m.file_type().is_symlink());
    if !is_symlink && text.lines().any(|l| l.trim_end() == MARKER) {
        return Ok(Some(Existing::Ours(text)));
    }
    Ok(Some(Existing::Foreign {
        framework: text.contains("File generated by pre-commit"),
    }))
}

/// Writes the script next to `hook` and renames it into place, so that a commit running
/// concurrently never sees a half-written hook.
fn write_script(dir: &Path, hook: &Path) -> io::Result<()> {
    let mut tmp = tempfile::Builder::new()
        .prefix(".pre-commit.")
        .tempfile_in(dir)?;
    tmp.write_all(SCRIPT.as_bytes())?;
    tmp.flush()?;
    set_executable(tmp.path())?;
    tmp.persist(hook).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(unix)]
fn set_executable(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn set_executable(_path: &Path) -> io::Result<()> {
    Ok(())
}

/// The first free backup name: `pre-commit.leakguard-backup`, then `….1`, `….2`, ….
fn backup_path(hook: &Path) -> PathBuf {
    let base = format!("{HOOK_NAME}{BACKUP_SUFFIX}");
    let dir = hook.parent().unwrap_or(Path::new("."));
    std::iter::once(base.clone())
        .chain((1..).map(|n| format!("{base}.{n}")))
        .map(|name| dir.join(name))
        .find(|p| std::fs::symlink_metadata(p).is_err())
        .unwrap_or_else(|| dir.join(base))
}

/// Existing backups of replaced hooks, in order.
fn backups(hook: &Path) -> Vec<PathBuf> {
    let base = format!("{HOOK_NAME}{BACKUP_SUFFIX}");
    let dir = hook.parent().unwrap_or(Path::new("."));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(u64, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let rest = name.strip_prefix(&base)?;
            let n = if rest.is_empty() {
                0
            } else {
                rest.strip_prefix('.')?.parse().ok()?
            };
            Some((n, e.path()))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, p)| p).collect()
}

/// `p` made absolute against the current directory (without resolving symlinks).
fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// `p` relative to the current directory when it lies below it, for messages.
fn display(p: &Path) -> PathBuf {
    let Ok(cwd) = std::env::current_dir() else {
        return p.to_path_buf();
    };
    let p = absolute(p);
    match p.strip_prefix(&cwd) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
        _ => p,
    }
}

/// Writes `msg` and a newline to stdout; a closed pipe is not an error.
fn out(msg: &str) -> Result<()> {
    let mut stdout = io::stdout().lock();
    match writeln!(stdout, "{msg}").and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("cannot write to standard output"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_carries_the_marker_and_runs_staged() {
        assert!(SCRIPT.starts_with("#!/bin/sh\n"));
        assert!(SCRIPT.lines().any(|l| l == MARKER));
        assert!(SCRIPT.contains("exec leakguard staged \"$@\""));
    }

    #[test]
    fn backup_names() {
        let dir = tempfile::tempdir().unwrap();
        let hook = dir.path().join(HOOK_NAME);
        assert_eq!(
            backup_path(&hook),
            dir.path().join("pre-commit.leakguard-backup")
        );
        std::fs::write(dir.path().join("pre-commit.leakguard-backup"), "").unwrap();
        assert_eq!(
            backup_path(&hook),
            dir.path().join("pre-commit.leakguard-backup.1")
        );
        std::fs::write(dir.path().join("pre-commit.leakguard-backup.1"), "").unwrap();
        assert_eq!(backups(&hook).len(), 2);
    }
}
