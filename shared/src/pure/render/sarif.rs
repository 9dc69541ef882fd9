//! The `sarif` format (issue 12; being built).

use std::io::{self, Write};

use crate::pure::engine::Report;

use super::Render;

/// The `sarif` format.
#[derive(Debug, Clone, Default)]
pub struct Sarif;

impl Render for Sarif {
    fn render(&self, _report: &Report, _out: &mut dyn Write) -> io::Result<()> {
        Err(io::Error::other("the sarif format is not built yet"))
    }
}
