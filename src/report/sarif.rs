//! SARIF 2.1.0 report, for code-scanning dashboards. (Being written: issue 5.)

use std::io::{self, Write};

use super::{Options, Report};

/// Writes the SARIF log followed by a newline.
pub fn write(report: &Report<'_>, opts: Options, out: &mut dyn Write) -> io::Result<()> {
    super::json::write(report, opts, out)
}
