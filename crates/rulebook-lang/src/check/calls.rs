//! Checking calls: the functions (`min`, `round`, `ladder`, `rank`, …), the
//! aggregates over a list (`sum(x.v for x in list)`, `count(x in L where C)`)
//! and the aggregates across units (`max(E across units)`).
//!
//! In: a function's name and its arguments. Out: the IR call, aggregate,
//! rank or across-units slot, and its type; a wrong number or type of
//! arguments, an unknown function, and a rank or an aggregate across units
//! where it cannot be used are located errors. The same aggregate across
//! units written twice is computed once. Part of [`crate::check`].

use super::expr::ExprCtx;
use crate::ast::{self, ExprKind, Span};
use crate::check::{const_num, num, Checker, Ty};
use crate::diag::{did_you_mean, Code, Diagnostic};
use crate::ir::{self, Agg, Expr, Func, Type, Unit};
use rust_decimal::Decimal;

impl Checker<'_> {
    pub(crate) fn call(
        &mut self,
        ctx: &mut ExprCtx<'_>,
        f: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> (Expr, Ty) {
        let lowered: Vec<(Expr, Ty, Span)> = if f.node == "rank" {
            let saved = self.in_rank;
            self.in_rank = true;
            let v = args.iter().map(|a| {
                let (e, t) = self.expr(ctx, a);
                (e, t, a.span)
            });
            let v: Vec<_> = v.collect();
            self.in_rank = saved;
            v
        } else {
            args.iter()
                .map(|a| {
                    let (e, t) = self.expr(ctx, a);
                    (e, t, a.span)
                })
                .collect()
        };
        let arity = |c: &mut Self, want: &str, ok: bool| -> bool {
            if !ok {
                c.err(
                    Diagnostic::error(Code::WrongArity, format!("`{}` takes {want}", f.node))
                        .label(span, format!("{} given", args.len()))
                        .help("see docs/language.md for the functions and their arguments"),
                );
            }
            ok
        };
        let n = lowered.len();
        let exprs: Vec<Expr> = lowered.iter().map(|(e, _, _)| e.clone()).collect();
        match f.node.as_str() {
            "min" | "max" | "mean" if n == 1 => {
                // One argument: a list of numbers (`max(scores)`), never a
                // single value, whose max would be itself.
                let (e, t, s) = lowered
                    .first()
                    .cloned()
                    .unwrap_or((Expr::Bool(false), None, span));
                match t {
                    Some(Type::List(inner)) if matches!(*inner, Type::Num(_)) => {
                        let slot = self.locals.len() as u32;
                        self.max_locals = self.max_locals.max(slot + 1);
                        let agg = match f.node.as_str() {
                            "min" => Agg::Min,
                            "max" => Agg::Max,
                            _ => Agg::Mean,
                        };
                        (
                            Expr::Agg {
                                agg,
                                body: Box::new(Expr::Local(slot)),
                                loops: vec![(slot, e)],
                                filter: None,
                            },
                            Some(*inner),
                        )
                    }
                    None => (Expr::Bool(false), None),
                    Some(t) => {
                        self.err(
                            Diagnostic::error(
                                Code::WrongArity,
                                format!("`{}` of one value is that value", f.node),
                            )
                            .label(s, format!("one {}", t.describe()))
                            .help(format!(
                                "give two or more values, `{0}(a, b)`; go over a list, `{0}(x.v for x in list)`; or across all units, `{0}(v across units)`",
                                f.node
                            )),
                        );
                        (Expr::Bool(false), None)
                    }
                }
            }
            "mean" => {
                self.err(
                    Diagnostic::error(Code::WrongArity, "`mean` takes a list")
                        .label(span, format!("{n} values given"))
                        .help("write `mean(x.v for x in list)`, `mean(list)` or `mean(v across units)`"),
                );
                (Expr::Bool(false), None)
            }
            "min" | "max" => {
                if !arity(self, "one or more numbers", n >= 1) {
                    return (Expr::Bool(false), None);
                }
                let mut ty: Ty = None;
                for (_, t, s) in &lowered {
                    let t =
                        self.expect_num(t.clone(), *s, &format!("each argument of `{}`", f.node));
                    ty = match (ty, t) {
                        (Some(a), Some(b)) => {
                            Some(self.unify(a, b, *s, &format!("the arguments of `{}`", f.node)))
                        }
                        (a, b) => a.or(b),
                    };
                }
                let func = if f.node == "min" {
                    Func::Min
                } else {
                    Func::Max
                };
                (Expr::Call(func, exprs), ty)
            }
            "clamp" => {
                if !arity(self, "three arguments: value, least, most", n == 3) {
                    return (Expr::Bool(false), None);
                }
                let mut ty: Ty = None;
                for (_, t, s) in &lowered {
                    let t = self.expect_num(t.clone(), *s, "each argument of `clamp`");
                    ty = match (ty, t) {
                        (Some(a), Some(b)) => {
                            Some(self.unify(a, b, *s, "the arguments of `clamp`"))
                        }
                        (a, b) => a.or(b),
                    };
                }
                (Expr::Call(Func::Clamp, exprs), ty)
            }
            "floor" | "ceil" | "abs" => {
                if !arity(self, "one number", n == 1) {
                    return (Expr::Bool(false), None);
                }
                let (_, t, s) = lowered
                    .first()
                    .cloned()
                    .unwrap_or((Expr::Bool(false), None, span));
                let ty = self.expect_num(t, s, &format!("the argument of `{}`", f.node));
                let func = match f.node.as_str() {
                    "floor" => Func::Floor,
                    "ceil" => Func::Ceil,
                    _ => Func::Abs,
                };
                (Expr::Call(func, exprs), ty)
            }
            "round" => {
                if !arity(self, "a number and a number of decimal places", n == 2) {
                    return (Expr::Bool(false), None);
                }
                let (_, t, s) = lowered
                    .first()
                    .cloned()
                    .unwrap_or((Expr::Bool(false), None, span));
                let ty = self.expect_num(t, s, "the first argument of `round`");
                let places_ok = exprs.get(1).and_then(const_num).is_some_and(|p| {
                    p >= Decimal::ZERO && p <= Decimal::from(10) && p.fract().is_zero()
                });
                if !places_ok {
                    self.err(
                        Diagnostic::error(
                            Code::BadNumber,
                            "`round` needs a whole number of places from 0 to 10",
                        )
                        .label(
                            lowered.get(1).map(|l| l.2).unwrap_or(span),
                            "not a whole number from 0 to 10",
                        )
                        .help("write e.g. `round(x, 2)`"),
                    );
                }
                (Expr::Call(Func::Round, exprs), ty)
            }
            "count" => {
                if !arity(self, "a list", n == 1) {
                    return (Expr::Bool(false), None);
                }
                if let Some((_, Some(t), s)) = lowered.first() {
                    if !matches!(t, Type::List(_) | Type::Group(_, _)) {
                        self.err(
                            Diagnostic::error(Code::TypeMismatch, "`count` needs a list")
                                .label(*s, format!("this is {}", t.describe()))
                                .help("count a list, or `count(x in list where condition)`"),
                        );
                    }
                }
                (Expr::Call(Func::Count, exprs), num(Unit::Count))
            }
            "sorted" | "gaps" => {
                if !arity(self, "a list", n == 1) {
                    return (Expr::Bool(false), None);
                }
                let elem = match lowered.first() {
                    Some((_, Some(Type::List(inner)), _))
                        if matches!(**inner, Type::Date | Type::Num(_)) =>
                    {
                        Some((**inner).clone())
                    }
                    Some((_, Some(t), s)) => {
                        self.err(
                            Diagnostic::error(
                                Code::TypeMismatch,
                                format!("`{}` needs a list of dates or numbers", f.node),
                            )
                            .label(*s, format!("this is {}", t.describe()))
                            .help("e.g. `gaps(road_check_dates)`"),
                        );
                        None
                    }
                    _ => None,
                };
                if f.node == "sorted" {
                    (
                        Expr::Call(Func::Sorted, exprs),
                        elem.map(|e| Type::List(Box::new(e))),
                    )
                } else {
                    let gap = match elem {
                        Some(Type::Date) => Some(Type::Num(Unit::Days)),
                        Some(Type::Num(Unit::Pct)) => Some(Type::Num(Unit::Pp)),
                        other => other,
                    };
                    (
                        Expr::Call(Func::Gaps, exprs),
                        gap.map(|g| Type::List(Box::new(g))),
                    )
                }
            }
            "ladder" => {
                if !arity(self, "a count and one or more amounts", n >= 2) {
                    return (Expr::Bool(false), None);
                }
                for (i, (_, t, s)) in lowered.iter().enumerate() {
                    let t = self.expect_num(t.clone(), *s, "each argument of `ladder`");
                    if i > 0 {
                        self.expect_amount(&t, *s);
                    }
                }
                (Expr::Call(Func::Ladder, exprs), num(Unit::Plain))
            }
            "rank" => {
                if !arity(self, "one number to rank the units by", n == 1) {
                    return (Expr::Bool(false), None);
                }
                if let Some((_, t, s)) = lowered.first() {
                    self.expect_num(t.clone(), *s, "what `rank` ranks by");
                }
                if self.in_rank || !self.locals.is_empty() {
                    self.err(
                        Diagnostic::error(Code::MisplacedRank, "`rank` cannot be used here")
                            .label(span, "inside another rank or a loop")
                            .help("rank units by a value computed from each unit's own inputs"),
                    );
                }
                let idx = self.ranks.len() as u32;
                self.ranks
                    .push(exprs.into_iter().next().unwrap_or(Expr::Num(Decimal::ZERO)));
                (Expr::Rank(idx), num(Unit::Rank))
            }
            "sum" | "any" | "all" => {
                self.err(
                    Diagnostic::error(Code::WrongArity, format!("`{}` works over a list", f.node))
                        .label(span, "no list given")
                        .help(format!(
                        "write `{}(x in list where condition)` or `sum(expression for x in list)`",
                        f.node
                    )),
                );
                (Expr::Bool(false), None)
            }
            other => {
                const FUNCS: [&str; 16] = [
                    "min", "max", "mean", "clamp", "floor", "ceil", "round", "abs", "count",
                    "sorted", "gaps", "ladder", "rank", "sum", "any", "all",
                ];
                let mut d =
                    Diagnostic::error(Code::UnknownName, format!("unknown function `{other}`"))
                        .label(f.span, "not a function of the language");
                d = match did_you_mean(other, FUNCS) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(format!("the functions are {}", FUNCS.join(", "))),
                };
                self.err(d);
                (Expr::Bool(false), None)
            }
        }
    }

    pub(crate) fn comprehension(
        &mut self,
        ctx: &mut ExprCtx<'_>,
        func: &ast::Ident,
        body: &ast::Expr,
        fors: &[(ast::Ident, ast::Expr)],
        filter: Option<&ast::Expr>,
    ) -> (Expr, Ty) {
        let agg = match func.node.as_str() {
            "sum" => Agg::Sum,
            "max" => Agg::Max,
            "min" => Agg::Min,
            "count" => Agg::Count,
            "any" => Agg::Any,
            "all" => Agg::All,
            "mean" => Agg::Mean,
            other => {
                let mut d = Diagnostic::error(
                    Code::UnknownName,
                    format!("`{other}` cannot go over a list"),
                )
                .label(func.span, "not an aggregate");
                d = match did_you_mean(other, ["sum", "max", "min", "mean", "count", "any", "all"])
                {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help("the aggregates are sum, max, min, mean, count, any and all"),
                };
                self.err(d);
                return (Expr::Bool(false), None);
            }
        };
        let base = self.locals.len();
        let mut loops = Vec::new();
        for (var, list) in fors {
            let (le, lt) = self.expr(ctx, list);
            let elem = match lt {
                Some(Type::List(inner)) => Some(*inner),
                Some(Type::Group(_, rec)) => Some(*rec),
                Some(t) => {
                    self.err(
                        Diagnostic::error(Code::TypeMismatch, "a loop needs a list")
                            .label(list.span, format!("this is {}", t.describe()))
                            .help(
                                "loop over a list input, `gaps(...)`, or `list grouped by field`",
                            ),
                    );
                    None
                }
                None => None,
            };
            let slot = self.locals.len() as u32;
            self.locals
                .push((var.node.clone(), elem.unwrap_or(Type::Bool)));
            self.max_locals = self.max_locals.max(self.locals.len() as u32);
            loops.push((slot, le));
        }
        let filter_e = filter.map(|f| {
            let (fe, ft) = self.expr(ctx, f);
            self.expect_bool(&ft, f.span, "a `where` condition");
            Box::new(fe)
        });
        let (be, bt) = self.expr(ctx, body);
        self.locals.truncate(base);
        let ty = match agg {
            Agg::Count | Agg::Any | Agg::All => {
                // `count(x in L)` counts elements; with a bool body it counts the true ones.
                if fors.len() == 1
                    && matches!(&body.node, ExprKind::Name(n) if fors.first().is_some_and(|(v, _)| &v.node == n))
                {
                    if agg != Agg::Count {
                        self.expect_bool(&bt, body.span, &format!("what `{}` tests", func.node));
                    }
                } else {
                    self.expect_bool(&bt, body.span, &format!("what `{}` tests", func.node));
                }
                if agg == Agg::Count {
                    num(Unit::Count)
                } else {
                    Some(Type::Bool)
                }
            }
            _ => self.expect_num(bt, body.span, &format!("what `{}` adds up", func.node)),
        };
        (
            Expr::Agg {
                agg,
                body: Box::new(be),
                loops,
                filter: filter_e,
            },
            ty,
        )
    }

    /// `max(E across units)` and the like: one value for the whole batch.
    pub(crate) fn across_units(
        &mut self,
        ctx: &mut ExprCtx<'_>,
        func: &ast::Ident,
        body: &ast::Expr,
        filter: Option<&ast::Expr>,
        span: Span,
    ) -> (Expr, Ty) {
        let f = match func.node.as_str() {
            "max" => ir::AcrossFn::Max,
            "min" => ir::AcrossFn::Min,
            "mean" => ir::AcrossFn::Mean,
            "sum" => ir::AcrossFn::Sum,
            "count" => ir::AcrossFn::Count,
            other => {
                let mut d = Diagnostic::error(
                    Code::UnknownName,
                    format!("`{other}` cannot go across units"),
                )
                .label(func.span, "not an aggregate over the batch");
                d = match did_you_mean(other, ["max", "min", "mean", "sum", "count"]) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(
                        "across units: max, min, mean, sum and count (and `rank(E)` for places)",
                    ),
                };
                self.err(d);
                return (Expr::Bool(false), None);
            }
        };
        if self.in_rank || !self.locals.is_empty() {
            let d = match self.locals.last() {
                Some((local, _)) => Diagnostic::error(
                    Code::MisplacedRank,
                    "an aggregate across units cannot be taken inside a loop over records",
                )
                .label(span, format!("inside the loop over `{local}`, one record of one unit"))
                .help(
                    "name it outside the loop from a value each unit has as a whole, e.g. `let city_mean = mean(fines_total across units) \"全市平均\"`, and compare the records with `city_mean`",
                ),
                None => Diagnostic::error(
                    Code::MisplacedRank,
                    "an aggregate across units cannot be used here",
                )
                .label(span, "inside a rank or another aggregate across units")
                .help("compute it from each unit's own values, e.g. `max(pm25 across units)`"),
            };
            self.err(d);
        }
        let saved = self.in_rank;
        self.in_rank = true;
        let (be, bt) = self.expr(ctx, body);
        let fe = filter.map(|c| {
            let (fe, ft) = self.expr(ctx, c);
            self.expect_bool(&ft, c.span, "a `where` condition");
            fe
        });
        self.in_rank = saved;
        let ty = if f == ir::AcrossFn::Count {
            self.expect_bool(&bt, body.span, "what `count` counts across units");
            num(Unit::Count)
        } else {
            self.expect_num(
                bt,
                body.span,
                &format!("what `{}` takes across units", func.node),
            )
        };
        // The same aggregate written twice is computed once.
        let idx = match self
            .across
            .iter()
            .position(|a| a.func == f && a.expr == be && a.filter == fe)
        {
            Some(i) => i as u32,
            None => {
                self.across.push(ir::AcrossDef {
                    func: f,
                    expr: be,
                    filter: fe,
                    source: self.snippet(span),
                });
                (self.across.len() - 1) as u32
            }
        };
        (Expr::Across(idx), ty)
    }
}
