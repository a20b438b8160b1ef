//! How a run ends: its [`ExitStatus`] and the [`Messages`] `main` prints to stderr. Every
//! command returns these; only `main` turns them into an exit code and output.

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
