//! Credential sources through the real `plaudit` binary, with no keys in the environment: a
//! `credential_process` profile audits moto's account, and a source that cannot give
//! credentials (a failing process, an IAM Identity Center profile without a login, an unknown
//! profile) is one clear error naming the profile (exit 2) before any AWS call.
//!
//! Each run gets its own AWS config file, credentials file and home folder, so nothing on the
//! machine (`~/.aws`, the SSO token cache) takes part. There is no IAM Identity Center emulator:
//! the SSO cases stop where the SDK needs a token from the cache, which is the state a user is
//! in before `aws sso login` (docs/credentials.md says what is covered).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::path::PathBuf;
use std::process::{Command, Output};

/// A closed port: a run that got as far as an AWS call would report a dispatch failure.
const NOWHERE: &str = "http://127.0.0.1:9";

/// Everything the SDK's credential chain reads from the environment.
const AWS_VARS: [&str; 16] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_ENDPOINT_URL",
];

/// A scratch home with an AWS config file holding `config` and an empty credentials file.
struct Home {
    dir: PathBuf,
}

impl Home {
    fn new(name: &str, config: &str) -> Home {
        let dir =
            std::env::temp_dir().join(format!("plaudit-cli-creds-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let config = config.replace("{dir}", dir.to_str().unwrap());
        std::fs::write(dir.join("config"), config).unwrap();
        std::fs::write(dir.join("credentials"), "").unwrap();
        Home { dir }
    }

    /// An executable shell script in the home folder.
    fn script(&self, name: &str, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = self.dir.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    /// `plaudit ARGS --endpoint-url URL` with this home's AWS files and no AWS variables.
    fn plaudit(&self, args: &[&str], url: &str, env: &[(&str, &str)]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_plaudit"));
        c.args(args).args(["--endpoint-url", url]);
        for v in AWS_VARS {
            c.env_remove(v);
        }
        c.env("HOME", &self.dir)
            .env("AWS_CONFIG_FILE", self.dir.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.dir.join("credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().expect("run plaudit")
    }

    fn runs(&self) -> usize {
        std::fs::read_to_string(self.dir.join("runs.log"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The process aws-vault or Granted would be: it logs that it ran and prints credentials in the
/// `credential_process` format.
fn vault(home: &Home) -> PathBuf {
    home.script(
        "vault.sh",
        &format!(
            "echo ran >> '{}'\ncat <<'EOF'\n{{\"Version\": 1, \"AccessKeyId\": \"AKIDPROCESS\", \"SecretAccessKey\": \"process-secret\", \"SessionToken\": \"process-token\", \"Expiration\": \"2099-01-01T00:00:00Z\"}}\nEOF",
            home.dir.join("runs.log").display()
        ),
    )
}

const PROCESS_CONFIG: &str = "\
[profile vault]
region = ap-southeast-2
credential_process = {dir}/vault.sh
";

#[test]
#[ignore = "needs moto: run scripts/test.sh"]
fn a_credential_process_profile_audits_without_exported_keys() {
    let url = std::env::var("PLAUDIT_MOTO_URL")
        .expect("PLAUDIT_MOTO_URL is not set: run through scripts/test.sh");
    let home = Home::new("process", PROCESS_CONFIG);
    vault(&home);
    let out = home.plaudit(
        &["audit", "--profile", "vault", "--format", "json"],
        &url,
        &[],
    );
    // Nothing Databricks in moto: incomplete (3), with a report.
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // sts:GetCallerIdentity answered with the process's keys; the region is the profile's.
    assert_eq!(report["account_id"], "123456789012", "{}", stderr(&out));
    assert_eq!(report["region"], "ap-southeast-2");
    assert!(report["findings"].is_array());
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    // Once per run: the credentials it gave are the clients' (an MFA prompt is not repeated).
    assert_eq!(home.runs(), 1);

    // --profile wins over keys in the environment, as with the AWS CLI.
    let snap = home.dir.join("snap");
    let out = home.plaudit(
        &[
            "snapshot",
            "--profile",
            "vault",
            "--out",
            snap.to_str().unwrap(),
        ],
        &url,
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDFROMENV"),
            ("AWS_SECRET_ACCESS_KEY", "env-secret"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(snap.join("describe-vpcs.json").is_file());
    assert_eq!(home.runs(), 2);
}

#[test]
fn a_failing_credential_process_is_exit_2_naming_the_profile_and_the_cause() {
    let home = Home::new(
        "broken",
        "[profile vault]\nregion = ap-southeast-2\ncredential_process = {dir}/vault.sh\n\n\
         [profile garbled]\nregion = ap-southeast-2\ncredential_process = {dir}/garbled.sh\n",
    );
    home.script(
        "vault.sh",
        "echo 'aws-vault: the session for prod has expired' >&2\nexit 1",
    );
    home.script("garbled.sh", "echo '{\"Version\": 2}'");
    for (profile, cause) in [
        ("vault", "the session for prod has expired"),
        ("garbled", "unknown version number: 2"),
    ] {
        let out = home.plaudit(&["audit", "--profile", profile], NOWHERE, &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{profile}: {err}");
        assert!(out.stdout.is_empty(), "{profile}");
        assert!(
            err.contains(&format!("AWS profile `{profile}`: its credential_process")),
            "{profile}: {err}"
        );
        assert!(err.contains(cause), "{profile}: {err}");
        // Stopped before any AWS call.
        assert!(
            !err.contains("dispatch") && !err.contains("warning"),
            "{profile}: {err}"
        );
    }
}

const SSO_CONFIG: &str = "\
[profile new-sso]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = ReadOnly
region = eu-west-1

[profile legacy-sso]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
sso_account_id = 111122223333
sso_role_name = ReadOnly
region = eu-west-1

[profile audit-role]
role_arn = arn:aws:iam::444455556666:role/Audit
source_profile = new-sso
region = eu-west-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access
";

/// SSO profiles without a login: no cached token (the state before `aws sso login`), or an
/// expired one that cannot be refreshed. The SDK stops at the token cache, offline.
#[test]
fn sso_profiles_without_a_login_say_to_run_aws_sso_login() {
    let home = Home::new("sso", SSO_CONFIG);
    let check = |home: &Home, profile: &str| {
        let out = home.plaudit(&["audit", "--profile", profile], NOWHERE, &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{profile}: {err}");
        assert!(out.stdout.is_empty(), "{profile}");
        assert!(
            err.contains(&format!(
                "AWS profile `{profile}` signs in through IAM Identity Center (SSO)"
            )),
            "{profile}: {err}"
        );
        assert!(
            err.contains(&format!("run `aws sso login --profile {profile}`")),
            "{profile}: {err}"
        );
        assert!(!err.contains("panicked"), "{profile}: {err}");
    };
    for profile in ["new-sso", "legacy-sso", "audit-role"] {
        check(&home, profile);
    }
    // An expired token in the cache, with nothing to refresh it: the same advice. (The cache
    // file names are the SHA-1 of the session name and of the legacy start URL.)
    let cache = home.dir.join(".aws/sso/cache");
    std::fs::create_dir_all(&cache).unwrap();
    let token = r#"{"accessToken": "expired", "expiresAt": "2020-01-01T00:00:00Z", "region": "us-east-1", "startUrl": "https://corp.awsapps.com/start"}"#;
    for file in [
        "ee0bfd2552fbd840c02cc48b6e823320543c450f.json",
        "a51746d4aa793ae07b25e90c3a5db96fc7832bd7.json",
    ] {
        std::fs::write(cache.join(file), token).unwrap();
    }
    for profile in ["new-sso", "legacy-sso"] {
        check(&home, profile);
    }
}

#[test]
fn an_unknown_profile_is_exit_2_naming_it_and_the_files() {
    let home = Home::new("unknown", PROCESS_CONFIG);
    let out = home.plaudit(&["audit", "--profile", "prod"], NOWHERE, &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("AWS profile `prod` is not defined in "),
        "{err}"
    );
    assert!(
        err.contains(home.dir.join("config").to_str().unwrap()),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

/// No keys, no profile, no roles: one error saying so, before any call.
#[test]
fn no_credentials_at_all_is_exit_2_saying_where_it_looked() {
    let home = Home::new("none", "[profile other]\nregion = eu-west-1\n");
    let out = home.plaudit(&["audit", "--region", "eu-west-1"], NOWHERE, &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no AWS credentials found"), "{err}");
    assert!(err.contains("--profile"), "{err}");
    assert!(!err.contains("warning"), "{err}");
}
