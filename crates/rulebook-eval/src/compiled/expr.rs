//! Compiled expressions: the IR's `Expr` with everything that does not
//! depend on a unit worked out once.
//!
//! In: an [`ir::Expr`]. Out: a [`Code`] tree where text constants are
//! built once (no allocation when a condition compares with `"major"`),
//! constant arithmetic is folded only where the result is the very value
//! the reference would compute, and table look-ups with constant keys are
//! resolved. Evaluation ([`Frame`]) has the reference interpreter's
//! semantics exactly — the same `Decimal` operations in the same order, so
//! the same values down to their scale — and typed entry points
//! ([`Frame::num`], [`Frame::truth`]) that build no `Value` on the paths a
//! rulebook takes most.

use super::Compiled;
use crate::data::UnitData;
use crate::eval::{arith, cmp_holds, compare, days_between, dec_cmp, shift_date, Acc, AcrossValue};
use crate::value::Value;
use rulebook_lang::ast::{BinOp, CmpOp};
use rulebook_lang::ir::{self, Agg, Builtin, Expr, Func, Program};
use rust_decimal::prelude::*;
use std::sync::Arc;

/// A compiled expression.
#[derive(Debug, Clone)]
pub(super) enum Code {
    /// A number, truth value, text, date or constant list.
    Const(Value),
    List(Vec<Code>),
    Input(u32),
    Global(u32),
    Param(u32),
    Let(u32),
    Local(u32),
    Rank(u32),
    Across(u32),
    Builtin(Builtin),
    Not(Box<Code>),
    Neg(Box<Code>),
    And(Box<Code>, Box<Code>),
    Or(Box<Code>, Box<Code>),
    Cmp(CmpOp, Box<Code>, Box<Code>),
    /// `+ − × ÷` (never `and`, `or` or a comparison).
    Arith(BinOp, Box<Code>, Box<Code>),
    If(Box<Code>, Box<Code>, Box<Code>),
    Call(Func, Vec<Code>),
    Agg {
        agg: Agg,
        body: Box<Code>,
        loops: Vec<(u32, Code)>,
        filter: Option<Box<Code>>,
    },
    Field(Box<Code>, u32),
    GroupKey(Box<Code>),
    GroupCount(Box<Code>),
    /// A look-up whose keys are worked out per unit.
    Table(u32, Vec<Code>),
    IsMissing(Box<Code>, bool),
    GroupBy(Box<Code>, u32),
    Tiers(Box<Code>, Vec<Tier>),
}

#[derive(Debug, Clone)]
pub(super) enum Band {
    Else,
    Cmp(CmpOp, Code),
    Interval {
        lo: Code,
        lo_closed: bool,
        hi: Code,
        hi_closed: bool,
    },
}

#[derive(Debug, Clone)]
pub(super) struct Tier {
    pub band: Band,
    pub amount: Code,
}

/// A table's rows, keys as shared text.
#[derive(Debug, Clone)]
pub(super) struct Rows {
    pub rows: Vec<(Vec<Arc<str>>, Decimal)>,
}

impl Rows {
    pub fn new(def: &ir::TableDef) -> Rows {
        Rows {
            rows: def
                .rows
                .iter()
                .map(|(k, v)| (k.iter().map(|s| Arc::from(s.as_str())).collect(), *v))
                .collect(),
        }
    }
    /// The first row with these keys; 0 when none has them.
    pub fn find<'k>(&self, keys: impl Fn(usize) -> Option<&'k str>, arity: usize) -> Decimal {
        self.rows
            .iter()
            .find(|(rk, _)| {
                rk.len() == arity
                    && rk
                        .iter()
                        .enumerate()
                        .all(|(i, k)| keys(i).is_some_and(|x| x == &**k))
            })
            .map(|(_, v)| *v)
            .unwrap_or_default()
    }
}

/// Compile one expression; `tables` are the program's.
pub(super) fn compile(tables: &[Rows], e: &Expr) -> Code {
    let c = |x: &Expr| compile(tables, x);
    let b = |x: &Expr| Box::new(compile(tables, x));
    match e {
        Expr::Num(v) => Code::Const(Value::Num(*v)),
        Expr::Bool(v) => Code::Const(Value::Bool(*v)),
        Expr::Str(s) => Code::Const(Value::Text(Arc::from(s.as_str()))),
        Expr::Date(d) => Code::Const(Value::Date(*d)),
        Expr::List(items) => {
            let items: Vec<Code> = items.iter().map(c).collect();
            if items.iter().all(|i| matches!(i, Code::Const(_))) {
                let vals: Vec<Value> = items
                    .into_iter()
                    .filter_map(|i| match i {
                        Code::Const(v) => Some(v),
                        _ => None,
                    })
                    .collect();
                Code::Const(Value::List(Arc::from(vals)))
            } else {
                Code::List(items)
            }
        }
        Expr::Input(i) => Code::Input(*i),
        Expr::Global(i) => Code::Global(*i),
        Expr::Param(i) => Code::Param(*i),
        Expr::Let(i) => Code::Let(*i),
        Expr::Local(i) => Code::Local(*i),
        Expr::Rank(i) => Code::Rank(*i),
        Expr::Across(i) => Code::Across(*i),
        Expr::Builtin(x) => Code::Builtin(*x),
        Expr::Not(x) => Code::Not(b(x)),
        Expr::Neg(x) => match c(x) {
            // `-5` in the source: the reference negates the literal the same way.
            Code::Const(Value::Num(v)) => Code::Const(Value::Num(-v)),
            x => Code::Neg(Box::new(x)),
        },
        Expr::Bin(BinOp::And, x, y) => Code::And(b(x), b(y)),
        Expr::Bin(BinOp::Or, x, y) => Code::Or(b(x), b(y)),
        Expr::Bin(BinOp::Cmp(op), x, y) => Code::Cmp(*op, b(x), b(y)),
        Expr::Bin(op, x, y) => Code::Arith(*op, b(x), b(y)),
        Expr::If(x, y, z) => Code::If(b(x), b(y), b(z)),
        Expr::Call(f, args) => Code::Call(*f, args.iter().map(c).collect()),
        Expr::Agg {
            agg,
            body,
            loops,
            filter,
        } => Code::Agg {
            agg: *agg,
            body: b(body),
            loops: loops.iter().map(|(s, l)| (*s, c(l))).collect(),
            filter: filter.as_deref().map(b),
        },
        Expr::Field(x, i) => Code::Field(b(x), *i),
        Expr::GroupKey(x) => Code::GroupKey(b(x)),
        Expr::GroupCount(x) => Code::GroupCount(b(x)),
        Expr::Table(t, keys) => {
            let keys: Vec<Code> = keys.iter().map(c).collect();
            let fixed: Option<Vec<&str>> = keys
                .iter()
                .map(|k| match k {
                    Code::Const(Value::Text(s)) => Some(&**s),
                    _ => None,
                })
                .collect();
            match (fixed, tables.get(*t as usize)) {
                (Some(ks), Some(rows)) => {
                    let v = rows.find(|i| ks.get(i).copied(), ks.len());
                    Code::Const(Value::Num(v))
                }
                _ => Code::Table(*t, keys),
            }
        }
        Expr::IsMissing(x, want) => Code::IsMissing(b(x), *want),
        Expr::GroupBy(x, f) => Code::GroupBy(b(x), *f),
        Expr::Tiers(s, tiers) => Code::Tiers(
            b(s),
            tiers
                .iter()
                .map(|t| Tier {
                    band: match &t.band {
                        ir::BandDef::Else => Band::Else,
                        ir::BandDef::Cmp(op, x) => Band::Cmp(*op, c(x)),
                        ir::BandDef::Interval {
                            lo,
                            lo_closed,
                            hi,
                            hi_closed,
                        } => Band::Interval {
                            lo: c(lo),
                            lo_closed: *lo_closed,
                            hi: c(hi),
                            hi_closed: *hi_closed,
                        },
                    },
                    amount: c(&t.amount),
                })
                .collect(),
        ),
    }
}

/// The per-unit values an expression may read, reused from unit to unit.
#[derive(Debug, Default)]
pub(super) struct Slots {
    /// Derived values worked out so far for this unit.
    pub lets: Vec<Option<Value>>,
    pub locals: Vec<Value>,
    /// Room for a list worked out on the way (`gaps(…)`), kept from unit to
    /// unit; a loop takes it and gives it back.
    pub spare: [Vec<Value>; 2],
    /// Room for `grouped by` of a list that is somewhere already: where
    /// each key was first met, and the last group, to be filled again
    /// when nothing else holds it.
    pub groups: GroupRoom,
}

/// Where each key of a `grouped by` was first met, and a group's room.
pub(super) type GroupRoom = (Vec<usize>, Option<Arc<(Value, Vec<Value>)>>);

impl Slots {
    pub fn new(program: &Program) -> Slots {
        Slots {
            lets: vec![None; program.lets.len()],
            locals: vec![Value::Missing; program.locals as usize],
            spare: Default::default(),
            groups: Default::default(),
        }
    }
    /// Forget the last unit's values.
    pub fn reset(&mut self) {
        for l in &mut self.lets {
            *l = None;
        }
        for l in &mut self.locals {
            *l = Value::Missing;
        }
    }
}

/// Evaluation of compiled expressions for one unit.
pub(super) struct Frame<'a> {
    pub c: &'a Compiled<'a>,
    pub globals: &'a [Value],
    pub unit: &'a UnitData,
    pub ranks: &'a [Decimal],
    pub across: &'a [AcrossValue],
    pub slots: &'a mut Slots,
    /// The record a loop over the unit's data (or the batch's) is at, for
    /// each of the first [`LENT`] locals: lent where it is rather than
    /// copied into `slots` (see [`Frame::local`]).
    pub lent: [Option<&'a Value>; LENT],
    /// total, base, bonus, vetoed: set once the unit is scored (for grades).
    pub builtins: Option<(Decimal, Decimal, Decimal, bool)>,
}

/// How many locals can hold a lent record.
pub(super) const LENT: usize = 8;

type R<T> = Result<T, super::Failed>;

/// `items grouped by field`: each key with its records, keys in the order
/// they first come.
pub(super) fn groups(items: &[Value], field: u32) -> Vec<(Value, Vec<Value>)> {
    let mut groups: Vec<(Value, Vec<Value>)> = Vec::new();
    for it in items {
        let key = group_key(it, field).clone();
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(it.clone()),
            None => groups.push((key, vec![it.clone()])),
        }
    }
    groups
}

/// The key `grouped by field` files a record under: the field's value
/// (missing for anything that is not a record).
pub(super) fn group_key(it: &Value, field: u32) -> &Value {
    match it {
        Value::Record(fields) => fields.get(field as usize).unwrap_or(&MISSING),
        _ => &MISSING,
    }
}

/// What a place that holds nothing reads as.
pub(super) static MISSING: Value = Value::Missing;

impl Frame<'_> {
    /// Local `i`: the record lent to it, or else what it holds.
    #[inline(always)]
    pub fn local(&self, i: usize) -> Option<&Value> {
        match self.lent.get(i) {
            Some(Some(v)) => Some(v),
            _ => self.slots.locals.get(i),
        }
    }

    fn param_by_year(&self, i: u32) -> Value {
        let Some(ir::YearSource::Global(g)) = self.c.program.year else {
            return Value::Missing;
        };
        let year = match self.globals.get(g as usize) {
            Some(Value::Num(y)) => y.to_i32(),
            _ => None,
        };
        match (self.c.program.params.get(i as usize), year) {
            (Some(def), Some(y)) => crate::data::check::by_year(&def.by_year, &self.unit.name, y)
                .map(Value::Num)
                .unwrap_or(Value::Missing),
            _ => Value::Missing,
        }
    }

    pub(super) fn let_value(&mut self, i: u32) -> R<Value> {
        if let Some(Some(v)) = self.slots.lets.get(i as usize) {
            return Ok(v.clone());
        }
        let c = self.c;
        let code = c.lets.get(i as usize).ok_or("unknown derived value")?;
        // A number is worked out as one; anything else (or a number that
        // turns out missing) by the general evaluator.
        let typed = match c.let_nums.get(i as usize) {
            Some(Some(n)) => self.n(n)?,
            _ => None,
        };
        let v = match typed {
            Some(v) => Value::Num(v),
            None => self.eval(code)?,
        };
        if let Some(slot) = self.slots.lets.get_mut(i as usize) {
            *slot = Some(v.clone());
        }
        Ok(v)
    }

    /// A value that is already somewhere — a constant, an input, a loop's
    /// record or one of its fields, a derived value worked out — borrowed
    /// rather than copied; `None` for anything that must be computed.
    /// Reading a place never fails, so this is `eval(e)` without the copy.
    fn peek<'s>(&'s self, e: &'s Code) -> Option<&'s Value> {
        let or_missing = |v: Option<&'s Value>| Some(v.unwrap_or(&MISSING));
        match e {
            Code::Const(v) => Some(v),
            Code::Input(i) => or_missing(self.unit.inputs.get(*i as usize)),
            Code::Global(i) => or_missing(self.globals.get(*i as usize)),
            Code::Local(i) => or_missing(self.local(*i as usize)),
            Code::Across(i) => or_missing(self.across.get(*i as usize).map(|a| &a.value)),
            Code::Let(i) => self.slots.lets.get(*i as usize)?.as_ref(),
            Code::Field(x, i) => match self.peek(x)? {
                Value::Record(fields) => or_missing(fields.get(*i as usize)),
                _ => Some(&MISSING),
            },
            Code::GroupKey(x) => match self.peek(x)? {
                Value::Group(g) => Some(&g.0),
                _ => Some(&MISSING),
            },
            _ => None,
        }
    }

    /// A number; `None` when missing or not a number (`eval(e).as_num()`).
    /// A constant or an input (most of what rules read) is read in place.
    #[inline(always)]
    pub fn num(&mut self, e: &Code) -> R<Option<Decimal>> {
        match e {
            Code::Const(Value::Num(v)) => Ok(Some(*v)),
            Code::Input(i) => Ok(match self.unit.inputs.get(*i as usize) {
                Some(Value::Num(d)) => Some(*d),
                _ => None,
            }),
            _ => self.num_computed(e),
        }
    }

    fn num_computed(&mut self, e: &Code) -> R<Option<Decimal>> {
        let slot = |v: Option<&Value>| match v {
            Some(Value::Num(d)) => Some(*d),
            _ => None,
        };
        Ok(match e {
            Code::Const(v) => v.as_num(),
            Code::Input(i) => slot(self.unit.inputs.get(*i as usize)),
            Code::Global(i) => slot(self.globals.get(*i as usize)),
            Code::Param(i) => match slot(self.unit.params.get(*i as usize)) {
                Some(v) => Some(v),
                None => self.eval(e)?.as_num(),
            },
            Code::Let(i) => match self.slots.lets.get(*i as usize) {
                Some(Some(v)) => v.as_num(),
                _ => self.let_value(*i)?.as_num(),
            },
            Code::Local(i) => slot(self.local(*i as usize)),
            Code::Rank(i) => Some(self.ranks.get(*i as usize).copied().unwrap_or(Decimal::ONE)),
            Code::Arith(op, a, b) => match (self.num(a)?, self.num(b)?) {
                (Some(x), Some(y)) => Some(arith(*op, x, y)?),
                // Dates, missing values: the general path decides.
                _ => self.eval(e)?.as_num(),
            },
            Code::Neg(x) => self.num(x)?.map(|v| -v),
            Code::If(c, a, b) => {
                if self.truth(c)? {
                    self.num(a)?
                } else {
                    self.num(b)?
                }
            }
            Code::Field(..) | Code::GroupKey(..) | Code::Across(_) => match self.peek(e) {
                Some(v) => v.as_num(),
                None => self.eval(e)?.as_num(),
            },
            _ => self.eval(e)?.as_num(),
        })
    }

    /// True, false, or neither (missing, not a truth value): `eval(e).as_bool()`.
    fn tri(&mut self, e: &Code) -> R<Option<bool>> {
        let slot = |v: Option<&Value>| match v {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        };
        Ok(match e {
            Code::Const(v) => v.as_bool(),
            Code::Input(i) => slot(self.unit.inputs.get(*i as usize)),
            Code::Global(i) => slot(self.globals.get(*i as usize)),
            Code::Local(i) => slot(self.local(*i as usize)),
            Code::Let(i) => match self.slots.lets.get(*i as usize) {
                Some(Some(v)) => v.as_bool(),
                _ => self.let_value(*i)?.as_bool(),
            },
            Code::Not(x) => self.tri(x)?.map(|b| !b),
            Code::Field(..) | Code::GroupKey(..) | Code::Across(_) => match self.peek(e) {
                Some(v) => v.as_bool(),
                None => self.eval(e)?.as_bool(),
            },
            Code::And(..) | Code::Or(..) | Code::Cmp(..) | Code::IsMissing(..) => {
                Some(self.truth(e)?)
            }
            _ => self.eval(e)?.as_bool(),
        })
    }

    /// Truth in a condition: missing or not a truth value counts as false.
    /// A truth-valued input is read in place.
    #[inline(always)]
    pub fn truth(&mut self, e: &Code) -> R<bool> {
        match e {
            Code::Input(i) => Ok(matches!(
                self.unit.inputs.get(*i as usize),
                Some(Value::Bool(true))
            )),
            _ => self.truth_computed(e),
        }
    }

    fn truth_computed(&mut self, e: &Code) -> R<bool> {
        Ok(match e {
            Code::And(a, b) => self.truth(a)? && self.truth(b)?,
            Code::Or(a, b) => self.truth(a)? || self.truth(b)?,
            Code::Cmp(op, a, b) => match (self.peek(a), self.peek(b)) {
                // Two places: compared where they are.
                (Some(x), Some(y)) => compare(x, y).is_some_and(|o| cmp_holds(*op, o)),
                _ => self.cmp_computed(*op, a, b)?,
            },
            Code::IsMissing(x, want) => match self.peek(x) {
                Some(v) => v.is_missing() == *want,
                None => self.eval(x)?.is_missing() == *want,
            },
            _ => self.tri(e)?.unwrap_or(false),
        })
    }

    fn cmp_computed(&mut self, op: CmpOp, a: &Code, b: &Code) -> R<bool> {
        Ok(match (self.num(a)?, self.num(b)?) {
            (Some(x), Some(y)) => cmp_holds(op, dec_cmp(x, y)),
            _ => {
                let (x, y) = (self.eval(a)?, self.eval(b)?);
                compare(&x, &y).is_some_and(|o| cmp_holds(op, o))
            }
        })
    }

    pub fn eval(&mut self, e: &Code) -> R<Value> {
        Ok(match e {
            Code::Const(v) => v.clone(),
            Code::List(items) => {
                let mut v = Vec::with_capacity(items.len());
                for x in items {
                    v.push(self.eval(x)?);
                }
                Value::List(Arc::from(v))
            }
            Code::Input(i) => self
                .unit
                .inputs
                .get(*i as usize)
                .cloned()
                .unwrap_or(Value::Missing),
            Code::Global(i) => self
                .globals
                .get(*i as usize)
                .cloned()
                .unwrap_or(Value::Missing),
            Code::Param(i) => match self.unit.params.get(*i as usize) {
                Some(Value::Missing) | None => self.param_by_year(*i),
                Some(v) => v.clone(),
            },
            Code::Let(i) => self.let_value(*i)?,
            Code::Local(i) => self.local(*i as usize).cloned().unwrap_or(Value::Missing),
            Code::Rank(i) => {
                Value::Num(self.ranks.get(*i as usize).copied().unwrap_or(Decimal::ONE))
            }
            Code::Across(i) => self
                .across
                .get(*i as usize)
                .map(|a| a.value.clone())
                .unwrap_or(Value::Missing),
            Code::Builtin(b) => match (self.builtins, b) {
                (Some((t, _, _, _)), Builtin::Total) => Value::Num(t),
                (Some((_, ba, _, _)), Builtin::Base) => Value::Num(ba),
                (Some((_, _, bo, _)), Builtin::Bonus) => Value::Num(bo),
                (Some((_, _, _, v)), Builtin::Vetoed) => Value::Bool(v),
                (None, _) => Value::Missing,
            },
            Code::Not(x) => match self.eval(x)? {
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::Missing,
            },
            Code::Neg(x) => match self.eval(x)? {
                Value::Num(v) => Value::Num(-v),
                _ => Value::Missing,
            },
            Code::And(..) | Code::Or(..) | Code::Cmp(..) => Value::Bool(self.truth(e)?),
            Code::Arith(op, a, b) => {
                let (x, y) = (self.eval(a)?, self.eval(b)?);
                match (op, x, y) {
                    (_, Value::Num(p), Value::Num(q)) => Value::Num(arith(*op, p, q)?),
                    (BinOp::Sub, Value::Date(p), Value::Date(q)) => Value::Num(days_between(p, q)),
                    (BinOp::Add, Value::Date(p), Value::Num(q)) => Value::Date(shift_date(p, q)?),
                    (BinOp::Sub, Value::Date(p), Value::Num(q)) => Value::Date(shift_date(p, -q)?),
                    _ => Value::Missing,
                }
            }
            Code::If(c, a, b) => {
                if self.truth(c)? {
                    self.eval(a)?
                } else {
                    self.eval(b)?
                }
            }
            Code::Call(f, args) => self.call(*f, args)?,
            Code::Agg {
                agg,
                body,
                loops,
                filter,
            } => self.agg(*agg, body, loops, filter.as_deref())?,
            Code::Field(x, i) => match self.peek(e) {
                Some(v) => v.clone(),
                None => match self.eval(x)? {
                    Value::Record(fields) => {
                        fields.get(*i as usize).cloned().unwrap_or(Value::Missing)
                    }
                    _ => Value::Missing,
                },
            },
            Code::GroupKey(x) => match self.eval(x)? {
                Value::Group(g) => g.0.clone(),
                _ => Value::Missing,
            },
            Code::GroupCount(x) => match self.eval(x)? {
                Value::Group(g) => Value::Num(Decimal::from(g.1.len())),
                _ => Value::Missing,
            },
            Code::Table(t, keys) => self.table(*t, keys)?,
            Code::IsMissing(x, want) => Value::Bool(self.eval(x)?.is_missing() == *want),
            Code::GroupBy(x, field) => match self.eval(x)? {
                Value::List(items) => Value::List(
                    groups(&items, *field)
                        .into_iter()
                        .map(|g| Value::Group(Arc::new(g)))
                        .collect(),
                ),
                _ => Value::Missing,
            },
            Code::Tiers(subject, tiers) => self.tiers(subject, tiers)?,
        })
    }

    fn table(&mut self, t: u32, keys: &[Code]) -> R<Value> {
        let c = self.c;
        let rows = c.tables.get(t as usize).ok_or("unknown table")?;
        // Keys are evaluated in order, and a key that is not text makes the
        // look-up missing; one or two keys need no list of them.
        Ok(match keys {
            [k] => match self.eval(k)? {
                Value::Text(a) => Value::Num(rows.find(|_| Some(&*a), 1)),
                _ => Value::Missing,
            },
            [k, l] => match (self.eval(k)?, self.eval(l)?) {
                (Value::Text(a), Value::Text(b)) => {
                    let pick = |i: usize| match i {
                        0 => Some(&*a),
                        1 => Some(&*b),
                        _ => None,
                    };
                    Value::Num(rows.find(pick, 2))
                }
                _ => Value::Missing,
            },
            _ => {
                let mut ks: Vec<Arc<str>> = Vec::with_capacity(keys.len());
                for k in keys {
                    match self.eval(k)? {
                        Value::Text(s) => ks.push(s),
                        _ => return Ok(Value::Missing),
                    }
                }
                Value::Num(rows.find(|i| ks.get(i).map(|s| &**s), ks.len()))
            }
        })
    }

    fn tiers(&mut self, subject: &Code, tiers: &[Tier]) -> R<Value> {
        let s = self.eval(subject)?;
        if s.is_missing() {
            return Ok(Value::Missing);
        }
        for t in tiers {
            let holds = match &t.band {
                Band::Else => true,
                Band::Cmp(op, b) => {
                    let b = self.eval(b)?;
                    compare(&s, &b).is_some_and(|o| cmp_holds(*op, o))
                }
                Band::Interval {
                    lo,
                    lo_closed,
                    hi,
                    hi_closed,
                } => {
                    let (l, h) = (self.eval(lo)?, self.eval(hi)?);
                    let lo_ok =
                        compare(&s, &l).is_some_and(|o| o.is_gt() || (*lo_closed && o.is_eq()));
                    let hi_ok =
                        compare(&s, &h).is_some_and(|o| o.is_lt() || (*hi_closed && o.is_eq()));
                    lo_ok && hi_ok
                }
            };
            if holds {
                return self.eval(&t.amount);
            }
        }
        Ok(Value::Num(Decimal::ZERO))
    }

    fn call(&mut self, f: Func, args: &[Code]) -> R<Value> {
        match f {
            // Every argument is evaluated (an error in any is an error);
            // any that is not a number makes the result missing.
            Func::Min | Func::Max => {
                let mut best: Option<Decimal> = None;
                let mut all = true;
                for a in args {
                    match self.eval(a)? {
                        Value::Num(x) => {
                            // As `Iterator::min` (first of equals) and `max` (last):
                            // `Ord`'s, not `Decimal`'s own `max`, which keeps the first.
                            best = Some(match best {
                                None => x,
                                Some(b) if f == Func::Min => Ord::min(b, x),
                                Some(b) => Ord::max(b, x),
                            });
                        }
                        _ => all = false,
                    }
                }
                Ok(match (all, best) {
                    (true, Some(v)) => Value::Num(v),
                    _ => Value::Missing,
                })
            }
            Func::Count | Func::Sorted | Func::Gaps => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.eval(a)?);
                }
                Ok(crate::eval::call_on_values(f, &vals)?)
            }
            _ => {
                let mut nums = [Decimal::ZERO; 3];
                let mut all = true;
                let mut vals = Vec::new();
                for (k, a) in args.iter().enumerate() {
                    let v = self.eval(a)?;
                    match (&v, nums.get_mut(k)) {
                        (Value::Num(x), Some(slot)) => *slot = *x,
                        (Value::Num(_), None) => {}
                        _ => all = false,
                    }
                    if args.len() > 3 {
                        vals.push(v);
                    }
                }
                if args.len() > 3 {
                    return Ok(crate::eval::call_on_values(f, &vals)?);
                }
                if !all {
                    return Ok(Value::Missing);
                }
                let [x, y, z] = nums;
                Ok(match (f, args.len()) {
                    (Func::Clamp, 3) => Value::Num(x.max(y).min(z)),
                    (Func::Floor, 1..) => Value::Num(x.floor()),
                    (Func::Ceil, 1..) => Value::Num(x.ceil()),
                    (Func::Abs, 1..) => Value::Num(x.abs()),
                    (Func::Round, 2) => {
                        let places = y.to_u32().unwrap_or(0).min(10);
                        Value::Num(
                            x.round_dp_with_strategy(
                                places,
                                RoundingStrategy::MidpointAwayFromZero,
                            ),
                        )
                    }
                    (Func::Ladder, 2..) => {
                        let take = args.len().min(3);
                        return crate::eval::call_on_values(
                            f,
                            &nums
                                .get(..take)
                                .unwrap_or(&[])
                                .iter()
                                .map(|d| Value::Num(*d))
                                .collect::<Vec<_>>(),
                        )
                        .map_err(Into::into);
                    }
                    _ => Value::Missing,
                })
            }
        }
    }

    fn agg(
        &mut self,
        agg: Agg,
        body: &Code,
        loops: &[(u32, Code)],
        filter: Option<&Code>,
    ) -> R<Value> {
        let mut acc = Acc::new(agg);
        self.agg_loop(&mut acc, body, loops, filter)?;
        Ok(acc.value()?)
    }

    fn agg_loop(
        &mut self,
        acc: &mut Acc,
        body: &Code,
        loops: &[(u32, Code)],
        filter: Option<&Code>,
    ) -> R<()> {
        let Some(((slot, list), rest)) = loops.split_first() else {
            if let Some(f) = filter {
                if !self.truth(f)? {
                    return Ok(());
                }
            }
            match acc.agg() {
                Agg::Sum | Agg::Mean | Agg::Max | Agg::Min => {
                    if let Some(x) = self.num(body)? {
                        acc.add_num(x)?;
                    }
                }
                Agg::Count => acc.add_counted(!matches!(
                    self.eval(body)?,
                    Value::Bool(false) | Value::Missing
                )),
                Agg::Any | Agg::All => acc.add_truth(self.truth(body)?),
            }
            return Ok(());
        };
        let items = self.eval(list)?;
        let items: &[Value] = match &items {
            Value::List(l) => l,
            Value::Group(g) => &g.1,
            _ => return Ok(()),
        };
        for it in items {
            if let Some(s) = self.slots.locals.get_mut(*slot as usize) {
                *s = it.clone();
            }
            self.agg_loop(acc, body, rest, filter)?;
        }
        Ok(())
    }
}
