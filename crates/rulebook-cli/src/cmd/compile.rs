//! `rulebook compile FILE -o OUT.json`: the checked IR, for `eval` without the source.

use super::{print_diagnostics, read_source, usage_error, FINDINGS, OK};
use std::path::Path;

pub fn run(file: &Path, output: Option<&Path>) -> u8 {
    if let Some(Err(e)) = output.map(|o| super::refuse_input_as_output(o, &[file])) {
        return usage_error(&e);
    }
    let source = match read_source(file) {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    let checked = rulebook_lang::check(&source.name, &source.text);
    print_diagnostics(&source, &checked.diagnostics);
    let Some(program) = checked.program else {
        return FINDINGS;
    };
    let json = match serde_json::to_string_pretty(&program) {
        Ok(j) => j,
        Err(e) => return usage_error(&format!("cannot serialize the compiled rulebook: {e}")),
    };
    match output {
        Some(out) => match crate::cmd::write_atomic(out, json.as_bytes()) {
            Ok(()) => OK,
            Err(e) => usage_error(&e),
        },
        None => super::print_out(format!("{json}\n").as_bytes()),
    }
}
