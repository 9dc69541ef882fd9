//! A fake of the AWS Config API: records what a Config run sends, answers the reads from what
//! the test set up, and can reject evaluations, fail calls or take its time.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Duration;

use crate::config_rule::{ConfigApi, ConfigApiError, Evaluation, ResourceKey};

/// The Config API in memory.
#[derive(Debug, Default)]
pub struct FakeConfig {
    /// Every `PutEvaluations` chunk, in the order sent.
    sent: Mutex<Vec<Vec<Evaluation>>>,
    /// What `GetComplianceDetailsByConfigRule` answers (any rule).
    reported: Vec<ResourceKey>,
    /// The VPC of each resource's last known configuration item.
    history: BTreeMap<ResourceKey, String>,
    /// Resources whose evaluations are rejected (`FailedEvaluations`): how many more times
    /// (`None`: every time).
    reject: Mutex<BTreeMap<ResourceKey, Option<usize>>>,
    /// APIs that fail.
    failing: BTreeSet<&'static str>,
    /// How long each `PutEvaluations` call takes.
    put_delay: Option<Duration>,
}

impl FakeConfig {
    pub fn new() -> FakeConfig {
        FakeConfig::default()
    }

    /// Config shows verdicts for these resources (what a periodic run's clean-up reads).
    pub fn reporting(mut self, resources: &[ResourceKey]) -> FakeConfig {
        self.reported = resources.to_vec();
        self
    }

    /// The last known item of `resource` names `vpc_id`.
    pub fn with_history(mut self, resource: ResourceKey, vpc_id: &str) -> FakeConfig {
        self.history.insert(resource, vpc_id.to_string());
        self
    }

    /// `PutEvaluations` always rejects `resource`.
    pub fn rejecting(self, resource: ResourceKey) -> FakeConfig {
        if let Ok(mut r) = self.reject.lock() {
            r.insert(resource, None);
        }
        self
    }

    /// `PutEvaluations` rejects `resource` once, then accepts it.
    pub fn rejecting_once(self, resource: ResourceKey) -> FakeConfig {
        if let Ok(mut r) = self.reject.lock() {
            r.insert(resource, Some(1));
        }
        self
    }

    /// `api` (`PutEvaluations`, `GetComplianceDetailsByConfigRule`, `GetResourceConfigHistory`)
    /// fails.
    pub fn failing(mut self, api: &'static str) -> FakeConfig {
        self.failing.insert(api);
        self
    }

    /// Each `PutEvaluations` call takes `d` (tokio time, so paused-clock tests stay fast).
    pub fn slow_puts(mut self, d: Duration) -> FakeConfig {
        self.put_delay = Some(d);
        self
    }

    /// Every evaluation sent, in order.
    pub fn sent(&self) -> Vec<Evaluation> {
        self.chunks().into_iter().flatten().collect()
    }

    /// The chunks sent, one per `PutEvaluations` call.
    pub fn chunks(&self) -> Vec<Vec<Evaluation>> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The last evaluation sent for a resource id.
    pub fn verdict(&self, resource_id: &str) -> Option<Evaluation> {
        self.sent()
            .into_iter()
            .rev()
            .find(|e| e.resource.resource_id == resource_id)
    }

    fn check(&self, api: &'static str) -> Result<(), ConfigApiError> {
        if self.failing.contains(api) {
            return Err(ConfigApiError {
                api,
                message: "AccessDeniedException: injected by FakeConfig".into(),
            });
        }
        Ok(())
    }
}

impl ConfigApi for FakeConfig {
    async fn put_evaluations(
        &self,
        _token: &str,
        _test_mode: bool,
        chunk: &[Evaluation],
    ) -> Result<Vec<ResourceKey>, ConfigApiError> {
        if let Some(d) = self.put_delay {
            tokio::time::sleep(d).await;
        }
        self.check("PutEvaluations")?;
        if chunk.len() > crate::config_rule::EVALUATIONS_PER_CALL {
            return Err(ConfigApiError {
                api: "PutEvaluations",
                message: format!(
                    "ValidationException: {} evaluations in one call",
                    chunk.len()
                ),
            });
        }
        let mut rejected = Vec::new();
        let mut accepted = Vec::new();
        if let Ok(mut reject) = self.reject.lock() {
            for e in chunk {
                match reject.get_mut(&e.resource) {
                    Some(None) => rejected.push(e.resource.clone()),
                    Some(Some(n)) if *n > 0 => {
                        *n -= 1;
                        rejected.push(e.resource.clone());
                    }
                    _ => accepted.push(e.clone()),
                }
            }
        }
        if let Ok(mut sent) = self.sent.lock() {
            sent.push(accepted);
        }
        Ok(rejected)
    }

    async fn reported_resources(&self, _rule: &str) -> Result<Vec<ResourceKey>, ConfigApiError> {
        self.check("GetComplianceDetailsByConfigRule")?;
        Ok(self.reported.clone())
    }

    async fn vpc_from_history(
        &self,
        resource: &ResourceKey,
        _capture_time: &str,
    ) -> Result<Option<String>, ConfigApiError> {
        self.check("GetResourceConfigHistory")?;
        Ok(self.history.get(resource).cloned())
    }
}
