//! A batch of units scored: ranks and the batch's aggregates worked out
//! first, then every unit on all cores (or one), with the compiled
//! evaluator or the [`reference`] interpreter, collected whole or streamed
//! in order in chunks ([`rank_batch`], [`prepare_batch`]).
//!
//! In: a checked [`Program`] and a [`Batch`]. Out: each unit's
//! [`UnitResult`] (or what it maps to), or every unit's error.

use super::batch_values::{self, Ranks};
use super::{dec_cmp, evaluate_unit_in, AcrossValue, Cx, EvalError, UnitResult};
use crate::compiled::{Compiled, Scratch, Unit, LANES};
use crate::data::{Batch, UnitData};
use crate::value::Value;
use rayon::prelude::*;
use rulebook_lang::ir::Program;
use rust_decimal::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Keep the trace (explanations). Off for bulk scoring.
    pub trace: bool,
    /// Score units on all cores.
    pub parallel: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            trace: true,
            parallel: true,
        }
    }
}

/// Score every unit of a batch. Ranks (`rank(...)` and the rank by total)
/// are taken across the whole batch.
pub fn evaluate_batch(
    program: &Program,
    batch: &Batch,
    opts: Options,
) -> Result<Vec<UnitResult>, Vec<EvalError>> {
    evaluate_batch_with_progress(program, batch, opts, &|| {})
}

/// [`evaluate_batch`], calling `tick` once per unit scored (from any thread),
/// for a progress bar.
pub fn evaluate_batch_with_progress(
    program: &Program,
    batch: &Batch,
    opts: Options,
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<UnitResult>, Vec<EvalError>> {
    let mut out = evaluate_batch_map(program, batch, opts, tick, &|u| std::mem::take(u))?;
    rank_by_total(&mut out);
    Ok(out)
}

/// Set each unit's rank by total within the batch (competition ranking).
pub fn rank_by_total(units: &mut [UnitResult]) {
    let totals: Vec<Value> = units.iter().map(|u| Value::Num(u.total)).collect();
    for (u, rank) in units.iter_mut().zip(competition_ranks(&totals)) {
        u.rank = rank;
    }
}

/// Score every unit and keep only what `map` makes of each result, in the
/// batch's order. A unit's full result (every node, every trace entry) is
/// lent to `map`, so memory grows with the units only by what `map` keeps —
/// for a summary table, a few numbers — and the lists `map` leaves in it
/// are filled again for the next unit rather than made anew
/// (`std::mem::take` takes the whole result). The rank by total is left to
/// the caller ([`competition_ranks`] over the totals it kept). The program
/// is compiled once for the batch.
pub fn evaluate_batch_map<R: Send>(
    program: &Program,
    batch: &Batch,
    opts: Options,
    tick: &(dyn Fn() + Sync),
    map: &(dyn Fn(&mut UnitResult) -> R + Sync),
) -> Result<Vec<R>, Vec<EvalError>> {
    let compiled = Compiled::new(program);
    batch_map(Engine::Compiled(&compiled), batch, opts, tick, map)
}

/// Which evaluator scores: the compiled one, or the reference interpreter
/// ([`reference`]) the compiled one is tested against.
#[derive(Clone, Copy)]
pub(super) enum Engine<'c, 'p> {
    Compiled(&'c Compiled<'p>),
    Reference(&'p Program),
}

/// An expression evaluated once per unit for the batch as a whole.
#[derive(Clone, Copy)]
pub(crate) enum BatchExpr {
    /// `program.ranks[k]`.
    Rank(usize),
    /// `program.across[k]`'s expression.
    Across(usize),
    /// `program.across[k]`'s `where`.
    AcrossFilter(usize),
}

/// One evaluator's state while it scores units (a compiled program's
/// reusable buffers).
pub(super) enum Worker<'c, 'p> {
    /// One scratch for each unit of a chunk (boxed: far larger than the
    /// other variant).
    Compiled(&'c Compiled<'p>, Box<[Scratch; LANES]>),
    /// (With the last unit's result, lent as the compiled one's is.)
    Reference(&'p Program, Box<UnitResult>),
}

impl<'c, 'p> Engine<'c, 'p> {
    fn program(self) -> &'p Program {
        match self {
            Engine::Compiled(c) => c.program(),
            Engine::Reference(p) => p,
        }
    }
    pub(super) fn worker(self) -> Worker<'c, 'p> {
        match self {
            Engine::Compiled(c) => {
                Worker::Compiled(c, Box::new(std::array::from_fn(|_| c.scratch())))
            }
            Engine::Reference(p) => Worker::Reference(p, Box::default()),
        }
    }
}

impl Worker<'_, '_> {
    /// A batch-level expression for unit `u`.
    pub(super) fn batch_expr(
        &mut self,
        globals: &[Value],
        u: &UnitData,
        which: BatchExpr,
    ) -> Result<Value, String> {
        match self {
            Worker::Compiled(c, scratches) => {
                let [scratch, ..] = &mut **scratches;
                c.eval_batch_expr(scratch, globals, u, which)
            }
            Worker::Reference(p, _) => {
                let e = match which {
                    BatchExpr::Rank(k) => p.ranks.get(k),
                    BatchExpr::Across(k) => p.across.get(k).map(|a| &a.expr),
                    BatchExpr::AcrossFilter(k) => p.across.get(k).and_then(|a| a.filter.as_ref()),
                };
                match e {
                    Some(e) => Cx::new(p, globals, u, &[], &[]).eval(e),
                    None => Ok(Value::Missing),
                }
            }
        }
    }
}

impl Worker<'_, '_> {
    /// Score one unit; its result is lent until the next.
    pub(super) fn score(
        &mut self,
        globals: &[Value],
        unit: &UnitData,
        ranks: &[Decimal],
        across: &[AcrossValue],
        trace: bool,
    ) -> Result<&mut UnitResult, EvalError> {
        match self {
            Worker::Compiled(c, scratches) => {
                let [scratch, ..] = &mut **scratches;
                c.score_lent(scratch, globals, unit, ranks, across, trace)
            }
            Worker::Reference(p, out) => {
                **out = evaluate_unit_in(p, globals, unit, ranks, across, trace)?;
                Ok(out)
            }
        }
    }
}

impl Worker<'_, '_> {
    /// Score `units`, in order: the compiled evaluator walks them
    /// [`LANES`] at a time. `ranks(k)` gives unit `k`'s ranks; `each` is
    /// given each unit's result, lent until the next chunk's.
    pub(super) fn score_units<'r>(
        &mut self,
        globals: &'r [Value],
        units: &'r [UnitData],
        ranks: &dyn Fn(usize) -> &'r [Decimal],
        across: &'r [AcrossValue],
        trace: bool,
        each: &mut dyn FnMut(Result<&mut UnitResult, EvalError>),
    ) {
        match self {
            Worker::Compiled(c, scratches) => {
                let units = units.iter().enumerate().map(|(k, unit)| Unit {
                    globals,
                    unit,
                    ranks: ranks(k),
                    across,
                });
                c.score_lanes(&mut **scratches, units, trace, each);
            }
            Worker::Reference(..) => {
                for (k, unit) in units.iter().enumerate() {
                    each(self.score(globals, unit, ranks(k), across, trace));
                }
            }
        }
    }
}

/// What scoring a batch needs besides its units.
struct Pass<'a, 'c, 'p> {
    engine: Engine<'c, 'p>,
    batch: &'a Batch,
    ranks: &'a Ranks,
    across: &'a [AcrossValue],
    trace: bool,
    parallel: bool,
}

impl Pass<'_, '_, '_> {
    /// Score `units` (the batch's from `start` on), in order, on all cores
    /// when `parallel`, one worker per thread.
    fn score<R: Send>(
        &self,
        units: &[UnitData],
        start: usize,
        each: &(dyn Fn(Result<&mut UnitResult, EvalError>) -> R + Sync),
    ) -> Vec<R> {
        self.score_at(units, start, &|_, r| each(r))
    }

    /// [`Pass::score`], `each` told which of `units` (from 0) it has.
    fn score_at<R: Send>(
        &self,
        units: &[UnitData],
        start: usize,
        each: &(dyn Fn(usize, Result<&mut UnitResult, EvalError>) -> R + Sync),
    ) -> Vec<R> {
        // `chunk`: `units` from the `n`th chunk of [`LANES`] on.
        let run = |w: &mut Worker<'_, '_>, (n, chunk): (usize, &[UnitData])| {
            let from = n * LANES;
            let mut out = Vec::with_capacity(chunk.len());
            let mut k = from;
            w.score_units(
                &self.batch.globals,
                chunk,
                &|j| self.ranks.of(start + from + j),
                self.across,
                self.trace,
                &mut |r| {
                    out.push(each(k, r));
                    k += 1;
                },
            );
            out
        };
        if self.parallel {
            units
                .par_chunks(LANES)
                .enumerate()
                .map_init(|| self.engine.worker(), run)
                .flatten_iter()
                .collect()
        } else {
            // (All of them at once: the worker walks them a chunk at a time.)
            run(&mut self.engine.worker(), (0, units))
        }
    }
}

fn batch_map<R: Send>(
    engine: Engine<'_, '_>,
    batch: &Batch,
    opts: Options,
    tick: &(dyn Fn() + Sync),
    map: &(dyn Fn(&mut UnitResult) -> R + Sync),
) -> Result<Vec<R>, Vec<EvalError>> {
    let (ranks, across) = batch_values_of(engine, batch)?;
    let each = |r: Result<&mut UnitResult, EvalError>| {
        let r = r.map(map);
        tick();
        r
    };
    let pass = Pass {
        engine,
        batch,
        ranks: &ranks,
        across: &across,
        trace: opts.trace,
        parallel: opts.parallel && batch.units.len() > 64,
    };
    let results = pass.score(&batch.units, 0, &each);
    let mut errors = Vec::new();
    // Collected in place: the results' memory holds what is kept, rather
    // than a second list beside it.
    let out: Vec<R> = results
        .into_iter()
        .filter_map(|r| r.map_err(|e| errors.push(e)).ok())
        .collect();
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Score only the unit at `index`, its ranks (`rank(...)`) and the
/// aggregates across units (`max(E across units)` …) taken over the whole
/// batch as [`evaluate_batch`] takes them: a what-if after changing
/// one unit's data, without scoring the others. The rank by total is left
/// at 0.
pub fn evaluate_one(
    program: &Program,
    batch: &Batch,
    index: usize,
    trace: bool,
) -> Result<UnitResult, Vec<EvalError>> {
    let compiled = Compiled::new(program);
    one_with(Engine::Compiled(&compiled), batch, index, trace)
}

fn one_with(
    engine: Engine<'_, '_>,
    batch: &Batch,
    index: usize,
    trace: bool,
) -> Result<UnitResult, Vec<EvalError>> {
    let (ranks, across) = batch_values_of(engine, batch)?;
    let Some(unit) = batch.units.get(index) else {
        return Err(vec![EvalError {
            unit: String::new(),
            node: String::new(),
            message: format!("there is no unit #{index} in the batch"),
        }]);
    };
    let r = ranks.of(index);
    engine
        .worker()
        .score(&batch.globals, unit, r, &across, trace)
        .map(std::mem::take)
        .map_err(|e| vec![e])
}

/// The reference model: today's tree-walking interpreter, which the
/// compiled evaluator must agree with exactly (the property test
/// `tests/compiled_vs_reference.rs`). Slow; for tests and comparisons.
pub mod reference {
    use super::*;

    /// [`super::evaluate_batch`] by the reference interpreter.
    pub fn evaluate_batch(
        program: &Program,
        batch: &Batch,
        opts: Options,
    ) -> Result<Vec<UnitResult>, Vec<EvalError>> {
        let mut out = evaluate_batch_map(program, batch, opts, &|| {}, &|u| std::mem::take(u))?;
        rank_by_total(&mut out);
        Ok(out)
    }

    /// [`super::evaluate_batch_map`] by the reference interpreter.
    pub fn evaluate_batch_map<R: Send>(
        program: &Program,
        batch: &Batch,
        opts: Options,
        tick: &(dyn Fn() + Sync),
        map: &(dyn Fn(&mut UnitResult) -> R + Sync),
    ) -> Result<Vec<R>, Vec<EvalError>> {
        batch_map(Engine::Reference(program), batch, opts, tick, map)
    }

    /// [`super::evaluate_one`] by the reference interpreter.
    pub fn evaluate_one(
        program: &Program,
        batch: &Batch,
        index: usize,
        trace: bool,
    ) -> Result<UnitResult, Vec<EvalError>> {
        one_with(Engine::Reference(program), batch, index, trace)
    }

    pub use crate::eval::{evaluate_unit, evaluate_unit_in};
}

/// Why a streamed batch stopped.
#[derive(Debug)]
pub enum StreamError<E> {
    /// Units could not be scored (every such unit; after a ranking pass,
    /// found before anything was handed on).
    Eval(Vec<EvalError>),
    /// The sink failed.
    Sink(E),
}

/// How many units are scored together (on all cores) before they are
/// handed on in order: memory holds this many results at most.
const CHUNK: usize = 512;

/// A batch ranked by a first pass, ready to be scored unit by unit
/// ([`Ranked::stream`]): the `rank(...)` values, the batch aggregates and
/// each unit's rank by total — a few numbers per unit — and the program
/// compiled once for both passes.
pub struct Ranked<'b> {
    compiled: Compiled<'b>,
    batch: &'b Batch,
    ranks: Ranks,
    across: Vec<AcrossValue>,
    by_total: Vec<u32>,
    parallel: bool,
}

/// The first pass of a constant-memory run: score every unit keeping only
/// its total, and rank the batch. Every unit that cannot be scored is
/// reported here, before anything is written.
pub fn rank_batch<'b>(
    program: &'b Program,
    batch: &'b Batch,
    parallel: bool,
) -> Result<Ranked<'b>, Vec<EvalError>> {
    let mut ready = prepare_batch(program, batch, parallel)?;
    let Ranked {
        compiled,
        ranks,
        across,
        parallel,
        ..
    } = &ready;
    let engine = Engine::Compiled(compiled);
    let parallel = *parallel;
    let pass = Pass {
        engine,
        batch,
        ranks,
        across,
        trace: false,
        parallel,
    };
    let totals = pass.score(&batch.units, 0, &|r| r.map(|u| Value::Num(u.total)));
    let mut errors = Vec::new();
    let totals: Vec<Value> = totals
        .into_iter()
        .map(|t| {
            t.unwrap_or_else(|e| {
                errors.push(e);
                Value::Missing
            })
        })
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    ready.by_total = competition_ranks(&totals);
    Ok(ready)
}

/// A batch ready to be scored unit by unit in one pass: the program
/// compiled, the `rank(...)` values and batch aggregates worked out, but no
/// rank by total (each unit's is left at 1 for the caller to set).
pub fn prepare_batch<'b>(
    program: &'b Program,
    batch: &'b Batch,
    parallel: bool,
) -> Result<Ranked<'b>, Vec<EvalError>> {
    let compiled = Compiled::new(program);
    let engine = Engine::Compiled(&compiled);
    let (ranks, across) = batch_values_of(engine, batch)?;
    Ok(Ranked {
        compiled,
        batch,
        ranks,
        across,
        by_total: Vec::new(),
        parallel: parallel && batch.units.len() > 64,
    })
}

impl Ranked<'_> {
    /// Score the units (after [`rank_batch`], again), a chunk at a time (on
    /// all cores when asked), and hand each result, rank set, to `sink` in
    /// the batch's order. `tick` is called once per unit. A unit that cannot
    /// be scored stops the handing on; the rest are still scored, so that
    /// every failing unit is reported.
    pub fn stream<E>(
        &self,
        trace: bool,
        tick: &(dyn Fn() + Sync),
        sink: &mut dyn FnMut(UnitResult) -> Result<(), E>,
    ) -> Result<(), StreamError<E>> {
        self.stream_map(trace, tick, &|u| std::mem::take(u), sink)
    }

    /// [`Ranked::stream`], each result (rank set) first made into what
    /// `map` makes of it, on the cores that score (a row of output, say),
    /// then handed to `sink` in the batch's order.
    pub fn stream_map<R: Send, E>(
        &self,
        trace: bool,
        tick: &(dyn Fn() + Sync),
        map: &(dyn Fn(&mut UnitResult) -> R + Sync),
        sink: &mut dyn FnMut(R) -> Result<(), E>,
    ) -> Result<(), StreamError<E>> {
        let units = &self.batch.units;
        let pass = Pass {
            engine: Engine::Compiled(&self.compiled),
            batch: self.batch,
            ranks: &self.ranks,
            across: &self.across,
            trace,
            parallel: self.parallel,
        };
        let mut start = 0;
        let mut failed = Vec::new();
        while start < units.len() {
            let end = (start + CHUNK).min(units.len());
            let chunk = units.get(start..end).unwrap_or(&[]);
            let results = pass.score_at(chunk, start, &|k, r| {
                tick();
                r.map(|u| {
                    u.rank = self.by_total.get(start + k).copied().unwrap_or(1);
                    map(u)
                })
            });
            for r in results {
                match r {
                    Ok(u) if failed.is_empty() => sink(u).map_err(StreamError::Sink)?,
                    Ok(_) => {}
                    // Scoring goes on, to report every unit that fails.
                    Err(e) => failed.push(e),
                }
            }
            start = end;
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(StreamError::Eval(failed))
        }
    }
}

/// Competition ranking, largest first: ties share the better rank (1, 1, 3).
/// A unit's rank is 1 and the number of values greater than its own;
/// units without a number rank after all that have one.
pub fn competition_ranks(values: &[Value]) -> Vec<u32> {
    // The units with a number, largest first, then each given its place
    // in that order, or the place of the first equal to it.
    let mut order: Vec<(Decimal, u32)> = values
        .iter()
        .zip(0u32..)
        .filter_map(|(v, i)| v.as_num().map(|x| (x, i)))
        .collect();
    order.sort_unstable_by(|a, b| dec_cmp(b.0, a.0));
    let mut ranks = vec![1 + order.len() as u32; values.len()];
    let mut last: Option<(Decimal, u32)> = None;
    for (&(x, i), place) in order.iter().zip(1u32..) {
        let rank = match last {
            Some((y, r)) if dec_cmp(x, y).is_eq() => r,
            _ => place,
        };
        if let Some(r) = ranks.get_mut(i as usize) {
            *r = rank;
        }
        last = Some((x, rank));
    }
    ranks
}

/// Each unit's ranks and the batch's aggregates, or every error
/// ([`batch_values`]).
fn batch_values_of(
    engine: Engine<'_, '_>,
    batch: &Batch,
) -> Result<batch_values::Values, Vec<EvalError>> {
    let mut values = batch_values::BatchValues::new(engine.program());
    let mut worker = engine.worker();
    for u in &batch.units {
        values.add(&mut worker, &batch.globals, u);
    }
    values.finish()
}

/// The batch's aggregates (`max(E across units)` …), each computed once:
/// units where E is missing (or the `where` fails) take no part; `max` and
/// `min` name the first unit in the batch that holds the value; a `mean`
/// or `max` over no units is missing, a `sum` or `count` 0.
pub fn compute_across(
    program: &Program,
    batch: &Batch,
) -> Result<Vec<AcrossValue>, Vec<EvalError>> {
    batch_values_of(Engine::Reference(program), batch).map(|(_, across)| across)
}
