//! User text made safe for where it goes: spreadsheet cells, Markdown and
//! HTML, terminals. Unit names, grades and reasons come from data files
//! and rulebooks that anyone may have written; each output passes them
//! through the one function for its medium.

use std::borrow::Cow;

/// A text cell a spreadsheet program will not run as a formula: text
/// starting with `=`, `+`, `-`, `@` (or their full-width forms), a tab or
/// a carriage return gets a leading `'`, as Excel itself marks text.
/// Used for every text cell of the CSV and XLSX outputs.
pub fn spreadsheet_cell(s: &str) -> Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '＝' | '＋' | '－' | '＠') => {
            Cow::Owned(format!("'{s}"))
        }
        _ => Cow::Borrowed(s),
    }
}

/// Text for a Markdown table cell: HTML's `&`, `<`, `>` as entities (so
/// `<script>` is shown, not run), `|` and `\` escaped, line breaks as spaces.
pub fn markdown_cell(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>', '|', '\\', '\n', '\r']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("\\|"),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Text for a terminal: control characters (escape sequences that clear
/// the screen or fake colours, backspaces, carriage returns) and the
/// invisible marks that reorder text are shown escaped (`\u{1b}`), so
/// what is printed is what the file says. Line breaks and tabs stay.
pub fn terminal(s: &str) -> Cow<'_, str> {
    let bad = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !s.contains(bad) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if bad(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        for s in [
            "=HYPERLINK(\"http://x\",\"a\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "＝1",
        ] {
            assert!(spreadsheet_cell(s).starts_with('\''), "{s}");
        }
        assert_eq!(spreadsheet_cell("甲县"), "甲县");
        assert_eq!(spreadsheet_cell(""), "");
    }

    #[test]
    fn markdown_escapes_html_and_pipes() {
        assert_eq!(
            markdown_cell("<script>a|b</script>&"),
            "&lt;script&gt;a\\|b&lt;/script&gt;&amp;"
        );
        assert_eq!(markdown_cell("a\nb"), "a b");
        assert_eq!(markdown_cell("甲县"), "甲县");
    }

    #[test]
    fn terminal_shows_controls() {
        assert_eq!(terminal("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(terminal("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(terminal("a\tb\nc"), "a\tb\nc");
        assert_eq!(terminal("a\u{7f}"), "a\\u{7f}");
    }
}
