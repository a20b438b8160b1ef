//! Files that a scanned tree or repository controls, opened by path: rule files, baselines,
//! `.gitignore`s and git metadata. Any of them may be a FIFO (whose `open` waits forever for
//! a writer), a device (`/dev/zero` never ends) or a link to one; each is checked to be a
//! regular file, with a size cap, before it is read, and an error names the file and what
//! it is instead.

use std::fs::{File, FileType, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The cap on a text file read whole (rule files, `.gitignore`s, git's config and refs):
/// far above any real one, far below what would exhaust memory.
pub const MAX_TEXT: u64 = 64 * 1024 * 1024;

/// What a file of type `t` is, for a message: "a FIFO", "a directory", ...
pub fn describe(t: FileType) -> &'static str {
    if t.is_file() {
        return "a regular file";
    }
    if t.is_dir() {
        return "a directory";
    }
    if t.is_symlink() {
        return "a symbolic link";
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
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
    }
    "a special file"
}

/// Opens `path` for reading without blocking on a FIFO (`O_NONBLOCK`) or taking a terminal
/// (`O_NOCTTY`); regular files read the same either way.
pub fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    o.open(path)
}

/// Reads `path` whole if it is a regular file (a link is followed) of at most `cap` bytes.
/// The type is checked on the open file, so a file swapped after a check cannot slip
/// through; `what` names it in errors ("config file", "baseline").
pub fn read_regular(path: &Path, cap: u64, what: &str) -> Result<Vec<u8>> {
    let shown = path.display();
    if let Ok(m) = std::fs::metadata(path) {
        refuse_special(path, &m, what)?;
    }
    let mut file = open_nonblocking(path).with_context(|| format!("cannot read {what} {shown}"))?;
    let meta = file
        .metadata()
        .with_context(|| format!("cannot read {what} {shown}"))?;
    refuse_special(path, &meta, what)?;
    if meta.len() > cap {
        bail!(
            "{what} {shown} is {} bytes, over the limit of {cap} bytes",
            meta.len()
        );
    }
    let mut buf = Vec::with_capacity(meta.len() as usize + 1);
    (&mut file)
        .take(cap + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("cannot read {what} {shown}"))?;
    if buf.len() as u64 > cap {
        bail!("{what} {shown} grew over the limit of {cap} bytes while it was read");
    }
    Ok(buf)
}

/// [`read_regular`] as UTF-8 text.
pub fn read_text(path: &Path, cap: u64, what: &str) -> Result<String> {
    String::from_utf8(read_regular(path, cap, what)?)
        .map_err(|_| anyhow::anyhow!("{what} {} is not UTF-8 text", path.display()))
}

fn refuse_special(path: &Path, m: &Metadata, what: &str) -> Result<()> {
    if !m.is_file() {
        bail!(
            "{what} {} is {}, not a regular file",
            path.display(),
            describe(m.file_type())
        );
    }
    Ok(())
}

/// Why a path that someone else (git's library, the walker) will open is refused.
#[derive(Debug)]
pub struct Refused {
    pub path: PathBuf,
    pub why: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.path.display(), self.why)
    }
}

/// What a path is, by `lstat`, and, for a link, what it resolves to.
pub enum Kind {
    Missing,
    File(u64),
    Dir,
    /// A link to a regular file or directory: its resolved path.
    Link(PathBuf, bool),
    /// Anything else, or a link to anything else: why.
    Special(String),
}

/// Looks at `path` without following it; a link is resolved to see where it ends.
pub fn kind(path: &Path) -> Kind {
    let Ok(m) = std::fs::symlink_metadata(path) else {
        return Kind::Missing;
    };
    let t = m.file_type();
    if t.is_file() {
        return Kind::File(m.len());
    }
    if t.is_dir() {
        return Kind::Dir;
    }
    if !t.is_symlink() {
        return Kind::Special(format!("is {}, not a regular file", describe(t)));
    }
    match (std::fs::metadata(path), path.canonicalize()) {
        (Ok(target), Ok(real)) if target.is_file() || target.is_dir() => {
            Kind::Link(real, target.is_dir())
        }
        (Ok(target), _) => Kind::Special(format!(
            "is a link to {}, not a regular file",
            describe(target.file_type())
        )),
        // Dangling: whoever opens it finds nothing, as if it were missing.
        _ => Kind::Missing,
    }
}

/// Checks that `path`, which another library will open, is missing, a regular file of at
/// most `cap` bytes (`None`: any size, for files that are mapped rather than read) or a
/// link to such a file below one of `roots`.
pub fn check_file(path: &Path, cap: Option<u64>, roots: &[PathBuf]) -> Result<(), Refused> {
    let refuse = |why: String| {
        Err(Refused {
            path: path.to_path_buf(),
            why,
        })
    };
    let len = match kind(path) {
        Kind::Missing => return Ok(()),
        Kind::File(len) => len,
        Kind::Dir => return refuse("is a directory, not a regular file".into()),
        Kind::Special(why) => return refuse(why),
        Kind::Link(_, true) => {
            return refuse("is a link to a directory, not a regular file".into())
        }
        Kind::Link(real, false) => {
            if !roots.iter().any(|r| real.starts_with(r)) {
                return refuse(format!(
                    "is a link out of the repository, to {}",
                    real.display()
                ));
            }
            std::fs::metadata(&real).map(|m| m.len()).unwrap_or(0)
        }
    };
    match cap {
        Some(cap) if len > cap => refuse(format!("is {len} bytes, over the limit of {cap} bytes")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn devices_and_directories_are_named() {
        let err = read_regular(Path::new("/dev/zero"), MAX_TEXT, "config file").unwrap_err();
        assert_eq!(
            err.to_string(),
            "config file /dev/zero is a character device, not a regular file"
        );
        let dir = tempfile::tempdir().unwrap();
        let err = read_regular(dir.path(), MAX_TEXT, "baseline").unwrap_err();
        assert!(err
            .to_string()
            .ends_with("is a directory, not a regular file"));
        let f = dir.path().join("big");
        std::fs::write(&f, "0123456789").unwrap();
        assert!(read_regular(&f, 9, "x").is_err());
        assert_eq!(read_regular(&f, 10, "x").unwrap(), b"0123456789");
    }
}
