//! A quick look through a JSON data file for a few inputs of every unit.
//!
//! In: a program, the inputs wanted (what the batch's ranks and aggregates
//! read) and a JSON data file. Out: the units of the file's `units` list in
//! order, each with its name and those inputs read and checked as the full
//! reading reads them, everything else left missing; or `false` when the
//! file is not shaped as expected. Nothing is parsed but those values: the
//! skim searches the text for their keys (`"unit":`, `"certificates_new":`
//! …) as a text editor's search would, a new unit starting at each name,
//! so it runs many times faster than reading the file, and it checks
//! nothing else. It is a guess ahead of the full reading, not a reading: a
//! record field or a global with a wanted key's name, or a unit whose
//! name comes after its values, misleads it. Whoever uses it must hold
//! what it found to what the full reading gives (`eval::while_reading`
//! compares every unit's name and wanted values before scoring it, and
//! scores the batch whole if any differs).

use super::check::{unit_name, Checker, Node, Origin, Schema};
use super::json::Parser;
use super::json_stream::{extent, Stop, Window};
use super::UnitData;
use crate::value::Value;
use memchr::memmem::Finder;
use rulebook_lang::ir::Program;
use std::io::Read;

/// The most text the skim holds while it waits for a value to be whole
/// before it gives up, rather than hold a broken file's rest.
const MOST: usize = 64 << 20;

/// A key searched for: the input it names, or the unit's name.
#[derive(Clone, Copy, PartialEq)]
enum Key {
    Name,
    Input(usize),
}

/// Hand each unit of the JSON data file at `path` to `each`, with only the
/// `wanted` inputs read (see the module's notes). The same `UnitData` is
/// reused from unit to unit. `Ok(false)`: not shaped as expected, or a
/// wanted value does not check.
pub(crate) fn units(
    program: &Program,
    path: &std::path::Path,
    wanted: &[bool],
    each: &mut dyn FnMut(&UnitData),
) -> std::io::Result<bool> {
    let mut w = Window::new(std::fs::File::open(path)?);
    match skim(program, &mut w, wanted, each) {
        Ok(()) => Ok(true),
        Err(Stop::Trouble) => Ok(false),
        Err(Stop::Io(e)) => Err(e),
    }
}

fn skim<R: Read>(
    program: &Program,
    w: &mut Window<R>,
    wanted: &[bool],
    each: &mut dyn FnMut(&UnitData),
) -> Result<(), Stop> {
    w.past_byte_order_mark()?;
    to_units(w)?;
    let quoted = |name: &str| format!("\"{name}\"");
    let mut keys: Vec<(Finder<'static>, Key)> =
        vec![(Finder::new(&quoted("unit")).into_owned(), Key::Name)];
    for (i, def) in program.inputs.iter().enumerate() {
        if wanted.get(i).copied().unwrap_or(false) {
            keys.push((Finder::new(&quoted(&def.name)).into_owned(), Key::Input(i)));
        }
    }
    let longest = keys
        .iter()
        .map(|(f, _)| f.needle().len())
        .max()
        .unwrap_or(0);
    let schema = Schema::new(program);
    let mut ck = Checker::new(Origin::json("", ""));
    let mut unit = UnitData {
        name: String::new(),
        inputs: std::iter::repeat_with(|| Value::Missing)
            .take(program.inputs.len())
            .collect(),
        params: Vec::new(),
    };
    let mut open = false;
    // Each key's next place in the window (`None`: not looked for since
    // the cursor moved or the window changed).
    let mut next: Vec<Option<Option<usize>>> = vec![None; keys.len()];
    loop {
        let text = w.text.as_bytes();
        let hay = text.get(w.pos..).unwrap_or_default();
        for (n, (finder, _)) in next.iter_mut().zip(&keys) {
            if n.is_none() {
                *n = Some(finder.find(hay).map(|k| w.pos + k));
            }
        }
        let first = next
            .iter()
            .enumerate()
            .filter_map(|(k, n)| Some(((*n)??, k)))
            .min();
        let Some((at, k)) = first else {
            // No key left in the window: read on, keeping its end in case
            // a key is cut there.
            w.pos = w.pos.max(text.len().saturating_sub(longest));
            next.fill(None);
            if !w.more()? {
                if open {
                    each(&unit);
                }
                return Ok(());
            }
            continue;
        };
        let (Some((finder, key)), Some(rest)) = (keys.get(k), text.get(at..)) else {
            return Err(Stop::Trouble);
        };
        // A key is followed by a colon, then its value, whole.
        let (start, end) = match value_at(rest, finder.needle().len()) {
            Place::Value(start, end) => (at + start, at + end),
            Place::NotKey => {
                w.pos = at + 1;
                forget_before(&mut next, w.pos);
                continue;
            }
            Place::Cut if rest.len() <= MOST => {
                w.pos = at;
                next.fill(None);
                if !w.more()? {
                    return Err(Stop::Trouble);
                }
                continue;
            }
            Place::Cut => return Err(Stop::Trouble),
        };
        if *key == Key::Name {
            if open {
                each(&unit);
            }
            open = true;
            unit.name.clear();
            for (_, key) in &keys {
                if let Key::Input(i) = key {
                    if let Some(slot) = unit.inputs.get_mut(*i) {
                        *slot = Value::Missing;
                    }
                }
            }
        }
        let value = w.text.get(start..end).ok_or(Stop::Trouble)?;
        read_value(value, *key, &schema, &mut ck, &mut unit).ok_or(Stop::Trouble)?;
        w.pos = end;
        forget_before(&mut next, end);
    }
}

/// The cursor moved to `to`: the keys found before it are to be looked
/// for again.
fn forget_before(next: &mut [Option<Option<usize>>], to: usize) {
    for n in next {
        if n.is_some_and(|p| p.is_some_and(|p| p < to)) {
            *n = None;
        }
    }
}

/// Step to the start of the top-level object's `units` list, the values of
/// the keys before it stepped over.
fn to_units<R: Read>(w: &mut Window<R>) -> Result<(), Stop> {
    w.expect(b'{')?;
    loop {
        let key = w.key()?;
        w.expect(b':')?;
        if key == "units" {
            return w.expect(b'[');
        }
        w.value(1, |_| ())?;
        w.expect(b',')?;
    }
}

/// Where a key's value is, from the key's quote (`key_len` bytes long).
enum Place {
    /// From `.0` to `.1`.
    Value(usize, usize),
    /// The text found is not a key (no colon after it).
    NotKey,
    /// The text ends first.
    Cut,
}

fn value_at(b: &[u8], key_len: usize) -> Place {
    let is_ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r');
    let after = b.get(key_len..).unwrap_or_default();
    let Some(colon) = after.iter().position(|c| !is_ws(c)) else {
        return Place::Cut;
    };
    if after.get(colon) != Some(&b':') {
        return Place::NotKey;
    }
    let start = key_len + colon + 1;
    let value = b.get(start..).unwrap_or_default();
    let Some(ws) = value.iter().position(|c| !is_ws(c)) else {
        return Place::Cut;
    };
    match value.get(ws..).and_then(extent) {
        Some(len) => Place::Value(start + ws, start + ws + len),
        None => Place::Cut,
    }
}

/// Read `text`, the value of `key`, into `unit` as the full reading reads
/// it. `None` for anything that does not read or check.
fn read_value<'p>(
    text: &str,
    key: Key,
    schema: &Schema<'p>,
    ck: &mut Checker<'p, '_>,
    unit: &mut UnitData,
) -> Option<()> {
    let mut p = Parser::new(text);
    let d = p.value(3).ok()?;
    match key {
        Key::Name => match &d.node {
            Node::Str(s) => unit.name = unit_name(s).into_owned(),
            _ => return None,
        },
        Key::Input(i) => {
            let def = schema.inputs.get(i)?;
            *unit.inputs.get_mut(i)? = ck.value(&d, &def.ty, &def.range, def.optional);
        }
    }
    (!ck.has_errors()).then_some(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    fn program() -> Program {
        let src = r#"rulebook "t"
input done: number in 0..100 "完成率"
input note: text "说明"
item 1 "t" {
  points 1
  award 1 if note = "x" and done > 50
}
"#;
        rulebook_lang::check::check("t.rules", src).program.unwrap()
    }

    /// What the skim hands on for `text`: each unit's name and `done`.
    fn skim(text: &str) -> Option<Vec<(String, Value)>> {
        let program = program();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.json");
        std::fs::write(&path, text).unwrap();
        let mut got = Vec::new();
        let shaped = units(&program, &path, &[true, false], &mut |u| {
            got.push((u.name.clone(), u.inputs[0].clone()));
        })
        .unwrap();
        shaped.then_some(got)
    }

    fn num(s: &str) -> Value {
        Value::Num(s.parse().unwrap())
    }

    /// Names and wanted values are found whatever the layout: a byte-order
    /// mark, white space around colons, keys in any order within a unit
    /// after its name, other values of every kind (strings holding quotes,
    /// brackets and key-like text) stepped over, globals first.
    #[test]
    fn finds_names_and_values_in_any_layout() {
        let text = "\u{feff}{ \"globals\" : {\"a\": [1, {\"b\": \"}\"}]},\n \"units\" : [\n\
            {\"unit\" : \" 甲 \", \"note\": \"say \\\"done\\\": 1 [{\", \"done\" :\n 80.50},\n\
            {\"unit\": \"乙\", \"done\": 7},\n\
            {\"unit\": \"丙\"}\n]}";
        assert_eq!(
            skim(text).unwrap(),
            [
                ("甲".to_string(), num("80.50")),
                ("乙".to_string(), num("7")),
                ("丙".to_string(), Value::Missing),
            ]
        );
    }

    /// A file with no units, and files not shaped as a data file, or with
    /// a wanted value that does not check.
    #[test]
    fn says_when_the_file_is_not_shaped_as_expected() {
        assert_eq!(skim(r#"{"units": []}"#).unwrap(), []);
        assert!(skim(r#"[{"unit": "甲"}]"#).is_none());
        assert!(skim(r#"{"globals": {}}"#).is_none());
        assert!(skim(r#"{"units": [{"unit": "甲", "done": 170}]}"#).is_none());
        assert!(skim(r#"{"units": [{"unit": "甲", "done": 1"#).is_none());
        assert!(skim(r#"{"units": [{"unit": 5}]}"#).is_none());
    }
}
