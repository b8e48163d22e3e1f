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
    let unit = rulebook_eval::data::unit_name(unit);
    let unit = unit.as_ref();
    if !batch.units.iter().any(|u| u.name == unit) {
        // Load refuses data without units, so there is at least one to name.
        const SHOWN: usize = 20;
        let mut names: Vec<String> = batch
            .units
            .iter()
            .take(SHOWN)
            .map(|u| format!("`{}`", u.name))
            .collect();
        if batch.units.len() > SHOWN {
            names.push(format!("and {} more", batch.units.len() - SHOWN));
        }
        return usage_error(&format!(
            "there is no unit `{unit}` in the data; the units are {}",
            names.join(", ")
        ));
    }
    let units = match evaluate_batch(&program, &batch, Options::default()) {
        Ok(u) => u,
        Err(errors) => return super::eval::eval_failed(&errors),
    };
    let Some(u) = units.iter().find(|u| u.unit == unit) else {
        return FINDINGS;
    };
    super::print_out(rulebook_report::explain::render(&program, u, units.len()).as_bytes())
}
