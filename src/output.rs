//! Where output goes: a file written atomically (a temp file renamed into place), a device
//! or FIFO written in place, or stdout, where a closed pipe (`leakguard scan | head`) is not
//! an error. Every command writes through here.

use std::io::{self, Write};
use std::path::Path;

use anyhow::{Context, Result};

/// Writes what `write` produces to `path`: atomically for a regular file (or a new one), in
/// place for a device, FIFO or other special file (`-o /dev/null`, `-o /dev/stdout`), since
/// renaming a temp file over it would replace the device.
pub fn to_file(path: &Path, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
    let context = || format!("cannot write {}", path.display());
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(context)?;
        return write(&mut file)
            .and_then(|()| file.flush())
            .with_context(context);
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).with_context(context)?;
    write(&mut tmp)
        .and_then(|()| tmp.flush())
        .with_context(context)?;
    tmp.persist(path).with_context(context)?;
    Ok(())
}

/// Writes what `write` produces to stdout, buffered; a closed pipe ends it quietly.
pub fn to_stdout(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
    let stdout = io::stdout();
    let mut lock = io::BufWriter::new(stdout.lock());
    match write(&mut lock).and_then(|()| lock.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("cannot write to standard output"),
    }
}
