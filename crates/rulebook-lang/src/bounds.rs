//! Interval arithmetic over the IR: the least and the most an expression can
//! be, from the ranges declared on inputs (`pct in 0..100`), the units' own
//! limits (a count is ≥ 0), parameter values and literals.
//!
//! Used by the checker to derive a node's points from formulas
//! (`award clamp(70 * rate - 63, 0, 7)`), to check caps, and to say exactly
//! which input left an amount without a bound. A rule's condition narrows
//! what it reads (`if rate >= 90%` means `rate` is at least 90 inside the
//! amount), and so does each branch of an `if`. Everything is exact
//! (`rust_decimal`); an overflow makes a bound unknown, never wrong.

use crate::ast::{BinOp, CmpOp};
use crate::ir::{self, Agg, BandDef, Expr, Func, Type};
use rust_decimal::Decimal;

/// One end of an interval: a number, or no bound on that side.
pub type End = Option<Decimal>;

/// The values an expression can take: `lo ≤ x ≤ hi`, `None` = unbounded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Interval {
    pub lo: End,
    pub hi: End,
    /// The first input or value (by name) that left a side unbounded.
    pub why: Option<String>,
}

impl Interval {
    pub fn exact(v: Decimal) -> Self {
        Interval {
            lo: Some(v),
            hi: Some(v),
            why: None,
        }
    }
    pub fn new(lo: End, hi: End) -> Self {
        Interval { lo, hi, why: None }
    }
    pub fn unbounded(why: Option<String>) -> Self {
        Interval {
            lo: None,
            hi: None,
            why,
        }
    }
    fn because(mut self, why: &Option<String>) -> Self {
        if (self.lo.is_none() || self.hi.is_none()) && self.why.is_none() {
            self.why = why.clone();
        }
        self
    }
    /// The smallest interval holding both.
    pub fn hull(&self, o: &Interval) -> Interval {
        Interval {
            lo: both(self.lo, o.lo, Decimal::min),
            hi: both(self.hi, o.hi, Decimal::max),
            why: self.why.clone().or_else(|| o.why.clone()),
        }
    }
}

fn both(a: End, b: End, f: fn(Decimal, Decimal) -> Decimal) -> End {
    Some(f(a?, b?))
}

/// An extended number for the corner products: −∞, a number, +∞.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Ext {
    NegInf,
    Fin(Decimal),
    PosInf,
}

impl Ext {
    fn lo(e: End) -> Ext {
        e.map_or(Ext::NegInf, Ext::Fin)
    }
    fn hi(e: End) -> Ext {
        e.map_or(Ext::PosInf, Ext::Fin)
    }
    fn sign(self) -> i8 {
        match self {
            Ext::NegInf => -1,
            Ext::PosInf => 1,
            Ext::Fin(d) if d.is_zero() => 0,
            Ext::Fin(d) if d.is_sign_negative() => -1,
            Ext::Fin(_) => 1,
        }
    }
    fn inf(sign: i8) -> Ext {
        if sign < 0 {
            Ext::NegInf
        } else {
            Ext::PosInf
        }
    }
    /// A product; `None` when it overflows (the bound is then unknown).
    fn mul(self, o: Ext) -> Option<Ext> {
        Some(match (self, o) {
            (Ext::Fin(a), Ext::Fin(b)) => Ext::Fin(a.checked_mul(b)?),
            // 0 × ∞ is 0 here: an interval side at 0 times an unbounded one.
            _ if self.sign() == 0 || o.sign() == 0 => Ext::Fin(Decimal::ZERO),
            _ => Ext::inf(self.sign() * o.sign()),
        })
    }
    /// A quotient by a divisor that is never zero.
    fn div(self, o: Ext) -> Option<Ext> {
        Some(match (self, o) {
            (Ext::Fin(a), Ext::Fin(b)) => Ext::Fin(a.checked_div(b)?),
            (Ext::Fin(_), _) => Ext::Fin(Decimal::ZERO),
            _ => Ext::inf(self.sign() * o.sign()),
        })
    }
    fn end(self) -> End {
        match self {
            Ext::Fin(d) => Some(d),
            _ => None,
        }
    }
}

fn corners(a: &Interval, b: &Interval, f: fn(Ext, Ext) -> Option<Ext>) -> Interval {
    let xs = [Ext::lo(a.lo), Ext::hi(a.hi)];
    let ys = [Ext::lo(b.lo), Ext::hi(b.hi)];
    let mut lo: Option<Ext> = None;
    let mut hi: Option<Ext> = None;
    for x in xs {
        for y in ys {
            let Some(v) = f(x, y) else {
                return Interval::unbounded(a.why.clone().or_else(|| b.why.clone()));
            };
            lo = Some(lo.map_or(v, |l| l.min(v)));
            hi = Some(hi.map_or(v, |h| h.max(v)));
        }
    }
    Interval {
        lo: lo.and_then(Ext::end),
        hi: hi.and_then(Ext::end),
        why: None,
    }
    .because(&a.why.clone().or_else(|| b.why.clone()))
}

/// Where the checker's facts come from: the declared bounds of every slot.
pub struct Env<'a> {
    pub inputs: &'a [Interval],
    pub globals: &'a [Interval],
    pub params: &'a [Interval],
    /// The derived values' expressions (`None` when they failed to check).
    pub lets: &'a [Option<ir::LetDef>],
    pub tables: &'a [ir::TableDef],
    pub across: &'a [ir::AcrossDef],
    /// Comprehension variables: what each local slot's list holds.
    pub locals: Vec<Interval>,
    /// Bounds that hold where the expression is evaluated: a condition's
    /// facts (`rate >= 90` → rate ∈ [90, …]), by the expression they bound.
    narrowed: Vec<(Expr, Interval)>,
    depth: usize,
}

/// The declared bounds of an input of type `ty` with `range`.
pub fn declared(ty: &Type, range: &[(CmpOp, Decimal)], name: &str) -> Interval {
    match ty {
        Type::Bool => Interval::new(Some(Decimal::ZERO), Some(Decimal::ONE)),
        Type::Num(u) => {
            let mut iv = Interval::new(u.intrinsic_min(), None);
            for (op, v) in range {
                match op {
                    CmpOp::Ge | CmpOp::Gt => iv.lo = Some(iv.lo.map_or(*v, |l| l.max(*v))),
                    CmpOp::Le | CmpOp::Lt => iv.hi = Some(iv.hi.map_or(*v, |h| h.min(*v))),
                    CmpOp::Eq => {
                        iv.lo = Some(*v);
                        iv.hi = Some(*v);
                    }
                    CmpOp::Ne => {}
                }
            }
            iv.because(&Some(name.to_string()))
        }
        _ => Interval::unbounded(Some(name.to_string())),
    }
}

const MAX_DEPTH: usize = 200;

impl<'a> Env<'a> {
    pub fn new(
        inputs: &'a [Interval],
        globals: &'a [Interval],
        params: &'a [Interval],
        lets: &'a [Option<ir::LetDef>],
        tables: &'a [ir::TableDef],
        across: &'a [ir::AcrossDef],
    ) -> Self {
        Env {
            inputs,
            globals,
            params,
            lets,
            tables,
            across,
            locals: Vec::new(),
            narrowed: Vec::new(),
            depth: 0,
        }
    }

    /// The bounds of `e` where `cond` holds.
    pub fn bound_where(&mut self, e: &Expr, cond: Option<&Expr>) -> Interval {
        let mark = self.narrowed.len();
        if let Some(c) = cond {
            self.assume(c, true);
        }
        let iv = self.bound(e);
        self.narrowed.truncate(mark);
        iv
    }

    /// Record what holds when `c` is `truth`.
    fn assume(&mut self, c: &Expr, truth: bool) {
        match c {
            Expr::Not(x) => self.assume(x, !truth),
            Expr::Bin(BinOp::And, a, b) if truth => {
                self.assume(a, true);
                self.assume(b, true);
            }
            Expr::Bin(BinOp::Or, a, b) if !truth => {
                self.assume(a, false);
                self.assume(b, false);
            }
            Expr::Bin(BinOp::Cmp(op), a, b) => {
                let op = if truth { *op } else { negate(*op) };
                if let Some(v) = crate::check::const_num(b) {
                    self.narrow(a, op, v);
                } else if let Some(v) = crate::check::const_num(a) {
                    self.narrow(b, flip(op), v);
                }
            }
            _ => {}
        }
    }

    /// `x op v` holds: tighten x's interval (`k × x op v` tightens x by v / k).
    fn narrow(&mut self, x: &Expr, op: CmpOp, v: Decimal) {
        if let Expr::Bin(BinOp::Mul, inner, k) = x {
            if let Some(k) = crate::check::const_num(k) {
                if k > Decimal::ZERO {
                    if let Some(q) = v.checked_div(k) {
                        self.narrow(inner, op, q);
                    }
                }
            }
        }
        let mut iv = self.bound(x);
        match op {
            CmpOp::Ge | CmpOp::Gt => iv.lo = Some(iv.lo.map_or(v, |l| l.max(v))),
            CmpOp::Le | CmpOp::Lt => iv.hi = Some(iv.hi.map_or(v, |h| h.min(v))),
            CmpOp::Eq => {
                iv.lo = Some(v);
                iv.hi = Some(v);
            }
            CmpOp::Ne => return,
        }
        self.narrowed.push((x.clone(), iv));
    }

    pub fn bound(&mut self, e: &Expr) -> Interval {
        if let Some((_, iv)) = self.narrowed.iter().rev().find(|(x, _)| x == e) {
            return iv.clone();
        }
        if self.depth > MAX_DEPTH {
            return Interval::unbounded(None);
        }
        self.depth += 1;
        let iv = self.bound_inner(e);
        self.depth -= 1;
        iv
    }

    fn bound_inner(&mut self, e: &Expr) -> Interval {
        let zero_up = || Interval::new(Some(Decimal::ZERO), None);
        match e {
            Expr::Num(v) => Interval::exact(*v),
            Expr::Bool(_) => Interval::new(Some(Decimal::ZERO), Some(Decimal::ONE)),
            Expr::Input(i) => self.inputs.get(*i as usize).cloned().unwrap_or_default(),
            Expr::Global(i) => self.globals.get(*i as usize).cloned().unwrap_or_default(),
            Expr::Param(i) => self.params.get(*i as usize).cloned().unwrap_or_default(),
            Expr::Let(i) => match self.lets.get(*i as usize).and_then(|l| l.as_ref()) {
                Some(l) => {
                    let iv = self.bound(&l.expr);
                    let name = l.name.clone();
                    iv.because(&Some(name))
                }
                None => Interval::unbounded(None),
            },
            Expr::Local(i) => self.locals.get(*i as usize).cloned().unwrap_or_default(),
            Expr::Rank(_) => Interval::new(Some(Decimal::ONE), None),
            Expr::Builtin(_) => Interval::unbounded(None),
            Expr::Neg(x) => {
                let iv = self.bound(x);
                Interval {
                    lo: iv.hi.map(|h| -h),
                    hi: iv.lo.map(|l| -l),
                    why: iv.why,
                }
            }
            Expr::Not(_) | Expr::IsMissing(..) => {
                Interval::new(Some(Decimal::ZERO), Some(Decimal::ONE))
            }
            Expr::Bin(op, a, b) => {
                let (x, y) = (self.bound(a), self.bound(b));
                match op {
                    BinOp::Add => Interval {
                        lo: x.lo.zip(y.lo).and_then(|(p, q)| p.checked_add(q)),
                        hi: x.hi.zip(y.hi).and_then(|(p, q)| p.checked_add(q)),
                        why: None,
                    }
                    .because(&x.why.or(y.why)),
                    BinOp::Sub => Interval {
                        lo: x.lo.zip(y.hi).and_then(|(p, q)| p.checked_sub(q)),
                        hi: x.hi.zip(y.lo).and_then(|(p, q)| p.checked_sub(q)),
                        why: None,
                    }
                    .because(&x.why.or(y.why)),
                    BinOp::Mul => corners(&x, &y, Ext::mul),
                    BinOp::Div => {
                        let positive = y.lo.is_some_and(|l| l > Decimal::ZERO);
                        let negative = y.hi.is_some_and(|h| h < Decimal::ZERO);
                        if positive || negative {
                            corners(&x, &y, Ext::div)
                        } else if let (Some(l), true) =
                            (x.lo, y.lo.is_some_and(|l| l >= Decimal::ZERO))
                        {
                            // A divisor ≥ 0 that may be 0 (a count): a
                            // non-negative quotient, unbounded above.
                            if l >= Decimal::ZERO {
                                zero_up().because(&y.why.or(x.why).or(Some("the divisor".into())))
                            } else {
                                Interval::unbounded(y.why.or(x.why))
                            }
                        } else {
                            Interval::unbounded(y.why.or(x.why))
                        }
                    }
                    BinOp::And | BinOp::Or | BinOp::Cmp(_) => {
                        Interval::new(Some(Decimal::ZERO), Some(Decimal::ONE))
                    }
                }
            }
            Expr::If(c, a, b) => {
                let mark = self.narrowed.len();
                self.assume(c, true);
                let x = self.bound(a);
                self.narrowed.truncate(mark);
                self.assume(c, false);
                let y = self.bound(b);
                self.narrowed.truncate(mark);
                x.hull(&y)
            }
            Expr::Call(f, args) => self.call(*f, args),
            Expr::Agg {
                agg,
                body,
                loops,
                filter: _,
            } => {
                for (slot, list) in loops {
                    let elem = self.element(list);
                    let s = *slot as usize;
                    if self.locals.len() <= s {
                        self.locals.resize(s + 1, Interval::default());
                    }
                    if let Some(l) = self.locals.get_mut(s) {
                        *l = elem;
                    }
                }
                let body = self.bound(body);
                match agg {
                    Agg::Count => zero_up(),
                    Agg::Any | Agg::All => Interval::new(Some(Decimal::ZERO), Some(Decimal::ONE)),
                    // An empty list gives 0.
                    Agg::Max | Agg::Min => body.hull(&Interval::exact(Decimal::ZERO)),
                    Agg::Mean => body,
                    Agg::Sum => {
                        if body.lo.is_some_and(|l| l >= Decimal::ZERO) {
                            zero_up().because(&body.why.or(Some("the list's length".into())))
                        } else {
                            Interval::unbounded(body.why)
                        }
                    }
                }
            }
            // Over the batch, within what one unit's value can be (a count
            // of units is at least 0).
            Expr::Across(i) => match self.across.get(*i as usize) {
                Some(a) if a.func == ir::AcrossFn::Count => zero_up(),
                Some(a) if a.func == ir::AcrossFn::Sum => Interval::unbounded(None),
                Some(a) => {
                    let a = a.expr.clone();
                    self.bound(&a)
                }
                None => Interval::unbounded(None),
            },
            Expr::Field(..) | Expr::GroupKey(_) => Interval::unbounded(None),
            Expr::GroupCount(_) => zero_up(),
            Expr::Table(t, _) => {
                let Some(t) = self.tables.get(*t as usize) else {
                    return Interval::unbounded(None);
                };
                // A key with no row gives 0.
                t.rows
                    .iter()
                    .fold(Interval::exact(Decimal::ZERO), |acc, (_, v)| {
                        acc.hull(&Interval::exact(*v))
                    })
            }
            Expr::Tiers(_, tiers) => {
                let has_else = tiers.iter().any(|t| matches!(t.band, BandDef::Else));
                let mut iv = if has_else {
                    None
                } else {
                    Some(Interval::exact(Decimal::ZERO))
                };
                for t in tiers {
                    let b = self.bound(&t.amount);
                    iv = Some(match iv {
                        None => b,
                        Some(i) => i.hull(&b),
                    });
                }
                iv.unwrap_or_else(|| Interval::exact(Decimal::ZERO))
            }
            Expr::Str(_) | Expr::Date(_) | Expr::List(_) | Expr::GroupBy(..) => {
                Interval::unbounded(None)
            }
        }
    }

    /// The bounds of a list's elements.
    fn element(&mut self, list: &Expr) -> Interval {
        match list {
            Expr::List(items) => items.iter().fold(None, |acc: Option<Interval>, x| {
                let b = self.bound(x);
                Some(match acc {
                    None => b,
                    Some(a) => a.hull(&b),
                })
            }),
            _ => None,
        }
        .unwrap_or_default()
    }

    fn call(&mut self, f: Func, args: &[Expr]) -> Interval {
        let ivs: Vec<Interval> = args.iter().map(|a| self.bound(a)).collect();
        let first = ivs.first().cloned().unwrap_or_default();
        match f {
            Func::Min => ivs.iter().skip(1).fold(first, |acc, x| Interval {
                lo: both(acc.lo, x.lo, Decimal::min),
                hi: match (acc.hi, x.hi) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                },
                why: acc.why.or(x.why.clone()),
            }),
            Func::Max => ivs.iter().skip(1).fold(first, |acc, x| Interval {
                lo: match (acc.lo, x.lo) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                },
                hi: both(acc.hi, x.hi, Decimal::max),
                why: acc.why.or(x.why.clone()),
            }),
            Func::Clamp => {
                let lo = ivs.get(1).cloned().unwrap_or_default();
                let hi = ivs.get(2).cloned().unwrap_or_default();
                Interval {
                    lo: match (first.lo, lo.lo) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        (a, b) => b.or(a),
                    },
                    hi: match (first.hi, hi.hi) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => b.or(a),
                    },
                    why: None,
                }
                .because(&first.why)
            }
            Func::Floor | Func::Ceil | Func::Round => Interval {
                lo: first.lo.map(|l| l.floor()),
                hi: first.hi.map(|h| h.ceil()),
                why: None,
            }
            .because(&first.why),
            Func::Abs => {
                let m = match (first.lo, first.hi) {
                    (Some(l), Some(h)) => Some(l.abs().max(h.abs())),
                    _ => None,
                };
                let lo = match (first.lo, first.hi) {
                    (Some(l), _) if l >= Decimal::ZERO => Some(l),
                    (_, Some(h)) if h <= Decimal::ZERO => Some(-h),
                    _ => Some(Decimal::ZERO),
                };
                Interval {
                    lo,
                    hi: m,
                    why: None,
                }
                .because(&first.why)
            }
            Func::Count => Interval::new(Some(Decimal::ZERO), None),
            Func::Ladder => {
                let rates_ok = ivs
                    .iter()
                    .skip(1)
                    .all(|r| r.lo.is_some_and(|l| l >= Decimal::ZERO));
                if rates_ok {
                    Interval::new(Some(Decimal::ZERO), None)
                } else {
                    Interval::unbounded(None)
                }
            }
            Func::Sorted | Func::Gaps => Interval::unbounded(None),
        }
    }
}

fn negate(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Eq => CmpOp::Ne,
        CmpOp::Ne => CmpOp::Eq,
        CmpOp::Lt => CmpOp::Ge,
        CmpOp::Le => CmpOp::Gt,
        CmpOp::Gt => CmpOp::Le,
        CmpOp::Ge => CmpOp::Lt,
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

/// Whether two conditions can never hold together and one always does:
/// `C` and `not C`, or `x >= v` and `x < v`. Awards on such conditions are
/// alternatives (达到目标的得10分；未达到的…), so a node is worth the larger.
pub fn complementary(a: &Expr, b: &Expr) -> bool {
    match (a, b) {
        (Expr::Not(x), y) | (y, Expr::Not(x)) if **x == *y => true,
        (Expr::Bin(BinOp::Cmp(p), a1, b1), Expr::Bin(BinOp::Cmp(q), a2, b2)) => {
            (a1 == a2 && b1 == b2 && negate(*p) == *q)
                || (a1 == b2 && b1 == a2 && negate(*p) == flip(*q))
        }
        _ => false,
    }
}
