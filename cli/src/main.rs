//! `plaudit`: audit the AWS network around Databricks workspaces against Databricks' PrivateLink
//! guidance. A thin front end over the `plaudit` library.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use plaudit::pipeline::{parse_rules, Setup};
use plaudit::render::{self, Render};
use plaudit::rules::RULES;
use plaudit::{Manifest, Severity, Snapshot};

#[cfg(feature = "live")]
mod credentials;
#[cfg(test)]
mod help_tests;
mod term;
use term::ColorChoice;

/// Exit codes (a public contract, see README "Exit codes").
const EXIT_FAILURES: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_INCOMPLETE: u8 = 3;
/// `--security-hub`: the report was written, but some or all of its findings did not reach
/// Security Hub.
const EXIT_IMPORT: u8 = 4;

#[derive(Parser)]
#[command(
    name = "plaudit",
    version,
    about = "Audit the AWS network around Databricks workspaces against Databricks' PrivateLink guidance.",
    long_about = "Audit the AWS network around Databricks workspaces against Databricks' PrivateLink guidance.\n\n\
        plaudit reads an account's network, live through the AWS credential chain or from a snapshot\n\
        folder (the JSON the AWS CLI prints, or what `plaudit snapshot` writes), works out which\n\
        workspaces to audit (from a manifest, from plaudit:* tags, or by discovery), and checks every\n\
        rule of the catalogue by reachability: it traces the flows Databricks needs through security\n\
        groups, NACLs and routes.\n\n\
        Exit codes: 0 no failure at or above --fail-on; 1 such failures; 2 bad usage or input;\n\
        3 the audit was incomplete (some rules could not be evaluated) with no qualifying failure.",
    after_help = "Examples:\n  plaudit audit --snapshot examples/backend-drifted --manifest examples/backend-drifted/manifest.yaml\n  plaudit audit --snapshot ./snap --format json --output report.json --fail-on critical\n  plaudit audit --profile prod --region eu-west-1 --manifest manifest.yaml   (live)\n  plaudit snapshot --profile prod --region eu-west-1 --out ./snap\n  plaudit rules\n  plaudit explain PL-NACL-001\n  plaudit explain PL-EPSG-001 --region us-gov-west-1   (the port table for GovCloud)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Audit a live account, or a snapshot folder with --snapshot.
    #[command(long_about = "Audit a live account, or a snapshot folder.\n\n\
            With --snapshot DIR, plaudit audits the saved describe-*.json files in DIR and makes no\n\
            AWS call. Without it, plaudit reads the live account through the standard AWS credential\n\
            chain (environment, --profile, SSO, instance or task role) in each --region (default: the\n\
            profile's region); with --manifest, only the VPCs it names are read.\n\n\
            Exit codes: 0 no failure at or above --fail-on; 1 such failures; 2 bad usage or input;\n\
            3 the audit was incomplete (some rules could not be evaluated) with no qualifying failure.")]
    Audit(AuditArgs),
    /// Collect the live state of the account into a snapshot folder (the layout `audit --snapshot` reads).
    Snapshot(SnapshotArgs),
    /// List the rule catalogue.
    Rules {
        /// Output format: an aligned table, JSON, or the Markdown of docs/rules.md.
        #[arg(short, long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Explain one rule: why it exists, how it decides, how to fix it, what it needs to read,
    /// and the tables it applies (the port table, the endpoint service names), with the source
    /// of each entry.
    Explain {
        /// A rule id such as PL-EP-006.
        rule: String,
        /// Show the tables for this region only: its partition's ports (e.g. us-gov-west-1:
        /// GovCloud, where 6666 is dropped and 2443 is always required) and its service names.
        /// Without it, every partition and region.
        #[arg(short, long)]
        region: Option<String>,
        /// text: formatted for a terminal (wrapped, no Markdown syntax); markdown: the raw
        /// Markdown of docs/rules.md.
        #[arg(short, long, value_enum, default_value_t = DocFormat::Text)]
        format: DocFormat,
        /// Colour in the text: auto (only on a terminal, and not when NO_COLOR is set), always,
        /// never.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) to standard output.
    #[command(long_about = "Print a shell completion script to standard output.\n\n\
            bash:  plaudit completions bash > ~/.local/share/bash-completion/completions/plaudit\n\
            zsh:   plaudit completions zsh > \"${fpath[1]}/_plaudit\"\n\
            fish:  plaudit completions fish > ~/.config/fish/completions/plaudit.fish")]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `explain --format`.
#[derive(Clone, Copy, ValueEnum)]
enum DocFormat {
    Text,
    Markdown,
}

/// The command line, with what the derive cannot say: the short flags and the `snapshot`
/// wording of the AWS options `audit` and `snapshot` share (they live in `AwsArgs`, which is
/// left as it is).
fn command() -> clap::Command {
    let aws_shorts = |c: clap::Command| {
        c.mut_arg("profile", |a| a.short('p'))
            .mut_arg("region", |a| a.short('r'))
    };
    Cli::command()
        .mut_subcommand("audit", aws_shorts)
        .mut_subcommand("snapshot", |c| {
            aws_shorts(c).mut_arg("region", |a| {
                a.help(
                    "Region to collect; repeat for several, each written to its own sub-folder \
                     (default: the profile's region)",
                )
            })
        })
}

/// Where live state comes from (the default AWS credential chain).
#[derive(clap::Args, Clone)]
struct AwsArgs {
    /// AWS profile (default: the standard credential chain).
    #[arg(long)]
    profile: Option<String>,
    /// Region to collect; repeat for several (default: the profile's region). With --snapshot, the
    /// region to assume when snapshot.json does not give one.
    #[arg(long)]
    region: Vec<String>,
    /// Endpoint URL for every AWS call (for emulators such as moto).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Give up one attempt of an EC2 call after this many seconds (default 60, or
    /// PLAUDIT_ATTEMPT_TIMEOUT_SECS). Raise it for a slow endpoint.
    #[arg(long, value_name = "SECS")]
    attempt_timeout: Option<u64>,
    /// Give up one EC2 call (one page, all its attempts) after this many seconds (default 300,
    /// or PLAUDIT_CALL_TIMEOUT_SECS). Given alone, it also caps the attempt timeout.
    #[arg(long, value_name = "SECS")]
    call_timeout: Option<u64>,
}

#[derive(clap::Args)]
struct SnapshotArgs {
    /// Folder to write (created; with several regions, one sub-folder per region).
    #[arg(short, long, value_name = "DIR")]
    out: PathBuf,
    /// Manifest: collect only the VPCs it names (server-side filters) instead of the whole region.
    #[arg(short, long, value_name = "FILE")]
    manifest: Option<PathBuf>,
    #[command(flatten)]
    aws: AwsArgs,
}

#[derive(clap::Args)]
struct AuditArgs {
    /// Snapshot folder: describe-*.json files as the AWS CLI prints them or `plaudit snapshot`
    /// writes them. Without it, the live account is audited through the AWS credential chain.
    #[arg(short, long, value_name = "DIR")]
    snapshot: Option<PathBuf>,
    /// Manifest naming the workspaces, modes, transit VPCs and waivers (JSON or YAML).
    #[arg(short, long, value_name = "FILE")]
    manifest: Option<PathBuf>,
    #[command(flatten)]
    aws: AwsArgs,
    /// Output format: a table for people, versioned JSON for machines, Markdown for tickets,
    /// a self-contained HTML page with diagrams, SARIF 2.1.0 for code scanning, ASFF for AWS
    /// Security Hub, OCSF Compliance Findings, CSV for spreadsheets (docs/formats.md).
    #[arg(short, long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
    /// Exit 1 when a failure of at least this severity remains.
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    fail_on: FailOn,
    /// A previous JSON report (`--format json`) to compare with: every finding is marked new,
    /// still failing, changed evidence or resolved, in every format.
    #[arg(short, long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Exit 1 only for failures (at --fail-on or above) that are new against --baseline.
    #[arg(long, requires = "baseline")]
    fail_on_new: bool,
    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Only these rules or rule families (comma-separated: PL-SG,PL-EP-006).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    rules: Vec<String>,
    /// In the table, list passing and not-applicable findings too.
    #[arg(long)]
    show_passed: bool,
    /// After writing the report, import its findings (ASFF) into AWS Security Hub in the
    /// audited account and region (BatchImportFindings; docs/asff.md). Exit 4 when some
    /// finding could not be imported.
    #[arg(long)]
    security_hub: bool,
    /// Colour in the table: auto (only on a terminal, and not when NO_COLOR is set to a
    /// non-empty value), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
    Markdown,
}

/// `audit --format`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    Table,
    Json,
    Markdown,
    Html,
    Sarif,
    Asff,
    Ocsf,
    Csv,
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
    #[error("{path}: {source}")]
    Baseline {
        path: String,
        #[source]
        source: plaudit::baseline::BaselineError,
    },
    #[error("{path}: cannot read the baseline")]
    BaselineRead {
        path: String,
        #[source]
        source: io::Error,
    },
    #[cfg(feature = "live")]
    #[error(transparent)]
    Credentials(#[from] credentials::CredentialError),
    #[cfg(feature = "live")]
    #[error("cannot start the async runtime")]
    Runtime(#[source] io::Error),
}

fn main() -> ExitCode {
    let cli = match Cli::from_arg_matches(&command().get_matches()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            print_error("plaudit: error", &e);
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Prints an error with its causes on stderr. Errors quote file contents and names: no raw
/// control characters reach the terminal.
fn print_error(prefix: &str, e: &dyn std::error::Error) {
    let mut msg = format!("{prefix}: {e}");
    let mut src = e.source();
    while let Some(s) = src {
        msg.push_str(&format!(": {s}"));
        src = s.source();
    }
    eprintln!("{}", render::plain(&msg));
}

fn run(cli: Cli) -> Result<u8, CliError> {
    match cli.command {
        Command::Audit(a) => audit(a),
        Command::Snapshot(a) => snapshot(a),
        Command::Rules { format } => {
            let mut out = io::stdout().lock();
            ignore_broken_pipe(print_rules(format, term::width(), &mut out)).map_err(|source| {
                CliError::Output {
                    path: "standard output".into(),
                    source,
                }
            })?;
            Ok(0)
        }
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut command(), "plaudit", &mut buf);
            ignore_broken_pipe(io::stdout().lock().write_all(&buf)).map_err(|source| {
                CliError::Output {
                    path: "standard output".into(),
                    source,
                }
            })?;
            Ok(0)
        }
        Command::Explain {
            rule,
            region,
            format,
            color,
        } => match plaudit::rules::meta(&rule.to_ascii_uppercase()) {
            Some(m) => {
                let md = render::explain_in(m, region.as_deref());
                let text = match format {
                    DocFormat::Markdown => md,
                    DocFormat::Text => render::markdown_to_text(
                        &md,
                        render::Style {
                            color: term::color_stdout(color, true),
                            width: term::width(),
                        },
                    ),
                };
                let mut out = io::stdout().lock();
                ignore_broken_pipe(write!(out, "{text}")).map_err(|source| CliError::Output {
                    path: "standard output".into(),
                    source,
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
    let started = Instant::now();
    let manifest = a.manifest.as_deref().map(Manifest::load).transpose()?;
    let setup = Setup {
        account_id: None,
        region: if a.snapshot.is_some() {
            a.aws.region.first().cloned()
        } else {
            None
        },
        manifest,
        rules: parse_rules("--rules", &a.rules.join(","))
            .map_err(|e| CliError::Usage(e.to_string()))?,
    };
    let snaps: Vec<Snapshot> = match &a.snapshot {
        Some(dir) => {
            progress(&format!("reading snapshot {}", dir.display()));
            vec![Snapshot::load(dir)?]
        }
        None => collect_live(&a.aws, setup.manifest.as_ref())?,
    };
    progress(&format!(
        "read in {:.2}s; evaluating",
        started.elapsed().as_secs_f64()
    ));
    let baseline = a.baseline.as_deref().map(read_baseline).transpose()?;
    if a.security_hub && !cfg!(feature = "live") {
        return Err(CliError::Usage(
            "--security-hub needs the `live` feature (the AWS SDK); rebuild with default features"
                .into(),
        ));
    }
    let mut code = 0;
    let several = snaps.len() > 1;
    for snap in &snaps {
        let mut report = setup.audit(snap, None, &[]);
        if let (Some(b), Some(p)) = (&baseline, &a.baseline) {
            plaudit::baseline::compare(&mut report, b.clone(), &p.display().to_string());
        }
        let c = write_report(&a, &report, snap, several)?;
        code = worst_code(code, c);
        if a.security_hub {
            code = worst_code(code, import_security_hub(&a.aws, &report));
        }
    }
    progress(&format!("done in {:.2}s", started.elapsed().as_secs_f64()));
    Ok(code)
}

/// Reads `--baseline`: a JSON report of this or an earlier schema version.
fn read_baseline(path: &std::path::Path) -> Result<plaudit::baseline::Baseline, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::BaselineRead {
        path: path.display().to_string(),
        source,
    })?;
    plaudit::baseline::Baseline::parse(&text).map_err(|source| CliError::Baseline {
        path: path.display().to_string(),
        source,
    })
}

/// Exit codes ordered by gravity: a failed Security Hub import (4) over failures (1) over
/// incomplete (3) over clean (0).
fn worst_code(a: u8, b: u8) -> u8 {
    let rank = |c: u8| match c {
        EXIT_IMPORT => 3,
        EXIT_FAILURES => 2,
        EXIT_INCOMPLETE => 1,
        _ => 0,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

#[cfg(feature = "live")]
fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)
}

#[cfg(feature = "live")]
use plaudit::pipeline::{Collector, Freshness};
#[cfg(feature = "live")]
use std::sync::Arc;

#[cfg(feature = "live")]
/// Collects every requested region through the default credential chain.
fn collect_live(aws: &AwsArgs, manifest: Option<&Manifest>) -> Result<Vec<Snapshot>, CliError> {
    let timeouts = plaudit::collect::Timeouts::from_env()
        .and_then(|t| t.with_secs(aws.attempt_timeout, aws.call_timeout))
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let rt = runtime()?;
    rt.block_on(async {
        let mut loader = plaudit::collect::bounded_config_loader();
        if let Some(p) = &aws.profile {
            loader = loader.profile_name(p);
        }
        if let Some(u) = &aws.endpoint_url {
            loader = loader.endpoint_url(u);
        }
        let base = credentials::resolve(loader.load().await, aws.profile.as_deref()).await?;
        let regions: Vec<Option<String>> = if aws.region.is_empty() {
            vec![None]
        } else {
            aws.region.iter().cloned().map(Some).collect()
        };
        let mut account: Option<Option<String>> = None;
        let mut out = Vec::new();
        for region in regions {
            let conf = match &region {
                Some(r) => base
                    .to_builder()
                    .region(aws_config::Region::new(r.clone()))
                    .build(),
                None => base.clone(),
            };
            let Some(region) = conf.region().map(|r| r.to_string()) else {
                return Err(CliError::Usage(
                    "no region: pass --region or set one in the AWS profile or AWS_REGION".into(),
                ));
            };
            if account.is_none() {
                let id = plaudit::collect::account_id(&conf).await;
                if id.is_none() {
                    eprintln!(
                        "plaudit: warning: sts:GetCallerIdentity failed; the account id is unknown"
                    );
                }
                account = Some(id);
            }
            let account = account.clone().flatten();
            progress(&format!("collecting {region}"));
            let started = Instant::now();
            let setup = Setup {
                account_id: account.clone(),
                region: Some(region.clone()),
                manifest: manifest.cloned(),
                rules: Vec::new(),
            };
            let collector = Collector::new(plaudit::collect::ec2_client(&conf, &timeouts))
                .with_timeouts(timeouts);
            let c = collector
                .collect(&setup, setup.region_scope(), Freshness::Now, None)
                .await;
            progress(&format!(
                "collected {region}: {} API calls in {:.2}s",
                c.api_calls,
                started.elapsed().as_secs_f64()
            ));
            for f in plaudit::engine::CollectionStatus::of(&c.snapshot).errors {
                eprintln!("plaudit: warning: {f}; the rules that need it report error");
            }
            drop(collector);
            let snap = Arc::try_unwrap(c.snapshot).unwrap_or_else(|shared| (*shared).clone());
            out.push(snap);
        }
        Ok(out)
    })
}

#[cfg(feature = "live")]
fn snapshot(a: SnapshotArgs) -> Result<u8, CliError> {
    let manifest = a.manifest.as_deref().map(Manifest::load).transpose()?;
    let snaps = collect_live(&a.aws, manifest.as_ref())?;
    let several = snaps.len() > 1;
    for s in &snaps {
        let dir = match (several, s.meta.region.as_deref()) {
            (true, Some(r)) => a.out.join(r),
            _ => a.out.clone(),
        };
        s.write(&dir)?;
        eprintln!("plaudit: wrote {}", dir.display());
    }
    Ok(0)
}

#[cfg(not(feature = "live"))]
fn collect_live(_aws: &AwsArgs, _manifest: Option<&Manifest>) -> Result<Vec<Snapshot>, CliError> {
    Err(CliError::Usage(
        "this plaudit was built without the `live` feature: pass --snapshot DIR, or rebuild with default features to audit live accounts".into(),
    ))
}

/// Why a `--security-hub` import did not (fully) happen.
#[cfg(feature = "live")]
#[derive(Debug, thiserror::Error)]
enum HubError {
    #[error(transparent)]
    Asff(#[from] plaudit::render::asff::AsffError),
    #[error(transparent)]
    Credentials(#[from] credentials::CredentialError),
    #[error("cannot start the async runtime")]
    Runtime(#[source] io::Error),
    #[error("the credentials are for account {caller} but the report is for account {report}: Security Hub takes findings only in the account that owns the resources")]
    WrongAccount { caller: String, report: String },
    #[error(transparent)]
    Import(#[from] plaudit::aws::securityhub::ImportError),
    #[error("{0}")]
    Refused(String),
}

/// `--security-hub`: imports one report's findings into Security Hub in the report's account
/// and region, and prints what happened; the exit code it calls for (0, or 4 when some finding
/// was not imported).
#[cfg(feature = "live")]
fn import_security_hub(aws: &AwsArgs, report: &plaudit::Report) -> u8 {
    match import_report(aws, report) {
        Ok(summary) => {
            eprintln!("plaudit: Security Hub: {}", render::plain(&summary));
            0
        }
        Err(e) => {
            print_error("plaudit: error: Security Hub", &e);
            EXIT_IMPORT
        }
    }
}

#[cfg(feature = "live")]
fn import_report(aws: &AwsArgs, report: &plaudit::Report) -> Result<String, HubError> {
    use plaudit::aws::securityhub::{import, ImportOptions, SecurityHubClient};
    let findings = plaudit::render::asff::findings(report)?;
    // `findings` succeeded, so the report names its account and region.
    let account = report.account_id.clone().unwrap_or_default();
    let region = report.region.clone().unwrap_or_default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(HubError::Runtime)?;
    rt.block_on(async {
        let mut loader = plaudit::collect::bounded_config_loader();
        if let Some(p) = &aws.profile {
            loader = loader.profile_name(p);
        }
        if let Some(u) = &aws.endpoint_url {
            loader = loader.endpoint_url(u);
        }
        let conf = credentials::resolve(loader.load().await, aws.profile.as_deref())
            .await?
            .to_builder()
            .region(aws_config::Region::new(region.clone()))
            .build();
        if let Some(caller) = plaudit::collect::account_id(&conf).await {
            if caller != account {
                return Err(HubError::WrongAccount {
                    caller,
                    report: account,
                });
            }
        }
        let client = SecurityHubClient::new(&conf);
        let out = import(&client, &findings, &ImportOptions::default()).await?;
        let summary = format!("{account}/{region}: {}", out.summary());
        if out.failed.is_empty() {
            Ok(summary)
        } else {
            Err(HubError::Refused(summary))
        }
    })
}

#[cfg(not(feature = "live"))]
fn import_security_hub(_aws: &AwsArgs, _report: &plaudit::Report) -> u8 {
    EXIT_USAGE
}

#[cfg(not(feature = "live"))]
fn snapshot(_a: SnapshotArgs) -> Result<u8, CliError> {
    collect_live(&_a.aws, None).map(|_| 0)
}

/// Renders one report where `--output` and `--format` say. When one run audits several regions,
/// each report goes to its own file, `FILE.<region>`.
fn write_report(
    a: &AuditArgs,
    report: &plaudit::Report,
    snap: &Snapshot,
    several: bool,
) -> Result<u8, CliError> {
    let color = term::color_stdout(a.color, a.output.is_none());
    let renderer: Box<dyn Render> = match a.format {
        ReportFormat::Table => Box::new(render::Table {
            color,
            show_passed: a.show_passed,
            width: term::width(),
        }),
        ReportFormat::Json => Box::new(render::Json),
        ReportFormat::Markdown => Box::new(render::Markdown),
        ReportFormat::Html => Box::new(render::Html::new(snap, report)),
        ReportFormat::Sarif => Box::new(render::Sarif::new(
            a.snapshot.as_ref().map(|p| p.display().to_string()),
            a.snapshot.clone().map(|dir| -> render::sarif::FileLookup {
                Box::new(move |name| std::fs::read_to_string(dir.join(name)).ok())
            }),
        )),
        ReportFormat::Asff => Box::new(render::Asff),
        ReportFormat::Ocsf => Box::new(render::Ocsf),
        ReportFormat::Csv => Box::new(render::Csv),
    };
    let output = match (&a.output, several) {
        (Some(p), true) => Some(PathBuf::from(format!(
            "{}.{}",
            p.display(),
            report.region.as_deref().unwrap_or("unknown")
        ))),
        (o, _) => o.clone(),
    };
    let (path, result) = match &output {
        Some(p) => {
            let res = File::create(p).and_then(|f| {
                let mut w = BufWriter::with_capacity(1 << 20, f);
                renderer.render(report, &mut w)?;
                w.flush()
            });
            (p.display().to_string(), res)
        }
        None => {
            // Standard output is line-buffered; a large JSON report needs a real buffer.
            let mut out = BufWriter::with_capacity(1 << 20, io::stdout().lock());
            (
                "standard output".to_string(),
                renderer.render(report, &mut out).and_then(|_| out.flush()),
            )
        }
    };
    ignore_broken_pipe(result).map_err(|source| CliError::Output { path, source })?;
    if a.output.is_some() || a.format != ReportFormat::Table {
        for n in &report.deployment.notes {
            eprintln!("plaudit: note: {}", render::plain(n));
        }
        eprintln!("plaudit: {}", render::summary_line(report));
    }
    let code = if a.fail_on_new {
        report.exit_code_new(a.fail_on.into())
    } else {
        report.exit_code(a.fail_on.into())
    };
    Ok(match code {
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

fn print_rules(format: Format, width: usize, out: &mut dyn Write) -> io::Result<()> {
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
                        "severities": m.severities(),
                        "modes": m.modes.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
                        "not_under": m.not_under.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
                        "resource_type": m.resource_type,
                        "rationale": m.rationale,
                        "remediation": m.remediation,
                        "references": m.references,
                        "inputs": m.inputs.iter().map(|i| i.file()).collect::<Vec<_>>(),
                        "optional_inputs": m.optional_inputs.iter().map(|i| i.file()).collect::<Vec<_>>(),
                        "permissions": m.permissions(),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &list).map_err(io::Error::other)?;
            writeln!(out)
        }
        Format::Table => {
            // The title wraps under its own column; the severity column shows the worst
            // severity, marked `*` when some failures are reported lower (`explain` says when).
            let indent = " ".repeat(12 + 1 + 9 + 1 + 32 + 1);
            for r in RULES {
                let m = r.meta;
                let sev = if m.severity_when.is_empty() {
                    m.severity.to_string()
                } else {
                    format!("{}*", m.severity)
                };
                let first = format!(
                    "{:<12} {:<9} {:<32} ",
                    m.id,
                    sev,
                    m.modes
                        .iter()
                        .map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                );
                writeln!(out, "{}", render::hang(&first, &indent, m.title, width))?;
            }
            writeln!(
                out,
                "\n{} rules. * some failures of the rule are reported at a lower severity.\n`plaudit explain ID` for details.",
                RULES.len()
            )
        }
    }
}
