//! Expressions worked out for one unit by the reference interpreter
//! ([`Cx`]): inputs, globals, parameters, derived values (each worked out
//! once), loops and aggregates ([`Acc`], which the compiled evaluator
//! shares), tables and built-in functions.

use super::{
    add, cmp_holds, days_between, dec_cmp, div, ladder, mul, shift_date, sub, AcrossValue,
};
use crate::data::UnitData;
use crate::value::Value;
use rulebook_lang::ast::BinOp;
use rulebook_lang::ir::{self, Agg, BandDef, Builtin, Expr, Func, Program};
use rust_decimal::prelude::*;
use std::sync::Arc;

/// Evaluation context for one unit.
pub(crate) struct Cx<'p> {
    pub(super) program: &'p Program,
    pub(super) globals: &'p [Value],
    pub(super) unit: &'p UnitData,
    pub(super) ranks: &'p [Decimal],
    pub(super) across: &'p [AcrossValue],
    pub(super) lets: Vec<Option<Value>>,
    pub(super) locals: Vec<Value>,
    pub(super) builtins: Option<(Decimal, Decimal, Decimal, bool)>,
    pub(super) tracing: bool,
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
        self.bindings(loops, filter, &mut |cx: &mut Self| acc.add(cx.eval(body)?))?;
        acc.value()
    }

    /// Run `f` once for every binding of the loops that passes the filter.
    pub(super) fn bindings(
        &mut self,
        loops: &[(u32, Expr)],
        filter: Option<&Expr>,
        f: &mut dyn FnMut(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        let Some(((slot, list), rest)) = loops.split_first() else {
            if let Some(c) = filter {
                if !self.truth(c)? {
                    return Ok(());
                }
            }
            return f(self);
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
            self.bindings(rest, filter, f)?;
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

pub(crate) fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => Some(dec_cmp(*x, *y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
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
