//! Output formats: one trait, writing to `&mut dyn Write`, so tests capture them in memory.
//!
//! Names, tag values, resource ids and messages come from the audited account and the manifest,
//! so every string a renderer prints goes through one escaper for its format ([`plain`] for the
//! table, [`md_text`] / [`md_code`] for Markdown, [`Json`]'s formatter for JSON): no control
//! character, ANSI escape, newline or Markdown/HTML metacharacter in them can change the report's
//! layout or a terminal's state.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::pure::engine::Report;
use crate::pure::finding::{Change, Finding, Severity, Status};
use crate::pure::rules::RULES;

pub mod asff;
pub mod csv;
pub mod html;
mod markdown;
pub mod ocsf;
pub mod sarif;
pub mod text;

pub use asff::Asff;
pub use csv::Csv;
pub use html::Html;
pub use ocsf::Ocsf;
pub use sarif::Sarif;

pub use text::{hang, markdown_to_text, wrap, Style};

/// A way to print a report.
pub trait Render {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()>;
}

/// The versioned JSON report (schema in `docs/json-report.md`).
pub struct Json;

impl Render for Json {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        write_json(report, out)?;
        writeln!(out)
    }
}

/// Writes `value` as pretty JSON in which every character a terminal or viewer could act on
/// (C0 and C1 controls, DEL, bidirectional overrides, line separators) is a `\uXXXX` escape.
/// The values are unchanged: any JSON parser reads back the exact strings.
pub fn write_json<T: serde::Serialize + ?Sized>(value: &T, out: &mut dyn Write) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(
        &mut *out,
        SafeFormatter(serde_json::ser::PrettyFormatter::new()),
    );
    value.serialize(&mut ser).map_err(io::Error::other)
}

/// Writes the items as a JSON array, one pretty-printed element at a time ([`write_json`]'s
/// escaping), so that no tree of the whole array is ever built.
pub fn write_json_array<T: serde::Serialize>(
    items: impl Iterator<Item = T>,
    out: &mut dyn Write,
) -> io::Result<()> {
    out.write_all(b"[")?;
    let mut first = true;
    for item in items {
        out.write_all(if first { b"\n" } else { b",\n" })?;
        first = false;
        write_json(&item, out)?;
    }
    out.write_all(if first { b"]\n" } else { b"\n]\n" })
}

/// True for the characters no report may print raw: controls (C0, DEL, C1), bidirectional
/// formatting characters and the Unicode line and paragraph separators.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
        )
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// serde_json's pretty formatter, with the characters [`is_unsafe`] names escaped (serde_json
/// escapes only C0 controls, quotes and backslashes).
struct SafeFormatter<'a>(serde_json::ser::PrettyFormatter<'a>);

impl serde_json::ser::Formatter for SafeFormatter<'_> {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        frag: &str,
    ) -> io::Result<()> {
        // Below DEL no character is unsafe (serde_json escapes the C0 controls itself): such a
        // fragment, nearly every one, goes out as it is.
        if frag.is_ascii() && !frag.as_bytes().contains(&0x7f) {
            return w.write_all(frag.as_bytes());
        }
        let mut start = 0;
        for (i, c) in frag.char_indices() {
            if is_unsafe(c) {
                w.write_all(&frag.as_bytes()[start..i])?;
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    write!(w, "\\u{u:04x}")?;
                }
                start = i + c.len_utf8();
            }
        }
        w.write_all(&frag.as_bytes()[start..])
    }
}

/// Text for a terminal: newlines, tabs, ESC and every other [`is_unsafe`] character become
/// visible escapes (`\n`, `\t`, `\x1b`, `\u{202e}`), so a name cannot start a line, move
/// the cursor or colour the output.
pub fn plain(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if is_unsafe(c) && (c as u32) < 0x80 => o.push_str(&format!("\\x{:02x}", c as u32)),
            c if is_unsafe(c) => o.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => o.push(c),
        }
    }
    Cow::Owned(o)
}

/// Text for Markdown (a table cell, a heading, a list item): [`plain`], then every character
/// Markdown or HTML would act on is backslash-escaped (CommonMark: any ASCII punctuation may
/// be), so the text renders literally and cannot open a cell, a code span, emphasis, a link or
/// a tag.
pub fn md_text(s: &str) -> String {
    let p = plain(s);
    let mut o = String::with_capacity(p.len() + 8);
    let mut prev = ' ';
    for c in p.chars() {
        // `(` after `]` too: no text can even look like the `](url)` of a link.
        if matches!(
            c,
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '~' | '#' | '!' | '$'
        ) || (c == '(' && prev == ']')
        {
            o.push('\\');
        }
        o.push(c);
        prev = c;
    }
    o
}

/// An identifier as a Markdown code span: [`plain`], pipes escaped (GFM splits cells on them
/// even in code), fenced with more backticks than it contains.
pub fn md_code(s: &str) -> String {
    let p = plain(s).replace('|', "\\|");
    let longest = p.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if p.starts_with('`') || p.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{p}{pad}{fence}")
}

/// A terminal table grouped by workspace and VPC, ending with a summary line.
pub struct Table {
    /// ANSI colours (only on a terminal).
    pub color: bool,
    /// List passing and not-applicable findings too, not just their counts.
    pub show_passed: bool,
    /// Wrap messages, fixes and waivers to this many columns, aligned under their column
    /// (0: no wrapping).
    pub width: usize,
}

/// A Markdown report for tickets and pull requests.
pub struct Markdown;

fn paint(color: bool, code: &str, s: &str) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn status_label(s: Status) -> &'static str {
    match s {
        Status::Pass => "PASS",
        Status::Fail => "FAIL",
        Status::NotApplicable => "N/A",
        Status::Error => "ERROR",
        Status::Waived => "WAIVED",
    }
}

fn status_color(s: Status) -> &'static str {
    match s {
        Status::Pass => "32",
        Status::Fail => "1;31",
        Status::NotApplicable => "2",
        Status::Error => "1;33",
        Status::Waived => "36",
    }
}

/// Findings grouped by the workspaces they serve, in a stable order: workspaces by name, then
/// findings that serve several workspaces, then those that serve none.
fn groups(report: &Report) -> Vec<(String, Vec<&Finding>)> {
    let mut map: BTreeMap<(u8, String), Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        let key = match f.workspaces.len() {
            0 => (2, String::new()),
            1 => (0, f.workspaces[0].to_string()),
            _ => (1, f.workspaces.join(", ")),
        };
        map.entry(key).or_default().push(f);
    }
    map.into_iter()
        .map(|((kind, names), list)| {
            let title = match kind {
                0 => {
                    let ws = report
                        .deployment
                        .workspaces
                        .iter()
                        .find(|w| *w.name == *names);
                    match ws {
                        Some(w) => format!(
                            "workspace {} ({}; modes: {})",
                            w.name,
                            w.vpc_id,
                            w.modes
                                .iter()
                                .map(|m| m.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        None => format!("workspace {names}"),
                    }
                }
                1 => format!("shared by workspaces {names}"),
                _ => "not tied to a workspace".to_string(),
            };
            (title, list)
        })
        .collect()
}

/// "3 fail (1 critical, 2 high), 1 error, 30 pass, 6 not applicable, 0 waived".
pub fn summary_line(report: &Report) -> String {
    let count = |s: Status| report.summary.by_status.get(&s).copied().unwrap_or(0);
    let sev: Vec<String> = Severity::ALL
        .iter()
        .filter_map(|s| {
            report
                .summary
                .failures_by_severity
                .get(s)
                .map(|n| format!("{n} {s}"))
        })
        .collect();
    let fails = if sev.is_empty() {
        format!("{} fail", count(Status::Fail))
    } else {
        format!("{} fail ({})", count(Status::Fail), sev.join(", "))
    };
    format!(
        "{} findings: {fails}, {} error, {} waived, {} pass, {} not applicable.{}",
        report.summary.total,
        count(Status::Error),
        count(Status::Waived),
        count(Status::Pass),
        count(Status::NotApplicable),
        if report.summary.complete {
            ""
        } else {
            " Audit INCOMPLETE: some rules could not be evaluated (see ERROR lines)."
        }
    )
}

/// One line of the comparison with the baseline, unescaped: what changed and where.
pub struct ChangeRow<'a> {
    pub change: Change,
    pub severity: Severity,
    pub rule_id: &'a str,
    pub resource_id: &'a str,
    pub message: &'a str,
}

/// "Against the baseline b.json (collected …): 1 new, 4 still failing, 0 changed evidence,
/// 2 resolved (1 gone)." Unescaped; `None` without a baseline.
pub fn baseline_line(report: &Report) -> Option<String> {
    let b = report.baseline.as_ref()?;
    let mut s = format!(
        "Against the baseline {} (collected {}): {} new, {} still failing, {} changed evidence, {} resolved",
        b.source,
        b.collected_at.as_deref().unwrap_or("unknown"),
        b.new,
        b.still_failing,
        b.changed_evidence,
        b.resolved
    );
    if !b.gone.is_empty() {
        s.push_str(&format!(" ({} gone from this audit)", b.gone.len()));
    }
    s.push('.');
    if !b.unseen.is_empty() {
        s.push_str(&format!(
            " {} baseline failures were not seen by this audit (partial collection or rules not run) and are not counted as resolved.",
            b.unseen.len()
        ));
    }
    Some(s)
}

/// What changed since the baseline, worst first: new failures, changed evidence, then
/// resolved (findings resolved now, then failures gone from the audit). Empty without one.
pub fn change_rows(report: &Report) -> Vec<ChangeRow<'_>> {
    let Some(b) = &report.baseline else {
        return Vec::new();
    };
    let rank = |c: Change| match c {
        Change::New => 0,
        Change::ChangedEvidence => 1,
        _ => 2,
    };
    let mut rows: Vec<ChangeRow<'_>> = report
        .findings
        .iter()
        .filter_map(|f| {
            let c = f.change?;
            matches!(c, Change::New | Change::ChangedEvidence | Change::Resolved).then_some(
                ChangeRow {
                    change: c,
                    severity: f.severity,
                    rule_id: &f.rule_id,
                    resource_id: &f.resource_id,
                    message: &f.message,
                },
            )
        })
        .chain(b.gone.iter().map(|f| ChangeRow {
            change: Change::Resolved,
            severity: f.severity,
            rule_id: &f.rule_id,
            resource_id: &f.resource_id,
            message: "The resource is no longer in the audit (deleted, or its workspace left the audit).",
        }))
        .collect();
    rows.sort_by_key(|r| (rank(r.change), std::cmp::Reverse(r.severity)));
    rows
}

/// How a change reads in a report: "NEW", "CHANGED", "RESOLVED".
pub fn change_label(c: Change) -> &'static str {
    match c {
        Change::New => "NEW",
        Change::StillFailing => "STILL",
        Change::ChangedEvidence => "CHANGED",
        Change::Resolved => "RESOLVED",
        Change::Unchanged => "",
    }
}

/// The report's first line, unescaped (each renderer escapes it for its format).
fn header(report: &Report) -> String {
    format!(
        "plaudit {}: account {}, region {} ({}), collected {}, service table {}",
        report.tool.version,
        report.account_id.as_deref().unwrap_or("unknown"),
        report.region.as_deref().unwrap_or("unknown"),
        report.region_source.describe(),
        report.collected_at.as_deref().unwrap_or("unknown"),
        report.service_table_version
    )
}

impl Render for Table {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let c = self.color;
        let w = self.width;
        writeln!(
            out,
            "{}",
            paint(c, "1", &hang("", "  ", &plain(&header(report)), w))
        )?;
        for n in &report.deployment.notes {
            writeln!(out, "{}", hang("  note: ", "        ", &plain(n), w))?;
        }
        if let Some(line) = baseline_line(report) {
            writeln!(out)?;
            writeln!(out, "{}", paint(c, "1", "== changes since the baseline =="))?;
            writeln!(out, "{}", hang("  ", "  ", &plain(&line), w))?;
            for r in change_rows(report) {
                let color = if r.change == Change::Resolved {
                    "32"
                } else {
                    "1;31"
                };
                writeln!(
                    out,
                    "  {} {:<8} {:<11} {}",
                    paint(c, color, &format!("{:<8}", change_label(r.change))),
                    r.severity.as_str(),
                    r.rule_id,
                    plain(r.resource_id)
                )?;
                writeln!(out, "{}", hang(INDENT, INDENT, &plain(r.message), w))?;
            }
        }
        for (title, list) in groups(report) {
            writeln!(out)?;
            writeln!(
                out,
                "{}",
                paint(c, "1", &format!("== {} ==", plain(&title)))
            )?;
            let mut quiet: BTreeMap<Status, usize> = BTreeMap::new();
            for e in entries(&list) {
                let f = e.first();
                let loud = matches!(f.status, Status::Fail | Status::Error | Status::Waived);
                if !loud && !self.show_passed {
                    *quiet.entry(f.status).or_default() += 1;
                    continue;
                }
                let sev = if f.status == Status::Fail || f.status == Status::Waived {
                    f.severity.as_str()
                } else {
                    ""
                };
                let mut rule = match &e {
                    Entry::One(f) => f.rule_id.to_string(),
                    Entry::Errors { rules, .. } => format!("{} rules", rules.len()),
                };
                if let Some(ch @ (Change::New | Change::ChangedEvidence)) = f.change {
                    rule = format!("{rule:<11} [{}]", change_label(ch));
                }
                writeln!(
                    out,
                    "  {} {:<8} {:<11} {}",
                    paint(
                        c,
                        status_color(f.status),
                        &format!("{:<6}", status_label(f.status))
                    ),
                    sev,
                    rule,
                    plain(&f.resource_id)
                )?;
                writeln!(out, "{}", hang(INDENT, INDENT, &plain(&e.message()), w))?;
                if let Entry::Errors { rules, .. } = &e {
                    writeln!(
                        out,
                        "{}",
                        hang(
                            &format!("{INDENT}rules: "),
                            &format!("{INDENT}       "),
                            &rules.join(", "),
                            w
                        )
                    )?;
                }
                if f.status == Status::Fail {
                    // A command stays on one line, so it can be copied and run.
                    let fix_width = if is_command(&f.remediation) { 0 } else { w };
                    writeln!(
                        out,
                        "{}",
                        hang(
                            &format!("{INDENT}fix: "),
                            &format!("{INDENT}     "),
                            &plain(&f.remediation),
                            fix_width
                        )
                    )?;
                }
                if let Some(wv) = &f.waiver {
                    let text = format!(
                        "{} (owner {}, expires {}{})",
                        plain(&wv.reason),
                        if wv.owner.is_empty() {
                            Cow::Borrowed("-")
                        } else {
                            plain(&wv.owner)
                        },
                        plain(wv.expires.as_deref().unwrap_or("never")),
                        if wv.expired { ", EXPIRED" } else { "" }
                    );
                    writeln!(
                        out,
                        "{}",
                        hang(
                            &format!("{INDENT}waiver: "),
                            &format!("{INDENT}        "),
                            &text,
                            w
                        )
                    )?;
                }
            }
            if !quiet.is_empty() {
                let parts: Vec<String> = quiet
                    .iter()
                    .map(|(s, n)| {
                        format!(
                            "{n} {}",
                            if *s == Status::Pass {
                                "pass"
                            } else {
                                "not applicable"
                            }
                        )
                    })
                    .collect();
                writeln!(out, "  {}", paint(c, "32", &parts.join(", ")))?;
            }
        }
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            paint(c, "1", &hang("", "", &summary_line(report), w))
        )
    }
}

/// Whether a fix is a command to run (it is printed whole, not wrapped or escaped as prose).
fn is_command(fix: &str) -> bool {
    fix.starts_with("aws ")
}

/// Where a finding's message, fix and waiver lines start in the table.
const INDENT: &str = "         ";

/// One entry of a report: a finding, or one cause that several rules report as `error` on one
/// resource (a manifest naming a VPC the snapshot lacks makes every rule say the same thing).
/// Every finding stays in the report and in the JSON; only the printing is grouped.
enum Entry<'a> {
    One(&'a Finding),
    Errors {
        rules: Vec<&'a str>,
        first: &'a Finding,
    },
}

impl<'a> Entry<'a> {
    fn first(&self) -> &'a Finding {
        match self {
            Entry::One(f) => f,
            Entry::Errors { first, .. } => first,
        }
    }

    /// The message, said once for the whole group.
    fn message(&self) -> Cow<'a, str> {
        match self {
            Entry::One(f) => Cow::Borrowed(f.message.as_str()),
            Entry::Errors { first, .. } => match first.message.strip_prefix(&*first.rule_id) {
                Some(rest) => Cow::Owned(format!("Each of these rules{rest}")),
                None => Cow::Borrowed(first.message.as_str()),
            },
        }
    }
}

/// What an error says, without the rule id it may start with.
fn cause(f: &Finding) -> &str {
    f.message.strip_prefix(&*f.rule_id).unwrap_or(&f.message)
}

/// Groups the `error` findings that share a resource and a cause into one entry, placed where
/// the first of them was; everything else is one entry per finding.
fn entries<'a>(list: &[&'a Finding]) -> Vec<Entry<'a>> {
    let mut out: Vec<Entry<'a>> = Vec::with_capacity(list.len());
    let mut seen: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for f in list {
        if f.status != Status::Error {
            out.push(Entry::One(f));
            continue;
        }
        match seen.get(&(&*f.resource_id, cause(f))) {
            Some(&at) => {
                if let Some(Entry::Errors { rules, .. }) = out.get_mut(at) {
                    rules.push(&f.rule_id);
                }
            }
            None => {
                seen.insert((&f.resource_id, cause(f)), out.len());
                out.push(Entry::Errors {
                    rules: vec![&f.rule_id],
                    first: f,
                });
            }
        }
    }
    out.into_iter()
        .map(|e| match e {
            Entry::Errors { rules, first } if rules.len() == 1 => Entry::One(first),
            e => e,
        })
        .collect()
}

impl Render for Markdown {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        markdown::render(report, out)
    }
}

/// The rule catalogue as Markdown: the source of `docs/rules.md`.
pub fn rules_markdown() -> String {
    let mut s = String::from(
        "# plaudit rule catalogue\n\n<!-- Generated from the rule registry by `plaudit rules --format markdown`; do not edit by hand. A test fails when this file is stale. -->\n\n",
    );
    s.push_str(
        "Rule ids are a public contract: they never change meaning and are never reused.\n\n",
    );
    s.push_str("| Id | Title | Severity | Modes | Resource type |\n|---|---|---|---|---|\n");
    for r in RULES {
        let m = r.meta;
        s.push_str(&format!(
            "| [{}](#{}) | {} | {} | {} | {} |\n",
            m.id,
            m.id.to_ascii_lowercase(),
            m.title,
            m.severity_column(),
            modes_text(m),
            m.resource_type
        ));
    }
    for r in RULES {
        s.push('\n');
        s.push_str(&explain(r.meta));
    }
    s
}

fn modes_text(m: &crate::pure::rules::RuleMeta) -> String {
    let mut t = m
        .modes
        .iter()
        .map(|x| x.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if !m.not_under.is_empty() {
        t.push_str(&format!(
            " (not under {})",
            m.not_under
                .iter()
                .map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    t
}

/// One rule's documentation (Markdown; also what `plaudit explain --format markdown` prints),
/// with the tables it refers to: the port table of every partition for the rules that check
/// ports, the service-name table of every region for the rules that check service names.
pub fn explain(m: &crate::pure::rules::RuleMeta) -> String {
    explain_in(m, None)
}

/// [`explain`], with the tables narrowed to one region (its partition's ports, its service
/// names) when `region` is given.
pub fn explain_in(m: &crate::pure::rules::RuleMeta, region: Option<&str>) -> String {
    let mut s = format!("## {}\n\n**{}**\n\n", m.id, m.title);
    s.push_str(&format!("- Severity: {}\n", m.severity_text()));
    s.push_str(&format!("- Modes: {}\n", modes_text(m)));
    s.push_str(&format!("- Resource type: {}\n", m.resource_type));
    s.push_str(&format!(
        "- Reads: {}\n",
        m.inputs
            .iter()
            .map(|i| i.file())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    s.push_str(&format!(
        "- IAM actions: {}\n\n",
        m.permissions().join(", ")
    ));
    s.push_str(&format!("Why: {}\n\n", m.rationale));
    s.push_str(&format!("Fix: {}\n\n", m.remediation));
    s.push_str("References:\n");
    for r in m.references {
        s.push_str(&format!("- {r}\n"));
    }
    if m.needs_port_table() {
        s.push('\n');
        s.push_str(&crate::pure::rules::ports::table_markdown(
            m.ports,
            region.map(crate::pure::rules::ports::Partition::of_region),
        ));
    }
    if m.service_table {
        s.push('\n');
        s.push_str(&service_table_markdown(region));
    }
    s
}

/// The Databricks endpoint-service table built into plaudit, as Markdown: every region, or one.
fn service_table_markdown(region: Option<&str>) -> String {
    let table = crate::pure::services::ServiceTable::builtin();
    let mut s = format!(
        "Endpoint services (table {}, built into plaudit{}):\n\n",
        table.table_version,
        if table.source.is_empty() {
            String::new()
        } else {
            format!("; source {}", table.source)
        }
    );
    s.push_str(
        "| Region | Workspace (REST API) | SCC relay | Service Direct |\n|---|---|---|---|\n",
    );
    let mut any = false;
    for (name, r) in table
        .regions
        .iter()
        .filter(|(name, _)| region.is_none_or(|want| want == name.as_str()))
    {
        any = true;
        let cell = |v: &[String]| {
            if v.is_empty() {
                "-".to_string()
            } else {
                v.join(", ")
            }
        };
        s.push_str(&format!(
            "| {name} | {} | {} | {} |\n",
            cell(&r.workspace),
            cell(&r.relay),
            cell(&r.service_direct)
        ));
    }
    if !any {
        if let Some(r) = region {
            s.push_str(&format!("| {r} | (not in the table) | - | - |\n"));
        }
    }
    s
}

#[cfg(test)]
mod json_escape_tests {
    use super::write_json;

    #[test]
    fn ascii_passes_through_and_del_bidi_and_separators_are_escaped() {
        let mut out = Vec::new();
        let v = [
            "plain ascii",
            "a\u{7f}b",
            "x\u{202e}y\u{2028}z",
            "caf\u{e9}",
        ];
        write_json(&v[..], &mut out).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.contains("\"plain ascii\""), "{s}");
        assert!(s.contains("a\\u007fb"), "{s}");
        assert!(s.contains("x\\u202ey\\u2028z"), "{s}");
        assert!(s.contains("caf\u{e9}"), "{s}");
        let back: Vec<String> = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }
}
