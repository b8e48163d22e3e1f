//! `rulebook eval RULES DATA [--format table|json|csv|md|xlsx|html] [-o FILE]`.

use super::load;
use super::{usage_error, write_atomic, FINDINGS, OK};
use rulebook_eval::eval::{
    evaluate_batch_map, evaluate_batch_with_progress, rank_by_total, Options, UnitResult,
};
use rulebook_report as report;
use std::io::IsTerminal;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    Md,
    /// The official table with scores, a sheet per unit (needs -o)
    Xlsx,
    /// A self-contained report with charts
    Html,
}

pub fn run(rules: &Path, data: &Path, format: Format, output: Option<&Path>) -> u8 {
    if let Some(Err(e)) = output.map(|o| super::refuse_input_as_output(o, &[rules, data])) {
        return usage_error(&e);
    }
    if format == Format::Xlsx && output.is_none() {
        return usage_error("give the workbook's file name with -o, e.g. -o scores.xlsx");
    }
    let (program, batch) = match load::program_and_batch(rules, data) {
        Ok(pb) => pb,
        Err(code) => return code,
    };
    // A progress bar on stderr when a large batch runs on a terminal.
    let bar = (batch.units.len() >= 2000 && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(batch.units.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} units  {per_sec}  {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let tick = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let opts = Options {
        trace: format != Format::Table && format != Format::Csv,
        parallel: true,
    };
    let scored = if format == Format::Table {
        // The summary table needs only each unit's totals: drop the rest as
        // soon as a unit is scored, so memory does not grow with its nodes.
        let light = |mut u: UnitResult| {
            u.nodes = Vec::new();
            u.trace = Vec::new();
            u
        };
        evaluate_batch_map(&program, &batch, opts, &tick, &light).map(|mut units| {
            rank_by_total(&mut units);
            units
        })
    } else {
        evaluate_batch_with_progress(&program, &batch, opts, &tick)
    };
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let units = match scored {
        Ok(u) => u,
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            return FINDINGS;
        }
    };
    let text = match format {
        Format::Xlsx => match report::xlsx::render(&program, &units) {
            Ok(bytes) => return write_to(output, &bytes),
            Err(e) => return usage_error(&e),
        },
        Format::Html => report::html::render(&program, &units),
        Format::Table => report::table::render(&units),
        Format::Json => report::json::render(&program, &units),
        Format::Md => report::markdown::render(&program, &units),
        Format::Csv => match report::csv_out::render(&program, &units) {
            Ok(s) => s,
            Err(e) => return usage_error(&e),
        },
    };
    write_to(output, text.as_bytes())
}

fn write_to(output: Option<&Path>, bytes: &[u8]) -> u8 {
    match output {
        Some(o) => match write_atomic(o, bytes) {
            Ok(()) => OK,
            Err(e) => usage_error(&e),
        },
        None => super::print_out(bytes),
    }
}
