//! The `csv` format: one row per finding, every status (like the JSON report), for
//! spreadsheets (`docs/exports.md` has the columns).
//!
//! RFC 4180: a header row, CRLF line ends, a field quoted when it holds a comma, a quote, CR or
//! LF, quotes doubled. A spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, TAB or CR
//! as a formula; names and messages come from the audited account, so such a cell gets a
//! leading `'` (OWASP's advice against CSV injection).

use std::io::{self, Write};

use crate::pure::engine::Report;
use crate::pure::evidence::PathVerdict;
use crate::pure::finding::Finding;

use super::Render;

/// The `csv` format.
#[derive(Debug, Clone, Default)]
pub struct Csv;

/// The header row: the column names, in order (a public contract: columns are only ever
/// added at the end).
pub const COLUMNS: [&str; 20] = [
    "id",
    "rule_id",
    "title",
    "severity",
    "status",
    "change",
    "resource_type",
    "resource_id",
    "arn",
    "account_id",
    "region",
    "workspaces",
    "message",
    "expected",
    "actual",
    "remediation",
    "waiver",
    "blocking_hop",
    "collected_at",
    "references",
];

/// Where a finding's failing or undecided flows stop: per such flow, "`hop` at `resources`:
/// `entries` (uncovered: …)", joined with " | ". `None` for a finding without such a path.
pub fn blocking_hop(f: &Finding) -> Option<String> {
    let parts: Vec<String> = f
        .paths
        .iter()
        .filter(|p| p.verdict != PathVerdict::Pass)
        .filter_map(|p| {
            let h = p.blocking_hop()?;
            let mut s = format!(
                "{} {} {}: {}",
                p.protocol,
                p.ports,
                p.destination,
                h.hop.as_str()
            );
            if !h.resources.is_empty() {
                s.push_str(&format!(" at {}", h.resources.join(", ")));
            }
            if !h.entries.is_empty() {
                s.push_str(&format!(" by {}", h.entries.join(", ")));
            }
            if !h.uncovered.is_empty() {
                s.push_str(&format!(" (uncovered: {})", h.uncovered.join(", ")));
            }
            Some(s)
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" | "))
}

/// A waiver as one cell: "reason (owner X, expires D[, EXPIRED])".
fn waiver_text(f: &Finding) -> String {
    match &f.waiver {
        None => String::new(),
        Some(w) => format!(
            "{} (owner {}, expires {}{})",
            w.reason,
            if w.owner.is_empty() { "-" } else { &w.owner },
            w.expires.as_deref().unwrap_or("never"),
            if w.expired { ", EXPIRED" } else { "" }
        ),
    }
}

/// Writes one field: guarded against formula injection, then quoted if it must be.
fn field(out: &mut dyn Write, s: &str) -> io::Result<()> {
    let guard = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = s.contains([',', '"', '\r', '\n']);
    if quote {
        out.write_all(b"\"")?;
    }
    if guard {
        out.write_all(b"'")?;
    }
    if quote {
        out.write_all(s.replace('"', "\"\"").as_bytes())?;
        out.write_all(b"\"")
    } else {
        out.write_all(s.as_bytes())
    }
}

fn row(out: &mut dyn Write, cells: &[&str]) -> io::Result<()> {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        field(out, c)?;
    }
    out.write_all(b"\r\n")
}

impl Render for Csv {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        row(out, &COLUMNS)?;
        for f in &report.findings {
            let id = f.id.to_string();
            let workspaces = f.workspaces.join("; ");
            let arn = f.arn().unwrap_or_default();
            let hop = blocking_hop(f).unwrap_or_default();
            let waiver = waiver_text(f);
            let references = f.references().join(" ");
            let cells: [&str; COLUMNS.len()] = [
                &id,
                &f.rule_id,
                &f.title,
                f.severity.as_str(),
                f.status.as_str(),
                f.change.map_or("", |c| c.as_str()),
                f.resource_type.as_str(),
                &f.resource_id,
                &arn,
                f.account_id.as_deref().unwrap_or(""),
                f.region.as_deref().unwrap_or(""),
                &workspaces,
                &f.message,
                &f.expected,
                &f.actual,
                &f.remediation,
                &waiver,
                &hop,
                f.collected_at.as_deref().unwrap_or(""),
                &references,
            ];
            row(out, &cells)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(s: &str) -> String {
        let mut out = Vec::new();
        field(&mut out, s).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        assert_eq!(cell("sg-1"), "sg-1");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell(""), "");
    }

    #[test]
    fn formula_cells_get_a_leading_quote() {
        for s in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            let c = cell(s);
            assert!(
                c.starts_with('\'') || c.starts_with("\"'"),
                "{s:?} -> {c:?}"
            );
        }
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("a=b"), "a=b");
    }
}
