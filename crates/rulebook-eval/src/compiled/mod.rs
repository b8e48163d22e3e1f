//! The compiled evaluator: a checked program compiled once, then any
//! number of units scored with it.
//!
//! In: a checked [`Program`](rulebook_lang::ir::Program) ([`Compiled::new`]),
//! then units with their batch's ranks and aggregates
//! ([`Compiled::score`]). Out: each unit's
//! [`UnitResult`], equal in every field — values
//! with the same scale, trace entries, errors — to what the reference
//! interpreter ([`crate::eval::reference`]) gives; a property test
//! (`tests/compiled_vs_reference.rs`) holds the two to that.
//!
//! Passes: `program` lays the nodes, rules and settlement plans out for
//! the walk and compiles every expression (`expr`), and what rules ask of
//! them most — a number, whether a condition holds — into closures made
//! for each expression's shape (`typed`), and the commonest rules into
//! their constants (`program`'s `Fast`); `walk` scores a chunk of units
//! (eight, or one), walking their nodes together, each step for every unit
//! in turn (`node`, made once with a trace and once without, for every
//! batch), and settling each node one way (`node`'s `settle`, `take`,
//! `pass_on`), reusing a [`Scratch`] per unit of a chunk so that, without a
//! trace, nothing is allocated but what the results own. Arithmetic is
//! `rust_decimal` throughout, the very operations the reference performs,
//! which is what keeps results byte-identical.

mod expr;
mod node;
mod program;
mod typed;
mod walk;

pub use program::Compiled;
pub use walk::Scratch;
pub(crate) use walk::{Unit, LANES};

/// Why an expression or a rule could not be worked out for a unit: the
/// message, boxed so that a result that succeeds is no larger than what it
/// carries (a truth value, or nothing, comes back in registers).
/// (`Box<String>`, not `String`: one word rather than three.)
#[derive(Debug)]
#[allow(clippy::box_collection)]
pub(super) struct Failed(Box<String>);

impl Failed {
    pub fn message(self) -> String {
        *self.0
    }
}

impl From<String> for Failed {
    fn from(m: String) -> Failed {
        Failed(Box::new(m))
    }
}

impl From<&str> for Failed {
    fn from(m: &str) -> Failed {
        Failed(Box::new(m.to_string()))
    }
}

use crate::data::UnitData;
use crate::eval::{AcrossValue, EvalError, UnitResult};
use crate::value::Value;
use rust_decimal::Decimal;

impl Compiled<'_> {
    /// Score one unit. `ranks` holds its rank for each `rank(...)` of the
    /// program, `across` the batch's aggregates; `scratch` is any
    /// [`Scratch`] made for this program (reuse one per thread).
    pub fn score(
        &self,
        scratch: &mut Scratch,
        globals: &[Value],
        unit: &UnitData,
        ranks: &[Decimal],
        across: &[AcrossValue],
        trace: bool,
    ) -> Result<UnitResult, EvalError> {
        self.score_lent(scratch, globals, unit, ranks, across, trace)
            .map(std::mem::take)
    }

    /// [`Compiled::score`], the result lent from `scratch`: what the caller
    /// leaves of its lists is filled again for the next unit, rather than
    /// made anew.
    pub(crate) fn score_lent<'s>(
        &self,
        scratch: &'s mut Scratch,
        globals: &[Value],
        unit: &UnitData,
        ranks: &[Decimal],
        across: &[AcrossValue],
        trace: bool,
    ) -> Result<&'s mut UnitResult, EvalError> {
        self.score_unit(
            scratch,
            walk::Unit {
                globals,
                unit,
                ranks,
                across,
            },
            trace,
        )
    }

    /// A fresh [`Scratch`] for this program.
    pub fn scratch(&self) -> Scratch {
        Scratch::new(self)
    }
}

impl Compiled<'_> {
    /// A batch-level expression (a rank's, an aggregate's) for one unit.
    pub(crate) fn eval_batch_expr(
        &self,
        scratch: &mut Scratch,
        globals: &[Value],
        unit: &UnitData,
        which: crate::eval::BatchExpr,
    ) -> Result<Value, String> {
        use crate::eval::BatchExpr;
        let code = match which {
            BatchExpr::Rank(k) => self.ranks.get(k),
            BatchExpr::Across(k) => self.across.get(k).map(|a| &a.expr),
            BatchExpr::AcrossFilter(k) => self.across.get(k).and_then(|a| a.filter.as_ref()),
        };
        let Some(code) = code else {
            return Ok(Value::Missing);
        };
        scratch.with_frame(self, globals, unit, |fr| {
            fr.eval(code).map_err(Failed::message)
        })
    }
}
