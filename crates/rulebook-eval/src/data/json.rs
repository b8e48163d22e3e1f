//! JSON data files.
//!
//! In: the text of `{"globals": {...}, "units": [...]}`. A small
//! recursive-descent reader builds [`Datum`] trees that keep each value's
//! byte offset and each number's exact text (never a float); nesting is
//! bounded by [`MAX_DEPTH`]. Units are checked one at a time as they are
//! read, so a large file is never held twice. Out: a [`Batch`], or every
//! error found (a syntax error ends the reading, after the errors before it).

use super::check::{
    unit_name, Checker, Datum, Entry, Loc, Node, Origin, Schema, UnitIn, MAX_DEPTH,
};
use super::number;
use super::{Batch, DataError, UnitData};
use crate::value::Value;
use rulebook_lang::ir::Program;
use std::borrow::Cow;

pub(crate) fn load(
    program: &Program,
    file_name: &str,
    text: &str,
) -> Result<Batch, Vec<DataError>> {
    // A byte-order mark (Windows Notepad writes one) is not part of the data.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let schema = Schema::new(program);
    let mut ck = Checker::new(Origin::json(file_name, text));
    let mut parser = Parser::new(text);
    let batch = match read_top(&mut parser, &schema, &mut ck) {
        Ok(batch) => batch,
        Err(e) => {
            ck.scope(None, "");
            ck.report(Loc::Offset(e.at), None, e.message, e.help);
            return Err(ck.finish());
        }
    };
    if ck.has_errors() {
        Err(ck.finish())
    } else {
        Ok(batch)
    }
}

fn read_top<'p, 'a>(
    p: &mut Parser<'a>,
    schema: &Schema<'p>,
    ck: &mut Checker<'p, 'a>,
) -> Result<Batch, SyntaxError> {
    p.skip_ws();
    let top_at = p.pos;
    if p.peek().is_none() {
        return Err(SyntaxError {
            at: top_at,
            message: "the file is empty".into(),
            help: Some("expected an object with `globals` and `units`".into()),
        });
    }
    let mut units: Vec<UnitData> = Vec::new();
    let mut units_at: Option<usize> = None;
    let mut globals: Option<(usize, Datum<'a>)> = None;
    let is_object = p.peek() == Some(b'{');
    if is_object {
        p.object(0, |p, key, key_at| {
            match key.as_ref() {
                "units" if units_at.is_none() => {
                    units_at = Some(key_at);
                    p.skip_ws();
                    if p.peek() == Some(b'[') {
                        p.array(1, |p, i| {
                            let d = p.value(2)?;
                            units.push(read_unit(schema, ck, i, &d));
                            Ok(())
                        })?;
                    } else {
                        let d = p.value(1)?;
                        ck.scope(None, "units");
                        let message = format!("expected a list of units, found {}", describe(&d));
                        ck.report(d.at, None, message, None);
                    }
                }
                "globals" if globals.is_none() => globals = Some((key_at, p.value(1)?)),
                "units" | "globals" => {
                    p.value(1)?;
                    ck.scope(None, "");
                    ck.report(
                        Loc::Offset(key_at),
                        Some(&key),
                        format!("duplicate key `{key}`"),
                        Some("a key may appear only once".into()),
                    );
                }
                _ => {
                    p.value(1)?;
                    ck.scope(None, "");
                    let help = super::check::did_you_mean(&key, ["globals", "units"])
                        .map(|b| format!("did you mean `{b}`?"))
                        .or_else(|| Some("the file has only `globals` and `units`".into()));
                    ck.report(
                        Loc::Offset(key_at),
                        Some(&key),
                        format!("unknown key `{key}`"),
                        help,
                    );
                }
            }
            Ok(())
        })?;
    } else {
        let d = p.value(0)?;
        let message = format!(
            "expected an object with `globals` and `units`, found {}",
            describe(&d)
        );
        ck.report(d.at, None, message, None);
    }
    p.skip_ws();
    if p.peek().is_some() {
        return Err(SyntaxError {
            at: p.pos,
            message: format!("unexpected {} after the end of the data", p.found()),
            help: None,
        });
    }
    if !is_object {
        return Ok(Batch::default());
    }
    if units_at.is_none() {
        ck.scope(None, "");
        ck.report(
            Loc::Offset(top_at),
            None,
            "missing `units`",
            Some("add `\"units\": [...]` with one object per unit".into()),
        );
    }
    let globals = read_globals(schema, ck, top_at, globals.as_ref().map(|(_, d)| d));
    Ok(Batch { globals, units })
}

pub(crate) fn read_globals<'p>(
    schema: &Schema<'p>,
    ck: &mut Checker<'p, '_>,
    top_at: usize,
    d: Option<&Datum<'_>>,
) -> Vec<Value> {
    let none: &[Entry<'_>] = &[];
    match d.map(|d| &d.node) {
        None | Some(Node::Null) => ck.globals(schema, Loc::Offset(top_at), none, None, "globals"),
        Some(Node::Object(entries)) => {
            let at = d.map_or(Loc::Offset(top_at), |d| d.at);
            ck.globals(schema, at, entries, None, "globals")
        }
        Some(_) => {
            ck.scope(None, "globals");
            if let Some(d) = d {
                let message = format!("expected an object of global facts, found {}", describe(d));
                ck.report(d.at, None, message, None);
            }
            vec![Value::Missing; schema.globals.len()]
        }
    }
}

pub(crate) fn read_unit<'p>(
    schema: &Schema<'p>,
    ck: &mut Checker<'p, '_>,
    i: usize,
    d: &Datum<'_>,
) -> UnitData {
    let prefix = format!("units[{i}]");
    let Node::Object(entries) = &d.node else {
        ck.scope(None, prefix);
        let message = format!("expected an object for a unit, found {}", describe(d));
        ck.report(d.at, None, message, None);
        return UnitData::default();
    };
    ck.scope(None, prefix.clone());
    let mut name_entry: Option<&Entry<'_>> = None;
    let mut params: Option<&Entry<'_>> = None;
    let mut inputs = Vec::with_capacity(entries.len());
    for e in entries {
        let slot = match e.key.as_ref() {
            "unit" => &mut name_entry,
            "params" => &mut params,
            _ => {
                inputs.push(e);
                continue;
            }
        };
        if slot.is_some() {
            ck.report(
                e.at,
                Some(&e.key),
                format!("duplicate key `{}`", e.key),
                Some("a key may appear only once".into()),
            );
        } else {
            *slot = Some(e);
        }
    }
    let normalized = match name_entry.map(|e| &e.value) {
        Some(Datum {
            node: Node::Str(s), ..
        }) => Some(unit_name(s)),
        _ => None,
    };
    let name = match name_entry.map(|e| &e.value) {
        Some(Datum { at, .. }) if normalized.as_ref().is_some_and(|n| !n.is_empty()) => {
            let s = normalized.as_deref().unwrap_or_default();
            ck.scope(Some(s), prefix.clone());
            ck.claim_name(s, *at);
            Some(s)
        }
        Some(v) => {
            let message = format!(
                "expected the unit's name (a non-empty string) for `unit`, found {}",
                describe(v)
            );
            ck.report(v.at, Some("unit"), message, None);
            None
        }
        None => {
            ck.report(
                d.at,
                None,
                "missing `unit`",
                Some("give the unit's name: `\"unit\": \"…\"`".into()),
            );
            None
        }
    };
    ck.unit(
        schema,
        UnitIn {
            name,
            at: d.at,
            inputs,
            params: params.map(|e| &e.value),
            base: None,
            params_prefix: format!("{prefix}.params"),
            prefix,
        },
    )
}

/// A datum as shown when its shape is wrong.
fn describe(d: &Datum<'_>) -> String {
    match &d.node {
        Node::Null => "null".into(),
        Node::Reported => "nothing".into(),
        Node::Bool(b) => format!("`{b}`"),
        Node::Num(t) | Node::Percent(t) => format!("`{t}`"),
        Node::Dec(x) => format!("`{x}`"),
        Node::Str(_) | Node::Date(_) => "a string".into(),
        Node::List(_) => "a list".into(),
        Node::Object(_) => "an object".into(),
    }
}

/// `a == b` for short byte strings such as keys, eight bytes at a time,
/// without a call to `memcmp`.
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a, mut b) = (a, b);
    while let (Some((x, a_rest)), Some((y, b_rest))) =
        (a.split_first_chunk::<8>(), b.split_first_chunk::<8>())
    {
        if u64::from_ne_bytes(*x) != u64::from_ne_bytes(*y) {
            return false;
        }
        (a, b) = (a_rest, b_rest);
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

/// A JSON syntax error: where, and what was expected.
#[derive(Debug)]
pub(crate) struct SyntaxError {
    pub at: usize,
    pub message: String,
    pub help: Option<String>,
}

/// Whether `text` is one JSON value (whitespace around it allowed), as the
/// data reader sees it: the byte offset and message of the first syntax
/// error otherwise. For comparing the reader with other JSON parsers.
pub(crate) fn syntax(text: &str) -> Result<(), (usize, String)> {
    let mut p = Parser::new(text);
    p.value(0).map_err(|e| (e.at, e.message))?;
    p.skip_ws();
    if p.peek().is_some() {
        return Err((
            p.pos,
            format!("unexpected {} after the end of the data", p.found()),
        ));
    }
    Ok(())
}

/// A JSON reader that keeps offsets and number texts.
pub(crate) struct Parser<'a> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    pub fn new(text: &'a str) -> Self {
        Parser {
            text,
            b: text.as_bytes(),
            pos: 0,
        }
    }

    /// The byte offset of the cursor.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// Step over `byte` if it is at the cursor.
    pub fn eat(&mut self, byte: u8) -> bool {
        let here = self.peek() == Some(byte);
        self.pos += usize::from(here);
        here
    }

    /// Step over the key `"name"` if it is at the cursor, written plainly.
    pub fn eat_key(&mut self, name: &str) -> bool {
        let rest = self.b.get(self.pos..).unwrap_or_default();
        let n = name.len();
        let here = rest.first() == Some(&b'"')
            && rest
                .get(1..=n)
                .is_some_and(|k| same_bytes(k, name.as_bytes()))
            && rest.get(n + 1) == Some(&b'"');
        if here {
            self.pos += n + 2;
        }
        here
    }

    pub fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    pub fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// The character at the cursor, for messages.
    fn found(&self) -> String {
        match self.text.get(self.pos..).and_then(|s| s.chars().next()) {
            Some(c) if c.is_control() => format!("`{}`", c.escape_default()),
            Some(c) => format!("`{c}`"),
            None => "the end of the file".into(),
        }
    }

    fn fail<T>(&self, message: String, help: Option<String>) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            at: self.pos,
            message,
            help,
        })
    }

    fn too_deep<T>(&self) -> Result<T, SyntaxError> {
        self.fail(
            format!("lists and objects nest deeper than {MAX_DEPTH} levels"),
            None,
        )
    }

    /// One value at nesting `depth`.
    pub fn value(&mut self, depth: usize) -> Result<Datum<'a>, SyntaxError> {
        self.skip_ws();
        let at = self.pos;
        let node = match self.peek() {
            Some(b'{') => {
                let mut entries = Vec::new();
                self.object(depth, |p, key, key_at| {
                    let value = p.value(depth + 1)?;
                    entries.push(Entry {
                        key,
                        at: Loc::Offset(key_at),
                        value,
                    });
                    Ok(())
                })?;
                Node::Object(entries)
            }
            Some(b'[') => {
                let mut items = Vec::new();
                self.array(depth, |p, _| {
                    items.push(p.value(depth + 1)?);
                    Ok(())
                })?;
                Node::List(items)
            }
            Some(b'"') => Node::Str(self.string()?),
            Some(b'-' | b'0'..=b'9') => Node::Num(self.number()?),
            Some(b't') if self.literal("true") => Node::Bool(true),
            Some(b'f') if self.literal("false") => Node::Bool(false),
            Some(b'n') if self.literal("null") => Node::Null,
            None => return self.fail("unexpected end of the file: expected a value".into(), None),
            Some(_) => return self.bad_value(),
        };
        Ok(Datum::new(node, Loc::Offset(at)))
    }

    /// Move the cursor back to `offset` (a value read in part is read again).
    pub fn rewind(&mut self, offset: usize) {
        self.pos = offset;
    }

    /// A short number at the cursor read in one pass
    /// ([`number::read_short`]), stepped over; `None`, the cursor unmoved,
    /// for anything else.
    pub fn short_number(&mut self) -> Option<rust_decimal::Decimal> {
        let (v, end) = number::read_short(self.b, self.pos)?;
        self.pos = end;
        Some(v)
    }

    /// Step over `word` (`true`, `false`, `null`) if it is at the cursor as
    /// a whole word.
    pub fn literal(&mut self, word: &str) -> bool {
        let end = self.pos + word.len();
        let matches = self.b.get(self.pos..end) == Some(word.as_bytes())
            && !matches!(self.b.get(end), Some(c) if c.is_ascii_alphanumeric() || *c == b'_');
        if matches {
            self.pos = end;
        }
        matches
    }

    fn bad_value<T>(&self) -> Result<T, SyntaxError> {
        let rest = self.text.get(self.pos..).unwrap_or("");
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
            .take(20)
            .collect();
        let help = match word.as_str() {
            "True" | "TRUE" | "False" | "FALSE" | "Null" | "NULL" | "None" => {
                Some("JSON writes `true`, `false` and `null` in lower case".into())
            }
            "NaN" | "Infinity" => Some("JSON has no such number".into()),
            "" if rest.starts_with('\'') => Some("JSON strings use double quotes".into()),
            "" if rest.starts_with('+') => Some("write the number without `+`".into()),
            "" => None,
            _ => Some("put text in double quotes".into()),
        };
        let found = if word.is_empty() {
            self.found()
        } else {
            format!("`{word}`")
        };
        self.fail(format!("expected a value, found {found}"), help)
    }

    /// An object at the cursor; `f` reads each value (the cursor is after the `:`).
    pub fn object(
        &mut self,
        depth: usize,
        mut f: impl FnMut(&mut Self, Cow<'a, str>, usize) -> Result<(), SyntaxError>,
    ) -> Result<(), SyntaxError> {
        if depth >= MAX_DEPTH {
            return self.too_deep();
        }
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                let help = match self.peek() {
                    Some(b'}') => Some("remove the comma before `}`".into()),
                    Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                        Some("put the key in double quotes".into())
                    }
                    _ => None,
                };
                return self.fail(
                    format!("expected a key in quotes, found {}", self.found()),
                    help,
                );
            }
            let key_at = self.pos;
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return self.fail(
                    format!("expected `:` after the key, found {}", self.found()),
                    None,
                );
            }
            self.pos += 1;
            f(self, key, key_at)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'"') => {
                    return self.fail(
                        format!("expected `,` or `}}` after a value, found {}", self.found()),
                        Some("add a comma between the entries".into()),
                    )
                }
                _ => {
                    return self.fail(
                        format!("expected `,` or `}}` after a value, found {}", self.found()),
                        None,
                    )
                }
            }
        }
    }

    /// A list at the cursor; `f` reads each element.
    pub fn array(
        &mut self,
        depth: usize,
        mut f: impl FnMut(&mut Self, usize) -> Result<(), SyntaxError>,
    ) -> Result<(), SyntaxError> {
        if depth >= MAX_DEPTH {
            return self.too_deep();
        }
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        let mut i = 0;
        loop {
            self.skip_ws();
            if self.peek() == Some(b']') {
                return self.fail(
                    "expected a value, found `]`".into(),
                    Some("remove the comma before `]`".into()),
                );
            }
            f(self, i)?;
            i += 1;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => {
                    return self.fail(
                        format!("expected `,` or `]` after a value, found {}", self.found()),
                        None,
                    )
                }
            }
        }
    }

    fn number(&mut self) -> Result<&'a str, SyntaxError> {
        let start = self.pos;
        match number::scan(self.b, start) {
            Ok(end) => {
                self.pos = end;
                Ok(self.text.get(start..end).unwrap_or(""))
            }
            Err(at) => {
                self.pos = at;
                let help = match self.b.get(start..at.min(self.b.len())) {
                    Some([b'0']) | Some([b'-', b'0']) => {
                        Some("a number may not start with `0` unless it is `0` or `0.…`".into())
                    }
                    _ => None,
                };
                self.fail(format!("malformed number: found {}", self.found()), help)
            }
        }
    }

    /// A string at the cursor (on the opening quote).
    pub fn string(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        let open = self.pos;
        self.pos += 1;
        let start = self.pos;
        // Fast path: no escapes. Find the closing quote (or a backslash),
        // then make sure no control character comes before it.
        let rest = self.b.get(start..).unwrap_or_default();
        let end = memchr::memchr2(b'"', b'\\', rest);
        let run = rest.get(..end.unwrap_or(rest.len())).unwrap_or_default();
        if let Some(k) = run.iter().position(|&c| c < 0x20) {
            self.pos = start + k;
            return self.control_in_string();
        }
        let Some(end) = end else {
            self.pos = start + rest.len();
            return self.unterminated(open);
        };
        self.pos = start + end;
        if rest.get(end) == Some(&b'"') {
            let s = self.text.get(start..self.pos).unwrap_or("");
            self.pos += 1;
            return Ok(Cow::Borrowed(s));
        }
        let mut s = String::from(self.text.get(start..self.pos).unwrap_or(""));
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(s));
                }
                Some(b'\\') => {
                    let c = self.escape()?;
                    s.push(c);
                }
                Some(c) if c < 0x20 => return self.control_in_string(),
                Some(_) => {
                    let run = self.pos;
                    while matches!(self.peek(), Some(c) if c != b'"' && c != b'\\' && c >= 0x20) {
                        self.pos += 1;
                    }
                    s.push_str(self.text.get(run..self.pos).unwrap_or(""));
                }
                None => return self.unterminated(open),
            }
        }
    }

    fn unterminated<T>(&self, open: usize) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            at: open,
            message: "this string has no closing quote".into(),
            help: None,
        })
    }

    fn control_in_string<T>(&self) -> Result<T, SyntaxError> {
        self.fail(
            format!("control character {} in a string", self.found()),
            Some("write a line break as `\\n` and a tab as `\\t`".into()),
        )
    }

    /// An escape at the cursor (on the backslash).
    fn escape(&mut self) -> Result<char, SyntaxError> {
        let at = self.pos;
        self.pos += 1;
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let hi = self.hex4(at)?;
                let code = if (0xD800..0xDC00).contains(&hi) {
                    if self.b.get(self.pos..self.pos + 2) != Some(b"\\u") {
                        return self.bad_unicode(at);
                    }
                    self.pos += 2;
                    let lo = self.hex4(at)?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return self.bad_unicode(at);
                    }
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    hi
                };
                return match char::from_u32(code) {
                    Some(c) => Ok(c),
                    None => self.bad_unicode(at),
                };
            }
            _ => {
                self.pos = at;
                return self.fail(
                    "unknown escape in a string".into(),
                    Some("write a backslash as `\\\\`".into()),
                );
            }
        };
        self.pos += 1;
        Ok(c)
    }

    fn hex4(&mut self, at: usize) -> Result<u32, SyntaxError> {
        let digits = self.text.get(self.pos..self.pos + 4);
        match digits.and_then(|d| {
            d.bytes()
                .all(|c| c.is_ascii_hexdigit())
                .then(|| u32::from_str_radix(d, 16).ok())
                .flatten()
        }) {
            Some(v) => {
                self.pos += 4;
                Ok(v)
            }
            None => self.bad_unicode(at),
        }
    }

    fn bad_unicode<T>(&mut self, at: usize) -> Result<T, SyntaxError> {
        self.pos = at;
        self.fail("invalid unicode escape in a string".into(), None)
    }
}

#[cfg(test)]
mod tests {
    use super::same_bytes;

    proptest::proptest! {
        /// Bytes compared eight at a time are equal exactly when they are.
        #[test]
        fn same_bytes_is_equality(
            a in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
            cut in 0usize..40,
            flip in proptest::option::of((0usize..40, 1u8..=255)),
        ) {
            let mut b = a.clone();
            if let Some((i, x)) = flip {
                if let Some(c) = b.get_mut(i) {
                    *c ^= x;
                }
            }
            proptest::prop_assert_eq!(same_bytes(&a, &b), a == b);
            let short = a.get(..cut.min(a.len())).unwrap_or_default();
            proptest::prop_assert_eq!(same_bytes(&a, short), a.as_slice() == short);
        }
    }
}
