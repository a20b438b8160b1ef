//! `leakguard validate`'s verdict: one line (and the details) in text, or one JSON object
//! with the rule and the verdict as reports carry it.

use std::io::{self, Write};

use crate::printable::text as esc;
use crate::validate::Verdict;

pub fn write(rule: &str, v: &Verdict, json: bool, out: &mut dyn Write) -> io::Result<()> {
    if json {
        let doc = serde_json::json!({ "rule_id": rule, "validation": v });
        return writeln!(out, "{doc}");
    }
    writeln!(out, "{rule}: {} ({})", v.status, esc(&v.reason))?;
    for (name, value) in &v.details {
        writeln!(out, "  {name}: {}", esc(value))?;
    }
    Ok(())
}
