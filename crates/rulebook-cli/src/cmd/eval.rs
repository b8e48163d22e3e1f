//! `rulebook eval RULES DATA [--format table|json|csv|md] [-o FILE]`.

use super::load::{self, LoadError};
use super::{usage_error, write_atomic, FINDINGS, OK};
use rulebook_eval::eval::{evaluate_batch, Options};
use rulebook_report as report;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    Md,
}

pub fn run(rules: &Path, data: &Path, format: Format, output: Option<&Path>) -> u8 {
    let program = match load::program(rules) {
        Ok(p) => p,
        Err(LoadError::Usage(e)) => return usage_error(&e),
        Err(LoadError::Findings) => return FINDINGS,
    };
    let batch = match load::batch(&program, data) {
        Ok(b) => b,
        Err(LoadError::Usage(e)) => return usage_error(&e),
        Err(LoadError::Findings) => return FINDINGS,
    };
    let units = match evaluate_batch(
        &program,
        &batch,
        Options {
            trace: format != Format::Table && format != Format::Csv,
            parallel: true,
        },
    ) {
        Ok(u) => u,
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            return FINDINGS;
        }
    };
    let text = match format {
        Format::Table => report::table::render(&units),
        Format::Json => report::json::render(&program, &units),
        Format::Md => report::markdown::render(&program, &units),
        Format::Csv => match report::csv_out::render(&program, &units) {
            Ok(s) => s,
            Err(e) => return usage_error(&e),
        },
    };
    match output {
        Some(o) => match write_atomic(o, text.as_bytes()) {
            Ok(()) => OK,
            Err(e) => usage_error(&e),
        },
        None => {
            print!("{text}");
            OK
        }
    }
}
