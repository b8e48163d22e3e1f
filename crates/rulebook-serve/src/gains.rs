//! Where a unit can gain: for each numeric input behind a point the unit
//! lost, the value that meets its target, and how many points reaching it
//! wins back — found by scoring the unit again with that one input
//! changed (the other units as they are, so ranks stay right), never by
//! estimating.
//!
//! The inputs come from the rules that took points: `deduct R per S of X
//! below|above T` (X set to T), `deduct R each X` (X set to 0), and a
//! deduction's condition comparing X with a number (`X > 0`: X set to 0),
//! when X is a number the unit reported.

use rulebook_eval::data::Batch;
use rulebook_eval::eval::{evaluate_one, Detail, UnitResult};
use rulebook_eval::Value;
use rulebook_lang::ast::{BinOp, CmpOp};
use rulebook_lang::ir::{Amount, Expr, Program, RuleKind, Type};
use rulebook_report::fmt_dec;
use rulebook_report::reason::rule_of;
use rust_decimal::Decimal;

/// One input to change, and what it wins.
#[derive(Debug, Clone, PartialEq)]
pub struct Gain {
    /// The clause (or part, or item) whose rule took the points.
    pub cite: String,
    /// The input's label, as the document names it.
    pub label: String,
    pub from: Decimal,
    pub to: Decimal,
    /// `%`, `天`, … (empty for a count).
    pub unit: &'static str,
    /// The unit's total after the change, minus its total now.
    pub points: Decimal,
}

impl Gain {
    /// `优良天数比率提高到96.5%可挽回3分`.
    pub fn sentence(&self) -> String {
        let verb = if self.to > self.from {
            "提高到"
        } else {
            "降低到"
        };
        format!(
            "{}{verb}{}{}可挽回{}分",
            self.label,
            fmt_dec(self.to),
            self.unit,
            fmt_dec(self.points)
        )
    }
}

/// A candidate change: input slot, value to set, the clause it answers.
struct Change {
    slot: u32,
    to: Decimal,
    cite: String,
}

fn input_slot(e: &Expr) -> Option<u32> {
    match e {
        Expr::Input(i) => Some(*i),
        _ => None,
    }
}

/// The value that makes `x OP n` false, for a number input.
fn falsify(op: CmpOp, n: Decimal, integral: bool) -> Option<Decimal> {
    let step = if integral {
        Decimal::ONE
    } else {
        Decimal::ZERO
    };
    match op {
        CmpOp::Gt => Some(n),
        CmpOp::Lt => Some(n),
        CmpOp::Ge if integral => Some(n - step),
        CmpOp::Le if integral => Some(n + step),
        _ => None,
    }
}

fn mirror(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Ge => CmpOp::Le,
        CmpOp::Le => CmpOp::Ge,
        other => other,
    }
}

fn changes(program: &Program, result: &UnitResult) -> Vec<Change> {
    let mut out: Vec<Change> = Vec::new();
    for e in &result.trace {
        if e.amount >= Decimal::ZERO {
            continue;
        }
        let Some(rule) = rule_of(program, e) else {
            continue;
        };
        if rule.kind != RuleKind::Deduct {
            continue;
        }
        let cite = rule.cite.clone();
        let found = match (&rule.amount, &e.detail) {
            (Amount::Steps { actual, .. }, Detail::Steps(d)) => {
                input_slot(actual).map(|slot| (slot, d.target))
            }
            (Amount::Each { count, .. }, _) => input_slot(count).map(|slot| (slot, Decimal::ZERO)),
            _ => None,
        };
        let found = found.or_else(|| match &rule.condition {
            Some(Expr::Bin(BinOp::Cmp(op), a, b)) => {
                let (slot, op, n) = match (a.as_ref(), b.as_ref()) {
                    (Expr::Input(i), Expr::Num(n)) => (*i, *op, *n),
                    (Expr::Num(n), Expr::Input(i)) => (*i, mirror(*op), *n),
                    _ => return None,
                };
                let integral = matches!(
                    program.inputs.get(slot as usize).map(|d| &d.ty),
                    Some(Type::Num(u)) if u.is_integral()
                );
                falsify(op, n, integral).map(|to| (slot, to))
            }
            _ => None,
        });
        if let Some((slot, to)) = found {
            if !out.iter().any(|c| c.slot == slot) {
                out.push(Change { slot, to, cite });
            }
        }
    }
    out
}

/// What the unit at `index` of the batch (scored as `result`) can win
/// back, most points first.
pub fn gains(program: &Program, batch: &Batch, index: usize, result: &UnitResult) -> Vec<Gain> {
    let candidates = changes(program, result);
    if candidates.is_empty() {
        return Vec::new();
    }
    let mut what_if = batch.clone();
    let mut out = Vec::new();
    for c in candidates {
        let Some(def) = program.inputs.get(c.slot as usize) else {
            continue;
        };
        let Type::Num(unit) = def.ty else {
            continue;
        };
        let Some(cell) = what_if
            .units
            .get_mut(index)
            .and_then(|u| u.inputs.get_mut(c.slot as usize))
        else {
            continue;
        };
        let Some(from) = cell.as_num() else {
            continue;
        };
        if from == c.to {
            continue;
        }
        let kept = std::mem::replace(cell, Value::Num(c.to));
        let rescored = evaluate_one(program, &what_if, index, false);
        if let Some(cell) = what_if
            .units
            .get_mut(index)
            .and_then(|u| u.inputs.get_mut(c.slot as usize))
        {
            *cell = kept;
        }
        let Ok(new) = rescored else {
            continue;
        };
        let points = new.total.checked_sub(result.total).unwrap_or_default();
        if points > Decimal::ZERO {
            out.push(Gain {
                cite: c.cite,
                label: def.label.clone(),
                from,
                to: c.to,
                unit: unit.symbol(),
                points,
            });
        }
    }
    out.sort_by_key(|g| std::cmp::Reverse(g.points));
    out
}
