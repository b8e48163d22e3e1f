//! One spreadsheet cell → the text the CSV reader would have seen.
//!
//! In: a calamine cell. Out: its text — what a person sees in the cell —
//! and, for a number that Excel cannot have displayed as stored, a reason
//! to refuse it. Numbers never take part in arithmetic here: the text goes
//! to the data checker, which reads it into an exact decimal.

use calamine::Data;
use chrono::{Datelike, Timelike};

/// Excel keeps and shows at most 15 significant digits of a number.
const EXCEL_DIGITS: usize = 15;

/// A cell's text, and why it cannot be used as it is (if it cannot).
pub(crate) struct CellText {
    pub text: String,
    pub problem: Option<(String, String)>,
}

impl CellText {
    fn ok(text: String) -> Self {
        CellText {
            text,
            problem: None,
        }
    }
}

pub(crate) fn cell_text(cell: &Data) -> CellText {
    match cell {
        Data::Empty => CellText::ok(String::new()),
        Data::String(s) => CellText::ok(s.clone()),
        Data::Int(i) => CellText::ok(i.to_string()),
        Data::Float(f) => number_text(*f),
        Data::Bool(true) => CellText::ok("true".into()),
        Data::Bool(false) => CellText::ok("false".into()),
        Data::DateTime(d) => CellText::ok(match d.as_datetime() {
            // A date; with a time of day it stays visible, and a date field refuses it.
            Some(dt) => {
                let date = format!("{:04}-{:02}-{:02}", dt.year(), dt.month(), dt.day());
                match (dt.hour(), dt.minute(), dt.second()) {
                    (0, 0, 0) => date,
                    (h, m, s) => format!("{date} {h:02}:{m:02}:{s:02}"),
                }
            }
            // Out of chrono's range: the serial number, which the checker refuses.
            None => d.to_string(),
        }),
        Data::DateTimeIso(s) => CellText::ok(match s.strip_suffix("T00:00:00") {
            Some(date) => date.to_owned(),
            None => s.clone(),
        }),
        Data::DurationIso(s) => CellText::ok(s.clone()),
        // `#DIV/0!` and the like: the checker says it is not a value of the
        // column's type, at this cell.
        Data::Error(e) => CellText::ok(e.to_string()),
    }
}

/// A number cell as the decimal text it displays.
///
/// Why an `f64` appears here at all: xlsx files store every number as an
/// IEEE double, and calamine hands it over as one. We never compute with
/// it. Rust's `Display` for `f64` writes the shortest decimal text that
/// reads back to the same double (96.35 → "96.35", never
/// "96.349999999999994"), and never an exponent; that text is exactly what
/// a person typed, since Excel keeps at most 15 significant digits of
/// typed input and any such decimal round-trips through a double. The text
/// then goes to the checker, which parses it exactly into a `Decimal`.
///
/// A double whose shortest text needs more than 15 significant digits
/// (`=0.1+0.2` gives 0.30000000000000004) was computed by a formula and is
/// not what the cell shows: it is refused rather than silently read.
fn number_text(value: f64) -> CellText {
    if !value.is_finite() {
        return CellText::ok(value.to_string());
    }
    let text = value.to_string();
    let digits = significant_digits(&text);
    if digits > EXCEL_DIGITS {
        return CellText {
            problem: Some((
                format!("the number `{text}` has more digits than Excel shows ({digits} significant digits)"),
                "it is probably a formula's result: wrap the formula in ROUND(…, 2), or type the value".into(),
            )),
            text,
        };
    }
    CellText::ok(text)
}

/// Significant digits of a plain decimal text (`-0.00120` → 3).
fn significant_digits(text: &str) -> usize {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    digits.trim_matches('0').len().max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_typed() {
        for (v, s) in [
            (96.35, "96.35"),
            (0.1, "0.1"),
            (3.0, "3"),
            (-2.5, "-2.5"),
            (1e21, "1000000000000000000000"),
            (0.000001, "0.000001"),
            (123456789012345.0, "123456789012345"),
        ] {
            let c = number_text(v);
            assert_eq!(c.text, s);
            assert!(c.problem.is_none(), "{s}");
        }
        let c = number_text(0.1 + 0.2);
        assert_eq!(c.text, "0.30000000000000004");
        assert!(c.problem.is_some());
    }
}
