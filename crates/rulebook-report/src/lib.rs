//! Reports: scored units → words, tables and files.
//!
//! `reason` turns a trace entry's numbers into a sentence a policy officer
//! can check against the document; `json`, `csv`, `table`, `markdown` and
//! `explain` lay out whole batches; `official` builds the document's table
//! that `xlsx` (the official table with scores) and `html` (a report with
//! charts) lay out; `safe` is the one place user text is made harmless for
//! spreadsheets, Markdown and terminals. Everything returns text or bytes;
//! the CLI decides where it goes.

pub mod csv_out;
pub mod diff;
pub mod explain;
pub mod html;
pub mod json;
pub mod markdown;
pub mod official;
pub mod reason;
pub mod safe;
pub mod table;
pub mod xlsx;

use rulebook_eval::eval::UnitResult;
use rust_decimal::Decimal;

/// How a unit's total is made, as every report prints it: 「总分 T ＝ 基础得分
/// B − 从总分扣减 D ＋ 加分 X」, where the base B is the sum of the item
/// scores; when the deductions off the total exceed the base, that part
/// counts as 0, and the line says so, so the figures always add up.
pub fn total_formula(u: &UnitResult) -> String {
    let (t, b, d, x) = (
        fmt_dec(u.total),
        fmt_dec(u.base),
        fmt_dec(u.total_deductions),
        fmt_dec(u.bonus),
    );
    match u.floored {
        None => format!("总分 {t} ＝ 基础得分 {b} − 从总分扣减 {d} ＋ 加分 {x}"),
        Some(_) => {
            // The rulebook's floor (0 unless it says `floor N`) raised base − deductions.
            let f = fmt_dec(u.total - u.bonus);
            format!("总分 {t} ＝ {f}（基础得分 {b} − 从总分扣减 {d}，不足 {f} 记 {f}）＋ 加分 {x}")
        }
    }
}

/// A decimal as people write it: no trailing zeros, no exponent.
pub fn fmt_dec(d: Decimal) -> String {
    let mut s = String::new();
    write_dec(&mut s, d);
    s
}

/// [`fmt_dec`] at the end of `out`, with no text of its own made.
pub fn write_dec(out: &mut String, d: Decimal) {
    // Writing to a String cannot fail.
    let _ = write_dec_to(out, d);
}

/// [`fmt_dec`] written to any text sink (a JSON number's small buffer):
/// the evaluator's own writer of decimals, which `describe` uses too.
pub use rulebook_eval::value::write_dec_to;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    /// What `write_dec` must give: `Decimal`'s `Display` of the normalised
    /// value, "0" for any zero.
    fn by_display(d: Decimal) -> String {
        if d.is_zero() {
            "0".into()
        } else {
            d.normalize().to_string()
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn decimals_are_written_as_display_writes_them(
            small in -1_000_000_000i64..1_000_000_000,
            wide in any::<i64>(),
            huge in -(1i128 << 95)..(1i128 << 95),
            pick in 0u8..3,
            scale in 0u32..=28,
        ) {
            let m = match pick {
                0 => i128::from(small),
                1 => i128::from(wide),
                _ => huge,
            };
            let d = Decimal::try_from_i128_with_scale(m, scale).unwrap();
            let mut got = String::new();
            write_dec(&mut got, d);
            prop_assert_eq!(got, by_display(d));
        }
    }

    #[test]
    fn edges() {
        for (m, scale) in [
            (0i128, 0u32),
            (0, 5),
            (-0, 3),
            (1, 28),
            (-1, 28),
            (10, 1),
            (1000, 3),
            (-25, 1),
            (i128::from(u64::MAX), 0),
            (i128::from(u64::MAX), 28),
            (-i128::from(u64::MAX), 10),
            (i128::from(u64::MAX) + 1, 4),
        ] {
            let d = Decimal::from_i128_with_scale(m, scale);
            let mut got = String::new();
            write_dec(&mut got, d);
            assert_eq!(got, by_display(d), "{m} e-{scale}");
        }
    }
}
