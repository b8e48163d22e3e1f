//! `rulebook fmt`: lay a rulebook out the one way.
//!
//! Only the whitespace at the start and end of lines changes: two spaces per
//! open brace, trailing spaces removed, one newline at the end. A line that
//! continues the statement above it (after `=`, `+`, `,`, an open bracket, …,
//! or starting with an operator) keeps its hanging indent relative to the
//! statement's first line. Tokens, strings, comments and line numbers are
//! untouched, so the rulebook compiles to the same IR.

/// Words that leave a statement open when a line ends with them.
const OPEN_WORDS: [&str; 14] = [
    "and", "or", "not", "if", "then", "else", "of", "per", "each", "below", "above", "cap", "to",
    "in",
];

/// Starts of a line that continue the statement above.
const CONTINUES: [&str; 12] = [
    "+", "-", "−", "*", "×", "/", "÷", ")", "]", ",", "and ", "or ",
];

/// The rulebook laid out with canonical indentation.
pub fn format(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut depth: usize = 0;
    let mut brackets: usize = 0;
    let mut open_end = false;
    let mut last_char: Option<char> = None;
    // The first line of the current statement: its original and new indent.
    let mut anchor: Option<(usize, usize)> = None;
    // Inside a `"""` string that runs over several lines.
    let mut in_long = false;
    for line in src.lines() {
        let line = line.trim_end();
        let body = line.trim_start();
        // A line that starts inside a `"""` string continues its statement;
        // the spaces around its line breaks are no part of the string.
        let starts_in_long = in_long;
        if body.is_empty() {
            out.push('\n');
            continue;
        }
        let orig = line.len() - body.len();
        let closes_first = body.starts_with('}');
        let block = 2 * if closes_first {
            depth.saturating_sub(1)
        } else {
            depth
        };
        // A quoted label after an expression (`let x = … ⏎ "标签"`) continues
        // it; a quoted table row after a number or a brace does not.
        let trailing_label = body.starts_with('"')
            && last_char.is_some_and(|c| c == ')' || c == ']' || c.is_alphabetic() || c == '_');
        let continuation = starts_in_long
            || !closes_first
                && !body.starts_with('#')
                && (open_end
                    || brackets > 0
                    || trailing_label
                    || CONTINUES.iter().any(|c| body.starts_with(c)));
        let (opens, closes, b_open, b_close, last_code) = scan(body, &mut in_long);
        // A line that starts by closing the last open bracket (`]` of a
        // list spread over lines) lines up with the statement it ends.
        let ends_brackets = body.starts_with([']', ')'])
            && brackets > 0
            && (brackets + b_open).saturating_sub(b_close) == 0;
        let indent = match (continuation, anchor) {
            (true, Some((_, a_new))) if ends_brackets => a_new,
            (true, Some((a_orig, a_new))) => a_new + orig.saturating_sub(a_orig).max(2),
            (true, None) => block + 2,
            (false, _) => {
                anchor = Some((orig, block));
                block
            }
        };
        out.push_str(&" ".repeat(indent));
        out.push_str(body);
        out.push('\n');
        depth = (depth + opens).saturating_sub(closes);
        brackets = (brackets + b_open).saturating_sub(b_close);
        if let Some(code) = last_code {
            last_char = code.trim_end().chars().last();
        }
        // A trailing comma continues only inside brackets (counted above);
        // inside braces it separates fields.
        open_end = match last_code {
            Some(code) => {
                let code = code.trim_end();
                code.ends_with([
                    '=', '+', '-', '−', '*', '×', '/', '÷', '(', '[', '<', '>', '≤', '≥',
                ]) || OPEN_WORDS
                    .iter()
                    .any(|w| code.rsplit(|c: char| c.is_whitespace()).next() == Some(*w))
            }
            None => open_end,
        };
    }
    out
}

/// Braces and brackets outside strings and comments, and the line's code
/// (without its comment), if it has any. `in_long` says whether the line
/// starts inside a `"""` string, and is left saying whether it ends in one.
fn scan<'b>(body: &'b str, in_long: &mut bool) -> (usize, usize, usize, usize, Option<&'b str>) {
    let (mut opens, mut closes, mut b_open, mut b_close) = (0, 0, 0, 0);
    let mut in_string = false;
    let mut code_end = body.len();
    let mut skip = 0usize;
    for (i, c) in body.char_indices() {
        if skip > 0 {
            skip -= 1;
            continue;
        }
        let triple = c == '"' && body.get(i..).is_some_and(|r| r.starts_with("\"\"\""));
        match c {
            '"' if triple && !in_string => {
                *in_long = !*in_long;
                skip = 2;
            }
            _ if *in_long => {}
            '"' => in_string = !in_string,
            _ if in_string => {}
            '#' => {
                code_end = i;
                break;
            }
            '{' => opens += 1,
            '}' => closes += 1,
            '(' | '[' => b_open += 1,
            ')' | ']' => b_close += 1,
            _ => {}
        }
    }
    let code = body.get(..code_end).unwrap_or("").trim_end();
    (
        opens,
        closes,
        b_open,
        b_close,
        (!code.is_empty()).then_some(code),
    )
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn reindents_blocks_and_keeps_hanging_indents() {
        let src = "item 1 \"x\" {\n points 2   \n\t  clause 1.1 \"每次扣0.5分\" {\n        deduct 0.5 each a\n            cap 1\n  }\n      }";
        let want = "item 1 \"x\" {\n  points 2\n  clause 1.1 \"每次扣0.5分\" {\n    deduct 0.5 each a\n    cap 1\n  }\n}\n";
        assert_eq!(format(src), want);
        assert_eq!(format(want), want);
    }

    #[test]
    fn a_closing_bracket_lines_up_with_its_statement() {
        let src = "test \"t\" {\n  units [\n      { unit: \"甲\" },\n      { unit: \"乙\" }\n      ]\n  expect \"甲\" total = 1\n}\n";
        let want = "test \"t\" {\n  units [\n      { unit: \"甲\" },\n      { unit: \"乙\" }\n  ]\n  expect \"甲\" total = 1\n}\n";
        assert_eq!(format(src), want);
        assert_eq!(format(want), want);
    }

    #[test]
    fn continuation_lines_keep_their_offset() {
        let src = "let x =\n      a\n    + b \"标签\"\ninput y: count \"次数 { 不是块\" # 注释 {\n";
        let out = format(src);
        assert_eq!(
            out,
            "let x =\n      a\n    + b \"标签\"\ninput y: count \"次数 { 不是块\" # 注释 {\n"
        );
        assert_eq!(format(&out), out);
    }
}
