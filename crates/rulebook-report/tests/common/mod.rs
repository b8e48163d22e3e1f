//! The Ziyuan rulebook scored on its example data.
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
    let src = std::fs::read_to_string(root().join("rulebooks/ziyuan-2024.rules")).unwrap();
    let program = rulebook_lang::check("ziyuan-2024.rules", &src)
        .program
        .expect("the Ziyuan rulebook checks");
    let json = std::fs::read_to_string(root().join("examples/ziyuan-2024/data.json")).unwrap();
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
