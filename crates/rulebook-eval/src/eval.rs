//! The interpreter: one unit's data + the checked IR → its scores and trace.
//!
//! Node scores are computed bottom-up. A node with a base scores
//! clamp(awards + its scored parts − its own deductions, 0, points); a node
//! without one passes its deductions on: to its parent, to a pool of named
//! sibling parts (`off 5.1..5.4`, settled where those parts meet, deductions
//! that may overflow going last), or to the unit's total. The bonus section
//! adds awards up to its caps. All arithmetic is exact (`rust_decimal`);
//! an overflow in a rule's arithmetic is an error, never a panic; sums of
//! amounts saturate at rust_decimal's limit (about 7.9e28), far beyond any score. Ranks across the batch are
//! computed before any unit is scored.

mod batch_values;
pub(crate) mod cite;
mod while_reading;
pub use while_reading::{
    readable_twice, score_while_reading, scores_alone, scores_while_reading, WhileReading,
};

use crate::compiled::{Compiled, Scratch};
use crate::data::{Batch, UnitData};
use crate::value::Value;
use rayon::prelude::*;
use rulebook_lang::ast::{BinOp, CmpOp};
use rulebook_lang::ir::{
    self, Agg, Amount, BandDef, Builtin, Expr, Func, Program, RuleKind, SettleTo, Settlement,
};
use rust_decimal::prelude::*;
use std::sync::Arc;

/// Why a rule's amount is what it is, in numbers; reports turn it into words.
#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    /// An award or deduction with a condition: whether it held.
    Condition {
        met: bool,
    },
    /// An amount computed from an expression, before caps.
    Amount {
        raw: Decimal,
    },
    /// `rate each count`.
    Each {
        rate: Decimal,
        count: Decimal,
        raw: Decimal,
    },
    /// `rate per step of actual below|above target` (boxed: seven numbers
    /// that would make every entry as large).
    Steps(Box<StepsDetail>),
    /// `rate per step of actual below|above target` where the actual value
    /// is not below (above) the target: no steps, and nothing.
    NoSteps {
        actual: Decimal,
        target: Decimal,
        above: bool,
    },
    /// `max in proportion to ratio` (boxed, as `Steps`).
    Proportion(Box<ProportionDetail>),
    /// An input it needs was not given: the rule does not apply.
    NotApplicable,
    /// A deduction that went to the unit's total.
    ToTotal,
    /// The part of a deduction its pool could not absorb, sent to the total.
    Overflow,
    /// The part of a deduction that found nothing left to take (扣完为止).
    Lost,
    Veto,
    /// A value taken from a table row that cites this entry's node (a hit
    /// policy across clauses); boxed, as it is rare.
    Cited(Box<CitedDetail>),
}

/// The numbers of `max in proportion to ratio`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProportionDetail {
    pub ratio: Decimal,
    pub max: Decimal,
    pub raw: Decimal,
    pub floor: Option<Decimal>,
    pub below_floor: bool,
}

/// A value taken from a cited table row: the row's keys and value, the
/// group it was taken for (`g.key`), whether it was the largest of its
/// group, and the node holding the rule.
#[derive(Debug, Clone, PartialEq)]
pub struct CitedDetail {
    pub from: u32,
    pub raw: Decimal,
    pub row: Vec<String>,
    pub group: Option<String>,
    pub largest: bool,
}

/// The numbers of `rate per step of actual below|above target`.
#[derive(Debug, Clone, PartialEq)]
pub struct StepsDetail {
    pub actual: Decimal,
    pub target: Decimal,
    pub gap: Decimal,
    pub step: Decimal,
    pub steps: Decimal,
    pub rate: Decimal,
    pub raw: Decimal,
    pub above: bool,
    pub ceil: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TraceEntry {
    /// The node whose rule this is.
    pub node: u32,
    /// The rule's index in the node, if the entry comes from a rule.
    pub rule: Option<u32>,
    /// Points gained (+) or lost (−) by this entry.
    pub amount: Decimal,
    pub detail: Detail,
    /// The facts the rule's condition and amount read, so an explanation
    /// can say what the unit reported ([`Fact::words`]): where they are
    /// among the unit's [`UnitResult::facts`] (read with
    /// [`UnitResult::facts_of`]).
    pub facts: Facts,
    /// What changed the amount on its way, when anything did (read with
    /// [`TraceEntry::capped_at`] and its neighbours): the two commonest kept
    /// here, the rest boxed, as most entries have none of them.
    capped_at: Option<Decimal>,
    /// Records left out by a `where`, of how many (none when of none).
    excluded: [u32; 2],
    adjusted: Option<Box<Adjusted>>,
}

/// What changed a trace entry's amount on its way.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Adjusted {
    /// The cap that cut the amount, if any.
    pub capped_at: Option<Decimal>,
    /// `times F`: the amount before the multiplier, and the factor.
    pub scaled: Option<(Decimal, Decimal)>,
    /// `unless U` held: what the rule would have given or taken (the entry's
    /// own amount is then 0).
    pub waived: Option<Decimal>,
    /// The amount before the rule's rounding, and the places it was rounded to.
    pub rounded: Option<(Decimal, u32)>,
    /// An amount over a list with `where`: how many records the condition
    /// left out, of how many.
    pub excluded: Option<(u32, u32)>,
}

impl TraceEntry {
    /// An entry whose amount nothing adjusted.
    pub fn new(
        node: u32,
        rule: Option<u32>,
        amount: Decimal,
        detail: Detail,
        facts: Facts,
    ) -> Self {
        TraceEntry::adjusted(node, rule, amount, detail, facts, Adjusted::default())
    }

    /// An entry whose amount `adjusted` says what changed on its way.
    #[inline(always)]
    pub fn adjusted(
        node: u32,
        rule: Option<u32>,
        amount: Decimal,
        detail: Detail,
        facts: Facts,
        adjusted: Adjusted,
    ) -> Self {
        let Adjusted {
            capped_at,
            scaled,
            waived,
            rounded,
            excluded,
        } = adjusted;
        let rare = scaled.is_some() || waived.is_some() || rounded.is_some();
        TraceEntry {
            node,
            rule,
            amount,
            detail,
            facts,
            capped_at,
            excluded: match excluded {
                Some((out, of)) if of > 0 => [out, of],
                _ => [0, 0],
            },
            adjusted: rare.then(|| {
                Box::new(Adjusted {
                    scaled,
                    waived,
                    rounded,
                    ..Adjusted::default()
                })
            }),
        }
    }

    /// The cap that cut the amount, if any.
    pub fn capped_at(&self) -> Option<Decimal> {
        self.capped_at
    }

    /// `times F`: the amount before the multiplier, and the factor.
    pub fn scaled(&self) -> Option<(Decimal, Decimal)> {
        self.adjusted.as_ref().and_then(|a| a.scaled)
    }

    /// `unless U` held: what the rule would have given or taken.
    pub fn waived(&self) -> Option<Decimal> {
        self.adjusted.as_ref().and_then(|a| a.waived)
    }

    /// The amount before the rule's rounding, and the places.
    pub fn rounded(&self) -> Option<(Decimal, u32)> {
        self.adjusted.as_ref().and_then(|a| a.rounded)
    }

    /// How many records a `where` left out, of how many.
    pub fn excluded(&self) -> Option<(u32, u32)> {
        let [out, of] = self.excluded;
        (of > 0).then_some((out, of))
    }

    /// Note the cap that cut the amount.
    pub fn set_capped_at(&mut self, cap: Option<Decimal>) {
        self.capped_at = cap;
    }
}

/// What one rule of a node came to, as its trace entry shows it: both
/// evaluators make a rule's entry from this.
pub(crate) struct RuleOutcome {
    pub kind: RuleKind,
    /// Its condition held and no `unless` did.
    pub met: bool,
    /// An `unless` held on a deduction.
    pub waived: bool,
    /// Its amount before caps (0 once waived).
    pub raw: Decimal,
    /// What it gave or took, caps applied.
    pub amount: Decimal,
    pub detail: Option<Detail>,
    pub adjusted: Adjusted,
}

impl RuleOutcome {
    /// Whether an explanation shows the rule: an award, met or not; a
    /// deduction of something; one an `unless` waived or a `where` left
    /// records out of; one whose data was not given.
    #[inline(always)]
    pub(crate) fn shown(&self) -> bool {
        self.adjusted.waived.is_some()
            || (!self.waived
                && (self.kind == RuleKind::Award
                    || !self.raw.is_zero()
                    || self.adjusted.excluded.is_some()
                    || matches!(self.detail, Some(Detail::NotApplicable))))
    }

    /// The trace entry of rule `rule` of node `node`, with the facts it read.
    #[inline(always)]
    pub(crate) fn entry(self, node: u32, rule: u32, facts: Facts) -> TraceEntry {
        let amount = if self.kind == RuleKind::Award {
            self.amount
        } else {
            -self.amount
        };
        let detail = self.detail.unwrap_or(Detail::Condition { met: self.met });
        TraceEntry::adjusted(node, Some(rule), amount, detail, facts, self.adjusted)
    }
}

/// Where a trace entry's facts are among its unit's [`UnitResult::facts`]:
/// a unit's facts are kept together, not in a list per entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Facts {
    pub start: u32,
    pub len: u32,
}

impl Facts {
    /// Keep `facts` at the end of a unit's `all`; where they went.
    pub fn keep(all: &mut Vec<Fact>, facts: impl IntoIterator<Item = Fact>) -> Facts {
        let start = all.len();
        all.extend(facts);
        Facts {
            start: start as u32,
            len: (all.len() - start) as u32,
        }
    }
}

/// A fact a rule read, kept as the value itself and put into words only
/// when a report shows it ([`Fact::words`]): keeping reasons costs little.
#[derive(Debug, Clone, PartialEq)]
pub enum Fact {
    /// An input's value (by its index in `Program::inputs`).
    Input(u32, Value),
    /// A global's value.
    Global(u32, Value),
    /// A parameter's value for the unit.
    Param(u32, Value),
    /// A derived value, worked out while scoring.
    Let(u32, Value),
    /// A batch aggregate, already in words (label, value); boxed, as it is
    /// rare and would make every fact as large.
    Words(Box<(String, String)>),
}

impl Fact {
    /// (label, value) in words: ("城市环境空气质量优良天数比率", "96.5"),
    /// a derived value with its unit ("综合达标率", "92.5%").
    pub fn words(&self, program: &Program) -> (String, String) {
        let named = |def: Option<&ir::InputDef>, v: &Value| {
            let label = def
                .map(|d| {
                    if d.label.is_empty() {
                        &d.name
                    } else {
                        &d.label
                    }
                })
                .cloned()
                .unwrap_or_default();
            (label, describe(v))
        };
        match self {
            Fact::Input(i, v) => named(program.inputs.get(*i as usize), v),
            Fact::Global(i, v) => named(program.globals.get(*i as usize), v),
            Fact::Param(i, v) => named(program.params.get(*i as usize).map(|p| &p.input), v),
            Fact::Let(i, v) => program
                .lets
                .get(*i as usize)
                .map(|def| let_words(def, v))
                .unwrap_or_default(),
            Fact::Words(w) => (**w).clone(),
        }
    }
}

/// An aggregate over the batch (`max(E across units)`), with the unit that
/// holds it for `max` and `min`.
#[derive(Debug, Clone, PartialEq)]
pub struct AcrossValue {
    pub value: Value,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct NodeScore {
    /// The node's score; for a node without a base, minus what it took.
    pub score: Decimal,
    /// What the node (with its parts) sends to the unit's total.
    pub to_total: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Veto {
    pub id: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UnitResult {
    pub unit: String,
    pub base: Decimal,
    pub bonus: Decimal,
    pub total: Decimal,
    pub total_deductions: Decimal,
    pub grade: String,
    pub vetoes: Vec<Veto>,
    /// Indexed like `Program::nodes`.
    pub nodes: Vec<NodeScore>,
    pub trace: Vec<TraceEntry>,
    /// The facts the trace's entries read, each entry's together
    /// ([`TraceEntry::facts`]).
    pub facts: Vec<Fact>,
    /// Rank by total among the batch (competition ranking), set by `evaluate_batch`.
    pub rank: u32,
    /// base − deductions before the rulebook's floor raised it (`floor`), when it did.
    pub floored: Option<Decimal>,
}

impl UnitResult {
    /// The facts trace entry `e` (one of this unit's) read.
    pub fn facts_of(&self, e: &TraceEntry) -> &[Fact] {
        let start = e.facts.start as usize;
        self.facts
            .get(start..start + e.facts.len as usize)
            .unwrap_or(&[])
    }

    /// The ids of the vetoes that apply, joined by `sep`.
    pub fn veto_ids(&self, sep: &str) -> String {
        self.vetoes
            .iter()
            .map(|v| v.id.as_str())
            .collect::<Vec<_>>()
            .join(sep)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EvalError {
    pub unit: String,
    pub node: String,
    pub message: String,
}

/// How `div` ends its message, and how [`EvalError::help`] knows it.
const DIVISION_BY_ZERO: &str = "division by zero";

impl EvalError {
    /// What to do about it, for the errors a rulebook can meet on some data
    /// only (its check cannot know the values).
    pub fn help(&self) -> Option<&'static str> {
        self.message.ends_with(DIVISION_BY_ZERO).then_some(
            "a number this rule divides by is 0 for this unit: if the data may hold 0, write what \
             the document means then (`if task = 0 then … else …`); if it never may, declare the \
             input's range (`input task: count >= 1 \"…\"`) so that `check --data` refuses a 0",
        )
    }
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unit `{}`, `{}`: {}", self.unit, self.node, self.message)
    }
}

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
    let mut out = evaluate_batch_map(program, batch, opts, tick, &|u| u)?;
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
/// batch's order. A unit's full result (every node, every trace entry) lives
/// only while `map` runs, so memory grows with the units only by what `map`
/// keeps — for a summary table, a few numbers. The rank by total is left to
/// the caller ([`competition_ranks`] over the totals it kept). The program
/// is compiled once for the batch.
pub fn evaluate_batch_map<R: Send>(
    program: &Program,
    batch: &Batch,
    opts: Options,
    tick: &(dyn Fn() + Sync),
    map: &(dyn Fn(UnitResult) -> R + Sync),
) -> Result<Vec<R>, Vec<EvalError>> {
    let compiled = Compiled::new(program);
    batch_map(Engine::Compiled(&compiled), batch, opts, tick, map)
}

/// Which evaluator scores: the compiled one, or the reference interpreter
/// ([`reference`]) the compiled one is tested against.
#[derive(Clone, Copy)]
enum Engine<'c, 'p> {
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
enum Worker<'c, 'p> {
    /// (The scratch boxed: it is far larger than the other variant.)
    Compiled(&'c Compiled<'p>, Box<Scratch>),
    Reference(&'p Program),
}

impl<'c, 'p> Engine<'c, 'p> {
    fn program(self) -> &'p Program {
        match self {
            Engine::Compiled(c) => c.program(),
            Engine::Reference(p) => p,
        }
    }
    fn worker(self) -> Worker<'c, 'p> {
        match self {
            Engine::Compiled(c) => Worker::Compiled(c, Box::new(c.scratch())),
            Engine::Reference(p) => Worker::Reference(p),
        }
    }
}

impl Worker<'_, '_> {
    /// A batch-level expression for unit `u`.
    fn batch_expr(
        &mut self,
        globals: &[Value],
        u: &UnitData,
        which: BatchExpr,
    ) -> Result<Value, String> {
        match self {
            Worker::Compiled(c, scratch) => c.eval_batch_expr(scratch, globals, u, which),
            Worker::Reference(p) => {
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
    fn score(
        &mut self,
        globals: &[Value],
        unit: &UnitData,
        ranks: &[Decimal],
        across: &[AcrossValue],
        trace: bool,
    ) -> Result<UnitResult, EvalError> {
        match self {
            Worker::Compiled(c, scratch) => c.score(scratch, globals, unit, ranks, across, trace),
            Worker::Reference(p) => evaluate_unit_in(p, globals, unit, ranks, across, trace),
        }
    }
}

/// What scoring a batch needs besides its units.
struct Pass<'a, 'c, 'p> {
    engine: Engine<'c, 'p>,
    batch: &'a Batch,
    ranks: &'a [Vec<Decimal>],
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
        each: &(dyn Fn(Result<UnitResult, EvalError>) -> R + Sync),
    ) -> Vec<R> {
        self.score_at(units, start, &|_, r| each(r))
    }

    /// [`Pass::score`], `each` told which of `units` (from 0) it has.
    fn score_at<R: Send>(
        &self,
        units: &[UnitData],
        start: usize,
        each: &(dyn Fn(usize, Result<UnitResult, EvalError>) -> R + Sync),
    ) -> Vec<R> {
        let run = |w: &mut Worker<'_, '_>, (k, u): (usize, &UnitData)| {
            let r = self
                .ranks
                .get(start + k)
                .map(|v| v.as_slice())
                .unwrap_or(&[]);
            each(
                k,
                w.score(&self.batch.globals, u, r, self.across, self.trace),
            )
        };
        if self.parallel {
            units
                .par_iter()
                .enumerate()
                .map_init(|| self.engine.worker(), run)
                .collect()
        } else {
            let mut w = self.engine.worker();
            units.iter().enumerate().map(|x| run(&mut w, x)).collect()
        }
    }
}

fn batch_map<R: Send>(
    engine: Engine<'_, '_>,
    batch: &Batch,
    opts: Options,
    tick: &(dyn Fn() + Sync),
    map: &(dyn Fn(UnitResult) -> R + Sync),
) -> Result<Vec<R>, Vec<EvalError>> {
    let (ranks, across) = batch_values_of(engine, batch)?;
    let each = |r: Result<UnitResult, EvalError>| {
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
    let r = ranks.get(index).map(|v| v.as_slice()).unwrap_or(&[]);
    engine
        .worker()
        .score(&batch.globals, unit, r, &across, trace)
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
        let mut out = evaluate_batch_map(program, batch, opts, &|| {}, &|u| u)?;
        rank_by_total(&mut out);
        Ok(out)
    }

    /// [`super::evaluate_batch_map`] by the reference interpreter.
    pub fn evaluate_batch_map<R: Send>(
        program: &Program,
        batch: &Batch,
        opts: Options,
        tick: &(dyn Fn() + Sync),
        map: &(dyn Fn(UnitResult) -> R + Sync),
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

    pub use super::{evaluate_unit, evaluate_unit_in};
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
    ranks: Vec<Vec<Decimal>>,
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
        self.stream_map(trace, tick, &|u| u, sink)
    }

    /// [`Ranked::stream`], each result (rank set) first made into what
    /// `map` makes of it, on the cores that score (a row of output, say),
    /// then handed to `sink` in the batch's order.
    pub fn stream_map<R: Send, E>(
        &self,
        trace: bool,
        tick: &(dyn Fn() + Sync),
        map: &(dyn Fn(UnitResult) -> R + Sync),
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
                r.map(|mut u| {
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
pub fn competition_ranks(values: &[Value]) -> Vec<u32> {
    let mut sorted: Vec<Decimal> = values.iter().filter_map(|v| v.as_num()).collect();
    sorted.sort_unstable_by(|a, b| dec_cmp(*b, *a));
    values
        .iter()
        .map(|v| match v.as_num() {
            Some(x) => 1 + sorted.partition_point(|y| dec_cmp(*y, x).is_gt()) as u32,
            // Units without a value rank after all that have one.
            None => 1 + sorted.len() as u32,
        })
        .collect()
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

/// Score one unit. `ranks` holds the unit's rank for each `rank(...)` of the program.
pub fn evaluate_unit(
    program: &Program,
    globals: &[Value],
    unit: &UnitData,
    ranks: &[Decimal],
    trace: bool,
) -> Result<UnitResult, EvalError> {
    evaluate_unit_in(program, globals, unit, ranks, &[], trace)
}

/// [`evaluate_unit`] within a batch: `across` holds the batch's aggregates
/// (`max(E across units)`), from [`compute_across`].
pub fn evaluate_unit_in(
    program: &Program,
    globals: &[Value],
    unit: &UnitData,
    ranks: &[Decimal],
    across: &[AcrossValue],
    trace: bool,
) -> Result<UnitResult, EvalError> {
    let mut cx = Cx::new(program, globals, unit, ranks, across);
    cx.tracing = trace;
    let mut st = State {
        nodes: vec![NodeScore::default(); program.nodes.len()],
        trace: Vec::new(),
        facts: Vec::new(),
        vetoes: Vec::new(),
        pending: Vec::with_capacity(16),
        parts: Vec::with_capacity(32),
        inner_bonus: Decimal::ZERO,
    };
    eval_node(&mut cx, &mut st, 0).map_err(|(node, message)| EvalError {
        unit: unit.name.clone(),
        node,
        message,
    })?;
    if trace {
        cite::split_cited(&mut cx, &mut st.trace);
    }
    // Nodes are numbered parents first, so walking backwards sums each
    // subtree: what it sends to the total, and what no-base parts took.
    for i in (0..program.nodes.len()).rev() {
        let Some(def) = program.nodes.get(i) else {
            continue;
        };
        let mut to_total = Decimal::ZERO;
        let mut taken = Decimal::ZERO;
        for &c in &def.children {
            let Some(cs) = st.nodes.get(c as usize) else {
                continue;
            };
            to_total = to_total.saturating_add(cs.to_total);
            if program
                .nodes
                .get(c as usize)
                .is_some_and(|n| n.deducts_only())
            {
                taken = taken.saturating_add(cs.score);
            }
        }
        if let Some(ns) = st.nodes.get_mut(i) {
            ns.to_total = ns.to_total.saturating_add(to_total);
            if def.deducts_only() {
                ns.score = ns.score.saturating_add(taken);
            }
        }
    }
    // Σ scores of the scored top-level nodes, and of the bonus ones.
    let root_def = program.nodes.first();
    let root_score = st.nodes.first().map(|n| n.score).unwrap_or_default();
    let total_deductions = st.nodes.first().map(|n| n.to_total).unwrap_or_default();
    let mut bonus = Decimal::ZERO;
    let mut base_sum = Decimal::ZERO;
    if root_def.is_some_and(|r| r.points.is_some()) {
        base_sum = root_score;
    }
    for &c in root_def.map(|r| r.children.as_slice()).unwrap_or(&[]) {
        let Some(def) = program.nodes.get(c as usize) else {
            continue;
        };
        let score = st
            .nodes
            .get(c as usize)
            .map(|n| n.score)
            .unwrap_or_default();
        if def.bonus {
            bonus = bonus.saturating_add(score);
        } else if root_def.is_some_and(|r| r.points.is_none()) && def.points.is_some() {
            base_sum = base_sum.saturating_add(score);
        }
    }
    // Bonus points inside items join the bonus, under the bonus section's
    // cap (加分上限) when there is one.
    if !st.inner_bonus.is_zero() {
        bonus = bonus.saturating_add(st.inner_bonus);
        for &c in root_def.map(|r| r.children.as_slice()).unwrap_or(&[]) {
            let Some(def) = program.nodes.get(c as usize).filter(|d| d.bonus) else {
                continue;
            };
            if let Some(cap) = def.cap.as_ref() {
                if let Some(cap) = cx.num(cap).map_err(|m| EvalError {
                    unit: unit.name.clone(),
                    node: def.id.clone(),
                    message: m,
                })? {
                    bonus = bonus.min(cap);
                }
            }
        }
    }
    // base = Σ item scores; total = max(0, base − Σ to total) + bonus.
    let base = base_sum;
    let net = base_sum.saturating_sub(total_deductions);
    // The rulebook's floor (0 unless it says otherwise) under base − deductions.
    let floored = match program.floor {
        Some(f) if net < f => Some(net),
        _ => None,
    };
    let total = match (program.floor, floored) {
        (Some(f), Some(_)) => f,
        _ => net,
    }
    .saturating_add(bonus);
    let vetoed = !st.vetoes.is_empty();
    let mut grade = String::new();
    cx.builtins = Some((total, base, bonus, vetoed));
    for g in &program.grades {
        let holds = match &g.condition {
            None => true,
            Some(c) => cx
                .eval(c)
                .map_err(|m| EvalError {
                    unit: unit.name.clone(),
                    node: format!("grade `{}`", g.name),
                    message: m,
                })?
                .as_bool()
                .unwrap_or(false),
        };
        if holds {
            grade = g.name.clone();
            break;
        }
    }
    Ok(UnitResult {
        unit: unit.name.clone(),
        base,
        bonus,
        total,
        total_deductions,
        grade,
        vetoes: st.vetoes,
        nodes: st.nodes,
        trace: st.trace,
        facts: st.facts,
        rank: 1,
        floored,
    })
}

struct State<'p> {
    nodes: Vec<NodeScore>,
    trace: Vec<TraceEntry>,
    facts: Vec<Fact>,
    vetoes: Vec<Veto>,
    /// Deductions on their way up the tree: each node's pending ones sit
    /// above the mark it took when it started (no allocation per node).
    pending: Vec<Ded<'p>>,
    /// Scores of the scored parts of the nodes being evaluated, likewise stacked.
    parts: Vec<(u32, Decimal)>,
    /// Bonus points awarded inside scored items (加分 within an indicator),
    /// after their own caps; they join the bonus, not the item's score.
    inner_bonus: Decimal,
}

/// A deduction on its way to where its plan settles it.
struct Ded<'p> {
    amount: Decimal,
    plan: &'p Settlement,
    /// The node whose rule made it.
    origin: u32,
    /// Index of its trace entry, to note what happened to it.
    entry: Option<usize>,
}

impl Ded<'_> {
    /// Taken by node `i`, a node with a base.
    fn taken_by(&self, i: u32) -> bool {
        self.plan.at == i && self.plan.to == SettleTo::Node
    }
    /// Taken from a pool of `i`'s parts.
    fn pooled_at(&self, i: u32) -> bool {
        self.plan.at == i && matches!(self.plan.to, SettleTo::Pool { .. })
    }
}

type NodeErr = (String, String);

/// Evaluate node `i` and its parts. Returns the node's score (None when it
/// has no base); deductions it passes on are left on `st.pending`.
fn eval_node<'p>(cx: &mut Cx<'p>, st: &mut State<'p>, i: u32) -> Result<Option<Decimal>, NodeErr> {
    let program = cx.program;
    let Some(node) = program.nodes.get(i as usize) else {
        return Ok(None);
    };
    let err = |m: String| (node.id.clone(), m);
    let mark = st.pending.len();
    let parts_mark = st.parts.len();

    // Rules.
    let mut awards = Decimal::ZERO;
    // What each capped block has given or taken so far.
    let mut few = [Decimal::ZERO; 8];
    let mut many = Vec::new();
    let block_used: &mut [Decimal] = match few.get_mut(..node.blocks.len()) {
        Some(s) => s,
        None => {
            many.resize(node.blocks.len(), Decimal::ZERO);
            &mut many
        }
    };
    for (ri, rule) in node.rules.iter().enumerate() {
        let cond = match &rule.condition {
            None => true,
            Some(c) => cx.truth(c).map_err(err)?,
        };
        // An exemption from a deduction (免扣) is shown with what it spared;
        // an award's `unless` is a plain condition.
        let exempt = match &rule.unless {
            None => false,
            Some(u) => cond && cx.truth(u).map_err(err)?,
        };
        let waived = exempt && rule.kind == RuleKind::Deduct;
        let met = cond && !exempt;
        if rule.kind == RuleKind::Veto {
            if met {
                st.vetoes.push(Veto {
                    id: rule.cite.clone(),
                    reason: node.text.join(" "),
                });
                if cx.tracing {
                    let facts = Facts::keep(&mut st.facts, facts(cx, rule));
                    st.trace.push(TraceEntry::new(
                        i,
                        Some(ri as u32),
                        Decimal::ZERO,
                        Detail::Veto,
                        facts,
                    ));
                }
            }
            continue;
        }
        let mut detail = None;
        // An exempted rule is still worked out when explaining, to show
        // what the exemption spared.
        let mut raw = if met || (waived && cx.tracing) {
            rule_amount(cx, &rule.amount, rule.times.is_none(), &mut detail).map_err(err)?
        } else {
            Decimal::ZERO
        };
        let mut scaled = None;
        if let (Some(t), false) = (&rule.times, raw.is_zero()) {
            let applies = match &t.when {
                None => true,
                Some(w) => cx.truth(w).map_err(err)?,
            };
            if applies {
                if let Some(f) = cx.num(&t.factor).map_err(err)? {
                    scaled = Some((raw, f));
                    raw = mul(raw, f).map_err(err)?;
                }
            }
        }
        let mut rounded = None;
        if let Some(p) = rule.round {
            let r = raw.round_dp_with_strategy(p, RoundingStrategy::MidpointAwayFromZero);
            if r != raw {
                rounded = Some((raw, p));
                raw = r;
            }
        }
        let mut amount = if raw.is_sign_negative() {
            Decimal::ZERO
        } else {
            raw
        };
        let mut capped_at = None;
        if let Some(c) = &rule.cap {
            if let Some(cap) = cx.num(c).map_err(err)? {
                if amount > cap {
                    amount = cap;
                    capped_at = Some(cap);
                }
            }
        }
        let waived_amount = if waived {
            let would = std::mem::take(&mut amount);
            raw = Decimal::ZERO;
            (!would.is_zero()).then_some(would)
        } else {
            None
        };
        if let Some(b) = rule.block {
            let cap = match node.blocks.get(b as usize) {
                Some(e) => cx.num(e).map_err(err)?,
                None => None,
            };
            if let (Some(cap), Some(used)) = (cap, block_used.get_mut(b as usize)) {
                let room = (cap - *used).max(Decimal::ZERO);
                if amount > room {
                    amount = room;
                    capped_at = Some(cap);
                }
                *used = used.saturating_add(amount);
            }
        }
        // Records a `where` left out, so a deduction that came to nothing
        // (or less) because of its filter says so.
        let excluded = if cx.tracing && met {
            filtered_out(cx, &rule.amount)
                .map_err(err)?
                .filter(|(out, _)| *out > 0)
        } else {
            None
        };
        let outcome = RuleOutcome {
            kind: rule.kind,
            met,
            waived,
            raw,
            amount,
            detail,
            adjusted: Adjusted {
                capped_at,
                scaled,
                waived: waived_amount,
                rounded,
                excluded,
            },
        };
        let entry = if cx.tracing && outcome.shown() {
            let facts = Facts::keep(&mut st.facts, facts(cx, rule));
            st.trace.push(outcome.entry(i, ri as u32, facts));
            Some(st.trace.len() - 1)
        } else {
            None
        };
        match rule.kind {
            RuleKind::Award => awards = awards.saturating_add(amount),
            _ if amount.is_zero() => {}
            _ => st.pending.push(Ded {
                amount,
                plan: &rule.settle,
                origin: i,
                entry,
            }),
        }
    }

    // Parts.
    let mut bonus_children = Decimal::ZERO;
    for &c in &node.children {
        if let Some(s) = eval_node(cx, st, c)? {
            if program.nodes.get(c as usize).is_some_and(|n| n.bonus) {
                bonus_children = bonus_children.saturating_add(s);
            } else {
                st.parts.push((c, s));
            }
        }
    }
    // A bonus part inside a scored item adds to the unit's bonus (the
    // root's own bonus children are the bonus section, summed at the end).
    if !node.bonus && node.parent.is_some() {
        st.inner_bonus = st.inner_bonus.saturating_add(bonus_children);
    }
    // Pools settled here: deductions that may overflow go last.
    let mut k = mark;
    while let Some(d) = st.pending.get(k) {
        let plan: &'p Settlement = d.plan;
        if let (true, SettleTo::Pool { members, .. }) = (d.pooled_at(i), &plan.to) {
            let first_of_pool = !st
                .pending
                .get(mark..k)
                .unwrap_or(&[])
                .iter()
                .any(|e| same_pool(e.plan, plan));
            if first_of_pool {
                for overflow_pass in [false, true] {
                    for j in k..st.pending.len() {
                        let Some(e) = st.pending.get(j) else { continue };
                        let then_total = matches!(
                            e.plan.to,
                            SettleTo::Pool {
                                then_total: true,
                                ..
                            }
                        );
                        if !same_pool(e.plan, plan) || then_total != overflow_pass {
                            continue;
                        }
                        let (amount, origin, entry) = (e.amount, e.origin, e.entry);
                        let mut left = amount;
                        for m in members {
                            let parts = st.parts.get_mut(parts_mark..).unwrap_or(&mut []);
                            if let Some((_, s)) = parts.iter_mut().find(|(c, _)| c == m) {
                                let take = left.min(*s).max(Decimal::ZERO);
                                *s -= take;
                                left -= take;
                            }
                        }
                        credit_taken(st, program, origin, amount - left);
                        if !left.is_zero() {
                            settle_leftover(cx, st, origin, entry, left, then_total);
                        }
                    }
                }
            }
        }
        k += 1;
    }

    let score = if node.bonus {
        let mut s = awards.saturating_add(bonus_children);
        if let Some(c) = &node.cap {
            if let Some(cap) = cx.num(c).map_err(err)? {
                s = s.min(cap);
            }
        }
        Some(s)
    } else if let Some(points) = node.points {
        let start = if node.starts_full {
            points
        } else {
            st.parts
                .get(parts_mark..)
                .unwrap_or(&[])
                .iter()
                .fold(awards, |acc, (_, s)| acc.saturating_add(*s))
        };
        let mut avail = start.min(points).max(Decimal::ZERO);
        // On a node with a base, `cap N` bounds the deductions it takes (「最高扣N分」).
        let mut room = match &node.cap {
            Some(c) => cx.num(c).map_err(err)?,
            None => None,
        };
        for j in mark..st.pending.len() {
            let Some(d) = st.pending.get_mut(j) else {
                continue;
            };
            if !d.taken_by(i) {
                continue;
            }
            if let Some(r) = room.as_mut() {
                if d.amount > *r {
                    let cut = d.amount - *r;
                    d.amount = *r;
                    if let Some(e) = d.entry.and_then(|e| st.trace.get_mut(e)) {
                        e.amount = e.amount.saturating_add(cut);
                        e.set_capped_at(node.cap.as_ref().and_then(rulebook_lang::ir::const_num));
                    }
                }
                *r -= d.amount;
            }
            let (amount, origin, entry) = (d.amount, d.origin, d.entry);
            let take = amount.min(avail);
            avail -= take;
            credit_taken(st, program, origin, take);
            let left = amount - take;
            if !left.is_zero() {
                settle_leftover(cx, st, origin, entry, left, false);
            }
        }
        Some(avail)
    } else {
        None
    };

    // Keep what travels on, within the caps its plan meets here; send to
    // the total what its plan settles here.
    let mut cap_left = match &node.cap {
        Some(c) if node.caps_what_passes() => cx.num(c).map_err(err)?,
        _ => None,
    };
    let mut w = mark;
    for r in mark..st.pending.len() {
        let Some(d) = st.pending.get(r) else { continue };
        if d.taken_by(i) || d.pooled_at(i) {
            continue;
        }
        let (mut amount, plan, origin, entry) = (d.amount, d.plan, d.origin, d.entry);
        if let Some(room) = cap_left.as_mut().filter(|_| plan.caps.contains(&i)) {
            if amount > *room {
                let cut = amount - *room;
                amount = *room;
                if let Some(e) = entry.and_then(|e| st.trace.get_mut(e)) {
                    e.amount = e.amount.saturating_add(cut);
                    if e.capped_at().is_none() {
                        e.set_capped_at(node.cap.as_ref().and_then(rulebook_lang::ir::const_num));
                    }
                }
            }
            *room -= amount;
        }
        if amount.is_zero() {
            continue;
        }
        if plan.to.is_total() && plan.at == i {
            send_to_total(st, origin, amount);
            if let Some(e) = entry.and_then(|e| st.trace.get_mut(e)) {
                if matches!(e.detail, Detail::Condition { .. }) {
                    e.detail = Detail::ToTotal;
                }
            }
            continue;
        }
        if let Some(d) = st.pending.get_mut(r) {
            d.amount = amount;
        }
        st.pending.swap(w, r);
        w += 1;
    }
    st.pending.truncate(w);
    st.parts.truncate(parts_mark);
    if let (Some(s), Some(ns)) = (score, st.nodes.get_mut(i as usize)) {
        ns.score = s;
    }
    Ok(score)
}

fn same_pool(a: &Settlement, b: &Settlement) -> bool {
    match (&a.to, &b.to) {
        (SettleTo::Pool { members: m, .. }, SettleTo::Pool { members: n, .. }) => {
            a.at == b.at && m == n
        }
        _ => false,
    }
}

/// A node without a base reports (as a negative score) what its deductions took.
fn credit_taken(st: &mut State<'_>, program: &Program, origin: u32, taken: Decimal) {
    if program
        .nodes
        .get(origin as usize)
        .is_some_and(|n| n.points.is_none())
    {
        if let Some(ns) = st.nodes.get_mut(origin as usize) {
            ns.score = ns.score.saturating_sub(taken);
        }
    }
}

fn send_to_total(st: &mut State<'_>, origin: u32, amount: Decimal) {
    if let Some(ns) = st.nodes.get_mut(origin as usize) {
        ns.to_total = ns.to_total.saturating_add(amount);
    }
}

/// What a pool or part could not absorb: to the total, or lost (扣完为止).
fn settle_leftover(
    cx: &Cx<'_>,
    st: &mut State<'_>,
    origin: u32,
    entry: Option<usize>,
    left: Decimal,
    then_total: bool,
) {
    if then_total {
        send_to_total(st, origin, left);
    }
    if cx.tracing {
        let rule = entry.and_then(|e| st.trace.get(e)).and_then(|e| e.rule);
        st.trace.push(TraceEntry::new(
            origin,
            rule,
            if then_total { -left } else { left },
            if then_total {
                Detail::Overflow
            } else {
                Detail::Lost
            },
            Facts::default(),
        ));
    }
}

/// The unit's facts a rule reads directly (its condition, and a plain
/// amount's expression), with their values in words.
fn facts(cx: &Cx<'_>, rule: &ir::RuleDef) -> Vec<Fact> {
    let at = FactsAt {
        program: cx.program,
        globals: cx.globals,
        unit: cx.unit,
        across: cx.across,
        lets: &cx.lets,
    };
    fact_reads(rule)
        .into_iter()
        .filter_map(|e| at.fact(e))
        .collect()
}

/// What a rule's facts are read from.
pub(crate) struct FactsAt<'a> {
    pub program: &'a Program,
    pub globals: &'a [Value],
    pub unit: &'a UnitData,
    pub across: &'a [AcrossValue],
    /// The derived values worked out so far.
    pub lets: &'a [Option<Value>],
}

/// The facts (inputs, globals, parameters, aggregates, derived values) a
/// rule reads directly, in the order an explanation names them, at most six.
pub(crate) fn fact_reads(rule: &ir::RuleDef) -> Vec<&Expr> {
    let mut reads: Vec<&Expr> = Vec::new();
    // Popped last first: the amount's facts, the condition's, the
    // multiplier's, the exemption's.
    let mut stack: Vec<&Expr> = Vec::new();
    stack.extend(rule.unless.as_ref());
    if let Some(t) = &rule.times {
        stack.extend(t.when.as_ref());
        stack.push(&t.factor);
    }
    stack.extend(rule.condition.as_ref());
    // The derived values the other kinds of amount read; a bare one is
    // already named in the reason (`label N 次`, `label 92.5%，目标 …`).
    fn not_bare(e: &Expr) -> Option<&Expr> {
        (!matches!(e, Expr::Let(_))).then_some(e)
    }
    match &rule.amount {
        Amount::Expr(e) => stack.push(e),
        Amount::Each { count, .. } => stack.extend(not_bare(count)),
        Amount::Steps { actual, target, .. } => {
            stack.extend(not_bare(target));
            stack.extend(not_bare(actual));
        }
        Amount::Proportion { ratio, floor, .. } => {
            stack.extend(floor.as_ref());
            stack.push(ratio);
        }
        Amount::None => {}
    }
    while let Some(e) = stack.pop() {
        match e {
            Expr::Input(_) | Expr::Global(_) | Expr::Param(_) | Expr::Across(_) | Expr::Let(_)
                if !reads.contains(&e) =>
            {
                reads.push(e)
            }
            Expr::Input(_) | Expr::Global(_) | Expr::Param(_) | Expr::Across(_) | Expr::Let(_) => {}
            Expr::Not(x) | Expr::Neg(x) | Expr::IsMissing(x, _) => stack.push(x),
            Expr::Bin(_, a, b) => {
                stack.push(b);
                stack.push(a);
            }
            Expr::If(c, a, b) => stack.extend([&**b, &**a, &**c]),
            Expr::Call(_, args) | Expr::List(args) => stack.extend(args.iter().rev()),
            Expr::Agg { loops, .. } => stack.extend(loops.iter().map(|(_, l)| l)),
            _ => {}
        }
    }
    reads.truncate(6);
    reads
}

impl FactsAt<'_> {
    /// One fact read by a rule; `None` for a derived value not worked out
    /// while scoring (the rule did not need it).
    pub(crate) fn fact(&self, e: &Expr) -> Option<Fact> {
        Some(match e {
            Expr::Input(i) => Fact::Input(*i, self.unit.inputs.get(*i as usize)?.clone()),
            Expr::Global(i) => Fact::Global(*i, self.globals.get(*i as usize)?.clone()),
            Expr::Param(i) => Fact::Param(*i, self.unit.params.get(*i as usize)?.clone()),
            Expr::Let(i) => Fact::Let(*i, self.lets.get(*i as usize)?.as_ref()?.clone()),
            Expr::Across(i) => Fact::Words(Box::new(across_fact(self.program, self.across, *i)?)),
            _ => return None,
        })
    }
}

/// A derived value in words, with its unit: ("综合达标率", "92.5%").
fn let_words(def: &ir::LetDef, v: &Value) -> (String, String) {
    let label = if def.label.is_empty() {
        def.name.clone()
    } else {
        def.label.clone()
    };
    let value = match (v, &def.ty) {
        (Value::Num(d), ir::Type::Num(u)) => {
            let (d, places, suffix) = match u {
                ir::Unit::Pct => (*d, 2, "%".to_string()),
                ir::Unit::Ratio => (d.saturating_mul(Decimal::ONE_HUNDRED), 2, "%".to_string()),
                ir::Unit::Plain | ir::Unit::Count | ir::Unit::Points => (*d, 4, String::new()),
                other => (*d, 4, format!(" {}", other.symbol())),
            };
            // A value such as 2/3 is shown to a few places, marked as rounded.
            let shown = d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
            let mark = if shown == d { "" } else { "约" };
            format!("{mark}{}{suffix}", describe(&Value::Num(shown)))
        }
        _ => describe(v),
    };
    (label, value)
}

/// For an amount that goes over one list with `where` (`sum(… for f in L
/// where C)`, `RATE each count(x in L where C)`): how many of L's records
/// the condition left out, and how many there were.
fn filtered_out(cx: &mut Cx<'_>, amount: &Amount) -> Result<Option<(u32, u32)>, String> {
    let e = match amount {
        Amount::Expr(e) => e,
        Amount::Each { count, .. } => count,
        _ => return Ok(None),
    };
    let Expr::Agg {
        loops,
        filter: Some(f),
        ..
    } = e
    else {
        return Ok(None);
    };
    let [(slot, list)] = loops.as_slice() else {
        return Ok(None);
    };
    let items = match cx.eval(list)? {
        Value::List(l) => l,
        _ => return Ok(None),
    };
    let mut out = 0u32;
    for it in items.iter() {
        if let Some(s) = cx.locals.get_mut(*slot as usize) {
            *s = it.clone();
        }
        if !cx.truth(f)? {
            out += 1;
        }
    }
    Ok(Some((out, items.len() as u32)))
}

/// An aggregate over the batch in words: "PM2.5浓度最高值", "95.2（甲县）".
fn across_fact(p: &Program, across: &[AcrossValue], i: u32) -> Option<(String, String)> {
    let def = p.across.get(i as usize)?;
    let v = across.get(i as usize)?;
    let of = match &def.expr {
        Expr::Input(k) => p.inputs.get(*k as usize).map(|d| d.label.clone()),
        Expr::Let(k) => p.lets.get(*k as usize).map(|d| d.label.clone()),
        Expr::Param(k) => p.params.get(*k as usize).map(|d| d.input.label.clone()),
        _ => None,
    }
    .filter(|l| !l.is_empty())
    .unwrap_or_else(|| def.source.clone());
    let value = match &v.unit {
        Some(u) => format!("{}（{u}）", describe(&v.value)),
        None => describe(&v.value),
    };
    Some((format!("{of}{}", def.func.words()), value))
}

/// A value in words, as a report shows it.
pub fn describe(v: &Value) -> String {
    match v {
        Value::Missing => "未填报".into(),
        Value::Bool(true) => "是".into(),
        Value::Bool(false) => "否".into(),
        Value::Num(d) => {
            let n = d.normalize();
            if n.is_zero() {
                "0".into()
            } else {
                n.to_string()
            }
        }
        Value::Date(d) => crate::value::format_date(*d),
        Value::Text(t) => t.to_string(),
        Value::List(l) => format!("{} 项", l.len()),
        Value::Record(_) => "记录".into(),
        Value::Group(g) => format!("{} 项", g.1.len()),
    }
}

/// A rule's amount before caps. The numbers behind it are written to
/// `detail` only when a trace is kept (building them costs time in bulk runs).
fn rule_amount(
    cx: &mut Cx<'_>,
    amount: &Amount,
    round_inside: bool,
    detail: &mut Option<Detail>,
) -> Result<Decimal, String> {
    let tracing = cx.tracing;
    let mut note = |d: &dyn Fn() -> Detail| {
        if tracing {
            *detail = Some(d());
        }
    };
    match amount {
        Amount::None => Ok(Decimal::ZERO),
        Amount::Expr(e) => match cx.eval(e)? {
            Value::Num(v) => {
                note(&|| Detail::Amount { raw: v });
                Ok(v)
            }
            Value::Bool(true) => {
                note(&|| Detail::Amount { raw: Decimal::ONE });
                Ok(Decimal::ONE)
            }
            _ => {
                note(&|| Detail::NotApplicable);
                Ok(Decimal::ZERO)
            }
        },
        Amount::Each { rate, count } => {
            let (Some(r), Some(n)) = (cx.num(rate)?, cx.num(count)?) else {
                note(&|| Detail::NotApplicable);
                return Ok(Decimal::ZERO);
            };
            let raw = mul(r, n)?;
            note(&|| Detail::Each {
                rate: r,
                count: n,
                raw,
            });
            Ok(raw)
        }
        Amount::Steps {
            rate,
            step,
            actual,
            target,
            above,
            ceil,
        } => {
            let (Some(r), Some(s), Some(a), Some(t)) = (
                cx.num(rate)?,
                cx.num(step)?,
                cx.num(actual)?,
                cx.num(target)?,
            ) else {
                note(&|| Detail::NotApplicable);
                return Ok(Decimal::ZERO);
            };
            let (raw, d) = steps_amount(r, s, a, t, *above, *ceil)?;
            if cx.tracing {
                *detail = Some(d.into_detail());
            }
            Ok(raw)
        }
        Amount::Proportion {
            max,
            ratio,
            floor,
            places,
        } => {
            let (Some(m), Some(r)) = (cx.num(max)?, cx.num(ratio)?) else {
                note(&|| Detail::NotApplicable);
                return Ok(Decimal::ZERO);
            };
            let f = match floor {
                Some(f) => cx.num(f)?,
                None => None,
            };
            let (raw, d) = proportion_amount(m, r, f, round_inside.then_some(*places))?;
            if cx.tracing {
                *detail = Some(Detail::Proportion(Box::new(d)));
            }
            Ok(raw)
        }
    }
}

impl StepsDetail {
    /// The detail a trace entry keeps: the numbers of the steps, or, with
    /// no steps to take, the two values compared.
    pub(crate) fn into_detail(self) -> Detail {
        if self.gap.is_zero() {
            Detail::NoSteps {
                actual: self.actual,
                target: self.target,
                above: self.above,
            }
        } else {
            Detail::Steps(Box::new(self))
        }
    }
}

/// `RATE per STEP of ACTUAL below (or above) TARGET`, once its numbers are
/// known: the amount and its detail. Both evaluators settle steps here.
pub(crate) fn steps_amount(
    rate: Decimal,
    step: Decimal,
    actual: Decimal,
    target: Decimal,
    above: bool,
    ceil: bool,
) -> Result<(Decimal, StepsDetail), String> {
    let gap = if above {
        sub(actual, target)?
    } else {
        sub(target, actual)?
    };
    let gap = gap.max(Decimal::ZERO);
    if step <= Decimal::ZERO {
        return Err("a step is zero or negative".into());
    }
    let steps = if gap.is_zero() {
        Decimal::ZERO
    } else {
        let q = div(gap, step)?;
        if ceil {
            q.ceil()
        } else {
            q.floor()
        }
    };
    let raw = mul(rate, steps)?;
    Ok((
        raw,
        StepsDetail {
            actual,
            target,
            gap,
            step,
            steps,
            rate,
            raw,
            above,
            ceil,
        },
    ))
}

/// `MAX in proportion to RATIO[, nothing below FLOOR]`, once its numbers
/// are known: the amount (rounded to `places` when given; otherwise after
/// the rule's multiplier) and its detail. Both evaluators settle it here.
pub(crate) fn proportion_amount(
    max: Decimal,
    ratio: Decimal,
    floor: Option<Decimal>,
    places: Option<u32>,
) -> Result<(Decimal, ProportionDetail), String> {
    let below = floor.is_some_and(|f| ratio < f);
    let raw = if below {
        Decimal::ZERO
    } else {
        let x = mul(max, ratio.clamp(Decimal::ZERO, Decimal::ONE))?;
        match places {
            Some(p) => x.round_dp_with_strategy(p, RoundingStrategy::MidpointAwayFromZero),
            None => x,
        }
    };
    Ok((
        raw,
        ProportionDetail {
            ratio,
            max,
            raw,
            floor,
            below_floor: below,
        },
    ))
}

/// `+ − × ÷` on two numbers, as every expression computes them.
pub(crate) fn arith(op: BinOp, a: Decimal, b: Decimal) -> Result<Decimal, String> {
    match op {
        BinOp::Add => add(a, b),
        BinOp::Sub => sub(a, b),
        BinOp::Mul => mul(a, b),
        _ => div(a, b),
    }
}

pub(crate) fn mul(a: Decimal, b: Decimal) -> Result<Decimal, String> {
    a.checked_mul(b)
        .ok_or_else(|| format!("{a} × {b} is too large to compute"))
}
pub(crate) fn add(a: Decimal, b: Decimal) -> Result<Decimal, String> {
    a.checked_add(b)
        .ok_or_else(|| format!("{a} + {b} is too large to compute"))
}
pub(crate) fn sub(a: Decimal, b: Decimal) -> Result<Decimal, String> {
    a.checked_sub(b)
        .ok_or_else(|| format!("{a} − {b} is too large to compute"))
}
pub(crate) fn div(a: Decimal, b: Decimal) -> Result<Decimal, String> {
    if b.is_zero() {
        return Err(format!("{a} ÷ 0: {DIVISION_BY_ZERO}"));
    }
    a.checked_div(b)
        .ok_or_else(|| format!("{a} ÷ {b} is too large to compute"))
}

/// Evaluation context for one unit.
pub(crate) struct Cx<'p> {
    program: &'p Program,
    globals: &'p [Value],
    unit: &'p UnitData,
    ranks: &'p [Decimal],
    across: &'p [AcrossValue],
    lets: Vec<Option<Value>>,
    locals: Vec<Value>,
    builtins: Option<(Decimal, Decimal, Decimal, bool)>,
    tracing: bool,
}

impl<'p> Cx<'p> {
    pub(crate) fn new(
        program: &'p Program,
        globals: &'p [Value],
        unit: &'p UnitData,
        ranks: &'p [Decimal],
        across: &'p [AcrossValue],
    ) -> Self {
        Cx {
            program,
            globals,
            unit,
            ranks,
            across,
            lets: vec![None; program.lets.len()],
            locals: vec![Value::Missing; program.locals as usize],
            builtins: None,
            tracing: false,
        }
    }

    /// A parameter given by year, for the year the data's globals name
    /// (`year from GLOBAL`); missing when the year has no value.
    fn param_by_year(&self, i: u32) -> Value {
        let Some(ir::YearSource::Global(g)) = self.program.year else {
            return Value::Missing;
        };
        let year = match self.globals.get(g as usize) {
            Some(Value::Num(y)) => y.to_i32(),
            _ => None,
        };
        match (self.program.params.get(i as usize), year) {
            (Some(def), Some(y)) => crate::data::check::by_year(&def.by_year, &self.unit.name, y)
                .map(Value::Num)
                .unwrap_or(Value::Missing),
            _ => Value::Missing,
        }
    }

    /// A number, without building a `Value` on the common paths; `None`
    /// when the value is missing or not a number (same as `eval(e).as_num()`).
    #[inline]
    pub(crate) fn num(&mut self, e: &Expr) -> Result<Option<Decimal>, String> {
        let slot = |v: Option<&Value>| match v {
            Some(Value::Num(d)) => Some(*d),
            _ => None,
        };
        Ok(match e {
            Expr::Num(v) => Some(*v),
            Expr::Input(i) => slot(self.unit.inputs.get(*i as usize)),
            Expr::Param(i) => match slot(self.unit.params.get(*i as usize)) {
                Some(v) => Some(v),
                None => self.eval(e)?.as_num(),
            },
            Expr::Global(i) => slot(self.globals.get(*i as usize)),
            Expr::Bin(op @ (BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div), a, b) => {
                match (self.num(a)?, self.num(b)?) {
                    (Some(x), Some(y)) => Some(match op {
                        BinOp::Add => add(x, y)?,
                        BinOp::Sub => sub(x, y)?,
                        BinOp::Mul => mul(x, y)?,
                        _ => div(x, y)?,
                    }),
                    // Dates, missing values: the general path decides.
                    _ => self.eval(e)?.as_num(),
                }
            }
            _ => self.eval(e)?.as_num(),
        })
    }

    /// Truth in a condition: missing or not a bool counts as false (same as
    /// `eval(e).as_bool().unwrap_or(false)`), without building a `Value` on
    /// the common paths.
    #[inline]
    pub(crate) fn truth(&mut self, e: &Expr) -> Result<bool, String> {
        let slot = |v: Option<&Value>| matches!(v, Some(Value::Bool(true)));
        Ok(match e {
            Expr::Bool(b) => *b,
            Expr::Input(i) => slot(self.unit.inputs.get(*i as usize)),
            Expr::Global(i) => slot(self.globals.get(*i as usize)),
            Expr::Bin(BinOp::And, a, b) => self.truth(a)? && self.truth(b)?,
            Expr::Bin(BinOp::Or, a, b) => self.truth(a)? || self.truth(b)?,
            Expr::Bin(BinOp::Cmp(c), a, b) => match (self.num(a)?, self.num(b)?) {
                (Some(x), Some(y)) => cmp_holds(*c, dec_cmp(x, y)),
                _ => self.eval(e)?.as_bool().unwrap_or(false),
            },
            _ => self.eval(e)?.as_bool().unwrap_or(false),
        })
    }

    pub(crate) fn eval(&mut self, e: &Expr) -> Result<Value, String> {
        Ok(match e {
            Expr::Num(v) => Value::Num(*v),
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Str(s) => Value::Text(Arc::from(s.as_str())),
            Expr::Date(d) => Value::Date(*d),
            Expr::List(items) => {
                let v: Result<Vec<Value>, String> = items.iter().map(|x| self.eval(x)).collect();
                Value::List(Arc::from(v?))
            }
            Expr::Input(i) => self
                .unit
                .inputs
                .get(*i as usize)
                .cloned()
                .unwrap_or(Value::Missing),
            Expr::Global(i) => self
                .globals
                .get(*i as usize)
                .cloned()
                .unwrap_or(Value::Missing),
            Expr::Param(i) => match self.unit.params.get(*i as usize) {
                Some(Value::Missing) | None => self.param_by_year(*i),
                Some(v) => v.clone(),
            },
            Expr::Let(i) => {
                if let Some(Some(v)) = self.lets.get(*i as usize) {
                    return Ok(v.clone());
                }
                let program = self.program;
                let def = program
                    .lets
                    .get(*i as usize)
                    .ok_or("unknown derived value")?;
                let v = self.eval(&def.expr)?;
                if let Some(slot) = self.lets.get_mut(*i as usize) {
                    *slot = Some(v.clone());
                }
                v
            }
            Expr::Local(i) => self
                .locals
                .get(*i as usize)
                .cloned()
                .unwrap_or(Value::Missing),
            Expr::Rank(i) => match self.ranks.get(*i as usize) {
                Some(r) => Value::Num(*r),
                None => Value::Num(Decimal::ONE),
            },
            Expr::Across(i) => self
                .across
                .get(*i as usize)
                .map(|a| a.value.clone())
                .unwrap_or(Value::Missing),
            Expr::Builtin(b) => match (self.builtins, b) {
                (Some((t, _, _, _)), Builtin::Total) => Value::Num(t),
                (Some((_, ba, _, _)), Builtin::Base) => Value::Num(ba),
                (Some((_, _, bo, _)), Builtin::Bonus) => Value::Num(bo),
                (Some((_, _, _, v)), Builtin::Vetoed) => Value::Bool(v),
                (None, _) => Value::Missing,
            },
            Expr::Not(x) => match self.eval(x)? {
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::Missing,
            },
            Expr::Neg(x) => match self.eval(x)? {
                Value::Num(v) => Value::Num(-v),
                _ => Value::Missing,
            },
            Expr::Bin(op, a, b) => self.binary(*op, a, b)?,
            Expr::If(c, a, b) => {
                if self.truth(c)? {
                    self.eval(a)?
                } else {
                    self.eval(b)?
                }
            }
            Expr::Call(f, args) => self.call(*f, args)?,
            Expr::Agg {
                agg,
                body,
                loops,
                filter,
            } => self.agg(*agg, body, loops, filter.as_deref())?,
            Expr::Field(x, i) => match self.eval(x)? {
                Value::Record(fields) => fields.get(*i as usize).cloned().unwrap_or(Value::Missing),
                _ => Value::Missing,
            },
            Expr::GroupKey(x) => match self.eval(x)? {
                Value::Group(g) => g.0.clone(),
                _ => Value::Missing,
            },
            Expr::GroupCount(x) => match self.eval(x)? {
                Value::Group(g) => Value::Num(Decimal::from(g.1.len())),
                _ => Value::Missing,
            },
            Expr::Table(t, keys) => {
                let mut ks = Vec::with_capacity(keys.len());
                for k in keys {
                    match self.eval(k)? {
                        Value::Text(s) => ks.push(s),
                        _ => return Ok(Value::Missing),
                    }
                }
                let table = self
                    .program
                    .tables
                    .get(*t as usize)
                    .ok_or("unknown table")?;
                let v = table_row(table, &ks)
                    .and_then(|at| table.rows.get(at))
                    .map(|(_, v)| *v)
                    .unwrap_or_default();
                Value::Num(v)
            }
            Expr::IsMissing(x, want) => Value::Bool(self.eval(x)?.is_missing() == *want),
            Expr::GroupBy(x, field) => match self.eval(x)? {
                Value::List(items) => {
                    let mut groups: Vec<(Value, Vec<Value>)> = Vec::new();
                    for it in items.iter() {
                        let key = match it {
                            Value::Record(f) => {
                                f.get(*field as usize).cloned().unwrap_or(Value::Missing)
                            }
                            _ => Value::Missing,
                        };
                        match groups.iter_mut().find(|(k, _)| *k == key) {
                            Some((_, list)) => list.push(it.clone()),
                            None => groups.push((key, vec![it.clone()])),
                        }
                    }
                    Value::List(
                        groups
                            .into_iter()
                            .map(|g| Value::Group(Arc::new(g)))
                            .collect(),
                    )
                }
                _ => Value::Missing,
            },
            Expr::Tiers(subject, tiers) => {
                let s = self.eval(subject)?;
                if s.is_missing() {
                    return Ok(Value::Missing);
                }
                for t in tiers {
                    let holds = match &t.band {
                        BandDef::Else => true,
                        BandDef::Cmp(op, b) => {
                            let b = self.eval(b)?;
                            compare(&s, &b).is_some_and(|o| cmp_holds(*op, o))
                        }
                        BandDef::Interval {
                            lo,
                            lo_closed,
                            hi,
                            hi_closed,
                        } => {
                            let (l, h) = (self.eval(lo)?, self.eval(hi)?);
                            let lo_ok = compare(&s, &l)
                                .is_some_and(|o| o.is_gt() || (*lo_closed && o.is_eq()));
                            let hi_ok = compare(&s, &h)
                                .is_some_and(|o| o.is_lt() || (*hi_closed && o.is_eq()));
                            lo_ok && hi_ok
                        }
                    };
                    if holds {
                        return self.eval(&t.amount);
                    }
                }
                Value::Num(Decimal::ZERO)
            }
        })
    }

    fn binary(&mut self, op: BinOp, a: &Expr, b: &Expr) -> Result<Value, String> {
        match op {
            BinOp::And => Ok(Value::Bool(self.truth(a)? && self.truth(b)?)),
            BinOp::Or => Ok(Value::Bool(self.truth(a)? || self.truth(b)?)),
            BinOp::Cmp(c) => {
                let (x, y) = (self.eval(a)?, self.eval(b)?);
                Ok(Value::Bool(
                    compare(&x, &y).is_some_and(|o| cmp_holds(c, o)),
                ))
            }
            _ => {
                let (x, y) = (self.eval(a)?, self.eval(b)?);
                Ok(match (op, x, y) {
                    (BinOp::Add, Value::Num(p), Value::Num(q)) => Value::Num(add(p, q)?),
                    (BinOp::Sub, Value::Num(p), Value::Num(q)) => Value::Num(sub(p, q)?),
                    (BinOp::Mul, Value::Num(p), Value::Num(q)) => Value::Num(mul(p, q)?),
                    (BinOp::Div, Value::Num(p), Value::Num(q)) => Value::Num(div(p, q)?),
                    (BinOp::Sub, Value::Date(p), Value::Date(q)) => Value::Num(days_between(p, q)),
                    (BinOp::Add, Value::Date(p), Value::Num(q)) => Value::Date(shift_date(p, q)?),
                    (BinOp::Sub, Value::Date(p), Value::Num(q)) => Value::Date(shift_date(p, -q)?),
                    _ => Value::Missing,
                })
            }
        }
    }

    fn call(&mut self, f: Func, args: &[Expr]) -> Result<Value, String> {
        let mut vals = Vec::with_capacity(args.len());
        for a in args {
            vals.push(self.eval(a)?);
        }
        call_on_values(f, &vals)
    }

    fn agg(
        &mut self,
        agg: Agg,
        body: &Expr,
        loops: &[(u32, Expr)],
        filter: Option<&Expr>,
    ) -> Result<Value, String> {
        let mut acc = Acc::new(agg);
        self.agg_loop(&mut acc, body, loops, filter)?;
        acc.value()
    }

    fn agg_loop(
        &mut self,
        acc: &mut Acc,
        body: &Expr,
        loops: &[(u32, Expr)],
        filter: Option<&Expr>,
    ) -> Result<(), String> {
        let Some(((slot, list), rest)) = loops.split_first() else {
            if let Some(f) = filter {
                if !self.truth(f)? {
                    return Ok(());
                }
            }
            return acc.add(self.eval(body)?);
        };
        let held = self.eval(list)?;
        let items: &[Value] = match &held {
            Value::List(l) => l,
            Value::Group(g) => &g.1,
            _ => return Ok(()),
        };
        for it in items {
            if let Some(s) = self.locals.get_mut(*slot as usize) {
                s.clone_from(it);
            }
            self.agg_loop(acc, body, rest, filter)?;
        }
        Ok(())
    }
}

/// What an aggregate has gathered so far.
pub(crate) struct Acc {
    agg: Agg,
    sum: Decimal,
    best: Option<Decimal>,
    count: u64,
    any: bool,
    all: bool,
}

impl Acc {
    #[inline(always)]
    pub(crate) fn new(agg: Agg) -> Acc {
        Acc {
            agg,
            sum: Decimal::ZERO,
            best: None,
            count: 0,
            any: false,
            all: true,
        }
    }

    /// The aggregate being gathered.
    pub(crate) fn agg(&self) -> Agg {
        self.agg
    }

    /// Records counted so far (or numbers taken into a mean).
    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// Some record held.
    pub(crate) fn any(&self) -> bool {
        self.any
    }

    /// Every record held.
    pub(crate) fn all(&self) -> bool {
        self.all
    }

    /// One value of the aggregate's body taken in.
    pub(crate) fn add(&mut self, v: Value) -> Result<(), String> {
        match self.agg {
            Agg::Sum | Agg::Mean | Agg::Max | Agg::Min => match v {
                Value::Num(x) => self.add_num(x),
                _ => Ok(()),
            },
            Agg::Count => {
                self.add_counted(!matches!(v, Value::Bool(false) | Value::Missing));
                Ok(())
            }
            Agg::Any | Agg::All => {
                self.add_truth(v.as_bool().unwrap_or(false));
                Ok(())
            }
        }
    }

    /// A number taken into a sum, a mean, a largest or a smallest (any
    /// other aggregate ignores it).
    #[inline(always)]
    pub(crate) fn add_num(&mut self, x: Decimal) -> Result<(), String> {
        match self.agg {
            Agg::Sum => self.sum = add(self.sum, x)?,
            Agg::Mean => {
                self.sum = add(self.sum, x)?;
                self.count += 1;
            }
            Agg::Max => self.best = Some(self.best.map_or(x, |b| b.max(x))),
            Agg::Min => self.best = Some(self.best.map_or(x, |b| b.min(x))),
            Agg::Count | Agg::Any | Agg::All => {}
        }
        Ok(())
    }

    /// A record a count counts (or not).
    #[inline(always)]
    pub(crate) fn add_counted(&mut self, counted: bool) {
        self.count += u64::from(counted);
    }

    /// Whether a record holds, for `any` and `all`.
    #[inline(always)]
    pub(crate) fn add_truth(&mut self, holds: bool) {
        self.any |= holds;
        self.all &= holds;
    }

    /// The aggregate's value once every value is in.
    #[inline(always)]
    pub(crate) fn value(self) -> Result<Value, String> {
        Ok(match self.agg {
            Agg::Sum => Value::Num(self.sum),
            Agg::Mean if self.count == 0 => Value::Missing,
            Agg::Mean => Value::Num(div(self.sum, Decimal::from(self.count))?),
            Agg::Max | Agg::Min => Value::Num(self.best.unwrap_or_default()),
            Agg::Count => Value::Num(Decimal::from(self.count)),
            Agg::Any => Value::Bool(self.any),
            Agg::All => Value::Bool(self.all),
        })
    }
}

/// The row of `table` whose keys are `keys`, when there is one (a table
/// has no row for a key it does not list: its value there is 0).
pub(crate) fn table_row(table: &ir::TableDef, keys: &[Arc<str>]) -> Option<usize> {
    table.rows.iter().position(|(rk, _)| {
        rk.len() == keys.len() && rk.iter().zip(keys).all(|(a, b)| a.as_str() == &**b)
    })
}

/// `a - b` of two dates: the days from `b` to `a`.
pub(crate) fn days_between(a: i32, b: i32) -> Decimal {
    Decimal::from(a) - Decimal::from(b)
}

pub(crate) fn shift_date(d: i32, days: Decimal) -> Result<i32, String> {
    let n = days.trunc().to_i32().ok_or("a date moved too far")?;
    d.checked_add(n)
        .ok_or_else(|| "a date moved too far".to_string())
}

pub(crate) fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => Some(dec_cmp(*x, *y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// `a.cmp(&b)`, without rust_decimal's general path when the two numbers
/// have the same scale or one is a whole power of ten finer (scores and
/// data almost always): their mantissas, brought to one scale, compare as
/// the values do.
///
/// Two numbers of the same scale and sign (the same flags word: rust_decimal
/// keeps its unused bits 0) are told apart by their 96-bit magnitudes,
/// read where they lie, without a call.
#[inline(always)]
pub(crate) fn dec_cmp(a: Decimal, b: Decimal) -> std::cmp::Ordering {
    let (ra, rb) = (
        u128::from_le_bytes(a.serialize()),
        u128::from_le_bytes(b.serialize()),
    );
    if ra as u32 == rb as u32 {
        let o = (ra >> 32).cmp(&(rb >> 32));
        return if (ra as u32) & 0x8000_0000 != 0 {
            o.reverse()
        } else {
            o
        };
    }
    dec_cmp_scales(a, b)
}

/// [`dec_cmp`] of two numbers whose scales or signs differ.
#[inline(never)]
fn dec_cmp_scales(a: Decimal, b: Decimal) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (ra, rb) = (
        u128::from_le_bytes(a.serialize()),
        u128::from_le_bytes(b.serialize()),
    );
    let (ma, mb) = (ra >> 32, rb >> 32);
    // Signs first (a zero is neither, whatever its sign bit says); then
    // magnitudes of up to 64 bits, brought to one scale in 128.
    let negative = |r: u128, m: u128| (r as u32) & 0x8000_0000 != 0 && m != 0;
    let (na, nb) = (negative(ra, ma), negative(rb, mb));
    if na != nb {
        return if na {
            Ordering::Less
        } else {
            Ordering::Greater
        };
    }
    let scale = |r: u128| ((r as u32) >> 16) & 0xFF;
    let (sa, sb) = (scale(ra), scale(rb));
    let up = |m: u128, by: u32| POW10.get(by as usize).map(|p| m * p);
    let small = (ma | mb) >> 64 == 0;
    let widened = match sa.cmp(&sb) {
        _ if !small => None,
        Ordering::Equal => Some((ma, mb)),
        Ordering::Less => up(ma, sb - sa).map(|x| (x, mb)),
        Ordering::Greater => up(mb, sa - sb).map(|y| (ma, y)),
    };
    match widened {
        Some((x, y)) if na => x.cmp(&y).reverse(),
        Some((x, y)) => x.cmp(&y),
        // Wider magnitudes, or scales far apart: rust_decimal's own.
        None => a.cmp(&b),
    }
}

/// 10⁰ … 10¹⁸, for bringing mantissas to one scale.
const POW10: [u128; 19] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
    10_000_000_000_000_000,
    100_000_000_000_000_000,
    1_000_000_000_000_000_000,
];

pub(crate) fn cmp_holds(op: CmpOp, o: std::cmp::Ordering) -> bool {
    match op {
        CmpOp::Eq => o.is_eq(),
        CmpOp::Ne => o.is_ne(),
        CmpOp::Lt => o.is_lt(),
        CmpOp::Le => o.is_le(),
        CmpOp::Gt => o.is_gt(),
        CmpOp::Ge => o.is_ge(),
    }
}

/// A built-in function applied to its arguments' values.
pub(crate) fn call_on_values(f: Func, vals: &[Value]) -> Result<Value, String> {
    let nums: Option<Vec<Decimal>> = vals.iter().map(|v| v.as_num()).collect();
    Ok(match f {
        Func::Min | Func::Max => match nums {
            Some(n) => {
                let it = n.into_iter();
                let r = if f == Func::Min { it.min() } else { it.max() };
                r.map(Value::Num).unwrap_or(Value::Missing)
            }
            None => Value::Missing,
        },
        Func::Clamp => match nums.as_deref() {
            Some([x, lo, hi]) => Value::Num((*x).max(*lo).min(*hi)),
            _ => Value::Missing,
        },
        Func::Floor => nums
            .and_then(|n| n.first().map(|x| Value::Num(x.floor())))
            .unwrap_or(Value::Missing),
        Func::Ceil => nums
            .and_then(|n| n.first().map(|x| Value::Num(x.ceil())))
            .unwrap_or(Value::Missing),
        Func::Abs => nums
            .and_then(|n| n.first().map(|x| Value::Num(x.abs())))
            .unwrap_or(Value::Missing),
        Func::Round => match nums.as_deref() {
            Some([x, p]) => {
                let places = p.to_u32().unwrap_or(0).min(10);
                Value::Num(x.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero))
            }
            _ => Value::Missing,
        },
        Func::Count => match vals.first() {
            Some(Value::List(l)) => Value::Num(Decimal::from(l.len())),
            Some(Value::Group(g)) => Value::Num(Decimal::from(g.1.len())),
            _ => Value::Missing,
        },
        Func::Sorted | Func::Gaps => match vals.first() {
            Some(Value::List(l)) => {
                let mut items = Vec::new();
                sorted_into(l, &mut items);
                if f == Func::Sorted {
                    Value::List(Arc::from(items))
                } else {
                    let mut gaps = Vec::new();
                    gaps_into(&items, &mut gaps)?;
                    Value::List(Arc::from(gaps))
                }
            }
            _ => Value::Missing,
        },
        Func::Ladder => match nums.as_deref() {
            Some([n, steps @ ..]) if !steps.is_empty() => Value::Num(ladder(*n, steps)?),
            _ => Value::Missing,
        },
    })
}

/// `sorted(list)` into `out` (emptied first): the values given, in order.
pub(crate) fn sorted_into(list: &[Value], out: &mut Vec<Value>) {
    out.clear();
    out.extend(list.iter().filter(|v| !v.is_missing()).cloned());
    out.sort_by(|a, b| compare(a, b).unwrap_or(std::cmp::Ordering::Equal));
}

/// `gaps(…)` of a sorted list into `out` (emptied first): each value less
/// the one before it (days between dates).
pub(crate) fn gaps_into(sorted: &[Value], out: &mut Vec<Value>) -> Result<(), String> {
    out.clear();
    for w in sorted.windows(2) {
        out.push(match (w.first(), w.get(1)) {
            (Some(Value::Date(a)), Some(Value::Date(b))) => {
                Value::Num(Decimal::from(*b) - Decimal::from(*a))
            }
            (Some(Value::Num(a)), Some(Value::Num(b))) => Value::Num(sub(*b, *a)?),
            _ => Value::Missing,
        });
    }
    Ok(())
}

/// `ladder(n, s1, s2, …)`: the first `n` steps summed (n rounded down, not
/// below 0), the last step again for each one past the end.
pub(crate) fn ladder(n: Decimal, steps: &[Decimal]) -> Result<Decimal, String> {
    let n = n.floor().max(Decimal::ZERO);
    let len = Decimal::from(steps.len());
    let mut sum = Decimal::ZERO;
    for (k, s) in steps.iter().enumerate() {
        if Decimal::from(k) < n {
            sum = add(sum, *s)?;
        }
    }
    if n > len {
        let last = steps.last().copied().unwrap_or_default();
        sum = add(sum, mul(sub(n, len)?, last)?)?;
    }
    Ok(sum)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod dec_cmp_tests {
    use super::dec_cmp;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    /// Any decimal: small and huge mantissas, either sign, every scale.
    fn decimal() -> impl Strategy<Value = Decimal> {
        (
            prop_oneof![
                -1000i128..1000,
                any::<i64>().prop_map(i128::from),
                (-(1i128 << 95)..(1i128 << 95)),
            ],
            0u32..=28,
        )
            .prop_map(|(m, s)| Decimal::from_i128_with_scale(m, s))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// The fast comparison orders every pair as rust_decimal does.
        #[test]
        fn orders_as_rust_decimal(a in decimal(), b in decimal()) {
            prop_assert_eq!(dec_cmp(a, b), a.cmp(&b));
            prop_assert_eq!(dec_cmp(b, a), b.cmp(&a));
        }

        /// Numbers of one scale, either sign, zeros of either sign among
        /// them, order as rust_decimal orders them.
        #[test]
        fn same_scale_orders_as_rust_decimal(
            m in prop_oneof![-3i128..3, any::<i64>().prop_map(i128::from), (-(1i128 << 95)..(1i128 << 95))],
            n in prop_oneof![-3i128..3, any::<i64>().prop_map(i128::from), (-(1i128 << 95)..(1i128 << 95))],
            s in 0u32..=28,
            negative_zero in any::<bool>(),
        ) {
            let (mut a, b) = (Decimal::from_i128_with_scale(m, s), Decimal::from_i128_with_scale(n, s));
            if m == 0 && negative_zero {
                a.set_sign_negative(true);
            }
            prop_assert_eq!(dec_cmp(a, b), a.cmp(&b));
            prop_assert_eq!(dec_cmp(b, a), b.cmp(&a));
        }

        /// Any number against a zero of either sign and any scale, and
        /// the other way round.
        #[test]
        fn zeros_of_either_sign_order_as_rust_decimal(
            m in prop_oneof![-1000i128..1000, any::<i64>().prop_map(i128::from)],
            s in 0u32..=28,
            t in 0u32..=28,
            negative in any::<bool>(),
        ) {
            let mut zero = Decimal::from_i128_with_scale(0, t);
            zero.set_sign_negative(negative);
            let a = Decimal::from_i128_with_scale(m, s);
            prop_assert_eq!(dec_cmp(a, zero), a.cmp(&zero));
            prop_assert_eq!(dec_cmp(zero, a), zero.cmp(&a));
        }

        /// Equal values written at other scales (1.5 and 1.50) compare equal.
        #[test]
        fn rescaled_values_are_equal(m in -1_000_000i64..1_000_000, s in 0u32..10, k in 0u32..10) {
            let a = Decimal::new(m, s);
            let mut b = a;
            b.rescale(s + k);
            prop_assert_eq!(dec_cmp(a, b), std::cmp::Ordering::Equal);
        }
    }

    #[test]
    fn signed_zeros_and_extremes() {
        let neg_zero = -Decimal::ZERO;
        assert_eq!(dec_cmp(neg_zero, Decimal::ZERO), std::cmp::Ordering::Equal);
        assert_eq!(
            dec_cmp(Decimal::MAX, Decimal::MIN),
            std::cmp::Ordering::Greater
        );
        let tiny = Decimal::new(1, 28);
        assert_eq!(dec_cmp(tiny, Decimal::ZERO), std::cmp::Ordering::Greater);
        assert_eq!(dec_cmp(Decimal::MAX, tiny), std::cmp::Ordering::Greater);
    }
}
