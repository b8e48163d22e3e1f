//! What a unit's score may read from the whole batch: its place by each
//! `rank(…)`, and each aggregate across units (`max(E across units)` …).
//!
//! In: the units, one after another — a batch in memory, or a data file as
//! it is skimmed ahead of its reading (`while_reading`). Out: each unit's
//! ranks and the batch's aggregates, or every error, in the order scoring a
//! batch reports them: the ranks' (rank by rank, unit by unit) if any, else
//! the aggregates' (aggregate by aggregate). Only the one number each rank
//! needs is kept per unit, so units need not be kept to be ranked.

use super::{add, competition_ranks, div, AcrossValue, BatchExpr, EvalError, Worker};
use crate::data::UnitData;
use crate::value::Value;
use rulebook_lang::ir::{self, Program};
use rust_decimal::Decimal;

/// Each unit's ranks and the batch's aggregates.
pub(crate) type Values = (Ranks, Vec<AcrossValue>);

/// Each unit's ranks, one per `rank(…)` of the program, unit after unit in
/// the batch's order, in one list.
#[derive(Debug, Default)]
pub(crate) struct Ranks {
    /// How many `rank(…)` the program has.
    width: usize,
    all: Vec<Decimal>,
}

impl Ranks {
    /// The ranks of the batch's unit `k` (none for a unit beyond it).
    pub fn of(&self, k: usize) -> &[Decimal] {
        let from = k.saturating_mul(self.width);
        self.all
            .get(from..from.saturating_add(self.width))
            .unwrap_or(&[])
    }
}

/// The batch's values, gathered a unit at a time ([`BatchValues::add`]).
pub(crate) struct BatchValues<'p> {
    program: &'p Program,
    units: usize,
    /// Each rank's operand, unit by unit.
    operands: Vec<Vec<Value>>,
    /// Each rank's errors, unit by unit.
    rank_errors: Vec<Vec<EvalError>>,
    across: Vec<Across>,
}

/// One aggregate so far.
#[derive(Default)]
struct Across {
    /// The best value so far (`max`, `min`) and the first unit holding it.
    best: Option<(Decimal, String)>,
    sum: Decimal,
    count: u64,
    errors: Vec<EvalError>,
}

impl<'p> BatchValues<'p> {
    pub fn new(program: &'p Program) -> Self {
        BatchValues {
            program,
            units: 0,
            operands: vec![Vec::new(); program.ranks.len()],
            rank_errors: std::iter::repeat_with(Vec::new)
                .take(program.ranks.len())
                .collect(),
            across: std::iter::repeat_with(Across::default)
                .take(program.across.len())
                .collect(),
        }
    }

    /// The next unit of the batch.
    pub fn add(&mut self, worker: &mut Worker<'_, '_>, globals: &[Value], u: &UnitData) {
        self.units += 1;
        for (k, (vals, errors)) in self
            .operands
            .iter_mut()
            .zip(&mut self.rank_errors)
            .enumerate()
        {
            match worker.batch_expr(globals, u, BatchExpr::Rank(k)) {
                Ok(v) => vals.push(v),
                Err(m) => {
                    errors.push(EvalError {
                        unit: u.name.clone(),
                        node: format!("rank #{}", k + 1),
                        message: m,
                    });
                    vals.push(Value::Missing);
                }
            }
        }
        for (k, (def, acc)) in self.program.across.iter().zip(&mut self.across).enumerate() {
            if let Err(m) = acc.add(worker, globals, k, def, u) {
                acc.errors.push(EvalError {
                    unit: u.name.clone(),
                    node: format!("`{}` #{}", def.source, k + 1),
                    message: m,
                });
            }
        }
    }

    /// Every unit added: the values, or every error.
    pub fn finish(self) -> Result<Values, Vec<EvalError>> {
        let rank_errors: Vec<EvalError> = self.rank_errors.into_iter().flatten().collect();
        if !rank_errors.is_empty() {
            return Err(rank_errors);
        }
        let ranked: Vec<Vec<u32>> = self.operands.iter().map(|v| competition_ranks(v)).collect();
        let ranks = Ranks {
            width: ranked.len(),
            all: (0..self.units)
                .flat_map(|i| {
                    ranked
                        .iter()
                        .map(move |r| Decimal::from(r.get(i).copied().unwrap_or(1)))
                })
                .collect(),
        };
        let mut errors = Vec::new();
        let mut out = Vec::with_capacity(self.across.len());
        for (def, acc) in self.program.across.iter().zip(self.across) {
            let Across {
                best,
                sum,
                count,
                errors: mut these,
            } = acc;
            let (value, unit) = match def.func {
                ir::AcrossFn::Max | ir::AcrossFn::Min => match best {
                    Some((v, u)) => (Value::Num(v), Some(u)),
                    None => (Value::Missing, None),
                },
                ir::AcrossFn::Sum => (Value::Num(sum), None),
                ir::AcrossFn::Count => (Value::Num(Decimal::from(count)), None),
                ir::AcrossFn::Mean if count == 0 => (Value::Missing, None),
                ir::AcrossFn::Mean => match div(sum, Decimal::from(count)) {
                    Ok(v) => (Value::Num(v), None),
                    Err(m) => {
                        these.push(EvalError {
                            unit: String::new(),
                            node: def.source.clone(),
                            message: m,
                        });
                        (Value::Missing, None)
                    }
                },
            };
            errors.append(&mut these);
            out.push(AcrossValue { value, unit });
        }
        if errors.is_empty() {
            Ok((ranks, out))
        } else {
            Err(errors)
        }
    }
}

impl Across {
    /// Unit `u`'s part in aggregate `k`: units where the expression is
    /// missing, or the `where` fails, take no part; `max` and `min` keep
    /// the first unit that holds the value.
    fn add(
        &mut self,
        worker: &mut Worker<'_, '_>,
        globals: &[Value],
        k: usize,
        def: &ir::AcrossDef,
        u: &UnitData,
    ) -> Result<(), String> {
        if def.filter.is_some()
            && !worker
                .batch_expr(globals, u, BatchExpr::AcrossFilter(k))?
                .as_bool()
                .unwrap_or(false)
        {
            return Ok(());
        }
        let v = worker.batch_expr(globals, u, BatchExpr::Across(k))?;
        if def.func == ir::AcrossFn::Count {
            if v.as_bool().unwrap_or(false) {
                self.count += 1;
            }
            return Ok(());
        }
        let Some(x) = v.as_num() else {
            return Ok(());
        };
        self.sum = add(self.sum, x)?;
        self.count += 1;
        let better = match (&self.best, def.func) {
            (None, _) => true,
            (Some((b, _)), ir::AcrossFn::Max) => x > *b,
            (Some((b, _)), ir::AcrossFn::Min) => x < *b,
            _ => false,
        };
        if better {
            self.best = Some((x, u.name.clone()));
        }
        Ok(())
    }
}

/// The inputs the batch's values read — the expressions of the ranks and
/// the aggregates, and the derived values these use — or `None` when they
/// read anything else (a global or parameter, another batch value, the
/// unit's own total). What a skim of the data file must read to work the
/// batch's values out ahead of the full reading.
pub(crate) fn inputs_read(program: &Program) -> Option<Vec<bool>> {
    use ir::Expr;
    let mut wanted = vec![false; program.inputs.len()];
    let mut lets_seen = vec![false; program.lets.len()];
    let mut stack: Vec<&Expr> = program.ranks.iter().collect();
    for a in &program.across {
        stack.push(&a.expr);
        stack.extend(a.filter.as_ref());
    }
    while let Some(e) = stack.pop() {
        match e {
            Expr::Input(i) => *wanted.get_mut(*i as usize)? = true,
            Expr::Let(i) => {
                let seen = lets_seen.get_mut(*i as usize)?;
                if !*seen {
                    *seen = true;
                    stack.push(&program.lets.get(*i as usize)?.expr);
                }
            }
            Expr::Global(_)
            | Expr::Param(_)
            | Expr::Rank(_)
            | Expr::Across(_)
            | Expr::Builtin(_) => return None,
            _ => e.each_child(|x| stack.push(x)),
        }
    }
    Some(wanted)
}
