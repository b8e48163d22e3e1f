//! `rulebook eval RULES DATA [--format …] [--detail …] [--unit NAME] [-o FILE]`.
//!
//! JSON, JSON Lines, CSV and large XLSX workbooks are written in constant
//! memory: CSV and summaries keep under 1 KB a unit from one scoring pass;
//! fuller outputs are ranked by a first pass (one number per unit), and a
//! second scores each unit again and writes it (from a JSON data file,
//! each pass reads the file, so no unit's data is kept either). The
//! table keeps only each unit's figures; Markdown, HTML and small XLSX
//! workbooks lay out the whole batch at once.

use super::load;
use super::{usage_error, write_atomic, FINDINGS, OK};
use rulebook_eval::data::Batch;
use rulebook_eval::eval::{
    competition_ranks, evaluate_batch_map, evaluate_batch_with_progress, prepare_batch, rank_batch,
    rank_by_total, readable_twice, score_while_reading, score_while_reading_map,
    scores_while_reading, Options, StreamError, UnitResult, WhileReading,
};
use rulebook_eval::Value;
use rulebook_lang::ir::Program;
use rulebook_report as report;
use rulebook_report::json::Detail;
use std::io::IsTerminal;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    /// One JSON object per line: the rulebook's text first, then each unit
    Jsonl,
    Csv,
    Md,
    /// The official table with scores, a sheet per unit (needs -o)
    Xlsx,
    /// A self-contained report with charts
    Html,
}

/// What each unit carries in JSON, JSON Lines and CSV.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DetailArg {
    /// Figures, grade, rank, vetoes
    Summary,
    /// And every item's score (and, in JSON, its parts')
    Items,
    /// And every reason, in words (JSON only)
    Full,
}

pub struct Args<'a> {
    pub format: Format,
    pub detail: Option<DetailArg>,
    /// Units to give a sheet of their own in a large workbook.
    pub units: &'a [String],
    pub output: Option<&'a Path>,
}

pub fn run(rules: &Path, data: &Path, args: &Args<'_>) -> u8 {
    let (format, output) = (args.format, args.output);
    if let Some(Err(e)) = output.map(|o| super::refuse_input_as_output(o, &[rules, data])) {
        return usage_error(&e);
    }
    if format == Format::Xlsx && output.is_none() {
        return usage_error("give the workbook's file name with -o, e.g. -o scores.xlsx");
    }
    if !args.units.is_empty() && format != Format::Xlsx {
        return usage_error(
            "--unit chooses the units that get a sheet of their own in --format xlsx; for one unit's scores in words use `rulebook explain`",
        );
    }
    let detail = match (args.detail, format) {
        (Some(DetailArg::Summary), _) => Detail::Summary,
        (Some(DetailArg::Items), _) => Detail::Items,
        (Some(DetailArg::Full), Format::Json | Format::Jsonl)
        | (None, Format::Json | Format::Jsonl) => Detail::Full,
        (Some(DetailArg::Full), Format::Csv) => return usage_error(
            "CSV has no room for reasons: use --detail items, or --format json for --detail full",
        ),
        (None, _) => Detail::Items,
        (Some(DetailArg::Full), _) => Detail::Full,
    };
    if args.detail.is_some() && !matches!(format, Format::Json | Format::Jsonl | Format::Csv) {
        return usage_error("--detail applies to --format json, jsonl and csv");
    }
    let program = match load::program(rules) {
        Ok(p) => p,
        Err(e) => return load::exit_code(e),
    };
    // Outputs that keep a few figures per unit (and, in CSV, its item
    // cells), not its nodes or reasons: scored while the file is read when
    // each unit scores alone or with batch values a skim can work out.
    let keeps_rows = matches!(format, Format::Csv | Format::Table)
        || (detail == Detail::Summary && matches!(format, Format::Json | Format::Jsonl));
    // JSON and JSON Lines with every node: ranked by a first reading of
    // the file, then written as a second reading is scored.
    // So are workbooks too large for a sheet per unit.
    let reads_twice = matches!(format, Format::Json | Format::Jsonl | Format::Xlsx);
    let batch = if (keeps_rows || reads_twice)
        && rulebook_office::data_file::is_json_file(data)
        && scores_while_reading(&program)
    {
        let done = if keeps_rows {
            while_reading(&program, data, format, detail, output)
        } else if format == Format::Xlsx {
            xlsx_while_reading(&program, data, args.units, output)
        } else {
            twice_while_reading(&program, data, format, detail, output)
        };
        match done {
            Ok(code) => return code,
            Err(loaded) => loaded,
        }
    } else {
        load::batch(&program, data)
    };
    let batch = match batch {
        Ok(b) => b,
        Err(e) => return load::exit_code(e),
    };
    let bar = progress(&batch);
    let tick = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let large_xlsx = format == Format::Xlsx
        && (batch.units.len() > report::xlsx::SHEETS_LIMIT || !args.units.is_empty());
    let code = match format {
        Format::Json | Format::Jsonl | Format::Csv => {
            stream_text(&program, &batch, format, detail, output, &tick)
        }
        Format::Xlsx if large_xlsx => {
            large_xlsx_note(batch.units.len(), args.units);
            stream_xlsx(&program, &batch, args.units, output, &tick)
        }
        _ => whole(&program, &batch, format, output, &tick),
    };
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    load::done_with(batch);
    code
}

/// What a large workbook holds, said when no unit was named for a sheet.
fn large_xlsx_note(units: usize, keep: &[String]) {
    if keep.is_empty() {
        eprintln!(
            "note: {units} units: the workbook has the 汇总 sheet and the 得分明细 sheet (a row per unit and item); \
             a sheet per unit is written for batches of at most {} units, or for the units named with --unit NAME",
            report::xlsx::SHEETS_LIMIT
        );
    }
}

/// A progress bar on stderr when a large batch runs on a terminal.
fn progress(batch: &Batch) -> Option<indicatif::ProgressBar> {
    (batch.units.len() >= 2000 && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(batch.units.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} units  {per_sec}  {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    })
}

/// Every unit that could not be scored, with what to do where known.
pub(super) fn eval_failed(errors: &[rulebook_eval::eval::EvalError]) -> u8 {
    for e in errors {
        eprintln!("error: {e}");
        if let Some(h) = e.help() {
            eprintln!("  help: {h}");
        }
    }
    FINDINGS
}

/// JSON, JSON Lines or CSV, each unit written as it is scored.
fn stream_text(
    program: &Program,
    batch: &Batch,
    format: Format,
    detail: Detail,
    output: Option<&Path>,
    tick: &(dyn Fn() + Sync),
) -> u8 {
    // Every unit that cannot be scored is found before anything is written.
    let source = match Scored::new(program, batch, format, detail, tick) {
        Ok(s) => s,
        Err(errors) => return eval_failed(&errors),
    };
    write_text(program, &source, format, detail, output, tick)
}

/// Score a JSON data file while it is read (CSV and summaries; a rulebook
/// that ranks units by their own inputs has the ranks worked out by a skim
/// of the file first), then rank and write the units. `Err`
/// is the file read whole instead (or why it could not be): the batch's
/// own path takes it from there.
fn while_reading(
    program: &Program,
    data: &Path,
    format: Format,
    detail: Detail,
    output: Option<&Path>,
) -> Result<u8, Result<Batch, load::LoadError>> {
    let Ok(csv) = report::csv_out::CsvWriter::begin(program, std::io::sink(), detail) else {
        return Err(load::batch(program, data));
    };
    let mut kept = Kept::default();
    let said = read_scored(
        program,
        data,
        "{pos} units read and scored  {per_sec}",
        &mut |mut u| kept.keep(Kept::row(&mut u, format, &csv)),
    )?;
    if let Some(code) = said {
        return Ok(code);
    }
    rank_by_total(&mut kept.figures);
    if format == Format::Table {
        return Ok(write_to(
            output,
            report::table::render(&kept.figures).as_bytes(),
        ));
    }
    Ok(write_text(
        program,
        &Scored::Kept(kept),
        format,
        detail,
        output,
        &|| {},
    ))
}

/// One reading of a JSON data file, each unit scored as it is read (no
/// trace) and handed to `sink`, a spinner saying `what` on a terminal.
/// `Ok(None)`: every unit went to the sink. `Ok(Some(code))`: why not is
/// said (units that cannot be scored, a file that cannot be read), with
/// the exit code. `Err`: the file read whole instead, for the batch's own
/// path (a file with data errors, one without units).
fn read_scored(
    program: &Program,
    data: &Path,
    what: &str,
    sink: &mut dyn FnMut(UnitResult),
) -> Result<Option<u8>, Result<Batch, load::LoadError>> {
    let name = data.display().to_string();
    let bar = spinner(data, what);
    let tick = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let mut any = false;
    let scored = score_while_reading(program, &name, data, false, &tick, &mut |u| {
        any = true;
        sink(u)
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    match scored {
        Err(e) => Ok(Some(usage_error(&format!("cannot read `{name}`: {e}")))),
        Ok(WhileReading::Whole(loaded)) => Err(load::loaded(loaded, &name)),
        Ok(WhileReading::Scored(errors)) if !errors.is_empty() => Ok(Some(eval_failed(&errors))),
        Ok(WhileReading::Scored(_)) if !any => Err(load::loaded(Ok(Batch::default()), &name)),
        Ok(WhileReading::Scored(_)) => Ok(None),
    }
}

/// A spinner on stderr counting units, when a large file (8 MB or more:
/// some 2 000 units) is read on a terminal.
fn spinner(data: &Path, template: &str) -> Option<indicatif::ProgressBar> {
    let large = std::fs::metadata(data).is_ok_and(|m| m.len() >= 8 << 20);
    (large && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template(template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar
    })
}

/// JSON or JSON Lines with every node (and with `--detail full` every
/// reason) from a JSON data file, in memory that does not grow with the
/// file: a first reading scores each unit for its total alone and ranks
/// them (a rank by total needs every unit's), a second scores each unit
/// again as the file is read again and writes it. The second reading must
/// find the units the first did, with the same totals; a file changed in
/// between is an error, not a mixed output. `Err` is the file read whole
/// instead (or why it could not be): the batch's own path takes it from
/// there.
fn twice_while_reading(
    program: &Program,
    data: &Path,
    format: Format,
    detail: Detail,
    output: Option<&Path>,
) -> Result<u8, Result<Batch, load::LoadError>> {
    let first = match FirstReading::of(program, data, &mut |_| {})? {
        Ok(first) => first,
        Err(code) => return Ok(code),
    };
    let lines = format == Format::Jsonl;
    // Each unit's text is made on the thread that scored it; this one
    // writes them in order.
    // (Each text made with room for the longest so far, rather than grown
    // to its length by doubling: the copies were a tenth of the work.)
    let room = std::sync::atomic::AtomicUsize::new(0);
    let text = |u: UnitResult| {
        use std::sync::atomic::Ordering::Relaxed;
        let mut t = Vec::with_capacity(room.load(Relaxed));
        report::json::unit_text(program, &u, lines, detail, &mut t);
        room.fetch_max(t.len(), Relaxed);
        t
    };
    let mut fill = |w: &mut dyn std::io::Write| -> std::io::Result<()> {
        let mut jw = report::json::JsonWriter::begin(program, w, lines, detail)?;
        let mut written = Ok(());
        let again = first.read_again_map(program, data, detail == Detail::Full, &text, &mut |t| {
            if written.is_ok() {
                written = jw.unit_text(&t);
            }
        });
        written?;
        // (Said as the output's failure: a file given with -o is then not
        // written at all.)
        again.map_err(std::io::Error::other)?;
        jw.finish().map(|_| ())
    };
    Ok(match output {
        Some(o) => match super::write_atomic_with(o, &mut |w| fill(w).map_err(|e| e.to_string())) {
            Ok(()) => OK,
            Err(e) => usage_error(&e),
        },
        None => super::print_out_with(&mut fill),
    })
}

/// A large workbook (the summary and items sheets, and a sheet for each
/// unit named with `--unit`) from a JSON data file, read twice as for JSON
/// ([`twice_while_reading`]), so that no unit's data is kept. A batch small
/// enough for a sheet per unit, and no `--unit`: `Err`, the file read whole
/// for the workbook laid out at once.
fn xlsx_while_reading(
    program: &Program,
    data: &Path,
    keep: &[String],
    output: Option<&Path>,
) -> Result<u8, Result<Batch, load::LoadError>> {
    let mut found = vec![false; keep.len()];
    let first = FirstReading::of(program, data, &mut |u| {
        if let Some(k) = keep.iter().position(|k| *k == u.unit) {
            if let Some(f) = found.get_mut(k) {
                *f = true;
            }
        }
    })?;
    let first = match first {
        Ok(first) => first,
        Err(code) => return Ok(code),
    };
    let units = first.totals.len();
    if keep.is_empty() && units <= report::xlsx::SHEETS_LIMIT {
        return Err(load::batch(program, data));
    }
    if let Some((missing, _)) = keep.iter().zip(&found).find(|(_, f)| !**f) {
        return Ok(usage_error(&format!(
            "there is no unit `{missing}` in the data"
        )));
    }
    large_xlsx_note(units, keep);
    let mut w = match report::xlsx::LargeWriter::begin(program, units, keep) {
        Ok(w) => w,
        Err(e) => return Ok(usage_error(&e)),
    };
    let mut written = Ok(());
    let again = first.read_again(program, data, !keep.is_empty(), &mut |u| {
        if written.is_ok() {
            written = w.unit(&u);
        }
    });
    if let Err(e) = written.and(again) {
        return Ok(usage_error(&e));
    }
    Ok(match w.finish() {
        Ok(bytes) => write_to(output, &bytes),
        Err(e) => usage_error(&e),
    })
}

/// What a first reading of a JSON data file keeps: each unit's total, and
/// its rank by total (a rank by total needs every unit's).
struct FirstReading {
    totals: Vec<Value>,
    ranks: Vec<u32>,
}

impl FirstReading {
    /// Read and score the file once, each unit's result also shown to
    /// `each`. `Ok(Err(code))`: why not is said; `Err`: the file read whole
    /// instead (see [`read_scored`]).
    fn of(
        program: &Program,
        data: &Path,
        each: &mut dyn FnMut(&UnitResult),
    ) -> Result<Result<FirstReading, u8>, Result<Batch, load::LoadError>> {
        if !readable_twice(data) {
            return Err(load::batch(program, data));
        }
        let mut totals = Vec::new();
        let said = read_scored(
            program,
            data,
            "{pos} units read and ranked  {per_sec}",
            &mut |u| {
                each(&u);
                totals.push(Value::Num(u.total));
            },
        )?;
        Ok(match said {
            Some(code) => Err(code),
            None => Ok(FirstReading {
                ranks: competition_ranks(&totals),
                totals,
            }),
        })
    }

    /// Read and score the file again (keeping traces when `trace`), each
    /// unit handed to `sink` with its rank by total. The units must be
    /// those of the first reading, with the same totals: `Err` says the file
    /// changed in between (or cannot be read again), rather than leave an
    /// output mixed from two files.
    fn read_again(
        &self,
        program: &Program,
        data: &Path,
        trace: bool,
        sink: &mut dyn FnMut(UnitResult),
    ) -> Result<(), String> {
        self.read_again_map(program, data, trace, &|u| u, sink)
    }

    /// [`FirstReading::read_again`], each unit (its rank set) made into
    /// what `sink` takes by `map` on the thread that scored it.
    fn read_again_map<R: Send>(
        &self,
        program: &Program,
        data: &Path,
        trace: bool,
        map: &(dyn Fn(UnitResult) -> R + Sync),
        sink: &mut dyn FnMut(R),
    ) -> Result<(), String> {
        let name = data.display().to_string();
        let bar = spinner(data, "{pos} units read, scored and written  {per_sec}");
        let tick = || {
            if let Some(b) = &bar {
                b.inc(1);
            }
        };
        // The unit at place `at` of the file, with the first reading's
        // total, ranked and made into `R`; `None` for any other.
        let ranked = |at: usize, mut u: UnitResult| match (self.ranks.get(at), self.totals.get(at))
        {
            (Some(&rank), Some(Value::Num(t))) if t.serialize() == u.total.serialize() => {
                u.rank = rank;
                Some(map(u))
            }
            _ => None,
        };
        let mut k = 0;
        let mut same = true;
        let second =
            score_while_reading_map(program, &name, data, trace, &tick, &ranked, &mut |r| {
                match r {
                    Some(r) => sink(r),
                    None => same = false,
                }
                k += 1;
            });
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        match second {
            Ok(WhileReading::Scored(errors))
                if errors.is_empty() && same && k == self.totals.len() =>
            {
                Ok(())
            }
            Ok(_) => Err(format!(
                "`{name}` changed while it was read: its units or their totals are not those of the first reading; run again once it is written"
            )),
            Err(e) => Err(format!("cannot read `{name}` again: {e}")),
        }
    }
}

/// Write the scored units as JSON, JSON Lines or CSV.
fn write_text(
    program: &Program,
    source: &Scored<'_>,
    format: Format,
    detail: Detail,
    output: Option<&Path>,
    tick: &(dyn Fn() + Sync),
) -> u8 {
    let mut failed: Option<Vec<rulebook_eval::eval::EvalError>> = None;
    let mut fill = |w: &mut dyn std::io::Write| -> std::io::Result<()> {
        let r = if format == Format::Csv {
            let mut cw = report::csv_out::CsvWriter::begin(program, w, detail)?;
            source
                .each(tick, &mut |(u, text)| match text {
                    Some((t, at)) => cw.unit_text_with_rank(t, at, u.rank),
                    None => cw.unit(&u),
                })
                .and_then(|()| cw.finish().map(|_| ()).map_err(StreamError::Sink))
        } else {
            let lines = format == Format::Jsonl;
            let mut jw = report::json::JsonWriter::begin(program, w, lines, detail)?;
            source
                .each(tick, &mut |(u, _)| jw.unit(&u))
                .and_then(|()| jw.finish().map(|_| ()).map_err(StreamError::Sink))
        };
        match r {
            Ok(()) => Ok(()),
            Err(StreamError::Sink(e)) => Err(e),
            Err(StreamError::Eval(errors)) => {
                failed = Some(errors);
                Err(std::io::Error::other("units could not be scored"))
            }
        }
    };
    let code = match output {
        Some(o) => match super::write_atomic_with(o, &mut |w| fill(w).map_err(|e| e.to_string())) {
            Ok(()) => OK,
            Err(_) if failed.is_some() => FINDINGS,
            Err(e) => usage_error(&e),
        },
        None => super::print_out_with(&mut fill),
    };
    match failed {
        Some(errors) => eval_failed(&errors),
        None => code,
    }
}

/// Where a streamed output's units come from. Rows that show only a unit's
/// figures and its items' scores (CSV, and any `--detail summary`) are
/// small: each unit is scored once and kept as that much (under 1 KB), then
/// ranked and written. Fuller rows (every node, every reason) are not kept:
/// a first pass ranks the batch, a second scores each unit again and writes
/// it as it is scored, so memory does not grow with the output.
enum Scored<'b> {
    Kept(Kept),
    /// Ranked by a first pass; whether the second keeps the reasons.
    Twice(Box<rulebook_eval::eval::Ranked<'b>>, bool),
}

/// Each unit's row, kept small.
#[derive(Default)]
struct Kept {
    /// Each unit's figures (nodes and trace left empty), ranked.
    figures: Vec<UnitResult>,
    /// CSV: each unit's row but its rank, one after another; `rows` says
    /// where each ends and where its rank goes.
    text: Vec<u8>,
    rows: Vec<(usize, usize)>,
}

/// What is kept of a unit: its figures and, for CSV, its row but the rank
/// and where the rank goes in it.
type KeptRow = (UnitResult, Option<(Vec<u8>, usize)>);

impl Kept {
    /// What to keep of `u` (made on the thread that scored it).
    fn row<W: std::io::Write>(
        u: &mut UnitResult,
        format: Format,
        csv: &report::csv_out::CsvWriter<W>,
    ) -> KeptRow {
        let text = (format == Format::Csv).then(|| {
            // (Room for a typical row at once, rather than growing to it.)
            let mut text = Vec::with_capacity(512);
            let at = csv.unit_text(u, &mut text);
            (text, at)
        });
        (u.take_figures(), text)
    }

    fn keep(&mut self, (figures, text): KeptRow) {
        if let Some((t, at)) = text {
            let start = self.text.len();
            self.text.extend_from_slice(&t);
            self.rows.push((self.text.len(), start + at));
        }
        self.figures.push(figures);
    }
}

/// A unit for the writer: its result, and for a kept CSV row its text but
/// the rank and where the rank goes (the result's nodes are then not filled
/// in).
type Row<'a> = (UnitResult, Option<(&'a [u8], usize)>);

impl<'b> Scored<'b> {
    fn new(
        program: &'b Program,
        batch: &'b Batch,
        format: Format,
        detail: Detail,
        tick: &(dyn Fn() + Sync),
    ) -> Result<Self, Vec<rulebook_eval::eval::EvalError>> {
        if detail != Detail::Summary && format != Format::Csv {
            let trace = detail == Detail::Full;
            return rank_batch(program, batch, true).map(|r| Scored::Twice(Box::new(r), trace));
        }
        // Kept in flat lists that grow as the units are scored (a chunk at
        // a time), not an allocation per unit among the freed results.
        // (A writer into nothing, for its columns: it cannot fail.)
        let Ok(csv) = report::csv_out::CsvWriter::begin(program, std::io::sink(), detail) else {
            return rank_batch(program, batch, true).map(|r| Scored::Twice(Box::new(r), false));
        };
        let ready = prepare_batch(program, batch, true)?;
        let mut kept = Kept {
            figures: Vec::with_capacity(batch.units.len()),
            text: Vec::new(),
            rows: Vec::with_capacity(batch.units.len()),
        };
        let row = |u: &mut UnitResult| Kept::row(u, format, &csv);
        let streamed = ready.stream_map(false, tick, &row, &mut |r| {
            kept.keep(r);
            Ok::<(), ()>(())
        });
        match streamed {
            Ok(()) | Err(StreamError::Sink(())) => {}
            Err(StreamError::Eval(errors)) => return Err(errors),
        }
        rank_by_total(&mut kept.figures);
        Ok(Scored::Kept(kept))
    }

    /// Every unit, rank set, in the batch's order.
    fn each<E>(
        &self,
        tick: &(dyn Fn() + Sync),
        sink: &mut dyn FnMut(Row<'_>) -> Result<(), E>,
    ) -> Result<(), StreamError<E>> {
        match self {
            Scored::Twice(ranked, trace) => ranked.stream(*trace, tick, &mut |u| sink((u, None))),
            Scored::Kept(Kept {
                figures,
                text,
                rows,
            }) => {
                let mut start = 0;
                for (k, f) in figures.iter().enumerate() {
                    let u = f.clone();
                    let row = rows.get(k).and_then(|&(end, at)| {
                        let t = text.get(start..end);
                        let at = at - start;
                        start = end;
                        t.map(|t| (t, at))
                    });
                    sink((u, row)).map_err(StreamError::Sink)?;
                }
                Ok(())
            }
        }
    }
}

/// A workbook for a large batch: summary and items sheets in constant memory.
fn stream_xlsx(
    program: &Program,
    batch: &Batch,
    keep: &[String],
    output: Option<&Path>,
    tick: &(dyn Fn() + Sync),
) -> u8 {
    if let Some(missing) = keep
        .iter()
        .find(|k| !batch.units.iter().any(|u| &u.name == *k))
    {
        return usage_error(&format!("there is no unit `{missing}` in the data"));
    }
    let mut w = match report::xlsx::LargeWriter::begin(program, batch.units.len(), keep) {
        Ok(w) => w,
        Err(e) => return usage_error(&e),
    };
    let ranked = match rank_batch(program, batch, true) {
        Ok(r) => r,
        Err(errors) => return eval_failed(&errors),
    };
    match ranked.stream(!keep.is_empty(), tick, &mut |u| w.unit(&u)) {
        Ok(()) => {}
        Err(StreamError::Eval(errors)) => return eval_failed(&errors),
        Err(StreamError::Sink(e)) => return usage_error(&e),
    }
    match w.finish() {
        Ok(bytes) => write_to(output, &bytes),
        Err(e) => usage_error(&e),
    }
}

/// Formats laid out over the whole batch at once.
fn whole(
    program: &Program,
    batch: &Batch,
    format: Format,
    output: Option<&Path>,
    tick: &(dyn Fn() + Sync),
) -> u8 {
    let opts = Options {
        trace: format != Format::Table,
        parallel: true,
    };
    let scored = if format == Format::Table {
        // The summary table needs only each unit's figures: the rest stays
        // behind, to be filled again for the next unit, so memory does not
        // grow with the units' nodes.
        let light = |u: &mut UnitResult| u.take_figures();
        evaluate_batch_map(program, batch, opts, tick, &light).map(|mut units| {
            rank_by_total(&mut units);
            units
        })
    } else {
        evaluate_batch_with_progress(program, batch, opts, tick)
    };
    let units = match scored {
        Ok(u) => u,
        Err(errors) => return eval_failed(&errors),
    };
    let text = match format {
        Format::Xlsx => match report::xlsx::render(program, &units) {
            Ok(bytes) => return write_to(output, &bytes),
            Err(e) => return usage_error(&e),
        },
        Format::Html => report::html::render(program, &units),
        Format::Md => report::markdown::render(program, &units),
        _ => report::table::render(&units),
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

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn root() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    /// A second reading must find the units of the first with their totals:
    /// the same file does; a first reading that had another total, or one
    /// unit more, is taken for a file changed in between and refused.
    #[test]
    fn a_second_reading_unlike_the_first_is_refused() {
        let program = load::program(&root().join("rulebooks/ziyuan-2024.rules"))
            .ok()
            .unwrap();
        let data = root().join("examples/ziyuan-2024/data.json");
        let first = match FirstReading::of(&program, &data, &mut |_| {}) {
            Ok(Ok(first)) => first,
            _ => panic!("the example data reads"),
        };
        let mut ranks = Vec::new();
        first
            .read_again(&program, &data, false, &mut |u| {
                ranks.push((u.unit, u.rank))
            })
            .unwrap();
        // By the totals the rulebook's own tests work out by hand from the
        // document: 自定县 the highest (101.33), 封顶县 the lowest (10).
        assert_eq!(ranks.len(), 8);
        assert!(ranks.contains(&("自定县".to_string(), 1)));
        assert!(ranks.contains(&("封顶县".to_string(), 8)));

        let another_total = FirstReading {
            totals: {
                let mut t = first.totals.clone();
                t[3] = Value::Num(Decimal::new(1234, 2));
                t
            },
            ranks: first.ranks.clone(),
        };
        let one_more = FirstReading {
            totals: [first.totals.clone(), vec![Value::Num(Decimal::ONE)]].concat(),
            ranks: [first.ranks.clone(), vec![9]].concat(),
        };
        for changed in [another_total, one_more] {
            let e = changed
                .read_again(&program, &data, false, &mut |_| {})
                .unwrap_err();
            assert!(e.contains("changed while it was read"), "{e}");
        }
    }
}
