//! Lambda runtime helpers shared by both functions: the invocation's deadline and the JSON logs.

/// A Lambda invocation's deadline (milliseconds since the epoch, from the context) as a tokio
/// instant.
pub fn lambda_deadline(deadline_ms: u64) -> tokio::time::Instant {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    tokio::time::Instant::now()
        + std::time::Duration::from_millis(deadline_ms.saturating_sub(now_ms))
}

/// The log filter for a level: plaudit's own crates at `level`, everything else (the AWS SDK,
/// hyper) at `warn`, so raising the level never logs SDK request internals (which include the
/// access key id and request contents).
pub fn log_filter(level: &str) -> String {
    let l = level.trim().to_ascii_lowercase();
    format!("warn,plaudit={l},plaudit_config_rule={l},plaudit_scheduled_audit={l}")
}

/// JSON logs for the Lambda functions: [`log_filter`] at `AWS_LAMBDA_LOG_LEVEL` (set by the
/// function's logging configuration); else `RUST_LOG` verbatim (an operator's explicit choice,
/// which can include SDK debug output); else info.
pub fn init_json_logs() {
    let filter = match (
        std::env::var("AWS_LAMBDA_LOG_LEVEL"),
        std::env::var("RUST_LOG"),
    ) {
        (Ok(level), _) => log_filter(&level),
        (Err(_), Ok(explicit)) => explicit,
        _ => log_filter("info"),
    };
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_current_span(false)
        .without_time()
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_is_as_far_away_as_the_context_says() {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let left = lambda_deadline(now_ms + 60_000) - tokio::time::Instant::now();
        assert!(left <= std::time::Duration::from_secs(60), "{left:?}");
        assert!(left > std::time::Duration::from_secs(55), "{left:?}");
        let past = lambda_deadline(now_ms - 60_000);
        assert!(
            past <= tokio::time::Instant::now(),
            "a passed deadline is now, not later"
        );
    }

    #[test]
    fn raising_the_level_never_raises_the_sdk_past_warn() {
        let f = log_filter(" DEBUG ");
        assert!(f.starts_with("warn,"), "{f}");
        assert!(f.contains("plaudit=debug"), "{f}");
        assert!(!f.contains("aws"), "{f}");
    }
}
