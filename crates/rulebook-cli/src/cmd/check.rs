//! `rulebook check FILE... [--data DATA]`: every problem in every file, in
//! one run; with `--data`, a data file read and checked against the one
//! rulebook given, as `eval` would read it, without scoring.

use super::{load, print_diagnostics, read_source, usage_error, FINDINGS, OK};
use std::path::{Path, PathBuf};

pub fn run(files: &[PathBuf], data: Option<&Path>) -> u8 {
    if let Some(data) = data {
        return run_data(files, data);
    }
    let mut sources = Vec::new();
    for f in files {
        match read_source(f) {
            Ok(s) => sources.push(s),
            Err(e) => return usage_error(&e),
        }
    }
    let mut errors = 0;
    let mut warnings = 0;
    for source in &sources {
        let checked = rulebook_lang::check(&source.name, &source.text);
        print_diagnostics(source, &checked.diagnostics);
        let e = checked.diagnostics.iter().filter(|d| d.is_error()).count();
        errors += e;
        warnings += checked.diagnostics.len() - e;
        if e == 0 {
            if let Some(p) = &checked.program {
                let items = p
                    .nodes
                    .iter()
                    .filter(|n| n.kind == rulebook_lang::ir::NodeKind::Item)
                    .count();
                let clauses = p
                    .nodes
                    .iter()
                    .filter(|n| n.kind == rulebook_lang::ir::NodeKind::Clause)
                    .count();
                eprintln!(
                    "{}: ok — {} items, {} clauses, {} inputs, {} tests{}",
                    source.name,
                    items,
                    clauses,
                    p.inputs.len() + p.globals.len() + p.params.len(),
                    p.tests.len(),
                    if warnings > 0 {
                        format!(", {warnings} warning(s)")
                    } else {
                        String::new()
                    }
                );
            }
        }
    }
    if errors > 0 {
        eprintln!("{errors} error(s), {warnings} warning(s)");
        FINDINGS
    } else {
        OK
    }
}

/// `check RULES --data DATA`: the rulebook must be sound before its data can
/// be read; every data error is reported, none is scored.
fn run_data(files: &[PathBuf], data: &Path) -> u8 {
    let [rules] = files else {
        return usage_error("--data checks a data file against one rulebook: give one rulebook");
    };
    match load::program_and_batch(rules, data) {
        Ok((_, batch)) => {
            eprintln!(
                "{}: ok — {} unit(s), every value as {} expects",
                data.display(),
                batch.units.len(),
                rules.display()
            );
            load::done_with(batch);
            OK
        }
        Err(code) => code,
    }
}
