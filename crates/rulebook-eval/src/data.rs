//! Unit data in: JSON, CSV and rulebook-test literals → slot vectors.
//!
//! In: a checked [`Program`] and data in one of three shapes — a JSON file
//! (`{"globals": {...}, "units": [{"unit": NAME, <inputs>, "params": {...}}]}`),
//! a folder of CSV files, or a test's `given`/`globals` literal. Out: a
//! [`Batch`] whose vectors are indexed like `program.inputs`,
//! `program.globals` and `program.params`, or every [`DataError`] found.
//!
//! Guarantees: numbers are read exactly (never through a float) and
//! normalized (`96.50` and `"96.5"` give the same value); every value has its
//! declared type, unit bound and range; every non-optional input, global
//! and parameter has a value; nothing is returned from a file with any
//! error; no input makes it panic. Each reader only turns its text into a
//! located datum tree; the checking itself is one shared pass (`check`).

pub mod check;
mod csv_files;
mod json;
mod json_stream;
mod number;
pub(crate) mod skim;

use crate::value::Value;
use check::{Checker, Loc, Node, Origin, Schema, UnitIn};
use rulebook_lang::ir::Program;
use std::fmt;

/// Everything a batch evaluation needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// Indexed like `program.globals`.
    pub globals: Vec<Value>,
    /// In the order the data gives them.
    pub units: Vec<UnitData>,
}

/// One unit's checked data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnitData {
    pub name: String,
    /// Indexed like `program.inputs`; `Value::Missing` for an optional input not given.
    pub inputs: Vec<Value>,
    /// Indexed like `program.params`: the unit's own value if given, else the
    /// rulebook's value for this unit's name.
    pub params: Vec<Value>,
}

/// A problem with the data, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    /// The unit's name, when known.
    pub unit: Option<String>,
    /// The input, parameter or global id, or a path below it
    /// (`town_plants[2].load_rate`).
    pub field: Option<String>,
    pub location: Location,
    /// Lowercase, no final period, user text in backticks.
    pub message: String,
    pub help: Option<String>,
}

/// Where a problem is, as data; shown one way by its `Display`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// Nowhere in particular.
    None,
    /// A JSON text: the 1-based line and column (in characters) of the
    /// value, unless it is the file as a whole, and the path to the value
    /// (`units[3].pm25`, empty at the top). Shown `data.json:41:17 (units[3].pm25)`.
    Json {
        file: String,
        at: Option<(usize, usize)>,
        path: String,
    },
    /// A CSV file: 1-based line and column; line 0 is the file as a whole,
    /// column 0 the whole line. Shown `units.csv:5:12`, `units.csv:5`, `units.csv`.
    Csv { file: String, line: u32, col: u32 },
    /// A workbook sheet: 1-based row and column; row 0 is the sheet as a
    /// whole, column 0 the whole row. Shown `units!B7`, `units!7:7`, `units`.
    Sheet { sheet: String, row: u32, col: u32 },
    /// A whole file known only by its name (a workbook that cannot be opened).
    File(String),
    /// A rulebook test's literal, known by its path (`given.cases[0].found`).
    Path(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::None => Ok(()),
            Location::Json { file, at, path } => {
                write!(f, "{file}")?;
                if let Some((l, c)) = at {
                    write!(f, ":{l}:{c}")?;
                }
                if !path.is_empty() {
                    write!(f, " ({path})")?;
                }
                Ok(())
            }
            Location::Csv { file, line, col } => match (line, col) {
                (0, _) => write!(f, "{file}"),
                (l, 0) => write!(f, "{file}:{l}"),
                (l, c) => write!(f, "{file}:{l}:{c}"),
            },
            Location::Sheet { sheet, row, col } => {
                let sheet = quote_sheet(sheet);
                match (row, col) {
                    (0, _) => write!(f, "{sheet}"),
                    (r, 0) => write!(f, "{sheet}!{r}:{r}"),
                    (r, c) => write!(f, "{sheet}!{}{r}", col_letters(*c)),
                }
            }
            Location::File(name) | Location::Path(name) => write!(f, "{name}"),
        }
    }
}

/// A sheet name as Excel writes it in a reference (`'my sheet'!A1`).
fn quote_sheet(sheet: &str) -> std::borrow::Cow<'_, str> {
    let plain = !sheet.is_empty()
        && sheet
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.');
    if plain {
        sheet.into()
    } else {
        format!("'{}'", sheet.replace('\'', "''")).into()
    }
}

/// Column letters for a 1-based column number (1 → A, 27 → AA).
pub fn col_letters(col: u32) -> String {
    let mut n = col;
    let mut out = Vec::new();
    while n > 0 {
        let rem = u8::try_from((n - 1) % 26).unwrap_or(0);
        out.push(char::from(b'A' + rem));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

impl fmt::Display for DataError {
    /// One line, without the help (shown by the caller, e.g. on a line of
    /// its own): control characters in user text are shown escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = self.location.to_string();
        if !line.is_empty() {
            line.push_str(": ");
        }
        match (&self.unit, &self.field) {
            (Some(u), Some(x)) => line.push_str(&format!("unit `{u}`, field `{x}`: ")),
            (Some(u), None) => line.push_str(&format!("unit `{u}`: ")),
            (None, Some(x)) => line.push_str(&format!("field `{x}`: ")),
            (None, None) => {}
        }
        line.push_str(&self.message);
        for c in line.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for DataError {}

/// A table of cells as it was found: a CSV file's records or a workbook
/// sheet's rows. The CSV reader checks tables, so a workbook is checked
/// exactly like a folder of CSV files while its errors name its cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// What the table stands for: `units`, `globals`, `params` or a record
    /// input's id or label (a CSV file's name without `.csv`).
    pub stem: String,
    pub name: TableName,
    /// The rows with anything in them, the header first.
    pub rows: Vec<Row>,
    /// Cells already found unusable (a formula never calculated, a value
    /// with no header): reported with the reader's own errors.
    pub problems: Vec<CellProblem>,
}

/// How locations in a table are shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableName {
    /// A CSV file as given (`data/units.csv`); cell `i` of a row is column `i + 1`.
    Csv(String),
    /// A workbook sheet; cell `i` of a row is column `cols[i]` (1-based).
    Sheet { sheet: String, cols: Vec<u32> },
}

/// One row: its 1-based line (CSV) or row number (sheet), and its cells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    pub line: u32,
    pub cells: Vec<String>,
    /// The cells (by index) holding a number formatted as a percent: a
    /// spreadsheet stores 88% as `0.88`.
    pub percent: Vec<usize>,
}

impl Row {
    pub fn get(&self, i: usize) -> Option<&str> {
        self.cells.get(i).map(String::as_str)
    }
    pub fn len(&self) -> usize {
        self.cells.len()
    }
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

/// A cell a table's reader could not use, at its shown row and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellProblem {
    pub row: u32,
    pub col: u32,
    /// The unit of the cell's row, when known.
    pub unit: Option<String>,
    pub message: String,
    pub help: Option<String>,
}

/// A unit's name as every reader compares and reports it: trimmed, in
/// Unicode NFC.
pub fn unit_name(raw: &str) -> std::borrow::Cow<'_, str> {
    check::unit_name(raw)
}

/// A data file that is not UTF-8 text (a GBK CSV file, UTF-16 JSON), told
/// as a located error: the file, and the line of the first byte that is
/// not UTF-8.
pub fn not_utf8(file_name: &str, bytes: &[u8]) -> DataError {
    let utf16 = bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]);
    let bad = std::str::from_utf8(bytes)
        .err()
        .map_or(0, |e| e.valid_up_to());
    let line = bytes
        .get(..bad)
        .map_or(1, |b| b.iter().filter(|&&c| c == b'\n').count() + 1);
    let message = if utf16 {
        "the file is UTF-16 text, not UTF-8".to_owned()
    } else {
        format!(
            "the file is not UTF-8 text (line {line} has a byte that is not UTF-8; GBK, perhaps)"
        )
    };
    DataError {
        unit: None,
        field: None,
        location: Location::File(file_name.to_owned()),
        message,
        help: Some(
            "save it as UTF-8: in Excel or WPS, Save As → CSV UTF-8; in a text editor, choose the encoding UTF-8"
                .into(),
        ),
    }
}

/// Whether `text` is one JSON value as the data reader parses it (the byte
/// offset and message of the first syntax error otherwise).
pub fn json_syntax(text: &str) -> Result<(), (usize, String)> {
    json::syntax(text)
}

/// Read a JSON data file. `file_name` is used in locations only.
pub fn load_json(program: &Program, file_name: &str, text: &str) -> Result<Batch, Vec<DataError>> {
    json_stream::load_text(program, file_name, text)
}

/// [`load_json`] by the whole-text reader alone, which reads every file
/// with an error: the reference the streamed reading is tested against.
#[doc(hidden)]
pub fn load_json_whole(
    program: &Program,
    file_name: &str,
    text: &str,
) -> Result<Batch, Vec<DataError>> {
    json::load(program, file_name, text)
}

/// Read a JSON data file from disk without holding its text whole (see
/// `json_stream`); errors are reported exactly as [`load_json`] reports them.
/// `Err` is a file that cannot be read at all.
pub fn load_json_path(
    program: &Program,
    file_name: &str,
    path: &std::path::Path,
) -> std::io::Result<Result<Batch, Vec<DataError>>> {
    json_stream::load_path(program, file_name, path)
}

pub use json_stream::{EachUnit, Piece};

/// Read a JSON data file from disk, handing on each unit as soon as it is
/// read and checked (and the globals when they are) instead of keeping
/// them. Only [`EachUnit::Done`] says that what was handed on is the whole
/// of a sound file; otherwise the file was read whole and is given back
/// (or its errors, as [`load_json`] reports them). `Err` is a file that
/// cannot be read at all.
pub fn each_json_unit(
    program: &Program,
    file_name: &str,
    path: &std::path::Path,
    each: &mut dyn FnMut(Piece),
) -> std::io::Result<EachUnit> {
    json_stream::each_unit(program, file_name, path, each)
}

/// Read a folder of CSV files: `files` pairs each file's name (e.g.
/// `units.csv`; a directory part is ignored when matching) with its text.
/// Files not ending in `.csv` are ignored.
pub fn load_csv(program: &Program, files: &[(String, String)]) -> Result<Batch, Vec<DataError>> {
    csv_files::load(program, csv_files::tables(files), false)
}

/// Read a workbook's sheets, already split into cells, checked as a folder
/// of CSV files is; messages speak of sheets.
pub fn load_sheets(program: &Program, sheets: Vec<Table>) -> Result<Batch, Vec<DataError>> {
    csv_files::load(program, sheets, true)
}

/// A unit from a test's `given` literal: the given inputs (and optional
/// `params` object) checked like a data file's, the rest taken from `base`.
/// Without a base every non-optional input must be given. Parameters not
/// given come from `base`, else from the rulebook's values for `name`.
pub fn unit_from_value(
    program: &Program,
    name: &str,
    base: Option<&UnitData>,
    given: &rulebook_lang::ast::Value,
) -> Result<UnitData, Vec<DataError>> {
    let schema = Schema::new(program);
    let mut ck = Checker::new(Origin::Given);
    ck.scope(Some(name), "given");
    let Some(d) = check::from_ast(given, 0) else {
        return Err(too_deep(ck));
    };
    let entries = match &d.node {
        Node::Object(entries) => entries.as_slice(),
        Node::Null => &[],
        _ => {
            ck.report(Loc::None, None, "expected an object of input values", None);
            return Err(ck.finish());
        }
    };
    let params = entries.iter().find(|e| e.key == "params").map(|e| &e.value);
    let unit = ck.unit(
        &schema,
        UnitIn {
            name: Some(name),
            at: Loc::None,
            inputs: entries.iter().filter(|e| e.key != "params").collect(),
            params,
            base,
            prefix: "given".into(),
            params_prefix: "given.params".into(),
        },
    );
    if ck.has_errors() {
        Err(ck.finish())
    } else {
        Ok(unit)
    }
}

/// The shared facts from a test's `globals` literal, over `base`.
pub fn globals_from_value(
    program: &Program,
    base: Option<&[Value]>,
    given: &rulebook_lang::ast::Value,
) -> Result<Vec<Value>, Vec<DataError>> {
    let schema = Schema::new(program);
    let mut ck = Checker::new(Origin::Given);
    ck.scope(None, "globals");
    let Some(d) = check::from_ast(given, 0) else {
        return Err(too_deep(ck));
    };
    let entries = match &d.node {
        Node::Object(entries) => entries.as_slice(),
        Node::Null => &[],
        _ => {
            ck.report(Loc::None, None, "expected an object of global facts", None);
            return Err(ck.finish());
        }
    };
    let globals = ck.globals(&schema, Loc::None, entries, base, "globals");
    if ck.has_errors() {
        Err(ck.finish())
    } else {
        Ok(globals)
    }
}

fn too_deep(mut ck: Checker<'_, '_>) -> Vec<DataError> {
    let message = format!(
        "lists and objects nest deeper than {} levels",
        check::MAX_DEPTH
    );
    ck.report(Loc::None, None, message, None);
    ck.finish()
}
