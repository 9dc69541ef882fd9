//! The `html` format (issue 12; being built).

use std::io::{self, Write};

use crate::pure::engine::Report;

use super::Render;

/// The `html` format.
#[derive(Debug, Clone, Default)]
pub struct Html;

impl Render for Html {
    fn render(&self, _report: &Report, _out: &mut dyn Write) -> io::Result<()> {
        Err(io::Error::other("the html format is not built yet"))
    }
}
