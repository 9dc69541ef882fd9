//! The `ocsf` format (issue 12; being built).

use std::io::{self, Write};

use crate::pure::engine::Report;

use super::Render;

/// The `ocsf` format.
#[derive(Debug, Clone, Default)]
pub struct Ocsf;

impl Render for Ocsf {
    fn render(&self, _report: &Report, _out: &mut dyn Write) -> io::Result<()> {
        Err(io::Error::other("the ocsf format is not built yet"))
    }
}
