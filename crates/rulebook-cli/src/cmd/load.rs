//! Reading rulebooks (source or compiled) and data files (JSON, CSV folder).

use super::{print_diagnostics, read_source};
use rulebook_eval::data::{self, Batch};
use rulebook_lang::ir::Program;
use std::path::Path;

/// Why loading stopped: a usage error (exit 2) or findings already printed (exit 1).
pub enum LoadError {
    Usage(String),
    Findings,
}

pub fn program(path: &Path) -> Result<Program, LoadError> {
    let source = read_source(path).map_err(LoadError::Usage)?;
    if path.extension().is_some_and(|e| e == "json") {
        // A damaged file is a finding about the file (exit 1), like a
        // rulebook with errors; serde_json bounds the nesting it reads.
        let p: Program = serde_json::from_str(&source.text).map_err(|e| {
            eprintln!(
                "error: `{}` is not a compiled rulebook (truncated or edited?): {e}\n  help: compile it again with `rulebook compile`",
                path.display()
            );
            LoadError::Findings
        })?;
        let problems = rulebook_lang::validate::validate(&p);
        if !problems.is_empty() {
            for m in &problems {
                eprintln!("error: `{}`, {m}", path.display());
            }
            eprintln!(
                "`{}` is not a sound compiled rulebook ({} problem(s)): compile it again from its .rules file",
                path.display(),
                problems.len()
            );
            return Err(LoadError::Findings);
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
    let (result, name) = batch_quiet(program, path)?;
    loaded(result, &name)
}

/// A data file `name` as read: its batch, or its errors printed.
pub fn loaded(result: Result<Batch, Vec<data::DataError>>, name: &str) -> Result<Batch, LoadError> {
    match result {
        Ok(b) if b.units.is_empty() => {
            eprintln!(
                "error: {name}: there are no units in the data, so there is nothing to score"
            );
            eprintln!("  help: give one entry per unit (in JSON under `units`, in CSV one row of `units.csv` each)");
            Err(LoadError::Findings)
        }
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

/// A batch the command is done with, as the process ends: the system takes
/// its memory back at once, where freeing it value by value would cost a
/// large batch a noticeable part of its run (100 000 units: some 0.4 s).
pub fn done_with(batch: Batch) {
    std::mem::forget(batch);
}

/// A rulebook and a data file, as `eval` and `explain` need them; on failure,
/// the exit code (diagnostics already printed).
pub fn program_and_batch(rules: &Path, data: &Path) -> Result<(Program, Batch), u8> {
    let program = program(rules).map_err(exit_code)?;
    let batch = batch(&program, data).map_err(exit_code)?;
    Ok((program, batch))
}

/// The exit code for a load that stopped (its diagnostics already printed).
pub fn exit_code(e: LoadError) -> u8 {
    match e {
        LoadError::Usage(msg) => super::usage_error(&msg),
        LoadError::Findings => super::FINDINGS,
    }
}
