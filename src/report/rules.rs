//! `leakguard rules list`: the active rules as a table (text) or as JSON.

use std::io::{self, Write};

use super::Format;
use crate::rules::Rule;

/// Writes the rule list in `format` (SARIF lists rules as JSON does).
pub fn write(rules: &[Rule], format: Format, out: &mut dyn Write) -> io::Result<()> {
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
            serde_json::to_writer_pretty(&mut *out, &serde_json::json!({ "rules": list }))?;
            writeln!(out)
        }
        Format::Text => {
            let w = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
            for r in rules {
                let (id, sev) = (&r.id, r.severity.as_str());
                writeln!(out, "{id:<w$}  {sev:<8}  {}", r.description)?;
            }
            Ok(())
        }
    }
}
