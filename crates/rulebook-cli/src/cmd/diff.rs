//! `rulebook diff OLD NEW`: exit 0 when the rulebooks say the same, 1 when they differ.

use super::load::{self, LoadError};
use super::{usage_error, FINDINGS, OK};
use std::path::Path;

pub fn run(old: &Path, new: &Path) -> u8 {
    let mut programs = Vec::new();
    for p in [old, new] {
        match load::program(p) {
            Ok(prog) => programs.push(prog),
            Err(LoadError::Usage(e)) => return usage_error(&e),
            Err(LoadError::Findings) => return FINDINGS,
        }
    }
    let (Some(a), Some(b)) = (programs.first(), programs.get(1)) else {
        return FINDINGS;
    };
    let changes = rulebook_report::diff::diff(a, b);
    let code = super::print_out(rulebook_report::diff::render(&changes).as_bytes());
    if code != super::OK {
        return code;
    }
    if changes.is_empty() {
        OK
    } else {
        FINDINGS
    }
}
