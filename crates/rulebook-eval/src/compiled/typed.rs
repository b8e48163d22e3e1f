//! What rules ask of expressions most — a number, whether a condition
//! holds — compiled once into closures.
//!
//! In: a compiled expression ([`Code`]). Out: a [`Num`] or [`Truth`] that
//! answers for a unit with code made for that expression's shape: an input
//! read in place, a comparison of two numbers, a count over a list with a
//! `where`, a `tiers` table, each without the general evaluator's
//! dispatch, values built and dropped, or copies of records. Every closure
//! gives exactly what [`Frame::num`] or [`Frame::truth`] gives (the same
//! value, scale, error, in the same order); where a shape is not one of
//! these, or a value on the way is not a number (a date, a text, a missing
//! input), it hands the whole expression to the general evaluator, which
//! evaluates it again from the start — expressions have no side effects,
//! so that gives the same answer and the same first error.

use super::expr::{Band, Code, Frame, Tier, LENT, MISSING};
use super::program::When;
use crate::eval::{arith, cmp_holds, days_between, dec_cmp, Acc};
use crate::value::Value;
use rulebook_lang::ast::{BinOp, CmpOp};
use rulebook_lang::ir::{Agg, Func};
use rust_decimal::Decimal;
use std::fmt;

type R<T> = Result<T, super::Failed>;
type NumFn = Box<dyn for<'f, 'a> Fn(&'f mut Frame<'a>) -> R<Option<Decimal>> + Send + Sync>;
type TruthFn = Box<dyn for<'f, 'a> Fn(&'f mut Frame<'a>) -> R<bool> + Send + Sync>;

/// An expression read as a number: `None` when missing or not a number.
pub(super) struct Num {
    /// (Boxed: read only off the fast paths, it keeps rules small.)
    pub code: Box<Code>,
    how: How,
    f: NumFn,
}

/// The commonest shapes, worked out without a call: a constant, an input,
/// and (as a condition) an input compared with a constant number.
#[derive(Clone, Copy)]
enum How {
    Const(Option<Decimal>),
    Input(usize),
    /// `input op constant`: when the input is a number, compared here;
    /// anything else (missing, a date) goes to the closure.
    InputCmp(usize, CmpOp, Decimal),
    /// A parameter the unit gives as a number; anything else (a parameter
    /// left to its default) goes to the closure.
    Param(usize),
    Call,
}

/// An expression read as a condition: missing or not a truth value is false.
pub(super) struct Truth {
    pub code: Box<Code>,
    how: How,
    f: TruthFn,
}

impl Num {
    pub fn new(code: Code) -> Num {
        Num {
            how: how(&code),
            f: num_fn(&code),
            code: Box::new(code),
        }
    }

    /// The number it always is, when it is a constant number.
    pub fn constant(&self) -> Option<Decimal> {
        match self.how {
            How::Const(v) => v,
            _ => None,
        }
    }

    /// The input it reads as it is, when it is an input.
    pub fn input(&self) -> Option<u32> {
        match self.how {
            How::Input(i) => u32::try_from(i).ok(),
            _ => None,
        }
    }
}

impl Truth {
    pub fn new(code: Code) -> Truth {
        Truth {
            how: match &code {
                Code::Input(i) => How::Input(*i as usize),
                Code::Cmp(op, a, b) => match (&**a, &**b) {
                    (Code::Input(i), Code::Const(Value::Num(c))) => {
                        How::InputCmp(*i as usize, *op, *c)
                    }
                    _ => How::Call,
                },
                _ => How::Call,
            },
            f: truth_fn(&code),
            code: Box::new(code),
        }
    }

    /// The condition as a fast rule tests it, when it is a yes/no input or
    /// a number input compared with a number (the shapes `Frame::t` reads
    /// without a call).
    pub fn fast_test(&self) -> Option<When> {
        let slot = |i: usize| u32::try_from(i).ok();
        match self.how {
            How::Input(i) => Some(When::Input(slot(i)?)),
            How::InputCmp(i, op, c) => Some(When::InputCmp(slot(i)?, op, c)),
            How::Const(_) | How::Param(_) | How::Call => None,
        }
    }
}

impl fmt::Debug for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.code.fmt(f)
    }
}

impl fmt::Debug for Filtered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.list.fmt(f)
    }
}

impl fmt::Debug for Truth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.code.fmt(f)
    }
}

impl Frame<'_> {
    /// `x` as a number: [`Frame::num`] of its code.
    #[inline(always)]
    pub fn n(&mut self, x: &Num) -> R<Option<Decimal>> {
        match x.how {
            How::Const(v) => Ok(v),
            How::Input(i) => Ok(self.unit.inputs.get(i).and_then(Value::as_num)),
            How::Param(i) => match self.unit.params.get(i) {
                Some(Value::Num(v)) => Ok(Some(*v)),
                _ => (x.f)(self),
            },
            How::InputCmp(..) | How::Call => (x.f)(self),
        }
    }

    /// Whether `x` holds: [`Frame::truth`] of its code.
    #[inline(always)]
    pub fn t(&mut self, x: &Truth) -> R<bool> {
        match x.how {
            How::Input(i) => Ok(matches!(self.unit.inputs.get(i), Some(Value::Bool(true)))),
            How::InputCmp(i, op, c) => match self.unit.inputs.get(i) {
                Some(Value::Num(v)) => Ok(cmp_holds(op, dec_cmp(*v, c))),
                _ => (x.f)(self),
            },
            How::Const(_) | How::Param(_) | How::Call => (x.f)(self),
        }
    }
}

fn how(e: &Code) -> How {
    match e {
        Code::Const(v) => How::Const(v.as_num()),
        Code::Input(i) => How::Input(*i as usize),
        Code::Param(i) => How::Param(*i as usize),
        _ => How::Call,
    }
}

/// A value that is somewhere already: read without evaluating anything.
#[derive(Clone, Copy)]
enum Place {
    Input(usize),
    Global(usize),
    Local(usize),
    /// Field `.1` of the record in local `.0`.
    Field(usize, usize),
}

impl Place {
    fn of(e: &Code) -> Option<Place> {
        Some(match e {
            Code::Input(i) => Place::Input(*i as usize),
            Code::Global(i) => Place::Global(*i as usize),
            Code::Local(i) => Place::Local(*i as usize),
            Code::Field(x, k) => match **x {
                Code::Local(l) => Place::Field(l as usize, *k as usize),
                _ => return None,
            },
            _ => return None,
        })
    }

    /// An input or a global, borrowed from the unit's data or the batch's
    /// for as long as those live rather than from the frame (which a loop
    /// over it goes on changing); `None` for a place in the frame.
    fn outside<'a>(self, f: &Frame<'a>) -> Option<&'a Value> {
        let (unit, globals) = (f.unit, f.globals);
        match self {
            Place::Input(i) => Some(unit.inputs.get(i).unwrap_or(&MISSING)),
            Place::Global(i) => Some(globals.get(i).unwrap_or(&MISSING)),
            Place::Local(_) | Place::Field(..) => None,
        }
    }

    /// As [`Frame`]'s `peek` reads it.
    #[inline(always)]
    fn read<'v>(self, f: &'v Frame<'_>) -> &'v Value {
        match self {
            Place::Input(i) => f.unit.inputs.get(i),
            Place::Global(i) => f.globals.get(i),
            Place::Local(i) => f.local(i),
            Place::Field(l, k) => match f.local(l) {
                Some(Value::Record(fields)) => fields.get(k),
                _ => None,
            },
        }
        .unwrap_or(&MISSING)
    }
}

/// The general evaluator's answer for `e`.
fn general_num(e: &Code) -> NumFn {
    let code = e.clone();
    Box::new(move |f| f.num(&code))
}

fn general_truth(e: &Code) -> TruthFn {
    let code = e.clone();
    Box::new(move |f| f.truth(&code))
}

fn num_fn(e: &Code) -> NumFn {
    if let Some(p) = Place::of(e) {
        return Box::new(move |f| Ok(p.read(f).as_num()));
    }
    match e {
        Code::Const(v) => {
            let v = v.as_num();
            Box::new(move |_| Ok(v))
        }
        Code::Let(i) => {
            let i = *i;
            Box::new(move |f| match f.slots.lets.get(i as usize) {
                Some(Some(v)) => Ok(v.as_num()),
                _ => Ok(f.let_value(i)?.as_num()),
            })
        }
        // A parameter the unit gives as a number, read where it is.
        Code::Param(i) => {
            let (i, code) = (*i as usize, e.clone());
            Box::new(move |f| match f.unit.params.get(i) {
                Some(Value::Num(v)) => Ok(Some(*v)),
                _ => f.num(&code),
            })
        }
        Code::Rank(i) => {
            let i = *i as usize;
            Box::new(move |f| Ok(Some(f.ranks.get(i).copied().unwrap_or(Decimal::ONE))))
        }
        Code::Arith(op, a, b) => match (op, Place::of(a), Place::of(b)) {
            // The difference of two places: of two numbers, or of two dates
            // in days (`c.inspected - c.found > 30 days`), read where they
            // are.
            (BinOp::Sub, Some(pa), Some(pb)) => {
                let code = e.clone();
                Box::new(move |f| match (pa.read(f), pb.read(f)) {
                    (Value::Num(x), Value::Num(y)) => Ok(Some(arith(BinOp::Sub, *x, *y)?)),
                    (Value::Date(p), Value::Date(q)) => Ok(Some(days_between(*p, *q))),
                    _ => Ok(f.eval(&code)?.as_num()),
                })
            }
            _ => {
                let (fa, fb, op, code) = (num_fn(a), num_fn(b), *op, e.clone());
                Box::new(move |f| match (fa(f)?, fb(f)?) {
                    (Some(x), Some(y)) => Ok(Some(arith(op, x, y)?)),
                    // Dates, missing values: the general path decides.
                    _ => Ok(f.eval(&code)?.as_num()),
                })
            }
        },
        Code::Neg(x) => {
            let fx = num_fn(x);
            Box::new(move |f| Ok(fx(f)?.map(|v| -v)))
        }
        Code::If(c, a, b) => {
            let (tc, fa, fb) = (truth_fn(c), num_fn(a), num_fn(b));
            Box::new(move |f| if tc(f)? { fa(f) } else { fb(f) })
        }
        Code::Tiers(subject, tiers) => tiers_fn(e, subject, tiers),
        // A look-up whose keys are places (`points[f.level, f.result]`):
        // the keys read where they are rather than copied out; a key that
        // is not a text makes it missing, as the general look-up does.
        Code::Table(t, keys) => match keys.iter().map(Place::of).collect::<Option<Vec<_>>>() {
            Some(places) if !places.is_empty() => {
                let (t, code) = (*t as usize, e.clone());
                Box::new(move |f| {
                    let c = f.c;
                    let Some(rows) = c.tables.get(t) else {
                        return f.num(&code);
                    };
                    let f = &*f;
                    let key = |i: usize| match places.get(i).map(|p| p.read(f)) {
                        Some(Value::Text(s)) => Some(&**s),
                        _ => None,
                    };
                    if (0..places.len()).any(|i| key(i).is_none()) {
                        return Ok(None);
                    }
                    Ok(Some(rows.find(key, places.len())))
                })
            }
            _ => general_num(e),
        },
        // The number of records in a list or a group that is somewhere
        // already, read without a copy of it.
        Code::Call(Func::Count, _) | Code::GroupCount(..) => {
            match count_of(e).and_then(Place::of) {
                Some(p) => Box::new(move |f| {
                    Ok(match p.read(f) {
                        Value::List(l) => Some(Decimal::from(l.len())),
                        Value::Group(g) => Some(Decimal::from(g.1.len())),
                        _ => None,
                    })
                }),
                None => general_num(e),
            }
        }
        // `ladder(n, s1, s2, …)` over numbers, up to seven steps.
        Code::Call(Func::Ladder, args) if (2..=8).contains(&args.len()) => {
            let (args, code) = (args.iter().map(num_fn).collect::<Vec<_>>(), e.clone());
            Box::new(move |f| {
                let mut nums = [Decimal::ZERO; 8];
                for (a, slot) in args.iter().zip(nums.iter_mut()) {
                    match a(f)? {
                        Some(x) => *slot = x,
                        // Not a number: the general evaluator decides.
                        None => return f.num(&code),
                    }
                }
                match nums.get(..args.len()) {
                    Some([n, steps @ ..]) => Ok(Some(crate::eval::ladder(*n, steps)?)),
                    _ => f.num(&code),
                }
            })
        }
        Code::Agg {
            agg,
            body,
            loops,
            filter,
        } => match (agg, loops.as_slice()) {
            (Agg::Any | Agg::All, _) => general_num(e),
            (_, [(slot, list)]) => {
                let each = Each::new(*agg, *slot, list, body, filter.as_deref());
                Box::new(move |f| Ok(each.run(f)?.value()?.as_num()))
            }
            _ => general_num(e),
        },
        _ => general_num(e),
    }
}

fn truth_fn(e: &Code) -> TruthFn {
    if let Some(p) = Place::of(e) {
        return Box::new(move |f| Ok(matches!(p.read(f), Value::Bool(true))));
    }
    match e {
        Code::Const(v) => {
            let v = matches!(v, Value::Bool(true));
            Box::new(move |_| Ok(v))
        }
        Code::And(a, b) => {
            let (ta, tb) = (truth_fn(a), truth_fn(b));
            Box::new(move |f| Ok(ta(f)? && tb(f)?))
        }
        Code::Or(a, b) => {
            let (ta, tb) = (truth_fn(a), truth_fn(b));
            Box::new(move |f| Ok(ta(f)? || tb(f)?))
        }
        Code::Not(x) => match Place::of(x) {
            Some(p) => Box::new(move |f| Ok(matches!(p.read(f), Value::Bool(false)))),
            None => general_truth(e),
        },
        Code::IsMissing(x, want) => match Place::of(x) {
            Some(p) => {
                let want = *want;
                Box::new(move |f| Ok(p.read(f).is_missing() == want))
            }
            None => general_truth(e),
        },
        Code::Cmp(op, a, b) => cmp_fn(e, *op, a, b),
        Code::Agg {
            agg: agg @ (Agg::Any | Agg::All),
            body,
            loops,
            filter,
        } => match loops.as_slice() {
            [(slot, list)] => {
                let each = Each::new(*agg, *slot, list, body, filter.as_deref());
                let any = *agg == Agg::Any;
                Box::new(move |f| {
                    let acc = each.run(f)?;
                    Ok(if any { acc.any() } else { acc.all() })
                })
            }
            _ => general_truth(e),
        },
        _ => general_truth(e),
    }
}

/// The list or group a `count(…)` or `g.count` counts.
fn count_of(e: &Code) -> Option<&Code> {
    match e {
        Code::Call(Func::Count, args) => match args.as_slice() {
            [x] => Some(x),
            _ => None,
        },
        Code::GroupCount(x) => Some(x),
        _ => None,
    }
}

/// `a op b`: two numbers compared, a place compared with a text; anything
/// else as the general evaluator compares it.
fn cmp_fn(e: &Code, op: CmpOp, a: &Code, b: &Code) -> TruthFn {
    let code = e.clone();
    if let (Some(p), Code::Const(Value::Text(t))) = (Place::of(a), b) {
        let t = t.clone();
        // (Equal texts are equal bytes: told apart by length first.)
        return match op {
            CmpOp::Eq | CmpOp::Ne => {
                let eq = op == CmpOp::Eq;
                Box::new(move |f| match p.read(f) {
                    Value::Text(x) => Ok((**x == *t) == eq),
                    _ => f.truth(&code),
                })
            }
            _ => Box::new(move |f| match p.read(f) {
                Value::Text(x) => Ok(cmp_holds(op, (**x).cmp(&*t))),
                _ => f.truth(&code),
            }),
        };
    }
    let (fa, fb) = (num_fn(a), num_fn(b));
    Box::new(move |f| match (fa(f)?, fb(f)?) {
        (Some(x), Some(y)) => Ok(cmp_holds(op, dec_cmp(x, y))),
        _ => f.truth(&code),
    })
}

/// `tiers` over a number with numeric bands; the general evaluator when
/// the subject or a band is anything else.
fn tiers_fn(e: &Code, subject: &Code, tiers: &[Tier]) -> NumFn {
    enum B {
        Else,
        Cmp(CmpOp, NumFn),
        Interval(NumFn, bool, NumFn, bool),
    }
    let fs = num_fn(subject);
    let bands: Vec<(B, NumFn)> = tiers
        .iter()
        .map(|t| {
            let band = match &t.band {
                Band::Else => B::Else,
                Band::Cmp(op, b) => B::Cmp(*op, num_fn(b)),
                Band::Interval {
                    lo,
                    lo_closed,
                    hi,
                    hi_closed,
                } => B::Interval(num_fn(lo), *lo_closed, num_fn(hi), *hi_closed),
            };
            (band, num_fn(&t.amount))
        })
        .collect();
    let code = e.clone();
    Box::new(move |f| {
        let Some(s) = fs(f)? else {
            return f.num(&code);
        };
        for (band, amount) in &bands {
            let holds = match band {
                B::Else => true,
                B::Cmp(op, b) => match b(f)? {
                    Some(b) => cmp_holds(*op, dec_cmp(s, b)),
                    None => return f.num(&code),
                },
                B::Interval(lo, lo_closed, hi, hi_closed) => {
                    let (Some(l), Some(h)) = (lo(f)?, hi(f)?) else {
                        return f.num(&code);
                    };
                    let (ol, oh) = (dec_cmp(s, l), dec_cmp(s, h));
                    (ol.is_gt() || (*lo_closed && ol.is_eq()))
                        && (oh.is_lt() || (*hi_closed && oh.is_eq()))
                }
            };
            if holds {
                return amount(f);
            }
        }
        Ok(Some(Decimal::ZERO))
    })
}

/// An amount's `where` over one list: how many of the list's records it
/// leaves out, of how many (what a trace entry notes), as the reference's
/// `filtered_out` counts them.
pub(super) struct Filtered(Each);

impl Filtered {
    pub fn new(slot: u32, list: &Code, filter: &Code) -> Filtered {
        let kept = Code::Const(Value::Bool(true));
        Filtered(Each::new(Agg::Count, slot, list, &kept, Some(filter)))
    }

    /// (left out, of), for a list; `None` for anything else. A list that
    /// is an input or a global lends its records, as [`Each::run`] does.
    pub fn out_of(&self, f: &mut Frame<'_>) -> R<Option<(u32, u32)>> {
        let each = &self.0;
        let out_of = |kept: u64, of: usize| {
            let of = of as u64;
            Some((of.saturating_sub(kept) as u32, of as u32))
        };
        if let Source::At(p) = each.source {
            if let Some(list) = p.outside(f) {
                let Value::List(items) = list else {
                    return Ok(None);
                };
                let kept = each.over(f, items, Acc::new(each.agg))?.count();
                return Ok(out_of(kept, items.len()));
            }
        }
        let list = f.eval(&each.list)?;
        let Value::List(items) = &list else {
            return Ok(None);
        };
        let kept = each.copying(f, items, Acc::new(each.agg))?.count();
        Ok(out_of(kept, items.len()))
    }
}

/// An aggregate over one list: what it does with each record.
struct Each {
    agg: Agg,
    slot: usize,
    list: Code,
    /// Where the list comes from, when that is somewhere already.
    source: Source,
    filter: Option<Truth>,
    body: Body,
}

enum Body {
    /// `count(x in xs where …)`: every record kept counts.
    CountAll,
    /// Counted unless false or missing.
    Count(Code),
    Num(Num),
    Truth(Truth),
}

/// A list that comes straight from a place (read where it is, when that is
/// an input or a global), or `gaps(…)` or `grouped by` of one; `Other`:
/// worked out by the general evaluator.
#[derive(Clone, Copy)]
enum Source {
    At(Place),
    GapsOf(Place),
    GroupsOf(Place, u32),
    Other,
}

impl Source {
    fn of(list: &Code) -> Source {
        match list {
            Code::GroupBy(x, field) => {
                Place::of(x).map_or(Source::Other, |p| Source::GroupsOf(p, *field))
            }
            Code::Call(Func::Gaps, args) => match args.as_slice() {
                [x] => Place::of(x).map_or(Source::Other, Source::GapsOf),
                _ => Source::Other,
            },
            _ => Place::of(list).map_or(Source::Other, Source::At),
        }
    }
}

impl Each {
    fn new(agg: Agg, slot: u32, list: &Code, body: &Code, filter: Option<&Code>) -> Each {
        Each {
            agg,
            slot: slot as usize,
            list: list.clone(),
            source: Source::of(list),
            filter: filter.map(|c| Truth::new(c.clone())),
            body: match agg {
                Agg::Count if matches!(body, Code::Const(Value::Bool(true))) => Body::CountAll,
                Agg::Count => Body::Count(body.clone()),
                Agg::Any | Agg::All => Body::Truth(Truth::new(body.clone())),
                Agg::Sum | Agg::Mean | Agg::Max | Agg::Min => Body::Num(Num::new(body.clone())),
            },
        }
    }

    /// Every record of the list in turn, as the general evaluator's loop.
    fn run<'a>(&self, f: &mut Frame<'a>) -> R<Acc> {
        let acc = Acc::new(self.agg);
        // A list that is an input or a global is read where it is, and
        // each of its records lent to the loop's local rather than copied
        // into it; gaps and groups of one are worked out here; any other
        // list by the general evaluator (a local's is shared, not copied).
        match self.source {
            Source::At(p) => {
                if let Some(list) = p.outside(f) {
                    let items: &'a [Value] = match list {
                        Value::List(l) => l,
                        Value::Group(g) => &g.1,
                        _ => return Ok(acc),
                    };
                    return self.over(f, items, acc);
                }
            }
            Source::GapsOf(p) => {
                if let Some(list) = p.outside(f) {
                    return self.over_gaps(f, list, acc);
                }
            }
            Source::GroupsOf(p, field) => {
                if let Some(list) = p.outside(f) {
                    return self.over_groups(f, list, field, acc);
                }
            }
            Source::Other => {}
        }
        let held = f.eval(&self.list)?;
        match &held {
            Value::List(l) => self.copying(f, l, acc),
            Value::Group(g) => self.copying(f, &g.1, acc),
            _ => Ok(acc),
        }
    }

    /// `gaps(…)` of a list that is somewhere already, worked out in room
    /// kept from unit to unit rather than in a new list.
    fn over_gaps(&self, f: &mut Frame<'_>, list: &Value, acc: Acc) -> R<Acc> {
        let Value::List(l) = list else {
            return Ok(acc);
        };
        let [mut sorted, mut gaps] = std::mem::take(&mut f.slots.spare);
        crate::eval::sorted_into(l, &mut sorted);
        let done = crate::eval::gaps_into(&sorted, &mut gaps)
            .map_err(Into::into)
            .and_then(|()| self.copying(f, &gaps, acc));
        f.slots.spare = [sorted, gaps];
        done
    }

    /// The groups of a list that is somewhere already (as `groups` makes
    /// them: keys in the order they first come), each put in the local as
    /// it is made, rather than a list of them made first; one group's room
    /// is filled again for the next, and kept from unit to unit.
    fn over_groups(&self, f: &mut Frame<'_>, list: &Value, field: u32, mut acc: Acc) -> R<Acc> {
        let Value::List(l) = list else {
            return Ok(acc);
        };
        use super::expr::group_key as key;
        let (mut firsts, mut room) = std::mem::take(&mut f.slots.groups);
        firsts.clear();
        let mut done = Ok(());
        for (j, it) in l.iter().enumerate() {
            let k = key(it, field);
            if firsts
                .iter()
                .any(|&s| l.get(s).is_some_and(|x| key(x, field) == k))
            {
                continue;
            }
            firsts.push(j);
            // (Copied only when something still holds the last group.)
            let mut g = room
                .take()
                .unwrap_or_else(|| std::sync::Arc::new((Value::Missing, Vec::new())));
            let (gk, members) = std::sync::Arc::make_mut(&mut g);
            gk.clone_from(k);
            members.clear();
            members.extend(l.iter().skip(j).filter(|x| key(x, field) == k).cloned());
            if let Some(s) = f.slots.locals.get_mut(self.slot) {
                *s = Value::Group(g);
            }
            done = self.gather(f, &mut acc);
            if let Some(Value::Group(g)) = f
                .slots
                .locals
                .get_mut(self.slot)
                .map(|s| std::mem::replace(s, Value::Missing))
            {
                room = Some(g);
            }
            if done.is_err() {
                break;
            }
        }
        f.slots.groups = (firsts, room);
        done.map(|()| acc)
    }

    /// Each record of a list that outlives the frame (an input's, a
    /// global's) in turn: lent to the local when it can be, else copied.
    fn over<'a>(&self, f: &mut Frame<'a>, items: &'a [Value], acc: Acc) -> R<Acc> {
        if self.slot < LENT {
            self.lending(f, items, acc)
        } else {
            self.copying(f, items, acc)
        }
    }

    /// Each record lent to the local in turn; the local is given back
    /// whatever happens.
    fn lending<'a>(&self, f: &mut Frame<'a>, items: &'a [Value], mut acc: Acc) -> R<Acc> {
        let mut done = Ok(());
        for it in items {
            if let Some(l) = f.lent.get_mut(self.slot) {
                *l = Some(it);
            }
            done = self.gather(f, &mut acc);
            if done.is_err() {
                break;
            }
        }
        if let Some(l) = f.lent.get_mut(self.slot) {
            *l = None;
        }
        done.map(|()| acc)
    }

    /// Each record copied into the local in turn.
    fn copying(&self, f: &mut Frame<'_>, items: &[Value], mut acc: Acc) -> R<Acc> {
        for it in items {
            if let Some(s) = f.slots.locals.get_mut(self.slot) {
                s.clone_from(it);
            }
            self.gather(f, &mut acc)?;
        }
        Ok(acc)
    }

    /// The record the local holds, when the filter keeps it, into `acc`.
    fn gather(&self, f: &mut Frame<'_>, acc: &mut Acc) -> R<()> {
        if let Some(flt) = &self.filter {
            if !f.t(flt)? {
                return Ok(());
            }
        }
        match &self.body {
            Body::CountAll => acc.add_counted(true),
            Body::Count(b) => {
                acc.add_counted(!matches!(f.eval(b)?, Value::Bool(false) | Value::Missing))
            }
            Body::Truth(b) => acc.add_truth(f.t(b)?),
            Body::Num(b) => {
                if let Some(x) = f.n(b)? {
                    acc.add_num(x)?;
                }
            }
        }
        Ok(())
    }
}
