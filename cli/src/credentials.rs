//! Credentials for live runs: every source the AWS CLI knows, through the SDK's providers
//! (access keys, assumed roles, IAM Identity Center (SSO) profiles in the `sso_session` and the
//! legacy form, `credential_process` as aws-vault or Granted write it, container and instance
//! roles).
//!
//! They are resolved once, before the first call, for three reasons: a source that cannot give
//! credentials is one error naming the profile and the fix (exit 2) instead of a warning for
//! every describe call; an interactive `credential_process` (an MFA prompt, a browser sign-in)
//! gets minutes rather than the SDK cache's five seconds; and it runs once per run, because the
//! credentials it gave are handed to the clients' cache.
//!
//! `--profile` wins over credentials in the environment, as it does for the AWS CLI; without it
//! the SDK's default chain applies (environment first, then `AWS_PROFILE` or `default`).

use std::borrow::Cow;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::SdkConfig;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};

/// How long the first resolution may take: long enough for the MFA prompt or browser sign-in a
/// `credential_process` waits for, short enough that a hung command does not hang a CI job.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(300);

/// Where a profile's credentials come from, as far as the message about a failure is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// `sso_session` or `sso_start_url` (IAM Identity Center).
    Sso,
    /// `credential_process`.
    Process,
    /// Keys, `credential_source`, web identity, ...: the SDK's message says enough.
    Other,
}

/// Why no credentials could be had. Each names the profile and what to do; the SDK's own
/// message follows as the cause.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("AWS profile `{profile}` is not defined in {files} (`aws configure list-profiles` lists the profiles)")]
    NoSuchProfile { profile: String, files: String },
    #[error("AWS profile `{profile}` signs in through IAM Identity Center (SSO) and has no valid session: run `aws sso login --profile {profile}`, then try again")]
    SsoLogin {
        profile: String,
        #[source]
        source: CredentialsError,
    },
    #[error("AWS profile `{profile}`: its credential_process gave no credentials (run the command by hand to see why)")]
    Process {
        profile: String,
        #[source]
        source: CredentialsError,
    },
    #[error("AWS profile `{profile}` gave no credentials")]
    Profile {
        profile: String,
        #[source]
        source: CredentialsError,
    },
    #[error("no AWS credentials found (environment variables, profile `{profile}`, web identity, container or instance role): pass --profile, or set AWS_PROFILE")]
    NotFound {
        profile: String,
        #[source]
        source: CredentialsError,
    },
    #[error("AWS credentials for profile `{profile}` did not come within {} s", RESOLVE_TIMEOUT.as_secs())]
    TimedOut { profile: String },
}

/// `conf` with credentials that are known to work: resolved now, from `profile` when given
/// (whatever the environment holds), else from `conf`'s own chain.
pub async fn resolve(conf: SdkConfig, profile: Option<&str>) -> Result<SdkConfig, CredentialError> {
    let (env, fs) = (Env::real(), Fs::real());
    let name = profile
        .map(str::to_string)
        .or_else(|| env.get("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "default".into());
    let source = source_of(&name, &fs, &env).await;
    let provider = match profile {
        Some(p) => {
            if source.is_none() {
                return Err(CredentialError::NoSuchProfile {
                    profile: p.to_string(),
                    files: profile_files(&env),
                });
            }
            let provider_config =
                ProviderConfig::without_region().with_region(conf.region().cloned());
            SharedCredentialsProvider::new(
                ProfileFileCredentialsProvider::builder()
                    .configure(&provider_config)
                    .profile_name(p)
                    .build(),
            )
        }
        None => match conf.credentials_provider() {
            Some(p) => p,
            None => return Ok(conf),
        },
    };
    let first = match tokio::time::timeout(RESOLVE_TIMEOUT, provider.provide_credentials()).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => return Err(explain(name, source, e)),
        Err(_) => return Err(CredentialError::TimedOut { profile: name }),
    };
    let primed = Primed {
        first: Mutex::new(Some(first)),
        chain: provider,
    };
    Ok(conf
        .into_builder()
        .credentials_provider(SharedCredentialsProvider::new(primed))
        .build())
}

fn explain(profile: String, source: Option<Source>, e: CredentialsError) -> CredentialError {
    match source {
        Some(Source::Sso) => CredentialError::SsoLogin { profile, source: e },
        Some(Source::Process) => CredentialError::Process { profile, source: e },
        Some(Source::Other) if !matches!(e, CredentialsError::CredentialsNotLoaded(_)) => {
            CredentialError::Profile { profile, source: e }
        }
        _ => CredentialError::NotFound { profile, source: e },
    }
}

/// The config and credentials files the SDK reads, for a message.
fn profile_files(env: &Env) -> String {
    let file = |var: &str, default: &str| {
        env.get(var)
            .ok()
            .filter(|f| !f.is_empty())
            .unwrap_or_else(|| default.to_string())
    };
    format!(
        "{} or {}",
        file("AWS_CONFIG_FILE", "~/.aws/config"),
        file("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
    )
}

/// Where `profile`'s credentials come from, following `source_profile` to the profile that holds
/// them; `None` when the profile is not defined. Files that do not parse give `Other`: the
/// SDK's error then says what is wrong with them.
async fn source_of(profile: &str, fs: &Fs, env: &Env) -> Option<Source> {
    let Ok(set) = aws_config::profile::load(
        fs,
        env,
        &EnvConfigFiles::default(),
        Some(Cow::Owned(profile.to_string())),
    )
    .await
    else {
        return Some(Source::Other);
    };
    let mut name = profile;
    // A role chain is a few profiles long; a loop in it is the SDK's to report.
    for _ in 0..8 {
        let p = set.get_profile(name)?;
        match (p.get("role_arn"), p.get("source_profile")) {
            (Some(_), Some(next)) if next != name => name = next,
            _ => {
                return Some(
                    if p.get("sso_session").is_some() || p.get("sso_start_url").is_some() {
                        Source::Sso
                    } else if p.get("credential_process").is_some() {
                        Source::Process
                    } else {
                        Source::Other
                    },
                )
            }
        }
    }
    Some(Source::Other)
}

/// The credentials resolved up front, handed out once (to the clients' identity cache), then
/// the chain they came from, which refreshes them when they expire.
#[derive(Debug)]
struct Primed {
    first: Mutex<Option<Credentials>>,
    chain: SharedCredentialsProvider,
}

impl ProvideCredentials for Primed {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        let first = self.first.lock().ok().and_then(|mut f| f.take());
        // Not when they are about to expire: the cache would ask again at once.
        let fresh = |c: &Credentials| {
            c.expiry()
                .is_none_or(|e| e > SystemTime::now() + Duration::from_secs(60))
        };
        match first {
            Some(c) if fresh(&c) => future::ProvideCredentials::ready(Ok(c)),
            _ => self.chain.provide_credentials(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is a failed test
mod tests {
    use super::*;

    const CONFIG: &str = "\
[default]
region = eu-west-1

[profile keys]
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = secret

[profile vault]
credential_process = aws-vault export --format=json prod

[profile new-sso]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = ReadOnly

[profile legacy-sso]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
sso_account_id = 111122223333
sso_role_name = ReadOnly

[profile audit-role]
role_arn = arn:aws:iam::444455556666:role/Audit
source_profile = new-sso

[profile loop]
role_arn = arn:aws:iam::444455556666:role/Audit
source_profile = loop

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
";

    async fn source(profile: &str) -> Option<Source> {
        let fs = Fs::from_slice(&[("/home/u/.aws/config", CONFIG)]);
        let env = Env::from_slice(&[("HOME", "/home/u")]);
        source_of(profile, &fs, &env).await
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn profiles_are_told_apart_by_where_their_credentials_come_from() {
        block_on(async {
            assert_eq!(source("new-sso").await, Some(Source::Sso));
            assert_eq!(source("legacy-sso").await, Some(Source::Sso));
            assert_eq!(source("vault").await, Some(Source::Process));
            assert_eq!(source("keys").await, Some(Source::Other));
            assert_eq!(source("default").await, Some(Source::Other));
            // A role assumed from an SSO profile fails when the SSO session does.
            assert_eq!(source("audit-role").await, Some(Source::Sso));
            assert_eq!(source("loop").await, Some(Source::Other));
            assert_eq!(source("nope").await, None);
        });
    }

    #[test]
    fn failures_name_the_profile_and_the_fix() {
        let e = || CredentialsError::provider_error("no token");
        let sso = explain("new-sso".into(), Some(Source::Sso), e()).to_string();
        assert!(sso.contains("aws sso login --profile new-sso"), "{sso}");
        let process = explain("vault".into(), Some(Source::Process), e()).to_string();
        assert!(
            process.contains("`vault`") && process.contains("credential_process"),
            "{process}"
        );
        let keys = explain("keys".into(), Some(Source::Other), e()).to_string();
        assert!(keys.contains("`keys` gave no credentials"), "{keys}");
        let none = explain(
            "default".into(),
            Some(Source::Other),
            CredentialsError::not_loaded("nothing"),
        )
        .to_string();
        assert!(none.starts_with("no AWS credentials found"), "{none}");
        let files = profile_files(&Env::from_slice(&[("AWS_CONFIG_FILE", "/tmp/c")]));
        assert_eq!(files, "/tmp/c or ~/.aws/credentials");
    }

    #[test]
    fn the_first_credentials_are_handed_out_once_then_the_chain_answers() {
        let creds = |id: &str| Credentials::new(id, "secret", None, None, "test");
        let primed = Primed {
            first: Mutex::new(Some(creds("FIRST"))),
            chain: SharedCredentialsProvider::new(creds("CHAIN")),
        };
        block_on(async {
            let a = primed.provide_credentials().await.unwrap();
            let b = primed.provide_credentials().await.unwrap();
            assert_eq!(a.access_key_id(), "FIRST");
            assert_eq!(b.access_key_id(), "CHAIN");
        });
        let stale = Primed {
            first: Mutex::new(Some(Credentials::new(
                "STALE",
                "secret",
                None,
                Some(SystemTime::now() + Duration::from_secs(5)),
                "test",
            ))),
            chain: SharedCredentialsProvider::new(creds("CHAIN")),
        };
        let c = block_on(stale.provide_credentials()).unwrap();
        assert_eq!(c.access_key_id(), "CHAIN");
    }
}
