//! [`MemoryBucket`]: the report store in memory, recording each put and failing the keys asked.

use std::sync::Mutex;

use crate::pipeline::reports::{PutError, ReportStore};

/// One object written: key, content type, body.
pub type Put = (String, &'static str, Vec<u8>);

/// A report bucket in memory.
#[derive(Debug, Default)]
pub struct MemoryBucket {
    puts: Mutex<Vec<Put>>,
    /// Puts of keys containing this fail (`AccessDenied`).
    fail_on: Option<String>,
}

impl MemoryBucket {
    pub fn new() -> MemoryBucket {
        MemoryBucket::default()
    }

    /// A bucket that refuses every key containing `part` ("reports/": every report).
    pub fn failing(part: &str) -> MemoryBucket {
        MemoryBucket {
            fail_on: Some(part.to_string()),
            ..MemoryBucket::default()
        }
    }

    /// The objects written so far, in order.
    pub fn puts(&self) -> Vec<Put> {
        self.puts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl ReportStore for MemoryBucket {
    fn bucket(&self) -> &str {
        "memory-bucket"
    }

    async fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: &'static str,
    ) -> Result<(), PutError> {
        if self.fail_on.as_deref().is_some_and(|f| key.contains(f)) {
            return Err(PutError {
                message: "AccessDenied: Access Denied".into(),
            });
        }
        self.puts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((key.to_string(), content_type, body));
        Ok(())
    }
}
