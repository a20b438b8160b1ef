//! `leakguard install` / `uninstall`: the git pre-commit hook.

use anyhow::{bail, Result};

use crate::app::{ExitStatus, Messages};
use crate::cli::{InstallArgs, UninstallArgs};

/// Writes the pre-commit hook.
pub fn install(_args: &InstallArgs, _messages: &mut Messages) -> Result<ExitStatus> {
    bail!("`leakguard install` is not implemented yet")
}

/// Removes the hook written by [`install`].
pub fn uninstall(_args: &UninstallArgs, _messages: &mut Messages) -> Result<ExitStatus> {
    bail!("`leakguard uninstall` is not implemented yet")
}
