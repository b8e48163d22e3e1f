//! Checking `tiers`: what is measured, each band's bounds and its amount.
//!
//! In: a `tiers` expression. Out: [`ir::Expr::Tiers`] and the type of its
//! amounts. Bands with constant bounds are checked against each other: a
//! band that holds no value is an error; a tier an earlier one already
//! covers, a tier after `else`, overlapping intervals and gaps between
//! them are warnings. Part of [`crate::check`].

use super::expr::ExprCtx;
use crate::ast::{self, CmpOp, Span};
use crate::check::{const_num, num, Checker, Ty};
use crate::diag::{Code, Diagnostic};
use crate::ir::{self, Expr, Type, Unit};
use rust_decimal::Decimal;

/// A tier's constant bounds, each with whether it is included, and its span.
type Bound = Option<(Decimal, bool)>;
type Band = (Bound, Bound, Span);

impl Checker<'_> {
    pub(crate) fn tiers(
        &mut self,
        ctx: &mut ExprCtx<'_>,
        subject: &ast::Expr,
        tiers: &[ast::Tier],
    ) -> (Expr, Ty) {
        let (se, st) = self.expr(ctx, subject);
        let mut out = Vec::new();
        let mut amount_ty: Ty = None;
        let mut bands: Vec<Band> = Vec::new();
        let mut has_else = false;
        let mut interval_style = false;
        // An empty band is the one mistake to report: the overlaps and gaps
        // it would cause are not checked.
        let mut empty_band = false;
        let mut else_span: Option<Span> = None;
        for t in tiers {
            if let Some(first) = else_span {
                self.err(
                    Diagnostic::warning(
                        Code::DeadTier,
                        "this tier comes after `else` and never applies",
                    )
                    .label(t.span, "never reached")
                    .label(first, "`else` holds for everything left")
                    .help("put `else` last: tiers are tried in order and `else` always holds"),
                );
            }
            if matches!(t.band, ast::Band::Else) && else_span.is_none() {
                else_span = Some(t.span);
            }
            let mut bound = |c: &mut Self, e: &ast::Expr| -> (Expr, Option<Decimal>) {
                let (be, bt) = c.expr(ctx, e);
                if let (Some(s), Some(b)) = (st.clone(), bt) {
                    c.unify(s, b, e.span, "a tier's bound and what it measures");
                }
                let v = const_num(&be);
                (be, v)
            };
            let band = match &t.band {
                ast::Band::Else => {
                    has_else = true;
                    ir::BandDef::Else
                }
                ast::Band::Cmp(op, e) => {
                    let (be, v) = bound(self, e);
                    let (lo, hi) = match (op, v) {
                        (CmpOp::Gt, Some(v)) => (Some((v, false)), None),
                        (CmpOp::Ge, Some(v)) => (Some((v, true)), None),
                        (CmpOp::Lt, Some(v)) => (None, Some((v, false))),
                        (CmpOp::Le, Some(v)) => (None, Some((v, true))),
                        (CmpOp::Eq, Some(v)) => (Some((v, true)), Some((v, true))),
                        _ => (None, None),
                    };
                    if v.is_some() && *op != CmpOp::Ne {
                        bands.push((lo, hi, t.span));
                    }
                    ir::BandDef::Cmp(*op, be)
                }
                ast::Band::Interval {
                    lo,
                    lo_closed,
                    hi,
                    hi_closed,
                } => {
                    interval_style = true;
                    let (le, lv) = bound(self, lo);
                    let (he, hv) = bound(self, hi);
                    if let (Some(l), Some(h)) = (lv, hv) {
                        if l > h || (l == h && !(*lo_closed && *hi_closed)) {
                            empty_band = true;
                            let (label, help) = if l > h {
                                (
                                    "its first bound is above its second",
                                    format!(
                                        "write the lower bound first: `{}{}, {}{}`",
                                        if *lo_closed { '[' } else { '(' },
                                        self.snippet(hi.span),
                                        self.snippet(lo.span),
                                        if *hi_closed { ']' } else { ')' },
                                    ),
                                )
                            } else {
                                (
                                    "both bounds are the same, and one end is left out",
                                    format!(
                                        "write `= {}` for the one value, or widen the interval",
                                        self.snippet(lo.span)
                                    ),
                                )
                            };
                            self.err(
                                Diagnostic::error(Code::EmptyTier, "this tier holds no value")
                                    .label(t.span, label)
                                    .help(help),
                            );
                        }
                        bands.push((Some((l, *lo_closed)), Some((h, *hi_closed)), t.span));
                    }
                    ir::BandDef::Interval {
                        lo: le,
                        lo_closed: *lo_closed,
                        hi: he,
                        hi_closed: *hi_closed,
                    }
                }
            };
            let (ae, at) = self.expr(ctx, &t.amount);
            amount_ty = match (amount_ty, at) {
                (Some(a), Some(b)) => Some(self.unify(a, b, t.amount.span, "the tiers' amounts")),
                (a, b) => a.or(b),
            };
            out.push(ir::TierDef { band, amount: ae });
        }
        let integral = matches!(&st, Some(Type::Num(u)) if u.is_integral());
        if !empty_band {
            self.check_bands(&bands, has_else, interval_style, integral);
        }
        (
            Expr::Tiers(Box::new(se), out),
            amount_ty.or(num(Unit::Plain)),
        )
    }

    /// Overlaps and gaps between interval tiers; tiers that earlier ones
    /// already cover entirely (first match wins, so they never apply).
    fn check_bands(
        &mut self,
        bands: &[Band],
        has_else: bool,
        interval_style: bool,
        integral: bool,
    ) {
        for (i, (lo, hi, s)) in bands.iter().enumerate() {
            for (plo, phi, ps) in bands.iter().take(i) {
                if covers(*plo, *phi, *lo, *hi) {
                    self.err(
                        Diagnostic::warning(Code::TierUnreachable, "this tier never applies")
                            .label(*s, "every value it holds is taken by an earlier tier")
                            .label(*ps, "this earlier tier comes first")
                            .help("tiers are tried in order and the first that holds wins: put the narrower tier first"),
                    );
                    break;
                }
                if interval_style && overlaps(*plo, *phi, *lo, *hi) {
                    self.err(
                        Diagnostic::warning(Code::TierOverlap, "these tiers overlap")
                            .label(*s, "this tier")
                            .label(*ps, "shares values with this one")
                            .help("make the ends meet without overlapping, e.g. `[500, 1000]` then `(1000, 2000]`"),
                    );
                }
            }
        }
        if interval_style && !has_else {
            let mut sorted: Vec<_> = bands
                .iter()
                .filter(|(l, h, _)| l.is_some() && h.is_some())
                .collect();
            sorted.sort_by(|a, b| a.0.map(|x| x.0).cmp(&b.0.map(|x| x.0)));
            for pair in sorted.windows(2) {
                let (Some(a), Some(b)) = (pair.first(), pair.get(1)) else {
                    continue;
                };
                if let (Some((ahi, ac)), Some((blo, bc))) = (a.1, b.0) {
                    // Whole numbers have nothing between 3 and 4.
                    let adjacent_whole = integral
                        && ac
                        && bc
                        && ahi.fract().is_zero()
                        && blo.fract().is_zero()
                        && ahi + Decimal::ONE == blo;
                    let gap = (ahi < blo && !adjacent_whole) || (ahi == blo && !ac && !bc);
                    if gap {
                        self.err(
                            Diagnostic::warning(
                                Code::TierGap,
                                format!("no tier holds values between {ahi} and {blo}"),
                            )
                            .label(b.2, "this tier starts after a gap")
                            .help("close the gap, or add `else: 0` if values there score nothing"),
                        );
                    }
                }
            }
        }
    }
}

fn lower_le(a: Option<(Decimal, bool)>, b: Option<(Decimal, bool)>) -> bool {
    // Is lower bound a at most lower bound b (a starts no later than b)?
    match (a, b) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some((x, xc)), Some((y, yc))) => x < y || (x == y && (xc || !yc)),
    }
}

fn upper_ge(a: Option<(Decimal, bool)>, b: Option<(Decimal, bool)>) -> bool {
    match (a, b) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some((x, xc)), Some((y, yc))) => x > y || (x == y && (xc || !yc)),
    }
}

fn covers(
    plo: Option<(Decimal, bool)>,
    phi: Option<(Decimal, bool)>,
    lo: Option<(Decimal, bool)>,
    hi: Option<(Decimal, bool)>,
) -> bool {
    lower_le(plo, lo) && upper_ge(phi, hi)
}

fn overlaps(
    alo: Option<(Decimal, bool)>,
    ahi: Option<(Decimal, bool)>,
    blo: Option<(Decimal, bool)>,
    bhi: Option<(Decimal, bool)>,
) -> bool {
    let before = |hi: Option<(Decimal, bool)>, lo: Option<(Decimal, bool)>| match (hi, lo) {
        (Some((h, hc)), Some((l, lc))) => h < l || (h == l && !(hc && lc)),
        _ => false,
    };
    !(before(ahi, blo) || before(bhi, alo))
}
