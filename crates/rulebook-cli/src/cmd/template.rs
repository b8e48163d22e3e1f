//! `rulebook template RULES [--format xlsx|csv|json] [-o FILE]`: a blank data file.

use super::load::{self, LoadError};
use super::{usage_error, write_atomic, FINDINGS, OK};
use rulebook_office::template;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A workbook: a sheet per table, a 说明 sheet listing every input
    Xlsx,
    /// The same sheets as CSV files in the folder given by -o
    Csv,
    /// A JSON skeleton with every input null
    Json,
}

pub fn run(rules: &Path, format: Format, output: Option<&Path>) -> u8 {
    if let Some(Err(e)) = output.map(|o| super::refuse_input_as_output(o, &[rules])) {
        return usage_error(&e);
    }
    let program = match load::program(rules) {
        Ok(p) => p,
        Err(LoadError::Usage(e)) => return usage_error(&e),
        Err(LoadError::Findings) => return FINDINGS,
    };
    let written = match (format, output) {
        (Format::Json, None) => {
            return super::print_out(template::json(&program).as_bytes());
        }
        (Format::Json, Some(o)) => write_atomic(o, template::json(&program).as_bytes()),
        (Format::Xlsx, Some(o)) => {
            template::xlsx(&program).and_then(|bytes| write_atomic(o, &bytes))
        }
        (Format::Csv, Some(dir)) => template::csv_files(&program).and_then(|files| {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
            files.iter().try_for_each(|(name, text)| {
                let path = dir.join(name);
                super::refuse_input_as_output(&path, &[rules])?;
                write_atomic(&path, text.as_bytes())
            })
        }),
        (Format::Xlsx, None) => {
            Err("give the workbook's file name with -o, e.g. -o data.xlsx".into())
        }
        (Format::Csv, None) => Err("give a folder for the CSV files with -o, e.g. -o data/".into()),
    };
    match written {
        Ok(()) => OK,
        Err(e) => usage_error(&e),
    }
}
