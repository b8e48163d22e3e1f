//! Arithmetic every evaluator shares: `+ − × ÷` that fail rather than
//! overflow, comparisons of decimals, date differences, `ladder`, and the
//! amounts of `per … below|above` ([`steps_amount`]) and `in proportion
//! to` ([`proportion_amount`]) once their numbers are known.
//!
//! All exact (`rust_decimal`); what the compiled evaluator computes with
//! these is byte-identical to the reference because it is the same code.

use super::result::DIVISION_BY_ZERO;
use super::{Detail, ProportionDetail, StepsDetail};
use rulebook_lang::ast::{BinOp, CmpOp};
use rust_decimal::prelude::*;

impl StepsDetail {
    /// The detail a trace entry keeps: the numbers of the steps, or, with
    /// no steps to take, the two values compared.
    pub(crate) fn into_detail(self) -> Detail {
        if self.gap.is_zero() {
            Detail::NoSteps {
                actual: self.actual,
                target: self.target,
                above: self.above,
            }
        } else {
            Detail::Steps(Box::new(self))
        }
    }
}

/// `RATE per STEP of ACTUAL below (or above) TARGET`, once its numbers are
/// known: its detail, the amount (`raw`) among its numbers. Both evaluators
/// settle steps here. (Inlined: a walk without a trace reads only `raw`,
/// and the rest is not worked out.)
#[inline(always)]
pub(crate) fn steps_amount(
    rate: Decimal,
    step: Decimal,
    actual: Decimal,
    target: Decimal,
    above: bool,
    ceil: bool,
) -> Result<StepsDetail, String> {
    let gap = if above {
        sub(actual, target)?
    } else {
        sub(target, actual)?
    };
    // (`gap.max(0)`, compared by the fast comparison.)
    let gap = if dec_cmp(gap, Decimal::ZERO).is_lt() {
        Decimal::ZERO
    } else {
        gap
    };
    // (`step <= 0`, a zero of either sign included, without a call.)
    if step.is_zero() || step.is_sign_negative() {
        return Err("a step is zero or negative".into());
    }
    let (steps, raw) = if gap.is_zero() {
        // (A product with 0 is rust_decimal's plain 0.)
        (Decimal::ZERO, Decimal::ZERO)
    } else if let Some(n) = whole_steps(gap, step, ceil) {
        let steps = Decimal::from(n);
        let raw = match small_product(rate, steps) {
            Some(raw) => raw,
            None => mul(rate, steps)?,
        };
        (steps, raw)
    } else {
        let q = div(gap, step)?;
        let steps = if ceil { q.ceil() } else { q.floor() };
        (steps, mul(rate, steps)?)
    };
    Ok(StepsDetail {
        actual,
        target,
        gap,
        step,
        steps,
        rate,
        raw,
        above,
        ceil,
    })
}

/// How many whole steps of `step` fit in `gap` (both above 0), rounded up
/// when `ceil`: `div(gap, step)` rounded down or up, exactly as rust_decimal
/// gives it (a whole number, scale 0), worked out on the two magnitudes
/// brought to one scale, when they fit in 32 bits, their scales are at
/// most 9 and the quotient and divisor are below 10¹² (then the division's
/// 28 digits cannot round a quotient onto the next whole number); `None`
/// otherwise.
fn whole_steps(gap: Decimal, step: Decimal, ceil: bool) -> Option<u64> {
    const LIMIT: u64 = 1_000_000_000_000;
    let (rg, rs) = (
        u128::from_le_bytes(gap.serialize()),
        u128::from_le_bytes(step.serialize()),
    );
    let (fg, fs) = (rg as u32, rs as u32);
    if (rg | rs) >> 64 != 0 || (fg | fs) & 0x8000_0000 != 0 {
        return None;
    }
    let (mg, ms) = ((rg >> 32) as u64, (rs >> 32) as u64);
    let scale = |f: u32| pow10_9((f >> 16) & 0xFF);
    // gap / step = (mg / 10^sg) / (ms / 10^ss) = (mg · 10^ss) / (ms · 10^sg).
    let (n, d) = (mg * scale(fs)?, ms * scale(fg)?);
    if d == 0 || d >= LIMIT || n / d >= LIMIT {
        return None;
    }
    Some(n / d + u64::from(ceil && n % d != 0))
}

/// `MAX in proportion to RATIO[, nothing below FLOOR]`, once its numbers
/// are known: the amount (rounded to `places` when given; otherwise after
/// the rule's multiplier) and its detail. Both evaluators settle it here.
pub(crate) fn proportion_amount(
    max: Decimal,
    ratio: Decimal,
    floor: Option<Decimal>,
    places: Option<u32>,
) -> Result<(Decimal, ProportionDetail), String> {
    let below = floor.is_some_and(|f| ratio < f);
    let raw = if below {
        Decimal::ZERO
    } else {
        let x = mul(max, ratio.clamp(Decimal::ZERO, Decimal::ONE))?;
        match places {
            Some(p) => x.round_dp_with_strategy(p, RoundingStrategy::MidpointAwayFromZero),
            None => x,
        }
    };
    Ok((
        raw,
        ProportionDetail {
            ratio,
            max,
            raw,
            floor,
            below_floor: below,
        },
    ))
}

/// `+ − × ÷` on two numbers, as every expression computes them.
pub(crate) fn arith(op: BinOp, a: Decimal, b: Decimal) -> Result<Decimal, String> {
    match op {
        BinOp::Add => add(a, b),
        BinOp::Sub => sub(a, b),
        BinOp::Mul => mul(a, b),
        _ => div(a, b),
    }
}

/// `a × b`, without a call, when both magnitudes fit in 64 bits, their
/// scales add up to at most 28 and the product fits in 96 bits (a rate
/// times a count: 0.2 × 3; a rate times whole steps): the exact product at
/// the sum of their scales, as rust_decimal gives it (its plain 0 when
/// either is 0); `None` for any other pair.
#[inline(always)]
pub(crate) fn small_product(a: Decimal, b: Decimal) -> Option<Decimal> {
    let (ra, rb) = (
        u128::from_le_bytes(a.serialize()),
        u128::from_le_bytes(b.serialize()),
    );
    // (Bits 96 and up hold the magnitudes' upper 32 bits; 32–95 the lower
    // 64; 0–31 the flags: scale in bits 16–23, sign in bit 31.)
    if (ra | rb) >> 96 != 0 {
        return None;
    }
    let (fa, fb) = (ra as u32, rb as u32);
    let scale = ((fa >> 16) & 0xFF) + ((fb >> 16) & 0xFF);
    // (Two magnitudes below 2⁶⁴: the product fits in 128 bits.)
    let product = (ra >> 32) * (rb >> 32);
    if product == 0 {
        return Some(Decimal::ZERO);
    }
    if scale > 28 || product >> 96 != 0 {
        return None;
    }
    Some(Decimal::from_parts(
        product as u32,
        (product >> 32) as u32,
        (product >> 64) as u32,
        (fa ^ fb) & 0x8000_0000 != 0,
        scale,
    ))
}

pub(crate) fn mul(a: Decimal, b: Decimal) -> Result<Decimal, String> {
    a.checked_mul(b)
        .ok_or_else(|| format!("{a} × {b} is too large to compute"))
}
pub(crate) fn add(a: Decimal, b: Decimal) -> Result<Decimal, String> {
    a.checked_add(b)
        .ok_or_else(|| format!("{a} + {b} is too large to compute"))
}
pub(crate) fn sub(a: Decimal, b: Decimal) -> Result<Decimal, String> {
    a.checked_sub(b)
        .ok_or_else(|| format!("{a} − {b} is too large to compute"))
}
pub(crate) fn div(a: Decimal, b: Decimal) -> Result<Decimal, String> {
    if b.is_zero() {
        return Err(format!("{a} ÷ 0: {DIVISION_BY_ZERO}"));
    }
    a.checked_div(b)
        .ok_or_else(|| format!("{a} ÷ {b} is too large to compute"))
}

/// `a - b` of two dates: the days from `b` to `a`.
pub(crate) fn days_between(a: i32, b: i32) -> Decimal {
    Decimal::from(a) - Decimal::from(b)
}

pub(crate) fn shift_date(d: i32, days: Decimal) -> Result<i32, String> {
    let n = days.trunc().to_i32().ok_or("a date moved too far")?;
    d.checked_add(n)
        .ok_or_else(|| "a date moved too far".to_string())
}

/// `a.cmp(&b)`, without rust_decimal's general path when the two numbers
/// have the same scale or one is a whole power of ten finer (scores and
/// data almost always): their mantissas, brought to one scale, compare as
/// the values do.
///
/// Two numbers of the same scale and sign (the same flags word: rust_decimal
/// keeps its unused bits 0) are told apart by their 96-bit magnitudes,
/// read where they lie, without a call; two of the same sign whose
/// magnitudes fit in 32 bits (a score, a count, a rate: 0.5 against 3) by
/// those magnitudes brought to one scale in 64 bits, also without a call.
#[inline(always)]
pub(crate) fn dec_cmp(a: Decimal, b: Decimal) -> std::cmp::Ordering {
    let (ra, rb) = (
        u128::from_le_bytes(a.serialize()),
        u128::from_le_bytes(b.serialize()),
    );
    let (fa, fb) = (ra as u32, rb as u32);
    let negative = fa & 0x8000_0000 != 0;
    let signed = |o: std::cmp::Ordering| if negative { o.reverse() } else { o };
    if fa == fb {
        return signed((ra >> 32).cmp(&(rb >> 32)));
    }
    // (Bits 64 and up hold the magnitudes' upper 64 bits.)
    if (ra | rb) >> 64 == 0 && (fa ^ fb) & 0x8000_0000 == 0 {
        let (sa, sb) = ((fa >> 16) & 0xFF, (fb >> 16) & 0xFF);
        let (ma, mb) = ((ra >> 32) as u64, (rb >> 32) as u64);
        // 10⁹ × 2³² < 2⁶⁴.
        let up = |m: u64, by: u32| pow10_9(by).map(|p| m * p);
        let widened = if sa < sb {
            up(ma, sb - sa).map(|x| (x, mb))
        } else {
            up(mb, sa - sb).map(|y| (ma, y))
        };
        if let Some((x, y)) = widened {
            return signed(x.cmp(&y));
        }
    }
    dec_cmp_scales(a, b)
}

/// [`dec_cmp`] of two numbers whose scales or signs differ.
#[inline(never)]
fn dec_cmp_scales(a: Decimal, b: Decimal) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (ra, rb) = (
        u128::from_le_bytes(a.serialize()),
        u128::from_le_bytes(b.serialize()),
    );
    let (ma, mb) = (ra >> 32, rb >> 32);
    // Signs first (a zero is neither, whatever its sign bit says); then
    // magnitudes of up to 64 bits, brought to one scale in 128.
    let negative = |r: u128, m: u128| (r as u32) & 0x8000_0000 != 0 && m != 0;
    let (na, nb) = (negative(ra, ma), negative(rb, mb));
    if na != nb {
        return if na {
            Ordering::Less
        } else {
            Ordering::Greater
        };
    }
    let scale = |r: u128| ((r as u32) >> 16) & 0xFF;
    let (sa, sb) = (scale(ra), scale(rb));
    let up = |m: u128, by: u32| POW10.get(by as usize).map(|p| m * u128::from(*p));
    let small = (ma | mb) >> 64 == 0;
    let widened = match sa.cmp(&sb) {
        _ if !small => None,
        Ordering::Equal => Some((ma, mb)),
        Ordering::Less => up(ma, sb - sa).map(|x| (x, mb)),
        Ordering::Greater => up(mb, sa - sb).map(|y| (ma, y)),
    };
    match widened {
        Some((x, y)) if na => x.cmp(&y).reverse(),
        Some((x, y)) => x.cmp(&y),
        // Wider magnitudes, or scales far apart: rust_decimal's own.
        None => a.cmp(&b),
    }
}

/// 10⁰ … 10¹⁸, for bringing mantissas to one scale.
const POW10: [u64; 19] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
    10_000_000_000_000_000,
    100_000_000_000_000_000,
    1_000_000_000_000_000_000,
];

/// 10^`by` for `by` up to 9: a 32-bit magnitude times it fits in 64 bits.
#[inline(always)]
fn pow10_9(by: u32) -> Option<u64> {
    if by <= 9 {
        POW10.get(by as usize).copied()
    } else {
        None
    }
}

pub(crate) fn cmp_holds(op: CmpOp, o: std::cmp::Ordering) -> bool {
    match op {
        CmpOp::Eq => o.is_eq(),
        CmpOp::Ne => o.is_ne(),
        CmpOp::Lt => o.is_lt(),
        CmpOp::Le => o.is_le(),
        CmpOp::Gt => o.is_gt(),
        CmpOp::Ge => o.is_ge(),
    }
}

/// `ladder(n, s1, s2, …)`: the first `n` steps summed (n rounded down, not
/// below 0), the last step again for each one past the end.
pub(crate) fn ladder(n: Decimal, steps: &[Decimal]) -> Result<Decimal, String> {
    let n = n.floor().max(Decimal::ZERO);
    let len = Decimal::from(steps.len());
    let mut sum = Decimal::ZERO;
    for (k, s) in steps.iter().enumerate() {
        if Decimal::from(k) < n {
            sum = add(sum, *s)?;
        }
    }
    if n > len {
        let last = steps.last().copied().unwrap_or_default();
        sum = add(sum, mul(sub(n, len)?, last)?)?;
    }
    Ok(sum)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod dec_cmp_tests {
    use super::{dec_cmp, div, small_product, steps_amount, whole_steps};
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    /// Any decimal: small and huge mantissas, either sign, every scale.
    fn decimal() -> impl Strategy<Value = Decimal> {
        (
            prop_oneof![
                -1000i128..1000,
                any::<i64>().prop_map(i128::from),
                (-(1i128 << 95)..(1i128 << 95)),
            ],
            0u32..=28,
        )
            .prop_map(|(m, s)| Decimal::from_i128_with_scale(m, s))
    }

    /// A step of 0 (of either sign) or below is refused, as `step <= 0`
    /// has it; any step above 0 is taken.
    #[test]
    fn steps_below_or_at_zero_are_refused() {
        let mut negative_zero = Decimal::new(0, 2);
        negative_zero.set_sign_negative(true);
        let (one, five) = (Decimal::ONE, Decimal::new(5, 0));
        for step in [
            Decimal::ZERO,
            negative_zero,
            Decimal::new(-5, 1),
            Decimal::new(-1, 28),
        ] {
            assert!(step <= Decimal::ZERO);
            // Short of the target, and not: refused either way.
            assert!(
                steps_amount(one, step, one, five, false, false).is_err(),
                "{step}"
            );
            assert!(
                steps_amount(one, step, five, one, false, false).is_err(),
                "{step}"
            );
        }
        for step in [Decimal::new(1, 28), Decimal::new(5, 1), five] {
            assert!(
                steps_amount(one, step, one, five, false, false).is_ok(),
                "{step}"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// Whole steps, where worked out without a division, are the
        /// division's rounded down or up, to the bit.
        #[test]
        fn whole_steps_are_rust_decimals(
            g in 1i128..100_000_000, s in 1i128..100_000, gs in 0u32..=12, ss in 0u32..=12, ceil in any::<bool>(),
        ) {
            let (gap, step) = (Decimal::from_i128_with_scale(g, gs), Decimal::from_i128_with_scale(s, ss));
            if let Some(n) = whole_steps(gap, step, ceil) {
                let q = div(gap, step).unwrap();
                let expected = if ceil { q.ceil() } else { q.floor() };
                prop_assert_eq!(Decimal::from(n).serialize(), expected.serialize());
            }
        }

        /// A rate times a whole number of steps, where worked out in 128
        /// bits, is rust_decimal's product, to the bit (zeros, signs and
        /// scales included).
        #[test]
        fn rate_times_whole_steps_is_rust_decimals(
            rate in decimal(),
            n in prop_oneof![0u64..3, 0u64..1_000_000_000_000, any::<u64>()],
        ) {
            if let Some(p) = small_product(rate, Decimal::from(n)) {
                prop_assert_eq!(
                    p.serialize(),
                    rate.checked_mul(Decimal::from(n)).unwrap().serialize()
                );
            }
        }

        /// A product of two small numbers worked out without a call is
        /// rust_decimal's, to the bit (signs and scales included).
        #[test]
        fn small_product_is_rust_decimals(
            m in prop_oneof![-3i64..3, -100_000i64..100_000, i64::from(i32::MIN)..=i64::from(u32::MAX)],
            n in prop_oneof![-3i64..3, -100_000i64..100_000, i64::from(i32::MIN)..=i64::from(u32::MAX)],
            s in 0u32..=28,
            t in 0u32..=28,
            a in decimal(),
            b in decimal(),
        ) {
            // Magnitudes of at most 2³² with scales adding up to 28 or
            // less: worked out here, never left to rust_decimal.
            prop_assert!(s + t > 28 || small_product(Decimal::new(m, s), Decimal::new(n, t)).is_some());
            for (x, y) in [(Decimal::new(m, s), Decimal::new(n, t)), (a, b)] {
                if let Some(p) = small_product(x, y) {
                    prop_assert_eq!(p.serialize(), x.checked_mul(y).unwrap().serialize());
                }
            }
        }

        /// A `per … below` rule's gap is its difference not below 0, as
        /// `Decimal::max` gives it (a 0 of any scale kept as it is), and
        /// its amount is the rate times the whole steps rust_decimal's
        /// division and rounding give, to the bit.
        #[test]
        fn steps_gap_and_amount_are_rust_decimals(
            a in decimal(), other in decimal(), rate in decimal(), above in any::<bool>(), ceil in any::<bool>(),
            same in any::<bool>(), k in 0u32..3,
        ) {
            // Half the targets are the actual value itself, at its scale
            // or a larger one: a gap of 0 with a scale of its own.
            let t = match a.mantissa().checked_mul(10i128.pow(k)) {
                Some(m) if same && a.scale() + k <= 28 && m.unsigned_abs() < (1u128 << 96) => {
                    Decimal::from_i128_with_scale(m, a.scale() + k)
                }
                _ => other,
            };
            let step = Decimal::new(5, 1);
            if let Ok(d) = steps_amount(rate, step, a, t, above, ceil) {
                let g = if above { a.checked_sub(t) } else { t.checked_sub(a) }.unwrap();
                let gap = g.max(Decimal::ZERO);
                prop_assert_eq!(d.gap.serialize(), gap.serialize());
                let q = gap.checked_div(step).unwrap();
                let steps = if ceil { q.ceil() } else { q.floor() };
                prop_assert_eq!(d.steps.serialize(), steps.serialize());
                prop_assert_eq!(d.raw.serialize(), rate.checked_mul(steps).unwrap().serialize());
            }
        }

        /// The fast comparison orders every pair as rust_decimal does.
        #[test]
        fn orders_as_rust_decimal(a in decimal(), b in decimal()) {
            prop_assert_eq!(dec_cmp(a, b), a.cmp(&b));
            prop_assert_eq!(dec_cmp(b, a), b.cmp(&a));
        }

        /// Numbers of one scale, either sign, zeros of either sign among
        /// them, order as rust_decimal orders them.
        #[test]
        fn same_scale_orders_as_rust_decimal(
            m in prop_oneof![-3i128..3, any::<i64>().prop_map(i128::from), (-(1i128 << 95)..(1i128 << 95))],
            n in prop_oneof![-3i128..3, any::<i64>().prop_map(i128::from), (-(1i128 << 95)..(1i128 << 95))],
            s in 0u32..=28,
            negative_zero in any::<bool>(),
        ) {
            let (mut a, b) = (Decimal::from_i128_with_scale(m, s), Decimal::from_i128_with_scale(n, s));
            if m == 0 && negative_zero {
                a.set_sign_negative(true);
            }
            prop_assert_eq!(dec_cmp(a, b), a.cmp(&b));
            prop_assert_eq!(dec_cmp(b, a), b.cmp(&a));
        }

        /// Any number against a zero of either sign and any scale, and
        /// the other way round.
        #[test]
        fn zeros_of_either_sign_order_as_rust_decimal(
            m in prop_oneof![-1000i128..1000, any::<i64>().prop_map(i128::from)],
            s in 0u32..=28,
            t in 0u32..=28,
            negative in any::<bool>(),
        ) {
            let mut zero = Decimal::from_i128_with_scale(0, t);
            zero.set_sign_negative(negative);
            let a = Decimal::from_i128_with_scale(m, s);
            prop_assert_eq!(dec_cmp(a, zero), a.cmp(&zero));
            prop_assert_eq!(dec_cmp(zero, a), zero.cmp(&a));
        }

        /// Equal values written at other scales (1.5 and 1.50) compare equal.
        #[test]
        fn rescaled_values_are_equal(m in -1_000_000i64..1_000_000, s in 0u32..10, k in 0u32..10) {
            let a = Decimal::new(m, s);
            let mut b = a;
            b.rescale(s + k);
            prop_assert_eq!(dec_cmp(a, b), std::cmp::Ordering::Equal);
        }
    }

    #[test]
    fn signed_zeros_and_extremes() {
        let neg_zero = -Decimal::ZERO;
        assert_eq!(dec_cmp(neg_zero, Decimal::ZERO), std::cmp::Ordering::Equal);
        assert_eq!(
            dec_cmp(Decimal::MAX, Decimal::MIN),
            std::cmp::Ordering::Greater
        );
        let tiny = Decimal::new(1, 28);
        assert_eq!(dec_cmp(tiny, Decimal::ZERO), std::cmp::Ordering::Greater);
        assert_eq!(dec_cmp(Decimal::MAX, tiny), std::cmp::Ordering::Greater);
    }
}
