//! Small readers of the document's wording: numbering marks and numbers.

use rust_decimal::Decimal;
use std::str::FromStr;

const CIRCLED: &str = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳";

/// `③…` → (3, the rest).
pub fn circled(s: &str) -> Option<(u32, &str)> {
    let c = s.chars().next()?;
    let n = CIRCLED.chars().position(|x| x == c)?;
    Some((n as u32 + 1, s.get(c.len_utf8()..)?))
}

/// `（12）…` or `(12)…` → (12, the rest).
pub fn part_marker(s: &str) -> Option<(u32, &str)> {
    let rest = s.strip_prefix('（').or_else(|| s.strip_prefix('('))?;
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() {
        return None;
    }
    let after = rest.get(digits.len()..)?;
    let after = after
        .strip_prefix('）')
        .or_else(|| after.strip_prefix(')'))?;
    Some((digits.parse().ok()?, after))
}

/// A decimal written in the document (`3`, `0.25`).
pub fn dec(s: &str) -> Option<Decimal> {
    let s = s.trim();
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    Decimal::from_str(s).ok().map(|d| d.normalize())
}

/// The number between `before` and `after` at their first occurrence
/// (`first_number_after("得3分", "得", "分")` = 3).
pub fn first_number_after(text: &str, before: &str, after: &str) -> Option<Decimal> {
    let mut rest = text;
    while let Some(i) = rest.find(before) {
        let tail = rest.get(i + before.len()..)?;
        let num: String = tail
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        if !num.is_empty() && tail.get(num.len()..)?.starts_with(after) {
            return dec(&num);
        }
        rest = tail;
    }
    None
}

/// The numbers written in a sentence, in order, with where each starts.
pub fn numbers(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let bytes: Vec<(usize, char)> = text.char_indices().collect();
    for (j, &(i, c)) in bytes.iter().enumerate() {
        let digit = c.is_ascii_digit();
        let dot_in_number = c == '.'
            && start.is_some()
            && bytes.get(j + 1).is_some_and(|(_, n)| n.is_ascii_digit());
        if digit || dot_in_number {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            out.push((s, text.get(s..i).unwrap_or("").to_string()));
        }
    }
    if let Some(s) = start {
        out.push((s, text.get(s..).unwrap_or("").to_string()));
    }
    out
}

/// The sentence with every number replaced by `#`: two sentences with the
/// same shape differ only in their numbers.
pub fn shape(text: &str) -> String {
    let mut out = String::new();
    let mut last = 0;
    for (i, n) in numbers(text) {
        out.push_str(text.get(last..i).unwrap_or(""));
        out.push('#');
        last = i + n.len();
    }
    out.push_str(text.get(last..).unwrap_or(""));
    out
}

/// Whitespace-insensitive form for comparing sentences.
pub fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}')
        .collect()
}

/// The sentence without its leading numbering mark.
pub fn unmarked(s: &str) -> &str {
    part_marker(s)
        .map(|(_, r)| r)
        .or_else(|| circled(s).map(|(_, r)| r))
        .unwrap_or(s)
        .trim_start()
}

/// Chinese text typed with half-width punctuation (, ; and : or brackets
/// around or beside Chinese), as the language's sentences write it:
/// full-width. A formula's brackets `3×(X1-20)/50` stay.
pub fn widen(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let cjk = |c: Option<&char>| {
        c.is_some_and(|c| ('\u{4e00}'..='\u{9fff}').contains(c) || "“”（）".contains(*c))
    };
    let mut wide = vec![false; chars.len()];
    for (i, c) in chars.iter().enumerate() {
        if *c != '(' {
            continue;
        }
        let Some(j) = chars.iter().skip(i).position(|c| *c == ')').map(|k| i + k) else {
            continue;
        };
        let inner = chars.get(i + 1..j).unwrap_or(&[]);
        let prev = i.checked_sub(1).and_then(|p| chars.get(p));
        if inner.iter().any(|c| cjk(Some(c))) || cjk(prev) || cjk(chars.get(j + 1)) {
            for k in [i, j] {
                if let Some(w) = wide.get_mut(k) {
                    *w = true;
                }
            }
        }
    }
    let digit = |k: Option<usize>| {
        k.and_then(|k| chars.get(k))
            .is_some_and(|c| c.is_ascii_digit())
    };
    chars
        .iter()
        .zip(&wide)
        .enumerate()
        .map(|(i, (c, w))| match (c, w) {
            // 1,000 stays.
            (',', _) if digit(i.checked_sub(1)) && digit(Some(i + 1)) => ',',
            (',', _) => '，',
            (';', _) => '；',
            (':', _) => '：',
            ('(', true) => '（',
            (')', true) => '）',
            (c, _) => *c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_and_numbers() {
        assert_eq!(circled("③检查"), Some((3, "检查")));
        assert_eq!(part_marker("（12）锅炉"), Some((12, "锅炉")));
        assert_eq!(part_marker("（镇）"), None);
        assert_eq!(
            first_number_after("得3分。每低0.1个百分点扣0.3分", "扣", "分"),
            dec("0.3")
        );
        assert_eq!(shape("每低0.1个百分点扣0.3分。"), "每低#个百分点扣#分。");
        assert_eq!(
            numbers("资源县96.5%。PM2.5"),
            vec![(9, "96.5".to_string()), (19, "2.5".to_string())]
        );
    }

    #[test]
    fn half_width_beside_chinese_widens() {
        assert_eq!(
            widen("突出“两个重点”,布局(125分);加扣分:参照"),
            "突出“两个重点”，布局（125分）；加扣分：参照"
        );
        // A formula's brackets and a thousands comma stay.
        assert_eq!(
            widen("Y1=3×(X1-20)/50，1,000元"),
            "Y1=3×(X1-20)/50，1,000元"
        );
    }
}
