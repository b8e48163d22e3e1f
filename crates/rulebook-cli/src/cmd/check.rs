//! `rulebook check FILE...`: every problem in every file, in one run.

use super::{print_diagnostics, read_source, usage_error, FINDINGS, OK};
use std::path::PathBuf;

pub fn run(files: &[PathBuf]) -> u8 {
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
