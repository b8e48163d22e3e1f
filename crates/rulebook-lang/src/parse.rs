//! Parsing: source text → [`crate::ast::File`].
//!
//! The grammar lives in `grammar/rules.pest`. pest gives a tree of pairs; this
//! pass turns it into the typed syntax tree with a byte span on every node.
//! Syntax errors become one [`Diagnostic`] located by byte offset into the
//! whole file and worded with names a rulebook author knows, never grammar
//! rule names. Very deep nesting is refused before pest sees it, so no input
//! can overflow the stack.

use crate::ast::*;
use crate::diag::{Code, Diagnostic};
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest::Parser as _;
use rust_decimal::Decimal;
use std::sync::OnceLock;

#[derive(pest_derive::Parser)]
#[grammar = "../../../grammar/rules.pest"]
struct RulesParser;

/// Brackets nested deeper than this are refused with a diagnostic.
pub const MAX_NESTING: usize = 64;
/// Expression trees deeper than this are refused with a diagnostic.
pub const MAX_DEPTH: usize = 256;

/// The depth of an expression tree, measured without recursion.
fn depth(e: &Expr) -> usize {
    let mut max = 0;
    let mut stack: Vec<(&Expr, usize)> = vec![(e, 1)];
    while let Some((x, d)) = stack.pop() {
        max = max.max(d);
        if d > MAX_DEPTH {
            break;
        }
        stack.extend(children(x).into_iter().map(|c| (c, d + 1)));
    }
    max
}

fn children(x: &Expr) -> Vec<&Expr> {
    let mut out: Vec<&Expr> = Vec::new();
    match &x.node {
        ExprKind::Number(..)
        | ExprKind::Date(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::Name(_)
        | ExprKind::Builtin(_) => {}
        ExprKind::List(items) | ExprKind::Call(_, items) => out.extend(items.iter()),
        ExprKind::Unary(_, a)
        | ExprKind::Field(a, _)
        | ExprKind::IsMissing(a, _)
        | ExprKind::GroupedBy(a, _) => out.push(a),
        ExprKind::Binary(_, a, b) => out.extend([&**a, &**b]),
        ExprKind::If(a, b, c) => out.extend([&**a, &**b, &**c]),
        ExprKind::Comprehension {
            body, fors, filter, ..
        } => {
            out.push(body);
            out.extend(fors.iter().map(|(_, l)| l));
            out.extend(filter.as_deref());
        }
        ExprKind::Binder { list, filter, .. } => {
            out.push(list);
            out.extend(filter.as_deref());
        }
        ExprKind::Index(a, keys) => {
            out.push(a);
            out.extend(keys.iter());
        }
        ExprKind::Cases(arms) => {
            for (c, v) in arms {
                out.extend(c.iter());
                out.push(v);
            }
        }
        ExprKind::AcrossUnits { body, filter, .. } => {
            out.push(body);
            out.extend(filter.as_deref());
        }
        ExprKind::Tiers(a, tiers) => {
            out.push(a);
            for t in tiers {
                out.push(&t.amount);
                match &t.band {
                    Band::Else => {}
                    Band::Cmp(_, b) => out.push(b),
                    Band::Interval { lo, hi, .. } => out.extend([lo, hi]),
                }
            }
        }
    }
    out
}

/// Parse a whole file. On a syntax error, returns the diagnostics instead.
pub fn parse(src: &str) -> Result<File, Vec<Diagnostic>> {
    if let Some(d) = nesting_check(src) {
        return Err(vec![d]);
    }
    let mut pairs = match RulesParser::parse(Rule::file, src) {
        Ok(p) => p,
        Err(e) => return Err(syntax_errors(src, e)),
    };
    let mut b = Builder::default();
    if let Some(file) = pairs.next() {
        b.file(file);
    }
    if b.errors.is_empty() {
        Ok(b.out)
    } else {
        Err(b.errors)
    }
}

/// Words that start a declaration or node at the top level of a file.
const TOP_WORDS: [&str; 13] = [
    "rulebook", "document", "input", "global", "param", "let", "table", "grade", "test", "section",
    "item", "part", "clause",
];

/// Every syntax error of the file, not just the first: after an error, the
/// top-level declaration that holds it is blanked out (a space per byte and
/// the newlines kept, so every offset stays true) and the rest is parsed again.
fn syntax_errors(src: &str, first: pest::error::Error<Rule>) -> Vec<Diagnostic> {
    let mut out = vec![syntax_error(src, first)];
    let mut text = src.to_string();
    let mut last_pos = out.first().map(|d| d.primary_span().start).unwrap_or(0);
    for _ in 0..10 {
        let Some((start, end)) = top_level_around(&text, last_pos) else {
            break;
        };
        let blanked: String = text
            .get(start..end)
            .unwrap_or("")
            .chars()
            .map(|c| {
                if c == '\n' {
                    "\n".to_string()
                } else {
                    " ".repeat(c.len_utf8())
                }
            })
            .collect();
        text.replace_range(start..end, &blanked);
        match RulesParser::parse(Rule::file, &text) {
            Ok(_) => break,
            Err(e) => {
                let d = syntax_error_at(&text, e, false);
                let pos = d.primary_span().start;
                if pos <= last_pos {
                    break;
                }
                last_pos = pos;
                out.push(d);
            }
        }
    }
    out
}

/// The byte range of the top-level declaration around `pos`: from the start
/// of the line, at or before `pos`, that begins with a top-level word in the
/// first column, to the next such line.
fn top_level_around(text: &str, pos: usize) -> Option<(usize, usize)> {
    let starts_decl = |line: &str| {
        TOP_WORDS.iter().any(|w| {
            line.strip_prefix(w)
                .is_some_and(|r| r.starts_with([' ', '\t']))
        })
    };
    let mut start = None;
    let mut end = text.len();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if starts_decl(line) {
            if offset <= pos {
                start = Some(offset);
            } else {
                end = offset;
                break;
            }
        }
        offset += line.len();
    }
    let start = start?;
    (start < end && end <= text.len()).then_some((start, end))
}

fn nesting_check(src: &str) -> Option<Diagnostic> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut in_comment = false;
    let mut prefix_run = 0usize;
    // Inside a `"""` string, and how many quote characters to pass over.
    let mut in_long = false;
    let mut skip = 0usize;
    for (i, c) in src.char_indices() {
        if skip > 0 {
            skip -= 1;
            continue;
        }
        let triple = c == '"' && src.get(i..).is_some_and(|r| r.starts_with("\"\"\""));
        if in_long {
            if triple {
                in_long = false;
                skip = 2;
            }
            continue;
        }
        if in_comment {
            in_comment = c != '\n';
            continue;
        }
        if in_string {
            in_string = c != '"' && c != '\n';
            continue;
        }
        match c {
            '"' if triple => {
                in_long = true;
                skip = 2;
            }
            '"' => in_string = true,
            '#' => in_comment = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        // Runs of prefix operators (`- - - x`, `not not x`) nest as deeply as brackets do.
        match c {
            '-' | '−' => prefix_run += 1,
            ' ' | '\t' | '\n' | '\r' => {}
            'n' if src
                .get(i..)
                .is_some_and(|r| r.starts_with("not ") || r.starts_with("not(")) =>
            {
                prefix_run += 1
            }
            'o' | 't'
                if prefix_run > 0
                    && src
                        .get(..i)
                        .is_some_and(|b| b.ends_with('n') || b.ends_with("no")) => {}
            _ => prefix_run = 0,
        }
        if depth > MAX_NESTING || prefix_run > MAX_NESTING {
            return Some(
                Diagnostic::error(Code::TooDeep, "expressions are nested too deeply")
                    .label(
                        Span::new(i, i + c.len_utf8()),
                        "nesting goes deeper than 64 levels here",
                    )
                    .help("split the expression with `let` into named steps"),
            );
        }
    }
    None
}

/// Words for the grammar's rules, as a rulebook author would say them.
fn rule_word(r: Rule) -> &'static str {
    match r {
        Rule::EOI => "end of file",
        Rule::file | Rule::node_body => "a declaration or node",
        Rule::rulebook_decl => "`rulebook`",
        Rule::document_decl => "`document`",
        Rule::input_decl => "`input`",
        Rule::global_decl => "`global`",
        Rule::param_decl => "`param`",
        Rule::let_decl => "`let`",
        Rule::table_decl => "`table`",
        Rule::grade_decl => "`grade`",
        Rule::test_decl => "`test`",
        Rule::node => "a section, item, part or clause",
        Rule::node_kind => "`section`, `item`, `part` or `clause`",
        Rule::node_id => "a number such as `5.1.2`",
        Rule::id_range => "a node number or range such as `5.1..5.4`",
        Rule::ident => "a name",
        Rule::string | Rule::label => "a quoted text",
        Rule::number | Rule::signed_number | Rule::integer | Rule::quantity => "a number",
        Rule::date => "a date (YYYY-MM-DD)",
        Rule::type_expr | Rule::scalar_type => "a type such as `count`, `pct` or `bool`",
        Rule::range | Rule::range_in | Rule::range_cmp => "a range such as `in 0..100`",
        Rule::cmp_op => "a comparison (`>`, `>=`, `<`, `<=`, `=`)",
        Rule::expr | Rule::primary => "an expression",
        Rule::infix
        | Rule::or_op
        | Rule::and_op
        | Rule::eq_op
        | Rule::ne_op
        | Rule::le_op
        | Rule::ge_op
        | Rule::lt_op
        | Rule::gt_op
        | Rule::add_op
        | Rule::sub_op
        | Rule::mul_op
        | Rule::div_op => "an operator",
        Rule::postfix | Rule::field_access | Rule::index => "`.field` or `[key]`",
        Rule::rule | Rule::rule_kind => "`award`, `deduct` or `veto`",
        Rule::amount => "an amount",
        Rule::rule_mod
        | Rule::cap_mod
        | Rule::if_mod
        | Rule::unless_mod
        | Rule::partial_mod
        | Rule::round_mod
        | Rule::times_mod => "`cap`, `if`, `unless`, `times`, `to total` or `off`",
        Rule::floor_decl => "`floor`",
        Rule::round_decl => "`round`",
        Rule::year_decl | Rule::year_key => "a year such as `2024`",
        Rule::none_kw => "`none`",
        Rule::else_amount => "`else`",
        Rule::cases_expr | Rule::case_arm => "a case such as `rate >= 90%: 10`",
        Rule::across_units => "`across units`",
        Rule::ascending_kw => "`ascending`",
        Rule::each_tail => "`each`",
        Rule::step_tail => "`per`",
        Rule::direction => "`below` or `above`",
        Rule::tier | Rule::band_cmp | Rule::band_to | Rule::band_interval | Rule::band_else => {
            "a tier such as `> 75: 1`"
        }
        Rule::target | Rule::to_total | Rule::off_target => "`to total` or `off`",
        Rule::points_stmt => "`points`",
        Rule::by_stmt => "`by`",
        Rule::text_stmt => "`text`",
        Rule::todo_stmt => "`todo`",
        Rule::cap_stmt | Rule::cap_block => "`cap`",
        Rule::param_values | Rule::param_value => "a unit's value such as `\"资源县\": 96.5`",
        Rule::table_row => "a table row such as `\"national\", \"fail\": 1`",
        Rule::table_cite => "`cite` and a clause number such as `18.1.1`",
        Rule::test_expect
        | Rule::test_expect_error
        | Rule::expect_unit
        | Rule::expect_target
        | Rule::expect_kw
        | Rule::expect_node => "`expect`",
        Rule::error_kw => "`error`",
        Rule::field_path => "a field such as `rate` or `plants[0].load_rate`",
        Rule::test_units => "`units`",
        Rule::value | Rule::object | Rule::array | Rule::pair => "a value",
        Rule::field => "a field such as `name: type`",
        Rule::for_clause => "`for`",
        Rule::where_clause => "`where`",
        Rule::binder => "`x in list`",
        Rule::call => "a call",
        _ => "more text",
    }
}

/// Parse again with pest's error detail on, to learn the farthest place the
/// parser reached and the punctuation it wanted there (plain errors only
/// name grammar rules, so a missing `:` shows up as an error one token early).
fn farthest_attempt(src: &str) -> Option<(usize, Vec<String>)> {
    pest::set_error_detail(true);
    let result = RulesParser::parse(Rule::file, src);
    pest::set_error_detail(false);
    let attempts = result.err()?.parse_attempts()?;
    let tokens: Vec<String> = attempts
        .expected_tokens()
        .into_iter()
        .map(|t| t.to_string())
        // Punctuation only: words and character ranges say less than the rule names do.
        .filter(|t| {
            !t.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}')
                .is_empty()
                && t != "BUILTIN_RULE"
                && t != "#"
                && !t.chars().any(char::is_alphanumeric)
        })
        .map(|t| format!("`{t}`"))
        .collect();
    Some((attempts.max_position, tokens))
}

fn syntax_error(src: &str, e: pest::error::Error<Rule>) -> Diagnostic {
    syntax_error_at(src, e, true)
}

/// `detail`: look for the farthest place reached (one more parse; done for
/// the first error of a file, not for the ones found while recovering).
fn syntax_error_at(src: &str, e: pest::error::Error<Rule>, detail: bool) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let mut pos = pos.min(src.len());
    let mut punctuation: Vec<String> = Vec::new();
    if let Some((far, tokens)) = detail.then(|| farthest_attempt(src)).flatten() {
        if far > pos && far <= src.len() && src.is_char_boundary(far) && !tokens.is_empty() {
            pos = far;
            punctuation = tokens;
        }
    }
    // Label the whole offending token, or one character at the end of file.
    let rest = src.get(pos..).unwrap_or("");
    let tok_len = token_len(rest);
    let span = if rest.trim().is_empty() {
        // At the end of the file: point at the last thing written.
        let end = src.trim_end().len();
        let start = src
            .get(..end)
            .and_then(|s| s.char_indices().last())
            .map(|(i, _)| i)
            .unwrap_or(0);
        Span::new(start, end)
    } else {
        Span::new(pos, pos + tok_len)
    };
    let found = if rest.trim().is_empty() {
        "end of file".to_string()
    } else {
        format!("`{}`", rest.get(..tok_len).unwrap_or(""))
    };
    let expected = match &e.variant {
        _ if !punctuation.is_empty() => punctuation.iter().map(|s| s.as_str()).collect(),
        ErrorVariant::ParsingError { positives, .. } => {
            let mut words: Vec<&str> = Vec::new();
            for w in positives.iter().map(|r| rule_word(*r)) {
                if w != "more text" && !words.contains(&w) {
                    words.push(w);
                }
            }
            words
        }
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let expected_text = match expected.len() {
        0 => "something else".to_string(),
        1 => expected.first().map(|s| s.to_string()).unwrap_or_default(),
        // A long list says less than a short one. Inside a node's braces,
        // say what belongs there; elsewhere name the first few.
        n if n > 4 && expected.contains(&"`award`, `deduct` or `veto`") => {
            "another rule (`award`, `deduct`, `veto`), a statement, or `}` to close the block"
                .to_string()
        }
        n if n > 4 => format!(
            "{}, or the end of the block `}}`",
            expected.get(..3).unwrap_or(&[]).join(", ")
        ),
        _ => {
            let (last, init) = expected.split_last().unwrap_or((&"", &[]));
            format!("{} or {}", init.join(", "), last)
        }
    };
    let mut d = Diagnostic::error(Code::Syntax, format!("unexpected {found}"))
        .label(span, format!("expected {expected_text}"));
    d = d.help(syntax_help(rest));
    d
}

fn syntax_help(rest: &str) -> String {
    let first = rest.chars().next().unwrap_or(' ');
    if "，。：；（）【】“”".contains(first) {
        return format!(
            "`{first}` is Chinese punctuation; outside quoted text use the ASCII form (`,` `.` `:` `;` `(` `)` `\"`)"
        );
    }
    if rest.trim().is_empty() {
        return "the file ends too early: a `}` or a quote may be missing".to_string();
    }
    "see docs/language.md for the forms this place accepts".to_string()
}

fn token_len(rest: &str) -> usize {
    let mut len = 0;
    for c in rest.chars() {
        if c.is_whitespace() {
            break;
        }
        len += c.len_utf8();
        if !(c.is_alphanumeric() || c == '_' || c == '.') {
            break;
        }
    }
    len.max(rest.chars().next().map(|c| c.len_utf8()).unwrap_or(0))
}

/// A pair's span without the whitespace and comments pest may have skipped
/// at its end.
fn span_of(p: &Pair<'_, Rule>) -> Span {
    let s = p.as_span();
    Span::new(s.start(), s.start() + trimmed_len(s.as_str()))
}

fn trimmed_len(text: &str) -> usize {
    let mut t = text.trim_end();
    loop {
        let line_start = t.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let last = t.get(line_start..).unwrap_or("");
        match comment_start(last) {
            Some(c) => t = t.get(..line_start + c).unwrap_or("").trim_end(),
            None => return t.len(),
        }
    }
}

/// Where a `#` comment starts in a line, outside quoted text.
fn comment_start(line: &str) -> Option<usize> {
    let mut in_string = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '#' if !in_string => return Some(i),
            _ => {}
        }
    }
    None
}

fn unquote(p: &Pair<'_, Rule>) -> Spanned<String> {
    let s = p.as_str();
    if let Some(inner) = s
        .strip_prefix("\"\"\"")
        .and_then(|x| x.strip_suffix("\"\"\""))
    {
        return Spanned::new(join_lines(inner), span_of(p));
    }
    let inner = s
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(s);
    Spanned::new(inner.to_string(), span_of(p))
}

/// A `"""` string's text: the lines joined, each line break dropped with
/// the spaces and tabs around it (Chinese text has no spaces between
/// words, so a sentence wrapped across lines reads as one sentence).
pub(crate) fn join_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut lines = s.split('\n').peekable();
    let mut first = true;
    while let Some(line) = lines.next() {
        let line = if first {
            line
        } else {
            line.trim_start_matches([' ', '\t'])
        };
        let line = if lines.peek().is_some() {
            line.trim_end_matches([' ', '\t', '\r'])
        } else {
            line
        };
        out.push_str(line);
        first = false;
    }
    out
}

fn ident(p: &Pair<'_, Rule>) -> Ident {
    Spanned::new(p.as_str().to_string(), span_of(p))
}

fn pratt() -> &'static PrattParser<Rule> {
    static P: OnceLock<PrattParser<Rule>> = OnceLock::new();
    P.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::or_op, Assoc::Left))
            .op(Op::infix(Rule::and_op, Assoc::Left))
            .op(Op::prefix(Rule::not_op))
            .op(Op::infix(Rule::eq_op, Assoc::Left)
                | Op::infix(Rule::ne_op, Assoc::Left)
                | Op::infix(Rule::lt_op, Assoc::Left)
                | Op::infix(Rule::le_op, Assoc::Left)
                | Op::infix(Rule::gt_op, Assoc::Left)
                | Op::infix(Rule::ge_op, Assoc::Left))
            .op(Op::infix(Rule::add_op, Assoc::Left) | Op::infix(Rule::sub_op, Assoc::Left))
            .op(Op::infix(Rule::mul_op, Assoc::Left) | Op::infix(Rule::div_op, Assoc::Left))
            .op(Op::prefix(Rule::neg_op))
            .op(Op::postfix(Rule::is_missing)
                | Op::postfix(Rule::is_given)
                | Op::postfix(Rule::index)
                | Op::postfix(Rule::field_access)
                | Op::postfix(Rule::grouped_by))
    })
}

#[derive(Default)]
struct Builder {
    out: File,
    errors: Vec<Diagnostic>,
}

impl Builder {
    fn number(&mut self, p: &Pair<'_, Rule>) -> Spanned<Decimal> {
        let text: String = p
            .as_str()
            .chars()
            .map(|c| if c == '−' { '-' } else { c })
            .collect();
        // Exactly as written or not at all: `from_str` would round
        // 0.99999999999999999999999999999 to 1 without a word.
        let v = match Decimal::from_str_exact(&text) {
            Ok(v) => v,
            Err(_) => {
                self.errors.push(
                    Diagnostic::error(
                        Code::BadNumber,
                        format!("`{}` cannot be held exactly", p.as_str()),
                    )
                    .label(span_of(p), "too large or too many digits")
                    .help(
                        "numbers may have at most 28 digits after the decimal point and 29 in all",
                    ),
                );
                Decimal::ZERO
            }
        };
        Spanned::new(v, span_of(p))
    }

    /// `none` or a number of decimal places (at most 10).
    fn places(&mut self, n: &Pair<'_, Rule>) -> Option<u32> {
        if n.as_rule() == Rule::none_kw {
            return None;
        }
        let places = n.as_str().parse::<u32>().unwrap_or(u32::MAX);
        if places > 10 {
            self.errors.push(
                Diagnostic::error(Code::BadNumber, "too many decimal places")
                    .label(span_of(n), "at most 10")
                    .help("scores are kept to at most 10 decimal places"),
            );
        }
        Some(places.min(10))
    }

    fn file(&mut self, file: Pair<'_, Rule>) {
        let mut root = NodeBody::default();
        for p in file.into_inner() {
            match p.as_rule() {
                Rule::floor_decl => {
                    let span = span_of(&p);
                    if let Some(v) = p.into_inner().next() {
                        let floor = match v.as_rule() {
                            Rule::none_kw => None,
                            _ => Some(self.number(&v).node),
                        };
                        self.out.floor = Some(Spanned::new(floor, span));
                    }
                }
                Rule::round_decl => {
                    let span = span_of(&p);
                    if let Some(v) = p.into_inner().next() {
                        let places = self.places(&v);
                        self.out.round = Some(Spanned::new(places, span));
                    }
                }
                Rule::year_decl => {
                    let span = span_of(&p);
                    if let Some(v) = p.into_inner().next() {
                        let year = match v.as_rule() {
                            Rule::ident => crate::ast::YearDecl::From(ident(&v)),
                            _ => crate::ast::YearDecl::Fixed(v.as_str().parse().unwrap_or(0)),
                        };
                        self.out.year = Some(Spanned::new(year, span));
                    }
                }
                Rule::rulebook_decl => {
                    if let Some(s) = p.into_inner().next() {
                        self.out.title = Some(unquote(&s));
                    }
                }
                Rule::document_decl => {
                    if let Some(s) = p.into_inner().next() {
                        self.out.document = Some(unquote(&s));
                    }
                }
                Rule::input_decl => self.input(p, InputKind::Unit),
                Rule::global_decl => self.input(p, InputKind::Global),
                Rule::param_decl => self.input(p, InputKind::Param),
                Rule::let_decl => {
                    let l = self.let_decl(p);
                    self.out.lets.push(l);
                }
                Rule::table_decl => self.table(p),
                Rule::grade_decl => self.grade(p),
                Rule::test_decl => self.test(p),
                Rule::EOI => {}
                _ => self.body_item(&mut root, p),
            }
        }
        self.out.root = root;
    }

    fn input(&mut self, p: Pair<'_, Rule>, kind: InputKind) {
        let span = span_of(&p);
        let mut it = p.into_inner();
        let (Some(name), Some(ty)) = (it.next(), it.next()) else {
            return;
        };
        let name = ident(&name);
        let ty = self.type_expr(ty);
        let mut label = None;
        let mut values = Vec::new();
        let mut by_year = Vec::new();
        for q in it {
            match q.as_rule() {
                Rule::label => label = q.into_inner().next().map(|s| unquote(&s)),
                Rule::param_values => {
                    for v in q.into_inner() {
                        let mut unit = None;
                        let mut year = None;
                        let mut num = None;
                        for x in v.into_inner() {
                            match x.as_rule() {
                                Rule::string => unit = Some(unquote(&x)),
                                Rule::year_key => {
                                    year = Some(Spanned::new(
                                        x.as_str().parse::<i32>().unwrap_or(0),
                                        span_of(&x),
                                    ))
                                }
                                _ => num = Some(self.number(&x)),
                            }
                        }
                        match (unit, year, num) {
                            (Some(u), None, Some(n)) => values.push((u, n)),
                            (unit, Some(year), Some(value)) => {
                                by_year.push(crate::ast::YearValue { unit, year, value })
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        self.out.inputs.push(InputDecl {
            kind,
            name,
            ty,
            label,
            values,
            by_year,
            span,
        });
    }

    fn type_expr(&mut self, p: Pair<'_, Rule>) -> TypeExpr {
        let span = span_of(&p);
        let mut optional = false;
        let mut body = TypeBody::Scalar("number".into());
        let mut range = Vec::new();
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::optional_kw => optional = true,
                Rule::scalar_type => body = TypeBody::Scalar(q.as_str().to_string()),
                Rule::enum_type => {
                    body = TypeBody::Enum(q.into_inner().map(|s| unquote(&s)).collect())
                }
                Rule::list_type => {
                    if let Some(inner) = q.into_inner().next() {
                        body = TypeBody::List(Box::new(self.type_expr(inner)));
                    }
                }
                Rule::record_type => {
                    let mut fields = Vec::new();
                    for f in q.into_inner() {
                        let mut fi = f.into_inner();
                        let (Some(n), Some(t)) = (fi.next(), fi.next()) else {
                            continue;
                        };
                        let label = fi
                            .next()
                            .and_then(|l| l.into_inner().next())
                            .map(|s| unquote(&s));
                        fields.push(FieldDecl {
                            name: ident(&n),
                            ty: self.type_expr(t),
                            label,
                        });
                    }
                    body = TypeBody::Record(fields);
                }
                Rule::range => {
                    for r in q.into_inner() {
                        match r.as_rule() {
                            Rule::range_in => {
                                let mut ri = r.into_inner();
                                if let (Some(a), Some(b)) = (ri.next(), ri.next()) {
                                    range.push((CmpOp::Ge, self.number(&a)));
                                    range.push((CmpOp::Le, self.number(&b)));
                                }
                            }
                            Rule::range_cmp => {
                                let mut ri = r.into_inner();
                                if let (Some(op), Some(n)) = (ri.next(), ri.next()) {
                                    range.push((cmp_op(op.as_str()), self.number(&n)));
                                }
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        TypeExpr {
            optional,
            body,
            range,
            span,
        }
    }

    fn let_decl(&mut self, p: Pair<'_, Rule>) -> LetDecl {
        let span = span_of(&p);
        let mut it = p.into_inner();
        let name = it
            .next()
            .map(|n| ident(&n))
            .unwrap_or_else(|| Spanned::new(String::new(), span));
        let value = it
            .next()
            .map(|e| self.expr(e))
            .unwrap_or_else(|| Spanned::new(ExprKind::Bool(false), span));
        let label = it
            .next()
            .and_then(|l| l.into_inner().next())
            .map(|s| unquote(&s));
        LetDecl {
            name,
            value,
            label,
            span,
        }
    }

    fn table(&mut self, p: Pair<'_, Rule>) {
        let span = span_of(&p);
        let mut name = Spanned::new(String::new(), span);
        let mut label = None;
        let mut rows = Vec::new();
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::ident => name = ident(&q),
                Rule::label => label = q.into_inner().next().map(|s| unquote(&s)),
                Rule::table_row => {
                    let rspan = span_of(&q);
                    let mut keys = Vec::new();
                    let mut value = Spanned::new(Decimal::ZERO, rspan);
                    let mut cite = None;
                    for r in q.into_inner() {
                        match r.as_rule() {
                            Rule::string => keys.push(unquote(&r)),
                            Rule::signed_number => value = self.number(&r),
                            Rule::table_cite => {
                                cite = r
                                    .into_inner()
                                    .next()
                                    .map(|id| Spanned::new(id.as_str().to_string(), span_of(&id)))
                            }
                            _ => {}
                        }
                    }
                    rows.push(TableRow {
                        keys,
                        value,
                        cite,
                        span: rspan,
                    });
                }
                _ => {}
            }
        }
        self.out.tables.push(TableDecl {
            name,
            label,
            rows,
            span,
        });
    }

    fn grade(&mut self, p: Pair<'_, Rule>) {
        let span = span_of(&p);
        let mut it = p.into_inner();
        let Some(name) = it.next() else { return };
        let condition = it
            .next()
            .and_then(|c| match c.as_rule() {
                Rule::grade_if => c.into_inner().next(),
                _ => None,
            })
            .map(|e| self.expr(e));
        self.out.grades.push(GradeDecl {
            name: unquote(&name),
            condition,
            span,
        });
    }

    fn node(&mut self, p: Pair<'_, Rule>) -> Node {
        let span = span_of(&p);
        let mut kind = NodeKind::Item;
        let mut id = Spanned::new(String::new(), span);
        let mut title = None;
        let mut body = NodeBody::default();
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::node_kind => {
                    kind = match q.as_str() {
                        "section" => NodeKind::Section,
                        "part" => NodeKind::Part,
                        "clause" => NodeKind::Clause,
                        _ => NodeKind::Item,
                    }
                }
                Rule::node_id => id = ident(&q),
                Rule::string => title = Some(unquote(&q)),
                Rule::node_body => {
                    for s in q.into_inner() {
                        self.body_item(&mut body, s);
                    }
                }
                _ => {}
            }
        }
        Node {
            kind,
            id,
            title,
            body,
            span,
        }
    }

    fn body_item(&mut self, body: &mut NodeBody, p: Pair<'_, Rule>) {
        let span = span_of(&p);
        match p.as_rule() {
            Rule::node => {
                let n = self.node(p);
                body.children.push(n);
            }
            Rule::let_decl => {
                let l = self.let_decl(p);
                self.out.lets.push(l);
            }
            // Declarations may sit beside the item that uses them; their
            // names are global all the same.
            Rule::input_decl => self.input(p, InputKind::Unit),
            Rule::global_decl => self.input(p, InputKind::Global),
            Rule::param_decl => self.input(p, InputKind::Param),
            Rule::table_decl => self.table(p),
            Rule::points_stmt => {
                if let Some(n) = p.into_inner().next() {
                    if let Some(first) = &body.points {
                        self.errors.push(
                            Diagnostic::error(Code::DuplicateStatement, "`points` is given twice")
                                .label(span, "second `points`")
                                .label(first.span, "first `points`")
                                .help("keep one `points` per node: the 分值 the document gives it"),
                        );
                    }
                    body.points = Some(self.number(&n));
                }
            }
            Rule::no_base_stmt => body.no_base = Some(span),
            Rule::bonus_stmt => body.bonus = Some(span),
            Rule::by_stmt => body.by.extend(p.into_inner().next().map(|s| unquote(&s))),
            Rule::text_stmt => body.text.extend(p.into_inner().next().map(|s| unquote(&s))),
            Rule::todo_stmt => body.todos.extend(
                p.into_inner()
                    .next()
                    .map(|s| Spanned::new(unquote(&s).node, span)),
            ),
            Rule::cap_stmt => body.cap = p.into_inner().next().map(|e| self.expr(e)),
            Rule::cap_block => {
                let mut it = p.into_inner();
                let Some(cap) = it.next().map(|e| self.expr(e)) else {
                    return;
                };
                let rules = it.map(|r| self.rule(r)).collect();
                body.rules.push(RuleOrBlock::Block { cap, rules, span });
            }
            Rule::target_stmt => {
                if let Some(t) = p.into_inner().next() {
                    body.target = Some(self.target(t));
                }
            }
            Rule::rule => {
                let r = self.rule(p);
                body.rules.push(RuleOrBlock::Rule(Box::new(r)));
            }
            _ => {}
        }
    }

    fn target(&mut self, p: Pair<'_, Rule>) -> Spanned<Target> {
        let span = span_of(&p);
        match p.as_rule() {
            Rule::off_target => {
                let mut ranges = Vec::new();
                let mut then_total = false;
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::id_range => {
                            let mut ri = q.into_inner();
                            if let Some(a) = ri.next() {
                                ranges.push((ident(&a), ri.next().map(|b| ident(&b))));
                            }
                        }
                        Rule::then_total => then_total = true,
                        _ => {}
                    }
                }
                Spanned::new(Target::Off { ranges, then_total }, span)
            }
            _ => Spanned::new(Target::Total, span),
        }
    }

    fn rule(&mut self, p: Pair<'_, Rule>) -> crate::ast::Rule {
        let span = span_of(&p);
        let mut r = crate::ast::Rule {
            kind: RuleKind::Award,
            amount: None,
            cap: None,
            condition: None,
            unless: None,
            partial_steps: false,
            round: None,
            otherwise: None,
            times: None,
            target: None,
            span,
        };
        for q in p.into_inner() {
            let qspan = span_of(&q);
            match q.as_rule() {
                Rule::rule_kind => {
                    r.kind = match q.as_str() {
                        "deduct" => RuleKind::Deduct,
                        "veto" => RuleKind::Veto,
                        _ => RuleKind::Award,
                    }
                }
                Rule::amount => r.amount = Some(self.amount(q)),
                Rule::cap_mod => r.cap = q.into_inner().next().map(|e| self.expr(e)),
                Rule::if_mod => {
                    let mut it = q.into_inner();
                    r.condition = it.next().map(|e| self.expr(e));
                    r.otherwise = it
                        .next()
                        .and_then(|o| o.into_inner().next())
                        .map(|e| self.expr(e));
                }
                Rule::times_mod => {
                    let mut it = q.into_inner();
                    if let Some(f) = it.next() {
                        let factor = self.expr(f);
                        let when = it.next().map(|e| self.expr(e));
                        r.times = Some(crate::ast::Times {
                            factor,
                            when,
                            span: qspan,
                        });
                    }
                }
                Rule::unless_mod => r.unless = q.into_inner().next().map(|e| self.expr(e)),
                Rule::partial_mod => r.partial_steps = true,
                Rule::round_mod => {
                    if let Some(n) = q.into_inner().next() {
                        r.round = Some(Spanned::new(self.places(&n), qspan));
                    }
                }
                Rule::to_total | Rule::off_target => r.target = Some(self.target(q)),
                _ => {}
            }
        }
        r
    }

    fn amount(&mut self, p: Pair<'_, Rule>) -> Amount {
        let mut it = p.into_inner();
        let Some(first) = it.next() else {
            return Amount::Plain(Spanned::new(ExprKind::Bool(false), Span::default()));
        };
        let head = self.expr(first);
        let Some(tail) = it.next() else {
            return Amount::Plain(head);
        };
        let tspan = span_of(&tail);
        let tail_rule = tail.as_rule();
        let mut parts: Vec<Pair<'_, Rule>> = tail.into_inner().collect();
        let dummy = || Spanned::new(ExprKind::Bool(false), tspan);
        match tail_rule {
            Rule::each_tail => Amount::Each {
                rate: head,
                count: parts.pop().map(|e| self.expr(e)).unwrap_or_else(dummy),
            },
            Rule::step_tail => {
                let mut get = parts.into_iter();
                let step = get.next().map(|e| self.expr(e)).unwrap_or_else(dummy);
                let actual = get.next().map(|e| self.expr(e)).unwrap_or_else(dummy);
                let direction = match get.next().map(|d| d.as_str().to_string()).as_deref() {
                    Some("above") => Direction::Above,
                    _ => Direction::Below,
                };
                let target = get.next().map(|e| self.expr(e)).unwrap_or_else(dummy);
                Amount::Steps {
                    rate: head,
                    step,
                    actual,
                    direction,
                    target,
                }
            }
            _ => {
                let mut get = parts.into_iter();
                let ratio = get.next().map(|e| self.expr(e)).unwrap_or_else(dummy);
                let floor = get
                    .next()
                    .and_then(|f| f.into_inner().next())
                    .map(|e| self.expr(e));
                Amount::Proportion {
                    max: head,
                    ratio,
                    floor,
                }
            }
        }
    }

    fn tier(&mut self, p: Pair<'_, Rule>) -> Tier {
        let span = span_of(&p);
        let mut it = p.into_inner();
        let dummy = Spanned::new(ExprKind::Bool(false), span);
        let band = match it.next() {
            Some(b) => match b.as_rule() {
                Rule::band_else => Band::Else,
                Rule::band_cmp => {
                    let mut bi = b.into_inner();
                    let op = bi.next().map(|o| cmp_op(o.as_str())).unwrap_or(CmpOp::Eq);
                    let e = bi.next().map(|e| self.expr(e)).unwrap_or(dummy.clone());
                    Band::Cmp(op, e)
                }
                Rule::band_to => {
                    let mut bi = b.into_inner();
                    let lo = bi.next().map(|e| self.expr(e)).unwrap_or(dummy.clone());
                    let hi = bi.next().map(|e| self.expr(e)).unwrap_or(dummy.clone());
                    Band::Interval {
                        lo,
                        lo_closed: true,
                        hi,
                        hi_closed: true,
                    }
                }
                _ => {
                    let mut bi = b.into_inner();
                    let lo_closed = bi.next().map(|o| o.as_str() == "[").unwrap_or(true);
                    let lo = bi.next().map(|e| self.expr(e)).unwrap_or(dummy.clone());
                    let hi = bi.next().map(|e| self.expr(e)).unwrap_or(dummy.clone());
                    let hi_closed = bi.next().map(|o| o.as_str() == "]").unwrap_or(true);
                    Band::Interval {
                        lo,
                        lo_closed,
                        hi,
                        hi_closed,
                    }
                }
            },
            None => Band::Else,
        };
        let amount = it.next().map(|e| self.expr(e)).unwrap_or(dummy);
        Tier { band, amount, span }
    }

    fn expr(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = span_of(&p);
        let pairs = p.into_inner();
        // A long run of operators builds a tree as deep as the run is long;
        // refuse it before building (even dropping such a tree recurses).
        if pairs.clone().count() > 2 * MAX_DEPTH {
            self.errors.push(
                Diagnostic::error(Code::TooDeep, "this expression is too long")
                    .label(span, format!("more than {MAX_DEPTH} operators in a row"))
                    .help("split the expression with `let` into named steps"),
            );
            return Spanned::new(ExprKind::Bool(false), span);
        }
        let e = self.pratt_expr(pairs);
        // A long run of operators (`a + a + ... + a`, `not not ... x`) makes
        // a deep tree even without brackets; later passes recurse over it.
        if depth(&e) > MAX_DEPTH {
            self.errors.push(
                Diagnostic::error(Code::TooDeep, "this expression is too long")
                    .label(e.span, format!("more than {MAX_DEPTH} operators deep"))
                    .help("split the expression with `let` into named steps"),
            );
            return Spanned::new(ExprKind::Bool(false), e.span);
        }
        e
    }

    fn pratt_expr(&mut self, pairs: Pairs<'_, Rule>) -> Expr {
        // The Pratt parser's closures cannot borrow `self` mutably more than
        // once, so number errors are collected in a cell and moved after.
        let errors = std::cell::RefCell::new(Vec::new());
        let e = pratt()
            .map_primary(|p| primary(p, &errors))
            .map_prefix(|op, rhs| {
                let span = span_of(&op).join(rhs.span);
                let u = if op.as_rule() == Rule::not_op {
                    UnaryOp::Not
                } else {
                    UnaryOp::Neg
                };
                Spanned::new(ExprKind::Unary(u, Box::new(rhs)), span)
            })
            .map_postfix(|lhs, op| {
                let span = lhs.span.join(span_of(&op));
                let kind = match op.as_rule() {
                    Rule::is_missing => ExprKind::IsMissing(Box::new(lhs), true),
                    Rule::is_given => ExprKind::IsMissing(Box::new(lhs), false),
                    Rule::field_access => {
                        let f = op
                            .into_inner()
                            .next()
                            .map(|i| ident(&i))
                            .unwrap_or_else(|| Spanned::new(String::new(), span));
                        ExprKind::Field(Box::new(lhs), f)
                    }
                    Rule::grouped_by => {
                        let f = op
                            .into_inner()
                            .next()
                            .map(|i| ident(&i))
                            .unwrap_or_else(|| Spanned::new(String::new(), span));
                        ExprKind::GroupedBy(Box::new(lhs), f)
                    }
                    _ => {
                        let keys = op.into_inner().map(|e| expr_of(e, &errors)).collect();
                        ExprKind::Index(Box::new(lhs), keys)
                    }
                };
                Spanned::new(kind, span)
            })
            .map_infix(|lhs, op, rhs| {
                let span = lhs.span.join(rhs.span);
                let bop = match op.as_rule() {
                    Rule::or_op => BinOp::Or,
                    Rule::and_op => BinOp::And,
                    Rule::eq_op => BinOp::Cmp(CmpOp::Eq),
                    Rule::ne_op => BinOp::Cmp(CmpOp::Ne),
                    Rule::lt_op => BinOp::Cmp(CmpOp::Lt),
                    Rule::le_op => BinOp::Cmp(CmpOp::Le),
                    Rule::gt_op => BinOp::Cmp(CmpOp::Gt),
                    Rule::ge_op => BinOp::Cmp(CmpOp::Ge),
                    Rule::add_op => BinOp::Add,
                    Rule::sub_op => BinOp::Sub,
                    Rule::mul_op => BinOp::Mul,
                    _ => BinOp::Div,
                };
                Spanned::new(ExprKind::Binary(bop, Box::new(lhs), Box::new(rhs)), span)
            })
            .parse(pairs);
        self.errors.extend(errors.into_inner());
        e
    }

    fn test(&mut self, p: Pair<'_, Rule>) {
        let span = span_of(&p);
        let mut it = p.into_inner();
        let Some(name) = it.next() else { return };
        let mut t = TestDecl {
            name: unquote(&name),
            data: None,
            given: None,
            globals: None,
            units: None,
            expects: Vec::new(),
            expect_errors: Vec::new(),
            repeated: Vec::new(),
            span,
        };
        // Where each once-only statement was first written.
        let mut seen: Vec<(&'static str, Span)> = Vec::new();
        for q in it {
            let qspan = span_of(&q);
            let once = match q.as_rule() {
                Rule::test_data => Some("data"),
                Rule::test_given => Some("given"),
                Rule::test_globals => Some("globals"),
                Rule::test_units => Some("units"),
                _ => None,
            };
            if let Some(what) = once {
                if let Some(&(_, first)) = seen.iter().find(|(w, _)| *w == what) {
                    t.repeated.push(Repeated {
                        what,
                        first,
                        again: qspan,
                    });
                    continue;
                }
                seen.push((what, qspan));
            }
            match q.as_rule() {
                Rule::test_data => {
                    let mut qi = q.into_inner();
                    if let Some(path) = qi.next() {
                        t.data = Some((unquote(&path), qi.next().map(|u| unquote(&u))));
                    }
                }
                Rule::test_given => {
                    if let Some(o) = q.into_inner().next() {
                        t.given = Some(self.value(o));
                    }
                }
                Rule::test_globals => {
                    if let Some(o) = q.into_inner().next() {
                        t.globals = Some(self.value(o));
                    }
                }
                Rule::test_units => {
                    if let Some(o) = q.into_inner().next() {
                        t.units = Some(self.value(o));
                    }
                }
                Rule::test_expect_error => {
                    if let Some(f) = q.into_inner().find(|f| f.as_rule() != Rule::error_kw) {
                        t.expect_errors.push(if f.as_rule() == Rule::string {
                            unquote(&f)
                        } else {
                            Spanned::new(f.as_str().to_string(), span_of(&f))
                        });
                    }
                }
                Rule::test_expect => {
                    let mut qi = q.into_inner().peekable();
                    let unit = match qi.peek() {
                        Some(u) if u.as_rule() == Rule::expect_unit => qi
                            .next()
                            .and_then(|u| u.into_inner().next())
                            .map(|u| unquote(&u)),
                        _ => None,
                    };
                    let (Some(target), Some(value)) = (qi.next(), qi.next()) else {
                        continue;
                    };
                    let tspan = span_of(&target);
                    let Some(inner) = target.into_inner().next() else {
                        continue;
                    };
                    let tgt = match inner.as_rule() {
                        Rule::expect_kw => match inner.as_str() {
                            "total" => ExpectTarget::Total,
                            "base" => ExpectTarget::Base,
                            "bonus" => ExpectTarget::Bonus,
                            "deductions" => ExpectTarget::Deductions,
                            "grade" => ExpectTarget::Grade,
                            "rank" => ExpectTarget::Rank,
                            _ => ExpectTarget::Vetoes,
                        },
                        _ => {
                            let mut ni = inner.into_inner();
                            let id = ni
                                .next()
                                .map(|i| i.as_str().to_string())
                                .unwrap_or_default();
                            ExpectTarget::Node {
                                id,
                                to_total: ni.next().is_some(),
                            }
                        }
                    };
                    let value = self.value(value);
                    t.expects.push(Expect {
                        unit,
                        target: Spanned::new(tgt, tspan),
                        value,
                        span: qspan,
                    });
                }
                _ => {}
            }
        }
        self.out.tests.push(t);
    }

    fn value(&mut self, p: Pair<'_, Rule>) -> Spanned<Value> {
        let span = span_of(&p);
        let v = match p.as_rule() {
            Rule::object => Value::Object(
                p.into_inner()
                    .filter_map(|pair| {
                        let mut pi = pair.into_inner();
                        let k = pi.next()?;
                        let key = if k.as_rule() == Rule::string {
                            unquote(&k).node
                        } else {
                            k.as_str().to_string()
                        };
                        let v = pi.next()?;
                        Some((key, self.value(v).node))
                    })
                    .collect(),
            ),
            Rule::array => Value::List(p.into_inner().map(|v| self.value(v).node).collect()),
            Rule::date => Value::Date(p.as_str().to_string()),
            Rule::signed_number => Value::Number(self.number(&p).node),
            Rule::string => Value::Str(unquote(&p).node),
            Rule::bool_lit => Value::Bool(p.as_str() == "true"),
            _ => Value::Null,
        };
        Spanned::new(v, span)
    }
}

fn cmp_op(s: &str) -> CmpOp {
    match s {
        ">=" | "≥" => CmpOp::Ge,
        "<=" | "≤" => CmpOp::Le,
        ">" => CmpOp::Gt,
        "<" => CmpOp::Lt,
        "!=" | "≠" => CmpOp::Ne,
        _ => CmpOp::Eq,
    }
}

fn expr_of(p: Pair<'_, Rule>, errors: &std::cell::RefCell<Vec<Diagnostic>>) -> Expr {
    let mut b = Builder::default();
    let e = b.expr(p);
    errors.borrow_mut().extend(b.errors);
    e
}

fn primary(p: Pair<'_, Rule>, errors: &std::cell::RefCell<Vec<Diagnostic>>) -> Expr {
    let span = span_of(&p);
    let kind = match p.as_rule() {
        Rule::paren => {
            return p
                .into_inner()
                .next()
                .map(|e| expr_of(e, errors))
                .unwrap_or_else(|| Spanned::new(ExprKind::Bool(false), span))
        }
        Rule::if_expr => {
            let mut it = p.into_inner().map(|e| expr_of(e, errors));
            let dummy = Spanned::new(ExprKind::Bool(false), span);
            let c = it.next().unwrap_or(dummy.clone());
            let a = it.next().unwrap_or(dummy.clone());
            let b = it.next().unwrap_or(dummy);
            ExprKind::If(Box::new(c), Box::new(a), Box::new(b))
        }
        Rule::call => {
            let mut it = p.into_inner();
            let func = it
                .next()
                .map(|f| ident(&f))
                .unwrap_or_else(|| Spanned::new(String::new(), span));
            let rest: Vec<Pair<'_, Rule>> = it.collect();
            match rest.first().map(|r| r.as_rule()) {
                Some(Rule::binder) => {
                    let mut bi = rest
                        .into_iter()
                        .next()
                        .map(|b| b.into_inner())
                        .into_iter()
                        .flatten();
                    let var = bi
                        .next()
                        .map(|v| ident(&v))
                        .unwrap_or_else(|| Spanned::new(String::new(), span));
                    let list = bi
                        .next()
                        .map(|e| expr_of(e, errors))
                        .unwrap_or_else(|| Spanned::new(ExprKind::Bool(false), span));
                    let filter = bi
                        .next()
                        .and_then(|w| w.into_inner().next())
                        .map(|e| Box::new(expr_of(e, errors)));
                    ExprKind::Binder {
                        func,
                        var,
                        list: Box::new(list),
                        filter,
                    }
                }
                _ if rest.iter().any(|r| r.as_rule() == Rule::across_units) => {
                    let mut body = None;
                    let mut filter = None;
                    for r in rest {
                        match r.as_rule() {
                            Rule::across_units => {
                                filter = r
                                    .into_inner()
                                    .next()
                                    .and_then(|w| w.into_inner().next())
                                    .map(|e| Box::new(expr_of(e, errors)))
                            }
                            _ => body = Some(expr_of(r, errors)),
                        }
                    }
                    ExprKind::AcrossUnits {
                        func,
                        body: Box::new(
                            body.unwrap_or_else(|| Spanned::new(ExprKind::Bool(false), span)),
                        ),
                        filter,
                    }
                }
                _ if rest.iter().any(|r| r.as_rule() == Rule::for_clause) => {
                    let mut body = None;
                    let mut fors = Vec::new();
                    let mut filter = None;
                    for r in rest {
                        match r.as_rule() {
                            Rule::for_clause => {
                                let mut fi = r.into_inner();
                                if let (Some(v), Some(l)) = (fi.next(), fi.next()) {
                                    fors.push((ident(&v), expr_of(l, errors)));
                                }
                            }
                            Rule::where_clause => {
                                filter = r.into_inner().next().map(|e| Box::new(expr_of(e, errors)))
                            }
                            _ => body = Some(expr_of(r, errors)),
                        }
                    }
                    ExprKind::Comprehension {
                        func,
                        body: Box::new(
                            body.unwrap_or_else(|| Spanned::new(ExprKind::Bool(false), span)),
                        ),
                        fors,
                        filter,
                    }
                }
                // `rank(E ascending)`: smallest first, which is the rank of −E
                // (ties shared alike).
                _ if rest.iter().any(|r| r.as_rule() == Rule::ascending_kw) => {
                    let args: Vec<Expr> = rest
                        .into_iter()
                        .filter(|r| r.as_rule() != Rule::ascending_kw)
                        .map(|e| expr_of(e, errors))
                        .map(|e| {
                            let s = e.span;
                            if func.node == "rank" {
                                Spanned::new(ExprKind::Unary(UnaryOp::Neg, Box::new(e)), s)
                            } else {
                                e
                            }
                        })
                        .collect();
                    if func.node != "rank" {
                        errors.borrow_mut().push(
                            Diagnostic::error(
                                Code::MisplacedModifier,
                                "only `rank` takes `ascending`",
                            )
                            .label(func.span, "not `rank`")
                            .help("write `rank(pm25 ascending)` for places smallest first"),
                        );
                    }
                    ExprKind::Call(func, args)
                }
                _ => ExprKind::Call(func, rest.into_iter().map(|e| expr_of(e, errors)).collect()),
            }
        }
        Rule::tiers_expr => {
            let mut b = Builder::default();
            let mut ti = p.into_inner();
            let subject = ti
                .next()
                .map(|e| b.expr(e))
                .unwrap_or_else(|| Spanned::new(ExprKind::Bool(false), span));
            let tiers = ti.map(|t| b.tier(t)).collect();
            errors.borrow_mut().extend(b.errors);
            ExprKind::Tiers(Box::new(subject), tiers)
        }
        Rule::cases_expr => {
            let mut b = Builder::default();
            let arms = p
                .into_inner()
                .map(|arm| {
                    let mut ai = arm.into_inner();
                    let cond = match ai.next() {
                        Some(c) if c.as_rule() == Rule::band_else => None,
                        Some(c) => Some(b.expr(c)),
                        None => None,
                    };
                    let value = ai
                        .next()
                        .map(|e| b.expr(e))
                        .unwrap_or_else(|| Spanned::new(ExprKind::Bool(false), span));
                    (cond, value)
                })
                .collect();
            errors.borrow_mut().extend(b.errors);
            ExprKind::Cases(arms)
        }
        Rule::date => ExprKind::Date(p.as_str().to_string()),
        Rule::quantity => {
            let mut it = p.into_inner();
            let mut b = Builder::default();
            let n = it.next().map(|n| b.number(&n).node).unwrap_or_default();
            errors.borrow_mut().extend(b.errors);
            let unit = it.next().map(|u| match u.as_str() {
                "day" => "days".to_string(),
                other => other.to_string(),
            });
            ExprKind::Number(n, unit)
        }
        Rule::string => ExprKind::Str(unquote(&p).node),
        Rule::bool_lit => ExprKind::Bool(p.as_str() == "true"),
        Rule::list_lit => ExprKind::List(p.into_inner().map(|e| expr_of(e, errors)).collect()),
        Rule::builtin => ExprKind::Builtin(p.as_str().to_string()),
        Rule::ident => ExprKind::Name(p.as_str().to_string()),
        _ => ExprKind::Bool(false),
    };
    Spanned::new(kind, span)
}
