//! `rulebook explain RULES DATA --unit NAME`.

use super::load;
use super::{usage_error, FINDINGS};
use rulebook_eval::eval::{evaluate_batch, Options};
use std::path::Path;

pub fn run(rules: &Path, data: &Path, unit: &str) -> u8 {
    let (program, batch) = match load::program_and_batch(rules, data) {
        Ok(pb) => pb,
        Err(code) => return code,
    };
    if !batch.units.iter().any(|u| u.name == unit) {
        let names: Vec<&str> = batch.units.iter().map(|u| u.name.as_str()).collect();
        return usage_error(&format!(
            "there is no unit `{unit}` in the data; the units are {}",
            names.join(", ")
        ));
    }
    let units = match evaluate_batch(&program, &batch, Options::default()) {
        Ok(u) => u,
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            return FINDINGS;
        }
    };
    let Some(u) = units.iter().find(|u| u.unit == unit) else {
        return FINDINGS;
    };
    super::print_out(rulebook_report::explain::render(&program, u, units.len()).as_bytes())
}
