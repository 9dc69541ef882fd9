//! The `csv` format (issue 12; being built).

use std::io::{self, Write};

use crate::pure::engine::Report;

use super::Render;

/// The `csv` format.
#[derive(Debug, Clone, Default)]
pub struct Csv;

impl Render for Csv {
    fn render(&self, _report: &Report, _out: &mut dyn Write) -> io::Result<()> {
        Err(io::Error::other("the csv format is not built yet"))
    }
}
