//! Runtime values: what a unit's inputs hold and what expressions produce.
//!
//! Numbers are exact decimals; dates are days since 1970-01-01; lists and
//! records are reference-counted so copying a value never copies its data.

use rust_decimal::Decimal;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An optional input or field that was not given (null).
    Missing,
    Bool(bool),
    Num(Decimal),
    /// Days since 1970-01-01.
    Date(i32),
    /// Text, and names from a listed set.
    Text(Arc<str>),
    List(Arc<[Value]>),
    /// A record's fields in declaration order.
    Record(Arc<[Value]>),
    /// A group from `grouped by`: its key and its records.
    Group(Arc<(Value, Vec<Value>)>),
}

impl Value {
    pub fn as_num(&self) -> Option<Decimal> {
        match self {
            Value::Num(d) => Some(*d),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    /// Whether the value holds anything on the heap (shared text, lists,
    /// records, groups). Every kind is named, so a new one must be placed.
    pub(crate) fn owns_heap(&self) -> bool {
        match self {
            Value::Missing | Value::Bool(_) | Value::Num(_) | Value::Date(_) => false,
            Value::Text(_) | Value::List(_) | Value::Record(_) | Value::Group(_) => true,
        }
    }
    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing)
    }
}

/// A decimal as people write it (no trailing zeros, no exponent; `0` for
/// any zero: `Decimal`'s `Display` of the normalised value), written to any
/// text sink without a text of its own made: the reports' `fmt_dec`, and
/// [`describe`](crate::eval::describe) for a number.
pub fn write_dec_to(out: &mut impl std::fmt::Write, d: Decimal) -> std::fmt::Result {
    if d.is_zero() {
        return out.write_str("0");
    }
    // Most figures have a mantissa of a few digits: written from it
    // directly, as `Decimal`'s own `Display` of the normalised value writes
    // it (a property test in rulebook-report holds the two together); any
    // other through it.
    let m = d.mantissa().unsigned_abs();
    let Ok(mut m) = u64::try_from(m) else {
        return write!(out, "{}", d.normalize());
    };
    let mut scale = d.scale();
    while scale > 0 && m % 10 == 0 {
        m /= 10;
        scale -= 1;
    }
    let mut digits = [0u8; 20];
    let mut n = 0;
    let mut rest = m;
    while rest > 0 || n == 0 {
        if let Some(slot) = digits.get_mut(n) {
            *slot = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        n += 1;
    }
    // The whole text, made here and written once: a sign, "0." and up to
    // 28 zeros, 20 digits.
    let mut text = [0u8; 64];
    let mut len = 0;
    let mut put = |c: u8| {
        if let Some(slot) = text.get_mut(len) {
            *slot = c;
            len += 1;
        }
    };
    if d.is_sign_negative() {
        put(b'-');
    }
    let scale = scale as usize;
    let digits = digits.iter().take(n).rev();
    if n <= scale {
        // 0.000ddd
        put(b'0');
        put(b'.');
        (n..scale).for_each(|_| put(b'0'));
        digits.for_each(|&c| put(c));
    } else {
        let int = n - scale;
        for (k, &c) in digits.enumerate() {
            if k == int {
                put(b'.');
            }
            put(c);
        }
    }
    match text.get(..len).map(std::str::from_utf8) {
        Some(Ok(t)) => out.write_str(t),
        _ => write!(out, "{}", d.normalize()),
    }
}

/// A number's unit after it, as the reports write it: "%" for a
/// percentage, nothing for a plain number, a count or points, and the
/// unit's symbol after a space for any other ("35 µg/m³").
pub fn push_unit(out: &mut String, u: rulebook_lang::ir::Unit) {
    use rulebook_lang::ir::Unit;
    match u {
        Unit::Pct => out.push('%'),
        Unit::Plain | Unit::Count | Unit::Points => {}
        other => {
            out.push(' ');
            out.push_str(other.symbol());
        }
    }
}

pub use rulebook_lang::date::{format_date, parse_date};
