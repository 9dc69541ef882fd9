//! The `asff` format (issue 12; being built).

use std::io::{self, Write};

use crate::pure::engine::Report;

use super::Render;

/// The `asff` format.
#[derive(Debug, Clone, Default)]
pub struct Asff;

impl Render for Asff {
    fn render(&self, _report: &Report, _out: &mut dyn Write) -> io::Result<()> {
        Err(io::Error::other("the asff format is not built yet"))
    }
}
