//! Exact reading of numbers written in JSON number syntax.
//!
//! In: the text of a number (a JSON number token, a JSON string, a CSV
//! cell). Out: the `Decimal` it denotes, exactly, or why it cannot be held
//! exactly. Never goes through floating point; never panics.

use rust_decimal::Decimal;

/// Why a text is not an exact decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumberError {
    /// Not JSON number syntax.
    Syntax,
    /// The integer part exceeds `Decimal::MAX`.
    TooLarge,
    /// Representable only by rounding (more than 28 decimal places, or too
    /// many significant digits).
    TooPrecise,
}

/// The largest mantissa a `Decimal` holds: 2^96 − 1.
const MAX_MANTISSA: u128 = (1u128 << 96) - 1;
const MAX_SCALE: i64 = 28;

fn is_digit(b: Option<&u8>) -> bool {
    matches!(b, Some(c) if c.is_ascii_digit())
}

/// The end of a JSON number starting at `start`, or the offset of the first
/// byte that breaks the syntax.
pub(crate) fn scan(b: &[u8], start: usize) -> Result<usize, usize> {
    let mut i = start;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => {
            i += 1;
            if is_digit(b.get(i)) {
                return Err(i);
            }
        }
        Some(b'1'..=b'9') => {
            while is_digit(b.get(i)) {
                i += 1;
            }
        }
        _ => return Err(i),
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !is_digit(b.get(i)) {
            return Err(i);
        }
        while is_digit(b.get(i)) {
            i += 1;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !is_digit(b.get(i)) {
            return Err(i);
        }
        while is_digit(b.get(i)) {
            i += 1;
        }
    }
    Ok(i)
}

/// The number token at `start` of `b` read in one pass, when it is short:
/// at most 18 digits and no exponent. Gives what [`parse_exact`] gives for
/// the token (value and scale) and where [`scan`] ends it; `None` for
/// anything else, well-formed or not (the caller then takes the general
/// path, which reports any error).
pub(crate) fn read_short(b: &[u8], start: usize) -> Option<(Decimal, usize)> {
    let neg = b.get(start) == Some(&b'-');
    let int_start = start + usize::from(neg);
    let mut i = int_start;
    let mut m: i64 = 0;
    while let Some(&c @ b'0'..=b'9') = b.get(i) {
        m = m.wrapping_mul(10).wrapping_add(i64::from(c - b'0'));
        i += 1;
    }
    let int_len = i - int_start;
    if int_len == 0 || (int_len > 1 && b.get(int_start) == Some(&b'0')) {
        return None;
    }
    let mut scale = 0usize;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while let Some(&c @ b'0'..=b'9') = b.get(i) {
            m = m.wrapping_mul(10).wrapping_add(i64::from(c - b'0'));
            i += 1;
            scale += 1;
        }
        if scale == 0 {
            return None;
        }
    }
    // More digits could overflow (and were added without checking).
    if int_len + scale > 18 || matches!(b.get(i), Some(b'e' | b'E')) {
        return None;
    }
    if m == 0 {
        return Some((Decimal::ZERO, i));
    }
    while scale > 0 && m % 10 == 0 {
        m /= 10;
        scale -= 1;
    }
    let scale = u32::try_from(scale).ok()?;
    Some((Decimal::new(if neg { -m } else { m }, scale), i))
}

/// The exact value of `text`, which must be a whole JSON number.
pub(crate) fn parse_exact(text: &str) -> Result<Decimal, NumberError> {
    let b = text.as_bytes();
    let neg = b.first() == Some(&b'-');
    if let Some((v, end)) = read_short(b, 0) {
        if end == b.len() {
            return Ok(v);
        }
    }
    match scan(b, 0) {
        Ok(end) if end == b.len() => general(text, neg),
        _ => Err(NumberError::Syntax),
    }
}

/// Any well-formed number (`scan` has accepted it), exactly.
fn general(text: &str, neg: bool) -> Result<Decimal, NumberError> {
    let body = if neg {
        text.get(1..).unwrap_or("")
    } else {
        text
    };
    let (mantissa_text, exp_text) = match body.find(['e', 'E']) {
        Some(i) => (body.get(..i).unwrap_or(""), body.get(i + 1..).unwrap_or("")),
        None => (body, ""),
    };
    let (int_text, frac_text) = match mantissa_text.find('.') {
        Some(i) => (
            mantissa_text.get(..i).unwrap_or(""),
            mantissa_text.get(i + 1..).unwrap_or(""),
        ),
        None => (mantissa_text, ""),
    };
    // The exponent, saturated far beyond anything representable.
    let mut exp: i64 = 0;
    let (exp_neg, exp_digits) = match exp_text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, exp_text.strip_prefix('+').unwrap_or(exp_text)),
    };
    for c in exp_digits.bytes() {
        exp = (exp * 10 + i64::from(c - b'0')).min(1_000_000_000);
    }
    if exp_neg {
        exp = -exp;
    }
    // The digits of int_text ++ frac_text, each with weight
    // 10^(int_len - 1 - k + exp) for position k.
    let all = || int_text.bytes().chain(frac_text.bytes()).map(|c| c - b'0');
    let total = int_text.len() + frac_text.len();
    let (Some(first), Some(from_end)) =
        (all().position(|d| d != 0), all().rev().position(|d| d != 0))
    else {
        return Ok(Decimal::ZERO);
    };
    let last = total - 1 - from_end;
    let significant = || all().skip(first).take(last + 1 - first);
    let count = (last + 1 - first) as i64;
    let int_len = int_text.len() as i64;
    // The scale that makes the last significant digit the units digit of the mantissa.
    let scale = last as i64 + 1 - int_len - exp;
    // How many digits the integer part has.
    let int_digits = count - scale;
    if int_digits > 29 {
        return Err(NumberError::TooLarge);
    }
    if scale > MAX_SCALE {
        return Err(NumberError::TooPrecise);
    }
    let too_big = || {
        // Only the integer part decides between "too large" and "too precise".
        if int_digits < 29 {
            return NumberError::TooPrecise;
        }
        let int_part = significant()
            .chain(std::iter::repeat(0))
            .take(29)
            .fold(0u128, |n, d| n * 10 + u128::from(d));
        if int_part > MAX_MANTISSA {
            NumberError::TooLarge
        } else {
            NumberError::TooPrecise
        }
    };
    let mut mantissa: u128 = 0;
    for d in significant() {
        mantissa = match mantissa
            .checked_mul(10)
            .and_then(|m| m.checked_add(u128::from(d)))
        {
            Some(m) if m <= MAX_MANTISSA => m,
            _ => return Err(too_big()),
        };
    }
    let mut scale = scale;
    while scale < 0 {
        mantissa = match mantissa.checked_mul(10) {
            Some(m) if m <= MAX_MANTISSA => m,
            _ => return Err(too_big()),
        };
        scale += 1;
    }
    let signed = i128::try_from(mantissa).map_err(|_| too_big())?;
    let signed = if neg { -signed } else { signed };
    let scale = u32::try_from(scale).map_err(|_| NumberError::TooPrecise)?;
    Decimal::try_from_i128_with_scale(signed, scale).map_err(|_| too_big())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn exact_values() {
        assert_eq!(parse_exact("96.35"), Ok(d("96.35")));
        assert_eq!(
            parse_exact("96.350").map(|v| v.to_string()),
            Ok("96.35".into())
        );
        assert_eq!(parse_exact("0.1"), Ok(d("0.1")));
        assert_eq!(parse_exact("-0"), Ok(Decimal::ZERO));
        assert_eq!(parse_exact("-0.0e5"), Ok(Decimal::ZERO));
        assert_eq!(parse_exact("3.0").map(|v| v.to_string()), Ok("3".into()));
        assert_eq!(parse_exact("1e3").map(|v| v.to_string()), Ok("1000".into()));
        assert_eq!(parse_exact("125E-2"), Ok(d("1.25")));
        assert_eq!(parse_exact("-2.5e+1"), Ok(d("-25")));
        assert_eq!(parse_exact("0e99999999999999999999"), Ok(Decimal::ZERO));
        assert_eq!(
            parse_exact("79228162514264337593543950335"),
            Ok(Decimal::MAX)
        );
        assert_eq!(
            parse_exact("0.0000000000000000000000000001"),
            Ok(d("0.0000000000000000000000000001"))
        );
    }

    /// The short path gives what the general path gives, value and scale,
    /// for every short number: all of 0..=2000 at every place of the
    /// point, and digit strings up to the 18-digit limit.
    #[test]
    fn short_path_agrees_with_the_general_one() {
        let mut texts = Vec::new();
        for n in 0..=2000u32 {
            let digits = n.to_string();
            for point in 1..digits.len() {
                let (a, b) = digits.split_at(point);
                texts.push(format!("{a}.{b}"));
            }
            texts.push(format!("0.{digits}"));
            texts.push(format!("{digits}.000"));
            texts.push(digits);
        }
        texts.push("999999999999999999".into());
        texts.push("9999999999999999.9".into());
        texts.push("0.0000000000000001".into());
        for t in texts {
            for neg in [false, true] {
                let text = if neg { format!("-{t}") } else { t.clone() };
                if scan(text.as_bytes(), 0) != Ok(text.len()) {
                    continue;
                }
                let (short, end) = read_short(text.as_bytes(), 0).unwrap();
                assert_eq!(end, text.len(), "{text}");
                let general = general(&text, neg).unwrap();
                assert_eq!(short, general, "{text}");
                assert_eq!(short.to_string(), general.to_string(), "{text}");
                assert_eq!(short.scale(), general.scale(), "{text}");
            }
        }
    }

    /// The short path never accepts what `scan` refuses, and ends a number
    /// where `scan` does.
    #[test]
    fn short_path_refuses_what_scan_refuses() {
        let alphabet = [b'0', b'1', b'9', b'.', b'-'];
        let mut texts: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..5 {
            let longer: Vec<Vec<u8>> = texts
                .iter()
                .flat_map(|t| {
                    alphabet.iter().map(move |c| {
                        let mut t = t.clone();
                        t.push(*c);
                        t
                    })
                })
                .collect();
            texts.extend(longer);
        }
        for t in texts {
            if let Some((_, end)) = read_short(&t, 0) {
                assert_eq!(scan(&t, 0), Ok(end), "{:?}", String::from_utf8_lossy(&t));
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

        /// The one-pass reading of a token gives what the scan and the
        /// general reading give, value, scale and end, or declines: on text
        /// built from the characters of numbers, and on long digit runs
        /// about the 18-digit limit.
        #[test]
        fn read_short_agrees_with_scan_and_parse_exact(
            text in "[-0-9.eE+ ,x]{0,24}|-?[0-9]{15,21}(\\.[0-9]{0,6})?[,}]?",
            at in 0usize..3,
        ) {
            let b = text.as_bytes();
            let start = at.min(b.len());
            if let Some((v, end)) = read_short(b, start) {
                proptest::prop_assert_eq!(scan(b, start), Ok(end));
                let token = text.get(start..end).unwrap();
                let exact = general(token, token.starts_with('-')).unwrap();
                proptest::prop_assert_eq!(v, exact);
                proptest::prop_assert_eq!(v.scale(), exact.scale());
            } else if let Ok(end) = scan(b, start) {
                // Declined only beyond its reach: an exponent or more than 18 digits.
                let token = text.get(start..end).unwrap();
                let digits = token.bytes().filter(u8::is_ascii_digit).count();
                proptest::prop_assert!(token.contains(['e', 'E']) || digits > 18, "{}", token);
            }
        }
    }

    #[test]
    fn refused() {
        for s in [
            "", "-", "01", "1.", ".5", "+1", "1e", "1e+", " 1", "1 ", "0x10", "1,5", "NaN",
        ] {
            assert_eq!(parse_exact(s), Err(NumberError::Syntax), "{s:?}");
        }
        for s in [
            "1e400",
            "99999999999999999999999999999999",
            "79228162514264337593543950336",
            "-1e29",
            "1e99999999999999999999",
        ] {
            assert_eq!(parse_exact(s), Err(NumberError::TooLarge), "{s:?}");
        }
        for s in [
            "1e-400",
            "0.00000000000000000000000000001",
            "1.0000000000000000000000000000001",
        ] {
            assert_eq!(parse_exact(s), Err(NumberError::TooPrecise), "{s:?}");
        }
    }
}
