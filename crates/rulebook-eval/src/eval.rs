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
//!
//! The parts: `result` (what scoring a unit gives: node scores, trace
//! entries and their details, errors), `batch` (a batch scored on all
//! cores with the compiled evaluator or the reference, ranks and
//! aggregates first, streamed in order), `walk` (the reference
//! interpreter's walk of one unit's nodes and the settlement of its
//! deductions), `cx` (expressions worked out for one unit), `numbers`
//! (the arithmetic and comparisons every evaluator shares, and the
//! amounts of `per … below` and `in proportion to`), `cite` (trace entries
//! split by the cited rows they came from).

mod batch;
mod batch_values;
pub(crate) mod cite;
mod cx;
mod numbers;
mod result;
mod walk;
mod while_reading;

pub(crate) use batch::BatchExpr;
pub use batch::{
    competition_ranks, compute_across, evaluate_batch, evaluate_batch_map,
    evaluate_batch_with_progress, evaluate_one, prepare_batch, rank_batch, rank_by_total,
    reference, Options, Ranked, StreamError,
};
use batch::{Engine, Worker};
pub(crate) use cx::{call_on_values, compare, gaps_into, sorted_into, table_row, Acc, Cx};
pub(crate) use numbers::{
    add, arith, cmp_holds, days_between, dec_cmp, div, ladder, mul, proportion_amount, shift_date,
    small_product, steps_amount, sub,
};
pub use result::describe;
pub(crate) use result::RuleOutcome;
pub use result::{
    AcrossValue, Adjusted, CitedDetail, Detail, EvalError, Fact, Facts, NodeScore,
    ProportionDetail, StepsDetail, TraceEntry, UnitResult, Veto,
};
pub use walk::{evaluate_unit, evaluate_unit_in};
pub(crate) use walk::{fact_reads, FactsAt};
pub use while_reading::{
    readable_twice, score_while_reading, score_while_reading_map, scores_alone,
    scores_while_reading, WhileReading,
};
