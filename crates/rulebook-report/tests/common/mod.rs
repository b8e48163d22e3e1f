//! The shipped rulebooks scored on their example data.
#![allow(dead_code)]

use rulebook_eval::data::load_json;
use rulebook_eval::eval::{evaluate_batch, Options, UnitResult};
use rulebook_lang::ir::Program;
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn ziyuan() -> (Program, Vec<UnitResult>) {
    shipped("ziyuan-2024")
}

/// A shipped rulebook (`rulebooks/NAME.rules`) scored on its example data
/// (`examples/NAME/data.json`), with every trace entry.
pub fn shipped(name: &str) -> (Program, Vec<UnitResult>) {
    let src = std::fs::read_to_string(root().join(format!("rulebooks/{name}.rules"))).unwrap();
    let program = rulebook_lang::check(&format!("{name}.rules"), &src)
        .program
        .expect("a shipped rulebook checks");
    let json = std::fs::read_to_string(root().join(format!("examples/{name}/data.json"))).unwrap();
    let batch = load_json(&program, "data.json", &json).unwrap();
    let units = evaluate_batch(
        &program,
        &batch,
        Options {
            trace: true,
            parallel: false,
        },
    )
    .unwrap();
    (program, units)
}
