//! Reading rulebooks (source or compiled) and data files (JSON, CSV folder).

use super::{print_diagnostics, read_source};
use rulebook_eval::data::{self, Batch};
use rulebook_lang::ir::{Program, IR_VERSION};
use std::path::Path;

/// Why loading stopped: a usage error (exit 2) or findings already printed (exit 1).
pub enum LoadError {
    Usage(String),
    Findings,
}

pub fn program(path: &Path) -> Result<Program, LoadError> {
    let source = read_source(path).map_err(LoadError::Usage)?;
    if path.extension().is_some_and(|e| e == "json") {
        let p: Program = serde_json::from_str(&source.text).map_err(|e| {
            LoadError::Usage(format!(
                "`{}` is not a compiled rulebook: {e}",
                path.display()
            ))
        })?;
        if p.version != IR_VERSION {
            return Err(LoadError::Usage(format!(
                "`{}` was compiled by another version (IR {}, this tool reads {IR_VERSION}); compile it again",
                path.display(),
                p.version
            )));
        }
        return Ok(p);
    }
    let checked = rulebook_lang::check(&source.name, &source.text);
    let errors = checked.diagnostics.iter().any(|d| d.is_error());
    if errors {
        print_diagnostics(&source, &checked.diagnostics);
    }
    checked.program.ok_or(LoadError::Findings)
}

/// Read a data file: `.json`, or a folder of CSV files (or its `units.csv`).
pub fn batch(program: &Program, path: &Path) -> Result<Batch, LoadError> {
    let (result, _) = batch_quiet(program, path)?;
    match result {
        Ok(b) => Ok(b),
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
                if let Some(h) = &e.help {
                    eprintln!("  help: {h}");
                }
            }
            eprintln!("{} data error(s): nothing was scored", errors.len());
            Err(LoadError::Findings)
        }
    }
}

type Loaded = (Result<Batch, Vec<data::DataError>>, String);

pub fn batch_quiet(program: &Program, path: &Path) -> Result<Loaded, LoadError> {
    let name = path.display().to_string();
    rulebook_office::data_file::read_path(program, path)
        .map(|r| (r, name))
        .map_err(LoadError::Usage)
}

/// A rulebook and a data file, as `eval` and `explain` need them; on failure,
/// the exit code (diagnostics already printed).
pub fn program_and_batch(rules: &Path, data: &Path) -> Result<(Program, Batch), u8> {
    let exit = |e: LoadError| match e {
        LoadError::Usage(msg) => super::usage_error(&msg),
        LoadError::Findings => super::FINDINGS,
    };
    let program = program(rules).map_err(exit)?;
    let batch = batch(&program, data).map_err(exit)?;
    Ok((program, batch))
}
