//! `plaudit`: audit the AWS network around Databricks workspaces against Databricks' PrivateLink
//! guidance. A thin front end over the `plaudit` library.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use plaudit::render::{self, Render};
use plaudit::rules::RULES;
use plaudit::{AuditOptions, Manifest, Severity, Snapshot};

/// Exit codes (a public contract, see README "Exit codes").
const EXIT_FAILURES: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_INCOMPLETE: u8 = 3;

#[derive(Parser)]
#[command(
    name = "plaudit",
    version,
    about = "Audit the AWS network around Databricks workspaces against Databricks' PrivateLink guidance.",
    long_about = "Audit the AWS network around Databricks workspaces against Databricks' PrivateLink guidance.\n\n\
        plaudit reads a snapshot of an account's network (the JSON the AWS CLI prints), works out which\n\
        workspaces to audit (from a manifest, from plaudit:* tags, or by discovery), and checks every\n\
        rule of the catalogue by reachability: it traces the flows Databricks needs through security\n\
        groups, NACLs and routes.\n\n\
        Exit codes: 0 no failure at or above --fail-on; 1 such failures; 2 bad usage or input;\n\
        3 the audit was incomplete (some rules could not be evaluated) with no qualifying failure.",
    after_help = "Examples:\n  plaudit audit --snapshot examples/backend-drifted --manifest examples/backend-drifted/manifest.yaml\n  plaudit audit --snapshot ./snap --format json --output report.json --fail-on critical\n  plaudit rules\n  plaudit explain PL-NACL-001"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Audit a snapshot folder.
    Audit(AuditArgs),
    /// List the rule catalogue.
    Rules {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Explain one rule: why it exists, how it decides, how to fix it, what it needs to read.
    Explain {
        /// A rule id such as PL-EP-006.
        rule: String,
    },
}

#[derive(clap::Args)]
struct AuditArgs {
    /// Snapshot folder: describe-*.json files as the AWS CLI prints them (see README).
    #[arg(long, value_name = "DIR")]
    snapshot: Option<PathBuf>,
    /// Manifest naming the workspaces, modes, transit VPCs and waivers (JSON or YAML).
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,
    /// Region, used when the snapshot's snapshot.json does not give one.
    #[arg(long)]
    region: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Exit 1 when a failure of at least this severity remains.
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    fail_on: FailOn,
    /// Write the report to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Only these rules or rule families (comma-separated: PL-SG,PL-EP-006).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    rules: Vec<String>,
    /// In the table, list passing and not-applicable findings too.
    #[arg(long)]
    show_passed: bool,
    /// Colour in the table: auto (only on a terminal), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
    Markdown,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl From<FailOn> for Severity {
    fn from(f: FailOn) -> Severity {
        match f {
            FailOn::Info => Severity::Info,
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Snapshot(#[from] plaudit::snapshot::SnapshotError),
    #[error(transparent)]
    Manifest(#[from] plaudit::manifest::ManifestError),
    #[error("{path}: cannot write the report")]
    Output {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{0}")]
    Usage(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let mut msg = format!("plaudit: error: {e}");
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(&format!(": {s}"));
                src = s.source();
            }
            eprintln!("{msg}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn run(cli: Cli) -> Result<u8, CliError> {
    match cli.command {
        Command::Audit(a) => audit(a),
        Command::Rules { format } => {
            let mut out = io::stdout().lock();
            ignore_broken_pipe(print_rules(format, &mut out)).map_err(|source| {
                CliError::Output {
                    path: "standard output".into(),
                    source,
                }
            })?;
            Ok(0)
        }
        Command::Explain { rule } => match plaudit::rules::meta(&rule.to_ascii_uppercase()) {
            Some(m) => {
                let mut out = io::stdout().lock();
                ignore_broken_pipe(write!(out, "{}", render::explain(m))).map_err(|source| {
                    CliError::Output {
                        path: "standard output".into(),
                        source,
                    }
                })?;
                Ok(0)
            }
            None => Err(CliError::Usage(format!(
                "`{rule}` is not a rule id; `plaudit rules` lists them (e.g. {})",
                RULES.first().map(|r| r.meta.id).unwrap_or("PL-EP-001")
            ))),
        },
    }
}

fn progress(msg: &str) {
    if io::stderr().is_terminal() {
        eprintln!("plaudit: {msg}");
    }
}

fn audit(a: AuditArgs) -> Result<u8, CliError> {
    let Some(dir) = a.snapshot else {
        return Err(CliError::Usage(
            "--snapshot DIR is required: this build audits saved snapshots (live collection comes with the AWS feature)".into(),
        ));
    };
    let started = Instant::now();
    progress(&format!("reading snapshot {}", dir.display()));
    let snap = Snapshot::load(&dir)?;
    let manifest = a.manifest.as_deref().map(Manifest::load).transpose()?;
    progress(&format!(
        "read in {:.2}s; evaluating",
        started.elapsed().as_secs_f64()
    ));
    let opts = AuditOptions {
        manifest: manifest.as_ref(),
        region: a.region,
        rules: a
            .rules
            .iter()
            .map(|r| r.trim().to_ascii_uppercase())
            .collect(),
        today: None,
    };
    if let Some(bad) = opts
        .rules
        .iter()
        .find(|r| plaudit::rules::select(std::slice::from_ref(r)).is_empty())
    {
        return Err(CliError::Usage(format!(
            "--rules: `{bad}` matches no rule id or family"
        )));
    }
    let report = plaudit::audit(&snap, &opts);
    let to_terminal = a.output.is_none() && io::stdout().is_terminal();
    let color = match a.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let renderer: Box<dyn Render> = match a.format {
        Format::Table => Box::new(render::Table {
            color,
            show_passed: a.show_passed,
        }),
        Format::Json => Box::new(render::Json),
        Format::Markdown => Box::new(render::Markdown),
    };
    let (path, result) = match &a.output {
        Some(p) => {
            let res = File::create(p).and_then(|f| {
                let mut w = BufWriter::with_capacity(1 << 20, f);
                renderer.render(&report, &mut w)?;
                w.flush()
            });
            (p.display().to_string(), res)
        }
        None => {
            // Standard output is line-buffered; a large JSON report needs a real buffer.
            let mut out = BufWriter::with_capacity(1 << 20, io::stdout().lock());
            (
                "standard output".to_string(),
                renderer.render(&report, &mut out).and_then(|_| out.flush()),
            )
        }
    };
    ignore_broken_pipe(result).map_err(|source| CliError::Output { path, source })?;
    if a.output.is_some() || !matches!(a.format, Format::Table) {
        for n in &report.deployment.notes {
            eprintln!("plaudit: note: {n}");
        }
        eprintln!("plaudit: {}", render::summary_line(&report));
    }
    progress(&format!("done in {:.2}s", started.elapsed().as_secs_f64()));
    Ok(match report.exit_code(a.fail_on.into()) {
        0 => 0,
        1 => EXIT_FAILURES,
        _ => EXIT_INCOMPLETE,
    })
}

/// A reader that stops early (`plaudit rules | head`) is not an error.
fn ignore_broken_pipe(r: io::Result<()>) -> io::Result<()> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

fn print_rules(format: Format, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Markdown => write!(out, "{}", render::rules_markdown()),
        Format::Json => {
            let list: Vec<serde_json::Value> = RULES
                .iter()
                .map(|r| {
                    let m = r.meta;
                    serde_json::json!({
                        "id": m.id,
                        "title": m.title,
                        "severity": m.severity,
                        "modes": m.modes.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
                        "not_under": m.not_under.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
                        "resource_type": m.resource_type,
                        "rationale": m.rationale,
                        "remediation": m.remediation,
                        "references": m.references,
                        "inputs": m.inputs.iter().map(|i| i.file()).collect::<Vec<_>>(),
                        "permissions": m.permissions(),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &list).map_err(io::Error::other)?;
            writeln!(out)
        }
        Format::Table => {
            for r in RULES {
                let m = r.meta;
                writeln!(
                    out,
                    "{:<12} {:<9} {:<32} {}",
                    m.id,
                    m.severity,
                    m.modes
                        .iter()
                        .map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                    m.title
                )?;
            }
            writeln!(
                out,
                "\n{} rules. `plaudit explain <ID>` for details.",
                RULES.len()
            )
        }
    }
}
