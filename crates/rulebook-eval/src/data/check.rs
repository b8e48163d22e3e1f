//! The one place data is checked against the rulebook.
//!
//! In: a `Datum` tree — what a JSON file, a CSV cell or a rulebook test's
//! literal says, with where it said it — and the declared [`Type`] and range
//! of each slot. Out: runtime [`Value`]s, and a [`DataError`] for every
//! value that does not fit (the checker never stops at the first). The JSON,
//! CSV and test-literal readers only build `Datum`s; every rule about what a
//! value may be lives here.

use super::number::{self, NumberError};
use super::{DataError, Location, TableName, UnitData};
use crate::value::{parse_date, Value};
use rulebook_lang::ast::CmpOp;
use rulebook_lang::ir::{FieldDef, InputDef, Program, Type, Unit};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::Arc;

/// Deepest nesting of lists and objects a data file may have.
pub(crate) const MAX_DEPTH: usize = 64;

/// Where a datum was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Loc {
    /// Known only by its path (a rulebook test's literal).
    None,
    /// A byte offset into a JSON text.
    Offset(usize),
    /// A table (index into the table list), 1-based row and cell (the
    /// cell's index + 1 in its row); row 0 = the table as a whole, column 0
    /// = the row as a whole.
    Cell { file: u32, row: u32, col: u32 },
    /// A table's cell by its shown column (a sheet column that no cell of
    /// the rows stands for, such as one without a header).
    Shown { file: u32, row: u32, col: u32 },
}

/// A value as written, before it is checked.
#[derive(Debug, Clone)]
pub(crate) struct Datum<'a> {
    pub node: Node<'a>,
    pub at: Loc,
}

#[derive(Debug, Clone)]
pub(crate) enum Node<'a> {
    Null,
    /// A value whose error was already reported (a missing CSV column or
    /// file): it becomes `Missing` without a second error.
    Reported,
    Bool(bool),
    /// The text of a JSON number.
    Num(&'a str),
    /// A number already read (a rulebook literal).
    Dec(Decimal),
    /// The text of a number in a cell formatted as a percent: `0.88` shown
    /// as 88%. It is 88 in a percent field and refused anywhere else.
    Percent(&'a str),
    /// A string; numbers, dates and names may be written as strings.
    Str(Cow<'a, str>),
    /// A date literal (a rulebook literal).
    Date(&'a str),
    List(Vec<Datum<'a>>),
    /// Entries in the order written, duplicates kept (the checker reports them).
    Object(Vec<Entry<'a>>),
}

#[derive(Debug, Clone)]
pub(crate) struct Entry<'a> {
    pub key: Cow<'a, str>,
    /// Where the key was written.
    pub at: Loc,
    pub value: Datum<'a>,
}

impl<'a> Datum<'a> {
    pub fn new(node: Node<'a>, at: Loc) -> Self {
        Datum { node, at }
    }
}

/// A rulebook literal as a datum; `None` if it nests deeper than [`MAX_DEPTH`].
pub(crate) fn from_ast(v: &rulebook_lang::ast::Value, depth: usize) -> Option<Datum<'_>> {
    use rulebook_lang::ast::Value as A;
    if depth > MAX_DEPTH {
        return None;
    }
    let node = match v {
        A::Null => Node::Null,
        A::Bool(b) => Node::Bool(*b),
        A::Number(d) => Node::Dec(*d),
        A::Str(s) => Node::Str(Cow::Borrowed(s)),
        A::Date(s) => Node::Date(s),
        A::List(items) => Node::List(
            items
                .iter()
                .map(|x| from_ast(x, depth + 1))
                .collect::<Option<_>>()?,
        ),
        A::Object(entries) => Node::Object(
            entries
                .iter()
                .map(|(k, x)| {
                    Some(Entry {
                        key: Cow::Borrowed(k),
                        at: Loc::None,
                        value: from_ast(x, depth + 1)?,
                    })
                })
                .collect::<Option<_>>()?,
        ),
    };
    Some(Datum::new(node, Loc::None))
}

/// One kind of declared slot (inputs, globals or parameters), looked up by id
/// or, in spreadsheets, by label.
pub(crate) struct Decls<'p> {
    pub defs: Vec<&'p InputDef>,
    ids: HashMap<&'p str, usize>,
    labels: HashMap<&'p str, usize>,
    /// "input", "global" or "parameter".
    pub what: &'static str,
}

impl<'p> Decls<'p> {
    fn new(defs: Vec<&'p InputDef>, what: &'static str) -> Self {
        let mut ids = HashMap::with_capacity(defs.len());
        let mut labels = HashMap::with_capacity(defs.len());
        for (i, d) in defs.iter().enumerate() {
            ids.entry(d.name.as_str()).or_insert(i);
            if !d.label.is_empty() {
                labels.entry(d.label.as_str()).or_insert(i);
            }
        }
        Decls {
            defs,
            ids,
            labels,
            what,
        }
    }
    pub fn by_id(&self, key: &str) -> Option<usize> {
        self.ids.get(key).copied()
    }
    /// [`Self::by_id`], trying slot `hint` first: data usually lists the
    /// slots in declaration order, so the next slot is the likely one.
    pub fn by_id_from(&self, key: &str, hint: usize) -> Option<usize> {
        match self.defs.get(hint) {
            Some(d) if d.name == key => Some(hint),
            _ => self.by_id(key),
        }
    }
    pub fn by_id_or_label(&self, key: &str) -> Option<usize> {
        self.by_id(key).or_else(|| self.labels.get(key).copied())
    }
    pub fn get(&self, i: usize) -> Option<&'p InputDef> {
        self.defs.get(i).copied()
    }
    pub fn len(&self) -> usize {
        self.defs.len()
    }
    /// The slot a misspelt key probably means.
    pub fn suggest(&self, key: &str, labels_allowed: bool) -> Option<usize> {
        let names = self.defs.iter().map(|d| d.name.as_str());
        let best = if labels_allowed {
            did_you_mean(key, names.chain(self.labels.keys().copied()))
        } else {
            did_you_mean(key, names)
        };
        best.and_then(|b| self.by_id_or_label(b))
    }

    /// The help for a key that names nothing here.
    pub fn unknown_help(&self, key: &str, labels_allowed: bool) -> Option<String> {
        if !labels_allowed {
            if let Some(d) = self.labels.get(key).and_then(|&i| self.get(i)) {
                return Some(format!("`{key}` is the label of `{}`: use the id", d.name));
            }
        }
        let names = self.defs.iter().map(|d| d.name.as_str());
        let best = if labels_allowed {
            did_you_mean(key, names.chain(self.labels.keys().copied()))
        } else {
            did_you_mean(key, names)
        };
        best.map(|b| format!("did you mean `{b}`?"))
    }
}

/// What the rulebook declares, indexed for lookups.
pub(crate) struct Schema<'p> {
    pub program: &'p Program,
    pub inputs: Decls<'p>,
    pub globals: Decls<'p>,
    pub params: Decls<'p>,
}

impl<'p> Schema<'p> {
    pub fn new(program: &'p Program) -> Self {
        Schema {
            program,
            inputs: Decls::new(program.inputs.iter().collect(), "input"),
            globals: Decls::new(program.globals.iter().collect(), "global"),
            params: Decls::new(
                program.params.iter().map(|p| &p.input).collect(),
                "parameter",
            ),
        }
    }

    /// The rulebook's value of parameter `i` for the unit `name`.
    pub fn param_default(&self, i: usize, name: Option<&str>) -> Option<Value> {
        let name = name?;
        let def = self.program.params.get(i)?;
        if let Some((_, v)) = def.values.iter().find(|(u, _)| unit_name(u) == name) {
            return Some(Value::Num(*v));
        }
        match self.program.year {
            _ if def.by_year.is_empty() => None,
            Some(rulebook_lang::ir::YearSource::Fixed(y)) => {
                by_year(&def.by_year, name, y).map(Value::Num)
            }
            // The year comes with the globals: the evaluator looks it up.
            Some(rulebook_lang::ir::YearSource::Global(_)) => Some(Value::Missing),
            None => None,
        }
    }
}

/// A parameter's value for `unit` in `year`: the unit's own, else every unit's.
pub fn by_year(
    values: &[(Option<String>, i32, rust_decimal::Decimal)],
    unit: &str,
    year: i32,
) -> Option<rust_decimal::Decimal> {
    values
        .iter()
        .find(|(u, y, _)| *y == year && u.as_deref().map(unit_name).as_deref() == Some(unit))
        .or_else(|| values.iter().find(|(u, y, _)| *y == year && u.is_none()))
        .map(|(_, _, v)| *v)
}

/// A unit's name as it is compared and reported: without leading or
/// trailing spaces (full-width ones too) and in Unicode NFC, so that `甲县`
/// and `甲县 ` (or a decomposed and a composed spelling) are one unit, in
/// every reader alike.
pub(crate) fn unit_name(raw: &str) -> Cow<'_, str> {
    use unicode_normalization::UnicodeNormalization;
    let t = raw.trim();
    if unicode_normalization::is_nfc(t) {
        Cow::Borrowed(t)
    } else {
        Cow::Owned(t.nfc().collect())
    }
}

/// "an input", "a parameter", "a global".
fn article(what: &str) -> &'static str {
    if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// The closest name to `word` among `candidates`, if close enough to be a typo.
pub(crate) fn did_you_mean<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let len = word.chars().count();
    let limit = (len / 3).max(1);
    let lower = word.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = if c.to_lowercase() == lower {
            0
        } else {
            strsim::damerau_levenshtein(word, c)
        };
        if d <= limit && d < c.chars().count().max(len) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// How the locations of one source are written.
pub(crate) enum Origin<'s> {
    Json {
        file: &'s str,
        text: &'s str,
        lines: OnceCell<Vec<usize>>,
    },
    /// CSV files or workbook sheets, indexed by `Loc::Cell::file`.
    Tables { names: Vec<TableName>, sheets: bool },
    /// A rulebook test's literal: locations are paths only.
    Given,
}

impl<'s> Origin<'s> {
    pub fn json(file: &'s str, text: &'s str) -> Self {
        Origin::Json {
            file,
            text,
            lines: OnceCell::new(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Seg<'p> {
    Key(&'p str),
    Index(usize),
}

/// Errors sort by file, then position.
type SortKey = (u32, u64, u32);

/// Collects every data error, with the unit and path being checked.
pub(crate) struct Checker<'p, 's> {
    origin: Origin<'s>,
    errors: Vec<(SortKey, DataError)>,
    /// The unit being checked.
    unit: Option<String>,
    /// The path of the current scope from the file's root (`units[3]`).
    prefix: String,
    /// The path below the scope (`town_plants`, 2, `load_rate`).
    path: Vec<Seg<'p>>,
    /// Units seen so far: name → where.
    names: HashMap<String, (Loc, String)>,
}

impl<'p, 's> Checker<'p, 's> {
    pub fn new(origin: Origin<'s>) -> Self {
        Checker {
            origin,
            errors: Vec::new(),
            unit: None,
            prefix: String::new(),
            path: Vec::new(),
            names: HashMap::new(),
        }
    }

    /// Set the unit and the path prefix errors are reported under.
    pub fn scope(&mut self, unit: Option<&str>, prefix: impl Into<String>) {
        self.unit = unit.map(str::to_owned);
        self.prefix = prefix.into();
        self.path.clear();
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Forget the errors found so far: they came from a unit read from a
    /// window of text that cut it short, and it is read again.
    pub fn forget_errors(&mut self) {
        self.errors.clear();
    }

    /// Every error, in file order.
    pub fn finish(mut self) -> Vec<DataError> {
        self.errors.sort_by_key(|(k, _)| *k);
        self.errors.into_iter().map(|(_, e)| e).collect()
    }

    fn field_path(&self, extra: Option<&str>) -> Option<String> {
        let mut s = String::new();
        for seg in &self.path {
            match seg {
                Seg::Key(k) => {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(k);
                }
                Seg::Index(i) => {
                    s.push('[');
                    s.push_str(&i.to_string());
                    s.push(']');
                }
            }
        }
        if let Some(k) = extra {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(k);
        }
        (!s.is_empty()).then_some(s)
    }

    /// `data.json:41:17 (units[3].pm25)`, `units.csv:5:12`, `units!B7`, `given.pm25`.
    pub fn location(&self, at: Loc, field: Option<&str>) -> Location {
        let path = match (self.prefix.is_empty(), field) {
            (_, None) => self.prefix.clone(),
            (true, Some(f)) => f.to_owned(),
            (false, Some(f)) => format!("{}.{f}", self.prefix),
        };
        match &self.origin {
            Origin::Json { file, text, lines } => Location::Json {
                file: (*file).to_owned(),
                at: match at {
                    Loc::Offset(o) => Some(line_col(text, lines, o)),
                    _ => None,
                },
                path,
            },
            Origin::Tables { names, .. } => match at {
                Loc::Cell { file, row, col } | Loc::Shown { file, row, col } => {
                    let shown = matches!(at, Loc::Shown { .. });
                    match names.get(file as usize) {
                        Some(TableName::Csv(name)) => Location::Csv {
                            file: name.clone(),
                            line: row,
                            col,
                        },
                        Some(TableName::Sheet { sheet, cols }) => Location::Sheet {
                            sheet: sheet.clone(),
                            row,
                            col: if shown || col == 0 {
                                col
                            } else {
                                cols.get(col as usize - 1).copied().unwrap_or(col)
                            },
                        },
                        None => Location::None,
                    }
                }
                _ => Location::Path(path),
            },
            Origin::Given => Location::Path(path),
        }
    }

    /// The place of a whole table that is missing: `units.csv` or sheet `units`.
    pub fn missing_table(&self, stem: &str) -> Location {
        match self.origin {
            Origin::Tables { sheets: true, .. } => Location::Sheet {
                sheet: stem.to_owned(),
                row: 0,
                col: 0,
            },
            _ => Location::Csv {
                file: format!("{stem}.csv"),
                line: 0,
                col: 0,
            },
        }
    }

    /// Report an error at `at`, about the current path (plus `extra`, a key
    /// below it).
    pub fn report(
        &mut self,
        at: Loc,
        extra: Option<&str>,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        let field = self.field_path(extra);
        let location = self.location(at, field.as_deref());
        let key = match (at, &location) {
            (Loc::None, _) => (0, 0, 0),
            (Loc::Offset(o), _) => (0, o as u64, 0),
            (Loc::Cell { file, row, .. } | Loc::Shown { file, row, .. }, loc) => {
                let col = match loc {
                    Location::Sheet { col, .. } | Location::Csv { col, .. } => *col,
                    _ => 0,
                };
                (file, u64::from(row), col)
            }
        };
        self.errors.push((
            key,
            DataError {
                unit: self.unit.clone(),
                field,
                location,
                message: message.into(),
                help,
            },
        ));
    }

    /// Report an error with a location of its own (a file that is missing).
    pub fn report_file(&mut self, stem: &str, message: String, help: Option<String>) {
        let location = self.missing_table(stem);
        self.errors.push((
            (0, 0, 0),
            DataError {
                unit: None,
                field: None,
                location,
                message,
                help,
            },
        ));
    }

    /// Record a unit's name; a second unit with the same name is an error.
    pub fn claim_name(&mut self, name: &str, at: Loc) {
        if let Some((first, prefix)) = self.names.get(name) {
            let (first, prefix) = (*first, prefix.clone());
            let saved = std::mem::replace(&mut self.prefix, prefix);
            let there = self.location(first, None);
            self.prefix = saved;
            self.report(
                at,
                None,
                format!("duplicate unit `{name}`"),
                Some(format!(
                    "`{name}` is first given at {there}; each unit may appear only once"
                )),
            );
        } else {
            self.names
                .insert(name.to_owned(), (at, self.prefix.clone()));
        }
    }

    /// How a datum is shown in a message.
    fn found(&self, d: &Datum<'_>) -> String {
        let csv = matches!(self.origin, Origin::Tables { .. });
        match &d.node {
            Node::Null if csv => "an empty cell".into(),
            Node::Null => "null".into(),
            Node::Reported => "nothing".into(),
            Node::Bool(b) => format!("`{b}`"),
            Node::Num(t) => format!("`{}`", shorten(t)),
            Node::Percent(t) => match number::parse_exact(t) {
                Ok(v) => format!("`{}%`", (v * Decimal::ONE_HUNDRED).normalize()),
                Err(_) => format!("`{}`", shorten(t)),
            },
            Node::Dec(x) => format!("`{x}`"),
            Node::Str(s) if s.is_empty() => "an empty string".into(),
            Node::Str(s) if csv => format!("`{}`", shorten(s)),
            Node::Str(s) => format!("`\"{}\"`", shorten(s)),
            Node::Date(s) => format!("`{s}`"),
            Node::List(_) => "a list".into(),
            Node::Object(_) => "an object".into(),
        }
    }

    fn mismatch(
        &mut self,
        d: &Datum<'_>,
        ty: &Type,
        range: &[(CmpOp, Decimal)],
        help: Option<String>,
    ) -> Value {
        let message = format!("expected {}, found {}", expected(ty, range), self.found(d));
        self.report(d.at, None, message, help);
        Value::Missing
    }

    /// Check one datum against a type and range: the conversion shared by
    /// every source.
    pub fn value(
        &mut self,
        d: &Datum<'_>,
        ty: &'p Type,
        range: &'p [(CmpOp, Decimal)],
        optional: bool,
    ) -> Value {
        match &d.node {
            Node::Reported => return Value::Missing,
            Node::Null if optional => return Value::Missing,
            Node::Null => {
                let help = Some("this value is required (it is not optional)".to_owned());
                return self.mismatch(d, ty, range, help);
            }
            _ => {}
        }
        match ty {
            Type::Bool => match d.node {
                Node::Bool(b) => Value::Bool(b),
                _ => {
                    let help = match self.origin {
                        Origin::Tables { .. } => "write `true` or `false` (or `是` / `否`)",
                        _ => "write `true` or `false`, without quotes",
                    };
                    self.mismatch(d, ty, range, Some(help.into()))
                }
            },
            Type::Num(unit) => self.number(d, *unit, ty, range),
            Type::Date => self.date(d, ty, range),
            Type::Text => match &d.node {
                Node::Str(s) => Value::Text(Arc::from(s.as_ref())),
                Node::Num(t) => {
                    let help = Some(format!("write it in quotes: `\"{t}\"`"));
                    self.mismatch(d, ty, range, help)
                }
                _ => self.mismatch(d, ty, range, None),
            },
            Type::Enum(names) => match &d.node {
                Node::Str(s) => match names.iter().find(|n| *n == s) {
                    Some(n) => Value::Text(Arc::from(n.as_str())),
                    None => {
                        let help = did_you_mean(s, names.iter().map(String::as_str))
                            .map(|b| format!("did you mean `{b}`?"));
                        self.mismatch(d, ty, range, help)
                    }
                },
                _ => self.mismatch(d, ty, range, None),
            },
            Type::List(elem) => match &d.node {
                Node::List(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for (i, item) in items.iter().enumerate() {
                        self.path.push(Seg::Index(i));
                        out.push(self.value(item, elem, range, false));
                        self.path.pop();
                    }
                    Value::List(out.into())
                }
                _ => self.mismatch(d, ty, range, None),
            },
            Type::Record(fields) => match &d.node {
                Node::Object(entries) => self.record(d.at, entries, fields),
                _ => self.mismatch(d, ty, range, None),
            },
            Type::Group(..) => {
                self.report(d.at, None, "a group cannot be given as data", None);
                Value::Missing
            }
        }
    }

    fn number(
        &mut self,
        d: &Datum<'_>,
        unit: Unit,
        ty: &Type,
        range: &[(CmpOp, Decimal)],
    ) -> Value {
        let (text, parsed) = match &d.node {
            Node::Percent(t) if unit == Unit::Pct => {
                // 0.88 formatted as 88% is 88 percent: exact, no float.
                let v = number::parse_exact(t).and_then(|v| {
                    v.checked_mul(Decimal::ONE_HUNDRED)
                        .map(|x| x.normalize())
                        .ok_or(NumberError::TooLarge)
                });
                let shown = match &v {
                    Ok(v) => format!("{v}%"),
                    Err(_) => (*t).to_owned(),
                };
                (Cow::Owned(shown), v)
            }
            Node::Percent(_) => {
                let message = format!(
                    "expected {}, found {}, a cell formatted as a percent",
                    expected(ty, range),
                    self.found(d)
                );
                let help = "this column is not a percentage: format the cell as a number (Format Cells → Number) and type the value";
                self.report(d.at, None, message, Some(help.into()));
                return Value::Missing;
            }
            Node::Num(t) => (Cow::Borrowed(*t), number::parse_exact(t)),
            Node::Str(s) => (Cow::Borrowed(s.as_ref()), number::parse_exact(s)),
            Node::Dec(x) => (Cow::Owned(x.to_string()), Ok(x.normalize())),
            _ => return self.mismatch(d, ty, range, None),
        };
        let v = match parsed {
            Ok(v) => v,
            Err(NumberError::Syntax) => {
                let help = number_help(&text);
                return self.mismatch(d, ty, range, help);
            }
            Err(NumberError::TooLarge) => {
                let message = format!("number too large: `{}`", shorten(&text));
                let help = format!("numbers must lie within ±{}", Decimal::MAX);
                self.report(d.at, None, message, Some(help));
                return Value::Missing;
            }
            Err(NumberError::TooPrecise) => {
                let message = format!(
                    "number has too many digits to be read exactly: `{}`",
                    shorten(&text)
                );
                let help = "use at most 28 digits after the decimal point and 29 in all".into();
                self.report(d.at, None, message, Some(help));
                return Value::Missing;
            }
        };
        if fits(v, unit, range) {
            Value::Num(v)
        } else {
            let message = format!(
                "expected {}, found `{}`",
                expected(ty, range),
                shorten(&text)
            );
            self.report(d.at, None, message, None);
            Value::Missing
        }
    }

    fn date(&mut self, d: &Datum<'_>, ty: &Type, range: &[(CmpOp, Decimal)]) -> Value {
        let s = match &d.node {
            Node::Str(s) => s.as_ref(),
            Node::Date(s) => s,
            _ => return self.mismatch(d, ty, range, None),
        };
        if let Some(days) = parse_date(s) {
            return Value::Date(days);
        }
        let b = s.as_bytes();
        let shaped = b.len() == 10
            && b.iter().enumerate().all(|(i, c)| {
                if i == 4 || i == 7 {
                    *c == b'-'
                } else {
                    c.is_ascii_digit()
                }
            });
        if shaped {
            self.report(d.at, None, format!("no such date: `{s}`"), None);
            Value::Missing
        } else {
            let help = respell_date(s).map(|f| format!("write `{f}`"));
            self.mismatch(d, ty, range, help)
        }
    }

    fn record(&mut self, at: Loc, entries: &[Entry<'_>], fields: &'p [FieldDef]) -> Value {
        let mut vals: Vec<Option<Value>> = vec![None; fields.len()];
        let mut seen: Vec<Option<Loc>> = vec![None; fields.len()];
        for e in entries {
            match fields.iter().enumerate().find(|(_, f)| f.name == e.key) {
                Some((i, f)) => {
                    if let Some(first) = seen.get(i).copied().flatten() {
                        self.duplicate(e, first);
                        continue;
                    }
                    if let Some(s) = seen.get_mut(i) {
                        *s = Some(e.at);
                    }
                    self.path.push(Seg::Key(&f.name));
                    let v = self.value(&e.value, &f.ty, &f.range, f.optional);
                    self.path.pop();
                    if let Some(slot) = vals.get_mut(i) {
                        *slot = Some(v);
                    }
                }
                None => {
                    let help = did_you_mean(&e.key, fields.iter().map(|f| f.name.as_str()))
                        .map(|b| format!("did you mean `{b}`?"))
                        .or_else(|| Some(format!("the fields are {}", field_list(fields))));
                    self.report(
                        e.at,
                        Some(&e.key),
                        format!("unknown field `{}`", e.key),
                        help,
                    );
                }
            }
        }
        let mut out = Vec::with_capacity(fields.len());
        for (f, v) in fields.iter().zip(vals) {
            out.push(match v {
                Some(v) => v,
                None if f.optional => Value::Missing,
                None => {
                    let help = format!("give `{}` ({}), a {}", f.name, f.label, f.ty.describe());
                    self.report(
                        at,
                        Some(&f.name),
                        format!("missing field `{}`", f.name),
                        Some(help),
                    );
                    Value::Missing
                }
            });
        }
        Value::Record(out.into())
    }

    fn duplicate(&mut self, e: &Entry<'_>, first: Loc) {
        let there = self.location(first, self.field_path(Some(&e.key)).as_deref());
        self.report(
            e.at,
            Some(&e.key),
            format!("duplicate key `{}`", e.key),
            Some(format!(
                "first given at {there}; a key may appear only once"
            )),
        );
    }

    /// Check `entries` against the slots of `decls`, filling `slots`. Unknown
    /// and repeated keys are errors; with `null_is_absent`, a null leaves
    /// its slot empty.
    pub fn fill<'d, 'a: 'd>(
        &mut self,
        decls: &Decls<'p>,
        elsewhere: Option<&Decls<'p>>,
        entries: impl IntoIterator<Item = &'d Entry<'a>>,
        slots: &mut [Option<Value>],
        null_is_absent: bool,
    ) {
        let mut seen: Vec<Option<Loc>> = vec![None; decls.len()];
        let mut next = 0;
        for e in entries {
            let Some((i, def)) = decls
                .by_id_from(&e.key, next)
                .and_then(|i| decls.get(i).map(|d| (i, d)))
            else {
                // A key in the wrong place (a parameter among the inputs)
                // is told where it belongs.
                if let Some(other) = elsewhere.filter(|o| o.by_id(&e.key).is_some()) {
                    let message = format!(
                        "`{}` is {} {}, not {} {}",
                        e.key,
                        article(other.what),
                        other.what,
                        article(decls.what),
                        decls.what
                    );
                    let help = match other.what {
                        "parameter" => format!(
                            "give it under the unit's `params`: `\"params\": {{\"{}\": …}}`",
                            e.key
                        ),
                        _ => {
                            "give it beside the unit's other inputs, not under `params`".to_owned()
                        }
                    };
                    self.report(e.at, Some(&e.key), message, Some(help));
                    continue;
                }
                let help = decls.unknown_help(&e.key, false);
                let message = format!("unknown {} `{}`", decls.what, e.key);
                self.report(e.at, Some(&e.key), message, help);
                continue;
            };
            if let Some(first) = seen.get(i).copied().flatten() {
                self.duplicate(e, first);
                continue;
            }
            if let Some(s) = seen.get_mut(i) {
                *s = Some(e.at);
            }
            next = i + 1;
            if null_is_absent && matches!(e.value.node, Node::Null) {
                continue;
            }
            self.path.push(Seg::Key(&def.name));
            let v = self.value(&e.value, &def.ty, &def.range, def.optional);
            self.path.pop();
            if let Some(slot) = slots.get_mut(i) {
                *slot = Some(v);
            }
        }
    }

    /// The filled slots as values; an empty slot takes `fallback`, or is
    /// `Missing` if optional, or is an error at `at`.
    pub fn finish_slots(
        &mut self,
        decls: &Decls<'p>,
        at: Loc,
        slots: Vec<Option<Value>>,
        fallback: impl Fn(usize) -> Option<Value>,
    ) -> Vec<Value> {
        let mut out = Vec::with_capacity(slots.len());
        for (i, (def, v)) in decls.defs.iter().zip(slots).enumerate() {
            out.push(match v.or_else(|| fallback(i)) {
                Some(v) => v,
                None if def.optional => Value::Missing,
                None => {
                    let (message, help) = missing(decls.what, def, self.unit.as_deref());
                    self.report(at, Some(&def.name), message, Some(help));
                    Value::Missing
                }
            });
        }
        out
    }

    /// Check one unit: its inputs and its parameters.
    pub fn unit<'d, 'a: 'd>(&mut self, schema: &Schema<'p>, u: UnitIn<'d, 'a>) -> UnitData {
        let name = u.name.map(unit_name);
        let name = name.as_deref();
        self.scope(name, u.prefix);
        let mut inputs = slots_from(u.base.map(|b| b.inputs.as_slice()), schema.inputs.len());
        self.fill(
            &schema.inputs,
            Some(&schema.params),
            u.inputs,
            &mut inputs,
            false,
        );
        let inputs = self.finish_slots(&schema.inputs, u.at, inputs, |_| None);

        self.scope(name, u.params_prefix);
        let mut params = slots_from(u.base.map(|b| b.params.as_slice()), schema.params.len());
        if let Some(d) = u.params {
            match &d.node {
                Node::Null | Node::Reported => {}
                Node::Object(entries) => self.fill(
                    &schema.params,
                    Some(&schema.inputs),
                    entries,
                    &mut params,
                    true,
                ),
                _ => {
                    let message = format!(
                        "expected an object of parameter values for `params`, found {}",
                        self.found(d)
                    );
                    self.report(d.at, None, message, None);
                }
            }
        }
        let params = if name.is_some() {
            self.finish_slots(&schema.params, u.at, params, |i| {
                schema.param_default(i, name)
            })
        } else {
            // Without a name (already an error) the rulebook's values are unknown.
            params
                .into_iter()
                .map(|v| v.unwrap_or(Value::Missing))
                .collect()
        };
        UnitData {
            name: name.unwrap_or_default().to_owned(),
            inputs,
            params,
        }
    }

    /// Check the shared facts.
    pub fn globals<'d, 'a: 'd>(
        &mut self,
        schema: &Schema<'p>,
        at: Loc,
        entries: impl IntoIterator<Item = &'d Entry<'a>>,
        base: Option<&[Value]>,
        prefix: &str,
    ) -> Vec<Value> {
        self.scope(None, prefix);
        let mut slots = slots_from(base, schema.globals.len());
        self.fill(&schema.globals, None, entries, &mut slots, false);
        self.finish_slots(&schema.globals, at, slots, |_| None)
    }
}

/// One unit as read, before it is checked.
pub(crate) struct UnitIn<'d, 'a> {
    pub name: Option<&'d str>,
    /// Where the unit is (for missing inputs and parameters).
    pub at: Loc,
    pub inputs: Vec<&'d Entry<'a>>,
    pub params: Option<&'d Datum<'a>>,
    /// Values kept where the unit gives none (test overrides).
    pub base: Option<&'d UnitData>,
    pub prefix: String,
    pub params_prefix: String,
}

fn slots_from(base: Option<&[Value]>, n: usize) -> Vec<Option<Value>> {
    let mut slots: Vec<Option<Value>> = match base {
        Some(b) => b.iter().cloned().map(Some).collect(),
        None => Vec::with_capacity(n),
    };
    slots.resize(n, None);
    slots
}

fn missing(what: &str, def: &InputDef, unit: Option<&str>) -> (String, String) {
    let about = if def.label.is_empty() {
        def.ty.describe()
    } else {
        format!("{}, {}", def.label, def.ty.describe())
    };
    match what {
        "parameter" => (
            format!("no value for parameter `{}`", def.name),
            match unit {
                Some(u) => format!(
                    "give `{}` ({about}) in the unit's `params`, or give a value for `{u}` in the rulebook",
                    def.name
                ),
                None => format!("give `{}` ({about}) in the unit's `params`", def.name),
            },
        ),
        "global" => (
            format!("missing global `{}`", def.name),
            format!("give `{}` ({about}) in `globals`", def.name),
        ),
        _ => (
            format!("missing {what} `{}`", def.name),
            format!("every unit must give `{}` ({about})", def.name),
        ),
    }
}

/// Whether a number read exactly is a value of a slot of `unit` with
/// `range`: whole where the unit counts, within the unit's own bound and
/// the declared range (as `bounds` lists them for messages, without
/// building the list).
pub(crate) fn fits(v: Decimal, unit: Unit, range: &[(CmpOp, Decimal)]) -> bool {
    // Numbers are read normalized: a whole one has no decimal places.
    let whole = !unit.is_integral() || v.scale() == 0 || v.fract().is_zero();
    whole
        && unit.intrinsic_min().is_none_or(|min| v >= min)
        && range.iter().all(|&(op, b)| holds(v, op, b))
}

/// The unit's own bound and the declared range, as checked.
fn bounds(unit: Unit, range: &[(CmpOp, Decimal)]) -> Vec<(CmpOp, Decimal)> {
    let mut out = Vec::with_capacity(range.len() + 1);
    if let Some(min) = unit.intrinsic_min() {
        let stronger = range
            .iter()
            .any(|&(op, b)| matches!(op, CmpOp::Ge | CmpOp::Gt | CmpOp::Eq) && b >= min);
        if !stronger {
            out.push((CmpOp::Ge, min));
        }
    }
    for r in range {
        if !out.contains(r) {
            out.push(*r);
        }
    }
    out
}

fn holds(v: Decimal, op: CmpOp, b: Decimal) -> bool {
    match op {
        CmpOp::Eq => v == b,
        CmpOp::Ne => v != b,
        CmpOp::Lt => v < b,
        CmpOp::Le => v <= b,
        CmpOp::Gt => v > b,
        CmpOp::Ge => v >= b,
    }
}

/// What a type accepts, for messages: "a whole number ≥ 0".
pub(crate) fn expected(ty: &Type, range: &[(CmpOp, Decimal)]) -> String {
    match ty {
        Type::Bool => "`true` or `false`".into(),
        Type::Num(unit) => {
            let mut s = String::from(if unit.is_integral() {
                "a whole number"
            } else {
                "a number"
            });
            for (i, (op, b)) in bounds(*unit, range).iter().enumerate() {
                s.push_str(if i == 0 { " " } else { " and " });
                s.push_str(op.symbol());
                s.push(' ');
                s.push_str(&b.normalize().to_string());
            }
            s
        }
        Type::Date => "a date written `YYYY-MM-DD`".into(),
        Type::Text => "text".into(),
        Type::Enum(names) => {
            let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            format!("one of {}", list.join(", "))
        }
        Type::List(elem) => format!("a list of {}", elem.describe()),
        Type::Record(fields) => format!("an object with fields {}", field_list(fields)),
        Type::Group(..) => "a group".into(),
    }
}

fn field_list(fields: &[FieldDef]) -> String {
    let list: Vec<String> = fields.iter().map(|f| format!("`{}`", f.name)).collect();
    list.join(", ")
}

/// A long text cut for messages.
fn shorten(s: &str) -> Cow<'_, str> {
    const MAX: usize = 60;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => Cow::Owned(format!("{}…", s.get(..i).unwrap_or(s))),
        None => Cow::Borrowed(s),
    }
}

/// Help for a text that is not a number.
fn number_help(text: &str) -> Option<String> {
    let t = text.trim();
    if t != text && number::parse_exact(t).is_ok() {
        return Some("remove the spaces around the number".into());
    }
    if let Some(n) = t.strip_suffix('%').or_else(|| t.strip_suffix('％')) {
        if number::parse_exact(n.trim()).is_ok() {
            return Some(format!(
                "write the number of percent without `%`: `{}`",
                n.trim()
            ));
        }
    }
    if t.contains(',') && number::parse_exact(&t.replace(',', "")).is_ok() {
        return Some("write the number without thousands separators".into());
    }
    None
}

/// `2024-9-30` or `2024/09/30` as `2024-09-30`, when that is a real date.
fn respell_date(s: &str) -> Option<String> {
    let parts: Vec<&str> = s.trim().split(['-', '/', '.']).collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    let num = |p: &str, max_len: usize| -> Option<u32> {
        if p.is_empty() || p.len() > max_len || !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        p.parse().ok()
    };
    let (y, m, d) = (num(y, 4)?, num(m, 2)?, num(d, 2)?);
    if y < 1000 {
        return None;
    }
    let f = format!("{y:04}-{m:02}-{d:02}");
    parse_date(&f).map(|_| f)
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, lines: &OnceCell<Vec<usize>>, offset: usize) -> (usize, usize) {
    let starts = lines.get_or_init(|| {
        std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect()
    });
    let line = starts.partition_point(|&s| s <= offset).max(1);
    let start = starts.get(line - 1).copied().unwrap_or(0);
    let col = match text.get(start..offset) {
        Some(s) => s.chars().count(),
        None => offset.saturating_sub(start),
    };
    (line, col + 1)
}
