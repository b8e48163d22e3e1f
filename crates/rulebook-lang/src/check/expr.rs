//! Checking expressions: names, literals, operators, `if`, `cases`, record
//! fields, `grouped by` and table lookups.
//!
//! In: a syntax-tree expression and the names declared so far. Out: its IR
//! expression and its type (`None` where a problem was already reported),
//! with units of measure worked out through sums, products and quotients;
//! every unknown name, field or table, every mismatch of type or unit and
//! every table lookup with no row is reported where it is written. Calls
//! and aggregates are checked in [`calls`](super::calls), tiers in
//! [`tiers`](super::tiers). Part of [`crate::check`].

use crate::ast::{self, BinOp, CmpOp, ExprKind, Span, Spanned};
use crate::check::{const_num, num, Checker, Slot, Ty};
use crate::diag::{did_you_mean, Code, Diagnostic};
use crate::ir::{Builtin, Expr, Type, Unit};
use rust_decimal::Decimal;

impl Checker<'_> {
    fn unknown_name(&mut self, name: &str, span: Span) {
        let mut candidates: Vec<String> = self.names.keys().cloned().collect();
        candidates.extend(self.locals.iter().map(|(n, _)| n.clone()));
        candidates.sort();
        let mut d = Diagnostic::error(Code::UnknownName, format!("unknown name `{name}`")).label(
            span,
            "not an input, parameter, derived value or loop variable",
        );
        d = match did_you_mean(name, candidates.iter().map(|s| s.as_str())) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help("declare it with `input`, `global`, `param` or `let`"),
        };
        self.err(d);
    }

    pub(crate) fn expr(&mut self, ctx: &mut ExprCtx<'_>, e: &ast::Expr) -> (Expr, Ty) {
        let span = e.span;
        match &e.node {
            ExprKind::Number(v, unit) => {
                let u = match unit.as_deref() {
                    Some("days") => Unit::Days,
                    Some("pp") => Unit::Pp,
                    Some("%" | "pct") => Unit::Pct,
                    Some("points") => Unit::Points,
                    Some("yuan") => Unit::Yuan,
                    Some("wan") => Unit::Wan,
                    Some("wan_m3") => Unit::WanM3,
                    Some("ug") => Unit::Ug,
                    Some("mgl") => Unit::Mgl,
                    _ => Unit::Plain,
                };
                (Expr::Num(*v), num(u))
            }
            ExprKind::Date(s) => match crate::date::parse_date(s) {
                Some(d) => (Expr::Date(d), Some(Type::Date)),
                None => {
                    self.err(
                        Diagnostic::error(Code::BadDate, format!("`{s}` is not a date"))
                            .label(span, "no such day")
                            .help("write dates as YYYY-MM-DD"),
                    );
                    (Expr::Date(0), None)
                }
            },
            ExprKind::Str(s) => (Expr::Str(s.clone()), Some(Type::Text)),
            ExprKind::Bool(b) => (Expr::Bool(*b), Some(Type::Bool)),
            ExprKind::List(items) => {
                let mut out = Vec::new();
                let mut elem: Ty = None;
                for it in items {
                    let (x, t) = self.expr(ctx, it);
                    out.push(x);
                    elem = match (elem, t) {
                        (None, t) => t,
                        (Some(a), Some(b)) => Some(self.unify(a, b, it.span, "list elements")),
                        (a, None) => a,
                    };
                }
                (
                    Expr::List(out),
                    Some(Type::List(Box::new(elem.unwrap_or(Type::Num(Unit::Plain))))),
                )
            }
            ExprKind::Builtin(b) => {
                if !self.builtins_allowed {
                    self.err(
                        Diagnostic::error(
                            Code::MisplacedBuiltin,
                            format!("`{b}` is only known once a unit is scored"),
                        )
                        .label(span, "not available inside rules")
                        .help("a rule cannot depend on the score it adds to: use `total`, `base`, `bonus` and `vetoed` in `grade` lines"),
                    );
                }
                let (bi, ty) = match b.as_str() {
                    "total" => (Builtin::Total, num(Unit::Points)),
                    "base" => (Builtin::Base, num(Unit::Points)),
                    "bonus" => (Builtin::Bonus, num(Unit::Points)),
                    _ => (Builtin::Vetoed, Some(Type::Bool)),
                };
                (Expr::Builtin(bi), ty)
            }
            ExprKind::Name(n) => self.name(ctx, n, span),
            ExprKind::Unary(op, x) => {
                let (xe, t) = self.expr(ctx, x);
                match op {
                    ast::UnaryOp::Not => {
                        self.expect_bool(&t, x.span, "the operand of `not`");
                        (Expr::Not(Box::new(xe)), Some(Type::Bool))
                    }
                    ast::UnaryOp::Neg => {
                        let t = self.expect_num(t, x.span, "the operand of `-`");
                        if let Expr::Num(v) = xe {
                            return (Expr::Num(-v), t);
                        }
                        (Expr::Neg(Box::new(xe)), t)
                    }
                }
            }
            ExprKind::Binary(op, a, b) => {
                let (mut ae, mut at) = self.expr(ctx, a);
                let (mut be, mut bt) = self.expr(ctx, b);
                if let BinOp::Cmp(_) = op {
                    // A ratio (0.8) compared with a percent (80 %): compare
                    // the ratio's percent, exactly.
                    let hundred = |e: Expr| {
                        Expr::Bin(
                            BinOp::Mul,
                            Box::new(e),
                            Box::new(Expr::Num(Decimal::ONE_HUNDRED)),
                        )
                    };
                    match (&at, &bt) {
                        (Some(Type::Num(Unit::Ratio)), Some(Type::Num(Unit::Pct))) => {
                            ae = hundred(ae);
                            at = num(Unit::Pct);
                        }
                        (Some(Type::Num(Unit::Pct)), Some(Type::Num(Unit::Ratio))) => {
                            be = hundred(be);
                            bt = num(Unit::Pct);
                        }
                        (Some(Type::Num(Unit::Ratio)), Some(Type::Num(Unit::Plain))) => {
                            self.ratio_vs_whole(&be, a.span, b.span);
                        }
                        (Some(Type::Num(Unit::Plain)), Some(Type::Num(Unit::Ratio))) => {
                            self.ratio_vs_whole(&ae, b.span, a.span);
                        }
                        _ => {}
                    }
                }
                let ty = self.binary_type(*op, at, bt, a, b);
                if *op == BinOp::Div {
                    if let Some(z) = const_num(&be) {
                        if z.is_zero() {
                            self.err(
                                Diagnostic::error(Code::ZeroStep, "division by zero")
                                    .label(b.span, "this is zero")
                                    .help("divide by a number that is never zero"),
                            );
                        }
                    }
                }
                (Expr::Bin(*op, Box::new(ae), Box::new(be)), ty)
            }
            ExprKind::If(c, a, b) => {
                let (ce, ct) = self.expr(ctx, c);
                self.expect_bool(&ct, c.span, "the condition of `if`");
                let (ae, at) = self.expr(ctx, a);
                let (be, bt) = self.expr(ctx, b);
                let ty = match (at, bt) {
                    (Some(x), Some(y)) => Some(self.unify(x, y, span, "the two branches of `if`")),
                    _ => None,
                };
                (Expr::If(Box::new(ce), Box::new(ae), Box::new(be)), ty)
            }
            ExprKind::Call(f, args) => self.call(ctx, f, args, span),
            ExprKind::Comprehension {
                func,
                body,
                fors,
                filter,
            } => self.comprehension(ctx, func, body, fors, filter.as_deref()),
            ExprKind::Binder {
                func,
                var,
                list,
                filter,
            } => {
                let fors = vec![(var.clone(), (**list).clone())];
                // `any(x in L where C)` asks whether some x satisfies C: C is what is tested.
                if matches!(func.node.as_str(), "any" | "all") {
                    if let Some(cond) = filter.as_deref() {
                        return self.comprehension(ctx, func, cond, &fors, None);
                    }
                }
                // `count(x in L where C)` counts the elements that pass, whatever they are.
                let body = if func.node == "count" {
                    Spanned::new(ExprKind::Bool(true), var.span)
                } else {
                    Spanned::new(ExprKind::Name(var.node.clone()), var.span)
                };
                self.comprehension(ctx, func, &body, &fors, filter.as_deref())
            }
            ExprKind::Field(x, f) => {
                let (xe, t) = self.expr(ctx, x);
                match t {
                    None => (Expr::Bool(false), None),
                    Some(Type::Record(fields)) => {
                        match fields.iter().position(|fd| fd.name == f.node) {
                            Some(i) => {
                                let ty = fields.get(i).map(|fd| fd.ty.clone());
                                (Expr::Field(Box::new(xe), i as u32), ty)
                            }
                            None => {
                                let mut d = Diagnostic::error(
                                    Code::UnknownField,
                                    format!("the record has no field `{}`", f.node),
                                )
                                .label(f.span, "no such field");
                                d = match did_you_mean(
                                    &f.node,
                                    fields.iter().map(|fd| fd.name.as_str()),
                                ) {
                                    Some(s) => d.help(format!("did you mean `{s}`?")),
                                    None => d.help(format!(
                                        "its fields are {}",
                                        fields
                                            .iter()
                                            .map(|fd| format!("`{}`", fd.name))
                                            .collect::<Vec<_>>()
                                            .join(", ")
                                    )),
                                };
                                self.err(d);
                                (Expr::Bool(false), None)
                            }
                        }
                    }
                    Some(Type::Group(k, _)) if f.node == "key" => {
                        (Expr::GroupKey(Box::new(xe)), Some(*k))
                    }
                    Some(Type::Group(_, _)) if f.node == "count" => {
                        (Expr::GroupCount(Box::new(xe)), num(Unit::Count))
                    }
                    Some(t) => {
                        self.err(
                            Diagnostic::error(Code::UnknownField, format!("`.{}` needs a record", f.node))
                                .label(x.span, format!("this is {}", t.describe()))
                                .help("fields belong to records, e.g. `c.found` for `c in cases`; a group has `.key` and `.count`"),
                        );
                        (Expr::Bool(false), None)
                    }
                }
            }
            ExprKind::Index(x, keys) => self.table_index(ctx, x, keys, span),
            ExprKind::IsMissing(x, missing) => {
                let (xe, _) = self.expr(ctx, x);
                (Expr::IsMissing(Box::new(xe), *missing), Some(Type::Bool))
            }
            ExprKind::GroupedBy(x, f) => {
                let (xe, t) = self.expr(ctx, x);
                match t {
                    None => (Expr::Bool(false), None),
                    Some(Type::List(inner)) => match &*inner {
                        Type::Record(fields) => {
                            match fields.iter().position(|fd| fd.name == f.node) {
                                Some(i) => {
                                    let key =
                                        fields.get(i).map(|fd| fd.ty.clone()).unwrap_or(Type::Text);
                                    (
                                        Expr::GroupBy(Box::new(xe), i as u32),
                                        Some(Type::List(Box::new(Type::Group(
                                            Box::new(key),
                                            inner.clone(),
                                        )))),
                                    )
                                }
                                None => {
                                    let mut d = Diagnostic::error(
                                        Code::UnknownField,
                                        format!("the records have no field `{}`", f.node),
                                    )
                                    .label(f.span, "no such field");
                                    if let Some(s) = did_you_mean(
                                        &f.node,
                                        fields.iter().map(|fd| fd.name.as_str()),
                                    ) {
                                        d = d.help(format!("did you mean `{s}`?"));
                                    }
                                    self.err(d);
                                    (Expr::Bool(false), None)
                                }
                            }
                        }
                        other => {
                            self.err(
                                Diagnostic::error(
                                    Code::TypeMismatch,
                                    "`grouped by` needs a list of records",
                                )
                                .label(x.span, format!("this is a list of {}", other.describe()))
                                .help("group a list of records by one of their fields"),
                            );
                            (Expr::Bool(false), None)
                        }
                    },
                    Some(t) => {
                        self.err(
                            Diagnostic::error(
                                Code::TypeMismatch,
                                "`grouped by` needs a list of records",
                            )
                            .label(x.span, format!("this is {}", t.describe()))
                            .help("group a list of records by one of their fields"),
                        );
                        (Expr::Bool(false), None)
                    }
                }
            }
            ExprKind::Tiers(subject, tiers) => self.tiers(ctx, subject, tiers),
            ExprKind::Cases(arms) => self.cases(ctx, arms, span),
            ExprKind::AcrossUnits { func, body, filter } => {
                self.across_units(ctx, func, body, filter.as_deref(), span)
            }
        }
    }

    /// `cases { C1: A1, C2: A2, else: B }`: nested `if`s, first match wins;
    /// without `else`, nothing matching gives 0.
    fn cases(
        &mut self,
        ctx: &mut ExprCtx<'_>,
        arms: &[(Option<ast::Expr>, ast::Expr)],
        span: Span,
    ) -> (Expr, Ty) {
        let mut lowered = Vec::new();
        let mut ty: Ty = None;
        let mut else_at: Option<usize> = None;
        for (i, (cond, value)) in arms.iter().enumerate() {
            if let Some(first) = else_at {
                if first < i {
                    let arm = cond
                        .as_ref()
                        .map_or(value.span, |c| c.span.join(value.span));
                    let mut d = Diagnostic::warning(
                        Code::DeadTier,
                        "this case comes after `else` and never applies",
                    )
                    .label(arm, "never reached");
                    if let Some((_, else_value)) = arms.get(first) {
                        d = d.label(else_value.span, "`else` holds for everything left");
                    }
                    self.err(
                        d.help("put `else` last: cases are tried in order and `else` always holds"),
                    );
                }
            }
            let ce = cond.as_ref().map(|c| {
                let (ce, ct) = self.expr(ctx, c);
                self.expect_bool(&ct, c.span, "a case's condition");
                ce
            });
            if ce.is_none() && else_at.is_none() {
                else_at = Some(i);
            }
            let (ve, vt) = self.expr(ctx, value);
            ty = match (ty, vt) {
                (Some(a), Some(b)) => Some(self.unify(a, b, value.span, "the cases' values")),
                (a, b) => a.or(b),
            };
            lowered.push((ce, ve));
        }
        if arms.is_empty() {
            self.err(
                Diagnostic::error(Code::Syntax, "`cases` needs at least one case")
                    .label(span, "no cases")
                    .help("write e.g. `cases { rate >= 90%: 10, else: 0 }`"),
            );
        }
        // Build from the last case back: no `else` means 0.
        let mut out = Expr::Num(Decimal::ZERO);
        for (ce, ve) in lowered.into_iter().rev() {
            out = match ce {
                None => ve,
                Some(c) => Expr::If(Box::new(c), Box::new(ve), Box::new(out)),
            };
        }
        (out, ty.or(num(Unit::Plain)))
    }

    /// A ratio compared with a plain number above 1 (`good / total >= 80`)
    /// is almost surely a percent written without its `%`.
    fn ratio_vs_whole(&mut self, other: &Expr, ratio_span: Span, other_span: Span) {
        let Some(v) = const_num(other) else { return };
        if v > Decimal::ONE {
            let n = v.normalize();
            self.err(
                Diagnostic::error(
                    Code::UnitMismatch,
                    format!("a ratio is compared with {n}, but a ratio is a fraction (0.8 = 80 %)"),
                )
                .label(
                    ratio_span,
                    "a ratio of like quantities, between 0 and 1 when within target",
                )
                .label(other_span, format!("{n} reads as {n} times the whole"))
                .help(format!(
                    "write `{n}%` for a percent, or `{}` as a fraction",
                    (v / Decimal::ONE_HUNDRED).normalize()
                )),
            );
        }
    }

    fn name(&mut self, ctx: &mut ExprCtx<'_>, n: &str, span: Span) -> (Expr, Ty) {
        if let Some(pos) = self.locals.iter().rposition(|(name, _)| name == n) {
            let ty = self.locals.get(pos).map(|(_, t)| t.clone());
            return (Expr::Local(pos as u32), ty);
        }
        let Some((slot, _)) = self.names.get(n).copied() else {
            self.unknown_name(n, span);
            return (Expr::Bool(false), None);
        };
        self.used.insert(slot);
        match slot {
            Slot::Input(i) => {
                self.reads.insert(slot);
                (Expr::Input(i), self.input_types.get(i as usize).cloned())
            }
            Slot::Global(i) => {
                self.reads.insert(slot);
                (Expr::Global(i), self.global_types.get(i as usize).cloned())
            }
            Slot::Param(i) => {
                self.reads.insert(slot);
                (Expr::Param(i), self.param_types.get(i as usize).cloned())
            }
            Slot::Let(i) => {
                let ty = self.check_let(ctx.file, i as usize);
                let inner = self.let_inputs.get(i as usize).cloned().unwrap_or_default();
                self.reads.extend(inner);
                (Expr::Let(i), ty)
            }
        }
    }

    pub(crate) fn expect_num(&mut self, t: Ty, span: Span, what: &str) -> Ty {
        match t {
            None => None,
            Some(Type::Num(u)) => num(u),
            Some(t) => {
                self.err(
                    Diagnostic::error(Code::TypeMismatch, format!("{what} must be a number"))
                        .label(span, format!("this is {}", t.describe()))
                        .help("arithmetic works on numbers, counts and amounts"),
                );
                None
            }
        }
    }

    /// The common type of two values that must agree (branches, list items).
    pub(crate) fn unify(&mut self, a: Type, b: Type, span: Span, what: &str) -> Type {
        match (&a, &b) {
            (Type::Num(x), Type::Num(y)) => match add_units(*x, *y, false) {
                Some(u) => Type::Num(u),
                None => {
                    self.err(
                        Diagnostic::error(
                            Code::UnitMismatch,
                            format!("{what} mix {} and {}", x.name(), y.name()),
                        )
                        .label(span, "different units of measure")
                        .help("make both sides the same unit"),
                    );
                    a
                }
            },
            (Type::Enum(_), Type::Text) | (Type::Text, Type::Enum(_)) => Type::Text,
            _ if a == b => a,
            _ => {
                self.err(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        format!("{what} mix {} and {}", a.describe(), b.describe()),
                    )
                    .label(span, "different types")
                    .help("make both sides the same type"),
                );
                a
            }
        }
    }

    fn binary_type(&mut self, op: BinOp, at: Ty, bt: Ty, a: &ast::Expr, b: &ast::Expr) -> Ty {
        let span = a.span.join(b.span);
        match op {
            BinOp::And | BinOp::Or => {
                let word = if op == BinOp::And { "and" } else { "or" };
                self.expect_bool(&at, a.span, &format!("each side of `{word}`"));
                self.expect_bool(&bt, b.span, &format!("each side of `{word}`"));
                Some(Type::Bool)
            }
            BinOp::Cmp(cmp) => {
                let (Some(x), Some(y)) = (at, bt) else {
                    return Some(Type::Bool);
                };
                let ok = match (&x, &y) {
                    (Type::Num(p), Type::Num(q)) => {
                        if add_units(*p, *q, false).is_none() {
                            self.err(
                                Diagnostic::error(
                                    Code::UnitMismatch,
                                    format!("cannot compare {} with {}", p.name(), q.name()),
                                )
                                .label(a.span, format!("in {}", p.name()))
                                .label(b.span, format!("in {}", q.name()))
                                .help("compare values of the same unit of measure"),
                            );
                        }
                        true
                    }
                    (Type::Date, Type::Date) => true,
                    (Type::Bool, Type::Bool) | (Type::Text, Type::Text) => {
                        matches!(cmp, CmpOp::Eq | CmpOp::Ne)
                    }
                    (Type::Enum(names), Type::Text) | (Type::Text, Type::Enum(names)) => {
                        if let Some(s) = string_literal(a).or_else(|| string_literal(b)) {
                            if !names.iter().any(|n| n == s) {
                                let mut d = Diagnostic::error(
                                    Code::UnknownName,
                                    format!("`{s}` is not one of the listed names"),
                                )
                                .label(
                                    span,
                                    format!(
                                        "the names are {}",
                                        names
                                            .iter()
                                            .map(|n| format!("\"{n}\""))
                                            .collect::<Vec<_>>()
                                            .join(", ")
                                    ),
                                );
                                if let Some(m) = did_you_mean(s, names.iter().map(|n| n.as_str())) {
                                    d = d.help(format!("did you mean `\"{m}\"`?"));
                                } else {
                                    d = d.help("compare with one of the names the input lists");
                                }
                                self.err(d);
                            }
                        }
                        matches!(cmp, CmpOp::Eq | CmpOp::Ne)
                    }
                    (Type::Enum(_), Type::Enum(_)) => matches!(cmp, CmpOp::Eq | CmpOp::Ne),
                    _ => false,
                };
                if !ok {
                    self.err(
                        Diagnostic::error(Code::TypeMismatch, format!("cannot compare {} with {}", x.describe(), y.describe()))
                            .label(span, format!("`{}` does not apply here", cmp.symbol()))
                            .help("numbers and dates compare by size; names, text and bools only by `=` and `!=`"),
                    );
                }
                Some(Type::Bool)
            }
            BinOp::Add | BinOp::Sub => {
                let (Some(x), Some(y)) = (at, bt) else {
                    return None;
                };
                match (&x, &y) {
                    (Type::Date, Type::Date) if op == BinOp::Sub => num(Unit::Days),
                    (Type::Date, Type::Num(Unit::Days | Unit::Plain)) => Some(Type::Date),
                    (Type::Num(Unit::Ratio), Type::Num(Unit::Pct))
                    | (Type::Num(Unit::Pct), Type::Num(Unit::Ratio)) => {
                        let verb = if op == BinOp::Add { "add" } else { "subtract" };
                        self.err(
                            Diagnostic::error(
                                Code::UnitMismatch,
                                format!("cannot {verb} a ratio and a percent"),
                            )
                            .label(a.span, format!("in {}", if matches!(x, Type::Num(Unit::Ratio)) { "ratio (0.8 = 80 %)" } else { "pct (80 = 80 %)" }))
                            .label(b.span, format!("in {}", if matches!(y, Type::Num(Unit::Ratio)) { "ratio (0.8 = 80 %)" } else { "pct (80 = 80 %)" }))
                            .help("convert one side: `r * 100%` turns a ratio into a percent, `p / 100%` a percent into a ratio"),
                        );
                        None
                    }
                    (Type::Num(Unit::Rank), Type::Num(Unit::Rank | Unit::Plain))
                        if op == BinOp::Sub =>
                    {
                        // `rank - 1`: the places below the first, a count.
                        num(Unit::Count)
                    }
                    (Type::Num(p), Type::Num(q)) => match add_units(*p, *q, op == BinOp::Sub) {
                        Some(u) => num(u),
                        None => {
                            let verb = if op == BinOp::Add { "add" } else { "subtract" };
                            self.err(
                                Diagnostic::error(
                                    Code::UnitMismatch,
                                    format!("cannot {verb} {} and {}", p.name(), q.name()),
                                )
                                .label(a.span, format!("in {}", p.name()))
                                .label(b.span, format!("in {}", q.name()))
                                .help("add and subtract values of the same unit of measure"),
                            );
                            None
                        }
                    },
                    _ => {
                        self.err(
                            Diagnostic::error(
                                Code::TypeMismatch,
                                format!(
                                    "cannot do arithmetic on {} and {}",
                                    x.describe(),
                                    y.describe()
                                ),
                            )
                            .label(span, "not numbers")
                            .help(
                                "arithmetic works on numbers; dates subtract to a number of days",
                            ),
                        );
                        None
                    }
                }
            }
            BinOp::Mul | BinOp::Div => {
                let x = self.expect_num(at, a.span, "each side of `×` and `/`");
                let y = self.expect_num(bt, b.span, "each side of `×` and `/`");
                let (Some(Type::Num(p)), Some(Type::Num(q))) = (x, y) else {
                    return None;
                };
                if p == Unit::Rank || q == Unit::Rank {
                    let verb = if op == BinOp::Mul {
                        "multiplied"
                    } else {
                        "divided"
                    };
                    self.err(
                        Diagnostic::error(Code::UnitMismatch, format!("a rank cannot be {verb}"))
                            .label(if p == Unit::Rank { a.span } else { b.span }, "a place (1 = first), not a quantity")
                            .help("count the places below the first with `rank - 1` (a count), e.g. `1.5 * (rank(x) - 1)`, or score places with `tiers`"),
                    );
                    return None;
                }
                let r = if op == BinOp::Mul {
                    mul_units(p, q)
                } else {
                    div_units(p, q)
                };
                match r {
                    Some(u) => num(u),
                    None => {
                        let verb = if op == BinOp::Mul {
                            "multiply"
                        } else {
                            "divide"
                        };
                        self.err(
                            Diagnostic::error(Code::UnitMismatch, format!("cannot {verb} {} by {}", p.name(), q.name()))
                                .label(a.span, format!("in {}", p.name()))
                                .label(b.span, format!("in {}", q.name()))
                                .help("multiply by a plain number or a count; divide values of the same unit to get a ratio"),
                        );
                        None
                    }
                }
            }
        }
    }

    fn table_index(
        &mut self,
        ctx: &mut ExprCtx<'_>,
        x: &ast::Expr,
        keys: &[ast::Expr],
        span: Span,
    ) -> (Expr, Ty) {
        let lowered: Vec<(Expr, Ty, Span)> = keys
            .iter()
            .map(|k| {
                let (e, t) = self.expr(ctx, k);
                (e, t, k.span)
            })
            .collect();
        let ExprKind::Name(name) = &x.node else {
            self.err(
                Diagnostic::error(
                    Code::TypeMismatch,
                    "only a table can be looked up with `[...]`",
                )
                .label(x.span, "not a table name")
                .help("declare a `table` and write `name[key]`"),
            );
            return (Expr::Bool(false), None);
        };
        let Some((idx, arity)) = self.tables.get(name).copied() else {
            let names: Vec<String> = self.tables.keys().cloned().collect();
            let mut d = Diagnostic::error(Code::UnknownName, format!("unknown table `{name}`"))
                .label(x.span, "no table by this name");
            d = match did_you_mean(name, names.iter().map(|s| s.as_str())) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help("declare it with `table name { \"key\": value ... }`"),
            };
            self.err(d);
            return (Expr::Bool(false), None);
        };
        if lowered.len() != arity {
            self.err(
                Diagnostic::error(
                    Code::WrongArity,
                    format!("table `{name}` has {arity} key(s)"),
                )
                .label(span, format!("{} given", lowered.len()))
                .help("give one key per column of the table"),
            );
        }
        for (_, t, s) in &lowered {
            if let Some(t) = t {
                if !matches!(t, Type::Text | Type::Enum(_)) {
                    self.err(
                        Diagnostic::error(Code::TypeMismatch, "table keys are names")
                            .label(*s, format!("this is {}", t.describe()))
                            .help("look tables up by a name input or field"),
                    );
                }
            }
        }
        // Every combination of listed names should have a row.
        let enums: Option<Vec<Vec<String>>> = lowered
            .iter()
            .map(|(_, t, _)| match t {
                Some(Type::Enum(n)) => Some(n.clone()),
                _ => None,
            })
            .collect();
        if let (Some(enums), Some(decl)) = (enums, ctx.file.tables.get(idx as usize)) {
            // A row of the wrong shape is reported as such (`table_shape`):
            // the rows it was meant to be would be reported missing.
            if enums.len() == arity && decl.rows.iter().all(|r| r.keys.len() == arity) {
                let mut missing = Vec::new();
                let mut combos: Vec<Vec<String>> = vec![Vec::new()];
                for names in &enums {
                    combos = combos
                        .into_iter()
                        .flat_map(|c| {
                            names.iter().map(move |n| {
                                let mut c = c.clone();
                                c.push(n.clone());
                                c
                            })
                        })
                        .collect();
                }
                for c in combos {
                    let has = decl
                        .rows
                        .iter()
                        .any(|r| r.keys.iter().map(|k| &k.node).eq(c.iter()));
                    if !has {
                        missing.push(c.join(", "));
                    }
                }
                if !missing.is_empty() {
                    self.err(
                        Diagnostic::warning(
                            Code::TableGap,
                            format!("table `{name}` has no row for {}", missing.join("; ")),
                        )
                        .label(span, "such a lookup gives 0")
                        .label(decl.name.span, "table declared here")
                        .help("add the missing rows, with 0 where the document gives nothing"),
                    );
                }
            }
        }
        (
            Expr::Table(idx, lowered.into_iter().map(|(e, _, _)| e).collect()),
            num(Unit::Plain),
        )
    }
}

pub(crate) struct ExprCtx<'f> {
    pub file: &'f ast::File,
}

fn string_literal(e: &ast::Expr) -> Option<&str> {
    match &e.node {
        ExprKind::Str(s) => Some(s),
        _ => None,
    }
}

/// Units of a sum or difference, or `None` when they do not mix.
pub(crate) fn add_units(a: Unit, b: Unit, sub: bool) -> Option<Unit> {
    use Unit::*;
    Some(match (a, b) {
        (Pct, Pct) if sub => Pp,
        (Pct, Pp) | (Pp, Pct) => Pct,
        (x, y) if x == y => x,
        (Plain, y) => y,
        (x, Plain) => x,
        (Count, Points) | (Points, Count) => Points,
        _ => return None,
    })
}

fn mul_units(a: Unit, b: Unit) -> Option<Unit> {
    use Unit::*;
    Some(match (a, b) {
        (Rank, _) | (_, Rank) => return None,
        (Plain | Ratio, Ratio) | (Ratio, Plain) => Ratio,
        (Plain | Ratio, y) => y,
        (x, Plain | Ratio) => x,
        (Count, y) => y,
        (x, Count) => x,
        _ => return None,
    })
}

fn div_units(a: Unit, b: Unit) -> Option<Unit> {
    use Unit::*;
    Some(match (a, b) {
        (Rank, _) | (_, Rank) => return None,
        (Plain, Plain) => Plain,
        // Like by like: a ratio (good days / all days, done / task).
        (x, y) if x == y => Ratio,
        (x, Plain | Ratio) => x,
        (x, Count) => x,
        (Pp, Pct) | (Pct, Pp) => Plain,
        _ => return None,
    })
}
