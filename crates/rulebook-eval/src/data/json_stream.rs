//! JSON data files read from disk in pieces, so the file's text is never
//! held whole: memory holds the units read so far and a window of text.
//!
//! This is the path for a sound file. The window is read in blocks of
//! [`BLOCK`] bytes; each unit is parsed by the same reader as
//! [`super::json`] (a unit cut at the window's edge is parsed again once
//! more text is in) and checked by the same checker. A value that is
//! plainly sound for its input (a short number in range, `true`, a date, a
//! list of records of such values) is read straight into its slot
//! ([`plain_value`], held to the checker's result by a property test);
//! any other value is read as a datum and checked. At the first sign of
//! trouble — a syntax error, an unexpected key, text that is not UTF-8, any
//! data error — the streamed units are dropped and the whole file is read
//! by [`super::json::load`], so every error is reported exactly as it is
//! for text in memory, located by line and column. Nothing is returned from
//! a file with any error.

use super::check::{fits, unit_name, Checker, Datum, Loc, Node, Origin, Schema, MAX_DEPTH};
use super::json::{read_globals, same_bytes, Parser};
use super::{Batch, DataError, UnitData};
use crate::value::{parse_date, Value};
use rulebook_lang::ast::CmpOp;
use rulebook_lang::ir::{Program, Type};
use rust_decimal::Decimal;
use std::io::Read;
use std::sync::Arc;

/// Bytes read from the file at a time.
const BLOCK: usize = 1 << 20;

/// Why the streamed reading gave up: the whole file is then read in memory.
pub(super) enum Stop {
    /// Not a plainly sound file: read it whole for the exact errors.
    Trouble,
    /// The file could not be read.
    Io(std::io::Error),
}

impl From<std::io::Error> for Stop {
    fn from(e: std::io::Error) -> Self {
        Stop::Io(e)
    }
}

/// Read the JSON data file at `path`; `file_name` is used in locations.
/// `Err` is a file that cannot be read at all.
pub(crate) fn load_path(
    program: &Program,
    file_name: &str,
    path: &std::path::Path,
) -> std::io::Result<Result<Batch, Vec<DataError>>> {
    let file = std::fs::File::open(path)?;
    match collect(program, file) {
        Ok(batch) => Ok(Ok(batch)),
        Err(Stop::Io(e)) => Err(e),
        Err(Stop::Trouble) => whole(program, file_name, path),
    }
}

/// The file at `path` read whole, for the exact errors.
fn whole(
    program: &Program,
    file_name: &str,
    path: &std::path::Path,
) -> std::io::Result<Result<Batch, Vec<DataError>>> {
    let bytes = std::fs::read(path)?;
    Ok(match std::str::from_utf8(&bytes) {
        Ok(text) => super::json::load(program, file_name, text),
        Err(_) => Err(vec![super::not_utf8(file_name, &bytes)]),
    })
}

/// What the streamed reader hands on, in the order it reads them.
#[derive(Debug)]
pub enum Piece {
    /// The globals (once: when read, or at the end of a file without them).
    Globals(Vec<Value>),
    Unit(UnitData),
}

/// How `each_unit` ended.
#[derive(Debug)]
pub enum EachUnit {
    /// Every unit was handed on and the file is sound.
    Done,
    /// The file is not plainly sound: it was read whole instead. What was
    /// handed on is to be dropped; this is the file (or its errors).
    Whole(Result<Batch, Vec<DataError>>),
}

/// Read the JSON data file at `path`, handing each unit on as soon as it
/// is read and checked (and the globals when they are), without keeping
/// them: for scoring while the file is read. Only [`EachUnit::Done`] says
/// that what was handed on is the whole of a sound file. `Err` is a file
/// that cannot be read at all.
pub(crate) fn each_unit(
    program: &Program,
    file_name: &str,
    path: &std::path::Path,
    each: &mut dyn FnMut(Piece),
) -> std::io::Result<EachUnit> {
    let file = std::fs::File::open(path)?;
    match stream(program, file, each) {
        Ok(()) => Ok(EachUnit::Done),
        Err(Stop::Io(e)) => Err(e),
        Err(Stop::Trouble) => whole(program, file_name, path).map(EachUnit::Whole),
    }
}

/// Read JSON data text already in memory (an upload): as a file is read,
/// the whole text then read again for the exact errors at any trouble.
pub(crate) fn load_text(
    program: &Program,
    file_name: &str,
    text: &str,
) -> Result<Batch, Vec<DataError>> {
    match collect(program, text.as_bytes()) {
        Ok(batch) => Ok(batch),
        Err(Stop::Trouble | Stop::Io(_)) => super::json::load(program, file_name, text),
    }
}

/// The text read so far and not yet consumed.
pub(super) struct Window<R> {
    source: R,
    pub(super) text: String,
    /// Bytes of a character cut at the end of the last block.
    carry: Vec<u8>,
    /// The cursor in `text`.
    pub(super) pos: usize,
    eof: bool,
    block: Vec<u8>,
    /// Which inputs the unit being read has given (kept between units).
    seen: Vec<bool>,
}

impl<R: Read> Window<R> {
    pub(super) fn new(source: R) -> Self {
        Window {
            source,
            text: String::new(),
            carry: Vec::new(),
            pos: 0,
            eof: false,
            block: vec![0; BLOCK],
            seen: Vec::new(),
        }
    }

    /// Step over a byte-order mark at the start (Windows Notepad writes
    /// one): it is not part of the data.
    pub(super) fn past_byte_order_mark(&mut self) -> Result<(), Stop> {
        while self.text.len() < 3 && self.more()? {}
        if self.text.starts_with('\u{feff}') {
            self.pos = '\u{feff}'.len_utf8();
        }
        Ok(())
    }

    /// Drop the consumed text and append the next block. `false` at the end
    /// of the file.
    pub(super) fn more(&mut self) -> Result<bool, Stop> {
        if self.eof {
            return Ok(false);
        }
        self.text.drain(..self.pos);
        self.pos = 0;
        let n = loop {
            match self.source.read(&mut self.block) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        };
        if n == 0 {
            self.eof = true;
            // A character cut off by the end of the file is not UTF-8.
            return if self.carry.is_empty() {
                Ok(false)
            } else {
                Err(Stop::Trouble)
            };
        }
        let fresh = self.block.get(..n).unwrap_or_default();
        let bytes: std::borrow::Cow<'_, [u8]> = if self.carry.is_empty() {
            fresh.into()
        } else {
            let mut joined = std::mem::take(&mut self.carry);
            joined.extend_from_slice(fresh);
            joined.into()
        };
        let valid = match std::str::from_utf8(&bytes) {
            Ok(s) => s,
            // Only a character cut at the block's end may be incomplete.
            Err(e) if e.error_len().is_none() => {
                let (good, rest) = bytes.split_at(e.valid_up_to());
                self.carry = rest.to_vec();
                std::str::from_utf8(good).map_err(|_| Stop::Trouble)?
            }
            Err(_) => return Err(Stop::Trouble),
        };
        self.text.push_str(valid);
        Ok(true)
    }

    /// The next byte that is not white space, reading on as needed.
    pub(super) fn next_token(&mut self) -> Result<Option<u8>, Stop> {
        loop {
            let rest = self.text.as_bytes().get(self.pos..).unwrap_or_default();
            match rest
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            {
                Some(k) => {
                    self.pos += k;
                    return Ok(rest.get(k).copied());
                }
                None => {
                    self.pos = self.text.len();
                    if !self.more()? {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// Expect `byte` as the next token and step over it.
    pub(super) fn expect(&mut self, byte: u8) -> Result<(), Stop> {
        if self.next_token()? == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Stop::Trouble)
        }
    }

    /// Parse one value at the cursor and hand it to `f`. A value is parsed
    /// once it is whole in the window ([`extent`]); a parse error in a whole
    /// value is trouble.
    pub(super) fn value<T>(
        &mut self,
        depth: usize,
        f: impl FnOnce(&Datum<'_>) -> T,
    ) -> Result<T, Stop> {
        self.next_token()?;
        loop {
            let rest = self.text.get(self.pos..).unwrap_or_default();
            let Some(end) = extent(rest.as_bytes()) else {
                if !self.more()? {
                    return Err(Stop::Trouble);
                }
                continue;
            };
            let whole = rest.get(..end).ok_or(Stop::Trouble)?;
            let mut p = Parser::new(whole);
            let d = p.value(depth).map_err(|_| Stop::Trouble)?;
            if p.offset() != end {
                return Err(Stop::Trouble);
            }
            let out = f(&d);
            self.pos += end;
            return Ok(out);
        }
    }

    /// The unit at the cursor, read and checked in one pass. A unit cut
    /// short by the window's edge is read again after reading on.
    fn unit<'p>(
        &mut self,
        schema: &Schema<'p>,
        ck: &mut Checker<'p, '_>,
    ) -> Result<UnitData, Stop> {
        self.next_token()?;
        loop {
            let rest = self.text.get(self.pos..).unwrap_or_default();
            let mut p = Parser::new(rest);
            match unit_in_one_pass(&mut p, schema, ck, &mut self.seen) {
                Ok(Some(unit)) => {
                    self.pos += p.offset();
                    return Ok(unit);
                }
                Ok(None) => return Err(Stop::Trouble),
                // Cut short, or a syntax error: read on and try again; at
                // the end of the file it is trouble.
                Err(()) => {
                    ck.forget_errors();
                    if !self.more()? {
                        return Err(Stop::Trouble);
                    }
                }
            }
        }
    }

    /// A key in quotes at the cursor.
    pub(super) fn key(&mut self) -> Result<String, Stop> {
        self.value(1, |d| match &d.node {
            super::check::Node::Str(s) => Some(s.to_string()),
            _ => None,
        })?
        .ok_or(Stop::Trouble)
    }
}

/// The length of the JSON value at the start of `b` if it is whole in `b`:
/// an object or list up to its closing bracket (strings and their escapes
/// skipped), a string up to its closing quote, anything else up to the
/// next delimiter, which must be in `b` (so a number is never cut short).
/// Brackets are counted, not matched: the parser judges the value.
pub(super) fn extent(b: &[u8]) -> Option<usize> {
    let first = *b.first()?;
    let mut depth = 0usize;
    let mut i = 0;
    if !matches!(first, b'{' | b'[' | b'"') {
        return b
            .iter()
            .position(|c| matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'));
    }
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => {
                // Skip the string: to the quote that is not escaped.
                i += 1;
                loop {
                    i += memchr::memchr2(b'"', b'\\', b.get(i..)?)?;
                    match b.get(i)? {
                        b'"' => break,
                        _ => i += 2,
                    }
                }
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The units and globals of a sound file, kept as a batch.
fn collect<R: Read>(program: &Program, source: R) -> Result<Batch, Stop> {
    let (mut globals, mut units) = (Vec::new(), Vec::new());
    stream(program, source, &mut |piece| match piece {
        Piece::Globals(g) => globals = g,
        Piece::Unit(u) => units.push(u),
    })?;
    Ok(Batch { globals, units })
}

/// Read a file in pieces, handing each on; `Err` at any trouble.
fn stream<R: Read>(program: &Program, source: R, each: &mut dyn FnMut(Piece)) -> Result<(), Stop> {
    let schema = Schema::new(program);
    let mut ck = Checker::new(Origin::json("", ""));
    let mut w = Window::new(source);
    w.past_byte_order_mark()?;
    w.expect(b'{')?;
    let (mut units, mut globals) = (false, false);
    if w.next_token()? == Some(b'}') {
        return Err(Stop::Trouble);
    }
    loop {
        let key = w.key()?;
        w.expect(b':')?;
        match key.as_str() {
            "units" if !units => {
                read_units(&mut w, &schema, &mut ck, each)?;
                units = true;
            }
            "globals" if !globals => {
                let g = w.value(1, |d| read_globals(&schema, &mut ck, 0, Some(d)))?;
                if ck.has_errors() {
                    return Err(Stop::Trouble);
                }
                each(Piece::Globals(g));
                globals = true;
            }
            _ => return Err(Stop::Trouble),
        }
        if ck.has_errors() {
            return Err(Stop::Trouble);
        }
        match w.next_token()? {
            Some(b',') => w.pos += 1,
            Some(b'}') => {
                w.pos += 1;
                break;
            }
            _ => return Err(Stop::Trouble),
        }
    }
    if w.next_token()?.is_some() {
        return Err(Stop::Trouble);
    }
    if !globals {
        let g = read_globals(&schema, &mut ck, 0, None);
        if !ck.has_errors() {
            each(Piece::Globals(g));
        }
    }
    match units {
        true if !ck.has_errors() => Ok(()),
        _ => Err(Stop::Trouble),
    }
}

/// What a key of a unit names.
enum Key {
    Unit,
    Params,
    Input(usize),
    Unknown,
}

/// One unit read and checked in one pass, with no tree of its values: the
/// hot loop of a large file. For a sound unit it gives exactly what
/// `read_unit` gives; `Ok(None)` for anything `read_unit` would report (the
/// file is then read whole for the errors); `Err` for a syntax error, which
/// may be the window's edge.
fn unit_in_one_pass<'p>(
    p: &mut Parser<'_>,
    schema: &Schema<'p>,
    ck: &mut Checker<'p, '_>,
    seen: &mut Vec<bool>,
) -> Result<Option<UnitData>, ()> {
    p.skip_ws();
    if p.peek() != Some(b'{') {
        return Ok(None);
    }
    let at = Loc::Offset(p.offset());
    // (Not `vec![Value::Missing; n]`, which clones an enum n times.)
    let mut inputs: Vec<Value> = std::iter::repeat_with(|| Value::Missing)
        .take(schema.inputs.len())
        .collect();
    seen.clear();
    seen.resize(inputs.len(), false);
    let (mut name, mut params) = (None, None);
    let mut sound = true;
    // The input expected next: data usually lists them in declared order,
    // so most keys are recognised by one comparison.
    let mut next = 0;
    p.eat(b'{');
    p.skip_ws();
    if !p.eat(b'}') {
        loop {
            p.skip_ws();
            let expected = schema
                .inputs
                .defs
                .get(next)
                .filter(|d| !matches!(d.name.as_str(), "unit" | "params"));
            let key = match expected {
                Some(d) if p.eat_key(&d.name) => Key::Input(next),
                _ if p.peek() == Some(b'"') => {
                    let key = p.string().map_err(|_| ())?;
                    match key.as_ref() {
                        "unit" => Key::Unit,
                        "params" => Key::Params,
                        k => schema.inputs.by_id(k).map_or(Key::Unknown, Key::Input),
                    }
                }
                _ => return Err(()),
            };
            p.skip_ws();
            if !p.eat(b':') {
                return Err(());
            }
            match key {
                Key::Unit => {
                    sound &= name.is_none();
                    name = Some(p.value(3).map_err(|_| ())?);
                }
                Key::Params => {
                    sound &= params.is_none();
                    params = Some(p.value(3).map_err(|_| ())?);
                }
                Key::Input(k) => match (schema.inputs.get(k), inputs.get_mut(k), seen.get_mut(k)) {
                    (Some(def), Some(slot), Some(seen @ false)) => {
                        *slot = match plain_value(p, &def.ty, &def.range, def.optional, 3) {
                            Some(v) => v,
                            None => {
                                let d = p.value(3).map_err(|_| ())?;
                                ck.value(&d, &def.ty, &def.range, def.optional)
                            }
                        };
                        *seen = true;
                        next = k + 1;
                    }
                    _ => {
                        p.value(3).map_err(|_| ())?;
                        sound = false;
                    }
                },
                Key::Unknown => {
                    p.value(3).map_err(|_| ())?;
                    sound = false;
                }
            }
            p.skip_ws();
            if p.eat(b'}') {
                break;
            }
            if !p.eat(b',') {
                return Err(());
            }
        }
    }
    let name = match name.as_ref().map(|d| &d.node) {
        Some(Node::Str(s)) if sound => unit_name(s),
        _ => return Ok(None),
    };
    if name.is_empty() {
        return Ok(None);
    }
    ck.claim_name(&name, at);
    // An input not given is missing if optional, else an error.
    let mut given = seen.iter().zip(&schema.inputs.defs);
    if given.any(|(seen, def)| !seen && !def.optional) {
        return Ok(None);
    }
    let mut pslots = vec![None; schema.params.len()];
    match params.as_ref().map(|d| &d.node) {
        None | Some(Node::Null) => {}
        Some(Node::Object(entries)) => ck.fill(
            &schema.params,
            Some(&schema.inputs),
            entries,
            &mut pslots,
            true,
        ),
        Some(_) => return Ok(None),
    }
    let params = ck.finish_slots(&schema.params, at, pslots, |i| {
        schema.param_default(i, Some(&name))
    });
    if ck.has_errors() {
        return Ok(None);
    }
    Ok(Some(UnitData {
        name: name.into_owned(),
        inputs,
        params,
    }))
}

/// The value at the cursor for a slot of type `ty`, read straight into the
/// slot when it is plainly sound: `true` or `false` for a yes/no, a short
/// number that fits, a string that is a text, a date or one of the names,
/// `null` where the slot is optional, and lists and records of such values
/// (every field of a record named once, the fields not given optional).
/// Gives what the checker gives for the value's datum; `None`, the cursor
/// unmoved, for anything else (read then as a datum and checked, which
/// finds any error). `depth` is the nesting `Parser::value` would read the
/// value at.
fn plain_value(
    p: &mut Parser<'_>,
    ty: &Type,
    range: &[(CmpOp, Decimal)],
    optional: bool,
    depth: usize,
) -> Option<Value> {
    p.skip_ws();
    let at = p.offset();
    let v = plain_here(p, ty, range, optional, depth);
    if v.is_none() {
        p.rewind(at);
    }
    v
}

fn plain_here(
    p: &mut Parser<'_>,
    ty: &Type,
    range: &[(CmpOp, Decimal)],
    optional: bool,
    depth: usize,
) -> Option<Value> {
    match (ty, p.peek()?) {
        (_, b'n') if optional => p.literal("null").then_some(Value::Missing),
        (Type::Bool, b't') => p.literal("true").then_some(Value::Bool(true)),
        (Type::Bool, b'f') => p.literal("false").then_some(Value::Bool(false)),
        (&Type::Num(unit), b'-' | b'0'..=b'9') => p
            .short_number()
            .filter(|&v| fits(v, unit, range))
            .map(Value::Num),
        (Type::Text, b'"') => Some(Value::Text(Arc::from(p.string().ok()?.as_ref()))),
        (Type::Date, b'"') => parse_date(&p.string().ok()?).map(Value::Date),
        (Type::Enum(names), b'"') => {
            let s = p.string().ok()?;
            let n = names.iter().find(|n| **n == s)?;
            Some(Value::Text(Arc::from(n.as_str())))
        }
        (Type::List(elem), b'[') if depth < MAX_DEPTH => {
            p.eat(b'[');
            p.skip_ws();
            let mut items = Vec::new();
            if !p.eat(b']') {
                loop {
                    items.push(plain_value(p, elem, range, false, depth + 1)?);
                    p.skip_ws();
                    if p.eat(b']') {
                        break;
                    }
                    if !p.eat(b',') {
                        return None;
                    }
                }
            }
            Some(Value::List(items.into()))
        }
        (Type::Record(fields), b'{') if depth < MAX_DEPTH => {
            p.eat(b'{');
            p.skip_ws();
            let mut vals: Vec<Option<Value>> = vec![None; fields.len()];
            if !p.eat(b'}') {
                loop {
                    p.skip_ws();
                    if p.peek() != Some(b'"') {
                        return None;
                    }
                    let key = p.string().ok()?;
                    let k = fields
                        .iter()
                        .position(|f| same_bytes(f.name.as_bytes(), key.as_bytes()))?;
                    let (f, slot) = (fields.get(k)?, vals.get_mut(k)?);
                    p.skip_ws();
                    if slot.is_some() || !p.eat(b':') {
                        return None;
                    }
                    *slot = Some(plain_value(p, &f.ty, &f.range, f.optional, depth + 1)?);
                    p.skip_ws();
                    if p.eat(b'}') {
                        break;
                    }
                    if !p.eat(b',') {
                        return None;
                    }
                }
            }
            if fields
                .iter()
                .zip(&vals)
                .any(|(f, v)| v.is_none() && !f.optional)
            {
                return None;
            }
            // Collected from an iterator of known length: one allocation.
            let given = vals.into_iter().map(|v| v.unwrap_or(Value::Missing));
            Some(Value::Record(given.collect()))
        }
        _ => None,
    }
}

fn read_units<'p, R: Read>(
    w: &mut Window<R>,
    schema: &Schema<'p>,
    ck: &mut Checker<'p, '_>,
    each: &mut dyn FnMut(Piece),
) -> Result<(), Stop> {
    w.expect(b'[')?;
    if w.next_token()? == Some(b']') {
        w.pos += 1;
        return Ok(());
    }
    loop {
        let unit = w.unit(schema, ck)?;
        if ck.has_errors() {
            return Err(Stop::Trouble);
        }
        each(Piece::Unit(unit));
        match w.next_token()? {
            Some(b',') => w.pos += 1,
            Some(b']') => {
                w.pos += 1;
                return Ok(());
            }
            _ => return Err(Stop::Trouble),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// A reader that hands out a few bytes at a time, to cut units, keys,
    /// numbers and characters at every place.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.bytes.len());
            let (head, tail) = self.bytes.split_at(n);
            buf.get_mut(..n).unwrap().copy_from_slice(head);
            self.bytes = tail;
            Ok(n)
        }
    }

    fn program() -> Program {
        let src = r#"
rulebook "t"
points 10
input done: count "完成数"
input name: optional text "名称"
section 一 "一" {
  item 1 "1" {
    points 10
    award 10 if done >= 2
  }
}
"#;
        rulebook_lang::check("t.rules", src).program.unwrap()
    }

    #[test]
    fn streamed_in_any_pieces_reads_as_in_memory() {
        let program = program();
        let text = "\u{feff}{ \"globals\" : {},\n \"units\": [ {\"unit\": \"甲县\", \"done\": 12, \"name\": \"长名称\\u00e9\"},\n{\"unit\":\"乙\",\"done\":3} ] }\n";
        let whole = super::super::json::load(&program, "d.json", text).unwrap();
        assert_eq!(whole.units.len(), 2);
        for step in 1..text.len() + 2 {
            let got = collect(
                &program,
                Trickle {
                    bytes: text.as_bytes(),
                    step,
                },
            );
            match got {
                Ok(b) => assert_eq!(b, whole, "step {step}"),
                Err(Stop::Io(e)) => panic!("{e}"),
                Err(_) => panic!("step {step}: a sound file gave up"),
            }
        }
    }

    /// The shipped example data streams without giving up (records, lists,
    /// parameters, numbers in quotes), in pieces of any size.
    #[test]
    fn examples_stream_without_giving_up() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        for (rules, data) in [
            (
                "rulebooks/ziyuan-2024.rules",
                "examples/ziyuan-2024/data.json",
            ),
            ("rulebooks/anhui-env.rules", "examples/anhui-env/data.json"),
            (
                "rulebooks/zhoushan-2021.rules",
                "examples/zhoushan-2021/data.json",
            ),
        ] {
            let src = std::fs::read_to_string(root.join(rules)).unwrap();
            let program = rulebook_lang::check(rules, &src).program.unwrap();
            let text = std::fs::read_to_string(root.join(data)).unwrap();
            let whole = super::super::json::load(&program, "d.json", &text).unwrap();
            for step in [13, 100, 4096, BLOCK] {
                let bytes = text.as_bytes();
                match collect(&program, Trickle { bytes, step }) {
                    Ok(b) => assert_eq!(b, whole, "{data}, step {step}"),
                    Err(_) => panic!("{data}, step {step}: a sound file gave up"),
                }
            }
        }
    }

    /// Inputs of every shape a value may be read straight into.
    fn shapes() -> Program {
        let src = r#"
rulebook "t"
points 10
input c: count "c"
input cr: count >= 1 "cr"
input p: pct in 0..100 "p"
input po: optional pct "po"
input pt: points "pt"
input r: rank "r"
input u: ug > 0.5 "u"
input b: bool "b"
input ob: optional bool "ob"
input t: text "t"
input d: optional date "d"
input e: "a" | "b" "e"
input ld: list of date "ld"
input lc: list of count >= 1 "lc"
input rec: list of {
  ok: bool "ok",
  rate: pct >= 0 "rate",
  name: optional text "name",
  lv: "a" | "b" "lv"
} "rec"
input nest: list of list of count "nest"
section 一 "一" {
  item 1 "1" {
    points 10
    award 10 if c >= 2
  }
}
"#;
        rulebook_lang::check("t.rules", src).program.unwrap()
    }

    /// JSON values of every shape, most of them sound for some input of
    /// [`shapes`], many not, some not JSON.
    fn json_value() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let record = "\\{\"ok\": (true|false), ?\"rate\": ?[0-9]{1,3}(\\.[0-9])?, \"lv\": \"(a|b|c)\"(, \"name\": (\"x\"|null|1))?(, \"(ok|zz)\": true)?\\}";
        let regex = |r: &str| proptest::string::string_regex(r).unwrap();
        let leaf = prop_oneof![
            regex("-?[0-9]{1,20}(\\.[0-9]{0,4})?([eE][-+]?[0-9])?"),
            regex("true|false|null|nul|truex"),
            regex("\"([0-9.]{0,3}|a|b|c|x\\u00e9|2024-0[1-9]-[0-3][0-9]|2024-1-2|[\n])\""),
            regex("[-0-9.eE+]{1,6}"),
            regex(record),
            regex(&format!("\\[{record}(, ?{record})?\\]")),
            regex("\\[[0-3](, ?[0-3]){0,3}\\]"),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                proptest::collection::vec(("(ok|rate|name|lv|zz)", inner), 0..5).prop_map(|v| {
                    let entries: Vec<String> =
                        v.iter().map(|(k, x)| format!("\"{k}\": {x}")).collect();
                    format!("{{{}}}", entries.join(", "))
                }),
            ]
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

        /// A value read straight into its slot is what the checker makes of
        /// the value's datum, value and scale, and the reading ends where
        /// the datum's does; a value declined leaves the cursor where it was.
        #[test]
        fn plain_values_are_what_the_checker_gives(
            value in json_value(),
            after in "[ ,}\\]x]?",
            slot in 0usize..16,
            depth in proptest::prop_oneof![proptest::strategy::Just(3usize), 60usize..66],
        ) {
            let text = format!("{value}{after}");
            let mut program = shapes();
            // A range on a list (the grammar gives one to the element type
            // instead) holds for each element, as the checker has it.
            if let Some(lc) = program.inputs.iter_mut().find(|d| d.name == "lc") {
                lc.range = vec![(CmpOp::Ge, Decimal::ONE)];
            }
            let schema = Schema::new(&program);
            let def = schema.inputs.get(slot).unwrap();
            let mut p = Parser::new(&text);
            let plain = plain_value(&mut p, &def.ty, &def.range, def.optional, depth);
            let mut general = Parser::new(&text);
            let datum = general.value(depth);
            match plain {
                Some(v) => {
                    let d = datum.unwrap();
                    proptest::prop_assert_eq!(general.offset(), p.offset());
                    let mut ck = Checker::new(Origin::json("", ""));
                    let checked = ck.value(&d, &def.ty, &def.range, def.optional);
                    proptest::prop_assert!(!ck.has_errors());
                    proptest::prop_assert_eq!(format!("{v:?}"), format!("{checked:?}"));
                }
                None => proptest::prop_assert_eq!(p.offset(), 0),
            }
        }
    }

    #[test]
    fn trouble_of_any_kind_gives_up() {
        let program = program();
        for text in [
            "",
            "[]",
            "{}",
            "{\"units\": [{\"unit\": \"甲\", \"done\": 1.5}]}",
            "{\"units\": [{\"unit\": \"甲\", \"done\": 1}, {\"unit\": \"甲\", \"done\": 1}]}",
            "{\"units\": [{\"unit\": \"甲\", \"done\": 1}], \"extra\": 1}",
            "{\"units\": [{\"unit\": \"甲\", \"done\": 1}]} x",
            "{\"units\": [{\"unit\": \"甲\", \"done\": 1},]}",
            "{\"units\": [{\"unit\": \"甲\", \"done\": 1}]",
            "{\"units\": [{\"unit\": \"甲\", \"done\": 1}], \"units\": []}",
            "{\"units\": [{\"unit\": \"甲\", \"done\": 1",
        ] {
            let got = collect(
                &program,
                Trickle {
                    bytes: text.as_bytes(),
                    step: 3,
                },
            );
            assert!(matches!(got, Err(Stop::Trouble)), "{text}");
        }
        let cut = b"{\"units\": [{\"unit\": \"\xe7\x94";
        let got = collect(
            &program,
            Trickle {
                bytes: cut,
                step: 2,
            },
        );
        assert!(matches!(got, Err(Stop::Trouble)));
    }
}
