//! The Markdown report, ready to paste into a ticket: failures first (worst severity first), each
//! with its fix and a waiver snippet for the manifest; then what could not be evaluated; then
//! the waived findings; the passes collapsed in a `<details>` block.

use std::io::{self, Write};

use super::{
    baseline_line, change_label, change_rows, entries, groups, header, is_command, md_code,
    md_text, plain, status_label, summary_line, Entry,
};
use crate::pure::engine::Report;
use crate::pure::finding::{Change, Finding, Status};

pub(super) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# plaudit report\n")?;
    writeln!(out, "{}\n", md_text(&header(report)))?;
    writeln!(out, "**{}**\n", summary_line(report))?;
    if !report.deployment.notes.is_empty() {
        writeln!(out, "## Deployment notes\n")?;
        for n in &report.deployment.notes {
            writeln!(out, "- {}", md_text(n))?;
        }
        writeln!(out)?;
    }
    changes(report, out)?;
    failures(report, out)?;
    errors(report, out)?;
    waived(report, out)?;
    passes(report, out)
}

/// The comparison with the baseline, first (it is what a reviewer reads).
fn changes(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let Some(line) = baseline_line(report) else {
        return Ok(());
    };
    writeln!(out, "## Changes since the baseline\n")?;
    writeln!(out, "{}\n", md_text(&line))?;
    let rows = change_rows(report);
    if rows.is_empty() {
        return writeln!(out, "No failure is new, changed or resolved.\n");
    }
    writeln!(out, "| Change | Severity | Rule | Resource | Finding |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for r in rows {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            change_label(r.change),
            r.severity,
            r.rule_id,
            md_code(r.resource_id),
            md_text(r.message)
        )?;
    }
    writeln!(out)
}

fn workspaces(f: &Finding) -> String {
    if f.workspaces.is_empty() {
        "not tied to a workspace".to_string()
    } else {
        format!(
            "workspace {}",
            f.workspaces
                .iter()
                .map(|w| md_text(w))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

fn failures(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut list: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .collect();
    if list.is_empty() {
        return writeln!(out, "## Failures\n\nNone.\n");
    }
    // Worst first; the report's order (rule, resource) within a severity.
    list.sort_by_key(|f| std::cmp::Reverse(f.severity));
    writeln!(out, "## Failures ({})\n", list.len())?;
    for (i, f) in list.iter().enumerate() {
        let mark = match f.change {
            Some(c @ (Change::New | Change::ChangedEvidence)) => format!(" ({})", change_label(c)),
            _ => String::new(),
        };
        writeln!(
            out,
            "### {}. {} {}{mark}: {} on {}\n",
            i + 1,
            status_label(f.status),
            f.severity,
            f.rule_id,
            md_code(&f.resource_id)
        )?;
        writeln!(out, "**{}** ({})\n", md_text(&f.title), workspaces(f))?;
        writeln!(out, "{}\n", md_text(&f.message))?;
        if !f.expected.is_empty() || !f.actual.is_empty() {
            writeln!(out, "- Expected: {}", md_text(&f.expected))?;
            writeln!(out, "- Actual: {}\n", md_text(&f.actual))?;
        }
        if is_command(&f.remediation) {
            writeln!(out, "**Fix:**\n\n{}", fenced("sh", &plain(&f.remediation)))?;
        } else {
            writeln!(out, "**Fix:** {}\n", md_text(&f.remediation))?;
        }
        if let Some(w) = f.waiver.as_ref().filter(|w| w.expired) {
            writeln!(
                out,
                "A waiver matched but expired on {}: {}\n",
                md_text(w.expires.as_deref().unwrap_or("?")),
                md_text(&w.reason)
            )?;
        }
        writeln!(
            out,
            "<details><summary>Waive it: add to the manifest</summary>\n"
        )?;
        writeln!(out, "{}", waiver_snippet(f))?;
        writeln!(out, "</details>\n")?;
    }
    Ok(())
}

/// A `waivers:` entry for the manifest, in a fenced YAML block. The values are JSON strings
/// (valid YAML), so no id or message can break out of the block or the document.
fn waiver_snippet(f: &Finding) -> String {
    let q = |s: &str| serde_json::to_string(&plain(s)).unwrap_or_else(|_| "\"\"".to_string());
    let body = format!(
        "waivers:\n  - rule: {}\n    resource: {}\n    reason: \"why this is accepted\"\n    owner: \"who answers for it\"\n    expires: \"YYYY-MM-DD\"",
        q(&f.rule_id),
        q(&f.resource_id)
    );
    fenced("yaml", &body)
}

/// `body` in a fenced code block longer than any run of backticks in it.
fn fenced(lang: &str, body: &str) -> String {
    let longest = body
        .split(|c| c != '`')
        .map(str::len)
        .max()
        .unwrap_or(0)
        .max(2);
    let fence = "`".repeat(longest + 1);
    format!("{fence}{lang}\n{body}\n{fence}\n")
}

fn errors(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let list: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Error)
        .collect();
    if list.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Could not be evaluated ({})\n", list.len())?;
    writeln!(
        out,
        "Neither pass nor fail: the audit is incomplete until these causes are fixed.\n"
    )?;
    writeln!(out, "| Rules | Resource | Cause |")?;
    writeln!(out, "|---|---|---|")?;
    for e in entries(&list) {
        let rules = match &e {
            Entry::One(f) => f.rule_id.to_string(),
            Entry::Errors { rules, .. } => rules.join(", "),
        };
        writeln!(
            out,
            "| {} | {} | {} |",
            rules,
            md_code(&e.first().resource_id),
            md_text(&e.message())
        )?;
    }
    writeln!(out)
}

fn waived(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let list: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Waived)
        .collect();
    if list.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Waived ({})\n", list.len())?;
    writeln!(out, "| Severity | Rule | Resource | Finding | Waiver |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for f in list {
        let waiver = f
            .waiver
            .as_ref()
            .map(|w| {
                format!(
                    "{} (owner {}, expires {})",
                    md_text(&w.reason),
                    if w.owner.is_empty() {
                        "-".to_string()
                    } else {
                        md_text(&w.owner)
                    },
                    md_text(w.expires.as_deref().unwrap_or("never"))
                )
            })
            .unwrap_or_default();
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            f.severity,
            f.rule_id,
            md_code(&f.resource_id),
            md_text(&f.message),
            waiver
        )?;
    }
    writeln!(out)
}

fn passes(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let count = |s: Status| report.findings.iter().filter(|f| f.status == s).count();
    let (pass, na) = (count(Status::Pass), count(Status::NotApplicable));
    if pass + na == 0 {
        return Ok(());
    }
    writeln!(out, "## Passed\n")?;
    writeln!(
        out,
        "<details><summary>{pass} pass, {na} not applicable</summary>\n"
    )?;
    for (title, list) in groups(report) {
        let quiet: Vec<&Finding> = list
            .into_iter()
            .filter(|f| matches!(f.status, Status::Pass | Status::NotApplicable))
            .collect();
        if quiet.is_empty() {
            continue;
        }
        writeln!(out, "### {}\n", md_text(&title))?;
        writeln!(out, "| Status | Severity | Rule | Resource | Finding |")?;
        writeln!(out, "|---|---|---|---|---|")?;
        for f in quiet {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                status_label(f.status),
                f.severity,
                f.rule_id,
                md_code(&f.resource_id),
                md_text(&f.message)
            )?;
        }
        writeln!(out)?;
    }
    writeln!(out, "</details>")
}
