//! Ctrl-C: the signal handler sets a flag that the sources poll between files and blobs
//! (and a streamed file's reader between reads: [`Cancel::reader`]), so that a scan stops
//! promptly, writes no report (reports are written whole, at the end), and exits 130.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A cancellation flag shared by the handler and the workers.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

/// A run that stopped because it was cancelled (exit 130).
#[derive(Debug, thiserror::Error)]
#[error("interrupted")]
pub struct Interrupted;

impl Cancel {
    /// Asks every worker to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// The flag itself, for a signal handler to set.
    pub fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.0)
    }

    /// Has the run been cancelled?
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// `Err(Interrupted)` once cancelled.
    pub fn check(&self) -> Result<(), Interrupted> {
        if self.is_cancelled() {
            Err(Interrupted)
        } else {
            Ok(())
        }
    }
}

/// A reader that fails with [`Interrupted`] once its run is cancelled.
pub struct Reader<'c, R> {
    inner: R,
    cancel: &'c Cancel,
}

impl Cancel {
    /// `inner`, failing at its next read once the run is cancelled: a huge file or standard
    /// input stops between windows, not at its end.
    pub fn reader<R: Read>(&self, inner: R) -> Reader<'_, R> {
        Reader {
            inner,
            cancel: self,
        }
    }
}

impl<R: Read> Read for Reader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.cancel.check().map_err(std::io::Error::other)?;
        self.inner.read(buf)
    }
}
