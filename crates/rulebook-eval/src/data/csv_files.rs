//! CSV data: a folder of files.
//!
//! In: `units.csv` (one row per unit, a column per plain input, by id or
//! label), one `<input>.csv` per record input (rows tagged by `unit`),
//! `globals.csv` (`key,value` rows, or the names as a header above one row
//! of values) and, optionally, `params.csv`. Each cell
//! becomes a [`Datum`] according to its declared type (booleans as
//! `true`/`false`/`是`/`否`, lists as `;`-separated values, an empty cell as
//! null) and goes through the same checker as JSON. Header problems are
//! reported once, at the header, not once per row. Locations are
//! `file:row:column`, 1-based, row 1 being the header. Out: a [`Batch`], or
//! every error found.

use super::check::{
    did_you_mean, unit_name, Checker, Datum, Entry, Loc, Node, Origin, Schema, UnitIn,
};
use super::{Batch, CellProblem, DataError, Row, Table, TableName};
use crate::value::Value;
use rulebook_lang::ir::{FieldDef, InputDef, Program, Type};
use std::borrow::Cow;
use std::collections::HashMap;

/// Each `.csv` file's text split into records, with the problems that
/// make its records unreliable (a quote that never closes, bad CSV).
pub(crate) fn tables(files: &[(String, String)]) -> Vec<Table> {
    let mut out = Vec::new();
    for (name, text) in files {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let Some(stem) = strip_csv(base) else {
            continue;
        };
        let mut table = Table {
            stem: stem.to_owned(),
            name: TableName::Csv(name.clone()),
            rows: Vec::new(),
            problems: Vec::new(),
        };
        read_csv(text, &mut table);
        out.push(table);
    }
    out
}

/// The words of messages about the tables: files or sheets.
struct Words {
    sheets: bool,
}

impl Words {
    /// "file `units.csv`" or "sheet `units`".
    fn table(&self, stem: &str) -> String {
        if self.sheets {
            format!("sheet `{stem}`")
        } else {
            format!("file `{stem}.csv`")
        }
    }
    /// "`units.csv`" or "sheet `units`".
    fn named(&self, stem: &str) -> String {
        if self.sheets {
            format!("sheet `{stem}`")
        } else {
            format!("`{stem}.csv`")
        }
    }
    fn tables(&self) -> &'static str {
        if self.sheets {
            "sheets"
        } else {
            "files"
        }
    }
    /// "cannot be given in CSV" / "... in a spreadsheet".
    fn medium(&self) -> &'static str {
        if self.sheets {
            "a spreadsheet"
        } else {
            "CSV"
        }
    }
}

pub(crate) fn load(
    program: &Program,
    tables: Vec<Table>,
    sheets: bool,
) -> Result<Batch, Vec<DataError>> {
    let schema = Schema::new(program);
    let w = Words { sheets };
    let names = tables.iter().map(|t| t.name.clone()).collect();
    let mut ck = Checker::new(Origin::Tables { names, sheets });

    // Tables by stem; each one's own problems first.
    let mut stems: HashMap<&str, u32> = HashMap::new();
    for (i, t) in tables.iter().enumerate() {
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        report_problems(&mut ck, i, t);
        if let Some(&first) = stems.get(t.stem.as_str()) {
            let first = ck.location(
                Loc::Cell {
                    file: first,
                    row: 0,
                    col: 0,
                },
                None,
            );
            ck.report(
                Loc::Cell {
                    file: i,
                    row: 0,
                    col: 0,
                },
                None,
                format!("two {} stand for `{}`", w.tables(), t.stem),
                Some(format!("the other is `{first}`; keep one of them")),
            );
        } else {
            stems.insert(t.stem.as_str(), i);
        }
    }
    let none = Table {
        stem: String::new(),
        name: TableName::Csv(String::new()),
        rows: Vec::new(),
        problems: Vec::new(),
    };
    let text = |file: u32| tables.get(file as usize).unwrap_or(&none);
    let mut used: Vec<u32> = Vec::new();

    // The plan: where each input comes from.
    let Some(&units_file) = stems.get("units") else {
        ck.report_file(
            "units",
            format!("missing {}", w.table("units")),
            Some("it lists the units, one row each, with a column per input".into()),
        );
        return Err(ck.finish());
    };
    used.push(units_file);
    let mut plan: Vec<Source> = vec![Source::Absent; schema.inputs.len()];
    let mut record_files: Vec<RecordFile<'_, '_>> = Vec::new();
    for (i, def) in schema.inputs.defs.iter().enumerate() {
        let Some(fields) = record_fields(&def.ty) else {
            if !cell_ok(&def.ty) && !def.optional {
                if let Some(p) = plan.get_mut(i) {
                    *p = Source::Reported;
                }
                ck.report_file(
                    "units",
                    format!(
                        "input `{}` ({}) cannot be given in {}",
                        def.name,
                        def.ty.describe(),
                        w.medium()
                    ),
                    Some("give the data as JSON".into()),
                );
            }
            continue;
        };
        let found: Vec<u32> = [def.name.as_str(), def.label.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .filter_map(|s| stems.get(s).copied())
            .collect();
        let Some(&file) = found.first() else {
            if def.optional {
                continue;
            }
            ck.report_file(
                &def.name,
                format!("missing {} for input `{}`", w.table(&def.name), def.name),
                Some(format!(
                    "give `{}` ({}) in {}, with a `unit` column and one row per record; a header alone means no records",
                    def.name,
                    def.label,
                    w.named(&def.name)
                )),
            );
            if let Some(p) = plan.get_mut(i) {
                *p = Source::Reported;
            }
            continue;
        };
        if let Some(&other) = found.get(1).filter(|&&o| o != file) {
            ck.report(
                Loc::Cell {
                    file: other,
                    row: 0,
                    col: 0,
                },
                None,
                format!("input `{}` is given by two {}", def.name, w.tables()),
                Some(format!("keep one of the {}", w.tables())),
            );
            used.push(other);
        }
        used.push(file);
        let single = matches!(def.ty, Type::Record(_));
        let rf = read_record_file(&mut ck, &w, file, text(file), def, fields, single);
        if let Some(p) = plan.get_mut(i) {
            *p = match rf {
                Some(rf) => {
                    record_files.push(rf);
                    Source::Records(record_files.len() - 1)
                }
                None => Source::Reported,
            };
        }
    }
    let params_file = stems.get("params").copied();
    let mut params = params_file.and_then(|f| {
        used.push(f);
        read_params(&mut ck, &schema, &w, f, text(f))
    });
    let globals = match stems.get("globals").copied() {
        Some(f) => {
            used.push(f);
            read_globals(&mut ck, &schema, &w, f, text(f))
        }
        None if schema.globals.len() > 0 => {
            let list: Vec<String> = schema
                .globals
                .defs
                .iter()
                .map(|d| format!("`{}`", d.name))
                .collect();
            ck.report_file(
                "globals",
                format!("missing {}", w.table("globals")),
                Some(format!(
                    "give the shared facts {} in {}, with the header `key,value`",
                    list.join(", "),
                    w.named("globals")
                )),
            );
            vec![Value::Missing; schema.globals.len()]
        }
        None => Vec::new(),
    };
    // Files nobody asked for are probably misnamed.
    let mut expected: Vec<String> = vec!["units".into(), "globals".into(), "params".into()];
    for def in &schema.inputs.defs {
        if record_fields(&def.ty).is_some() {
            expected.push(def.name.clone());
        }
    }
    let mut extra: Vec<(&str, u32)> = stems
        .iter()
        .filter(|(_, f)| !used.contains(f))
        .map(|(s, f)| (*s, *f))
        .collect();
    extra.sort_by_key(|(_, f)| *f);
    for (stem, f) in extra {
        let help = did_you_mean(stem, expected.iter().map(String::as_str))
            .map(|b| format!("did you mean {}?", w.named(b)))
            .or_else(|| Some("the rulebook has no record input of that name".into()));
        ck.report(
            Loc::Cell {
                file: f,
                row: 0,
                col: 0,
            },
            None,
            format!("unknown {}", w.table(stem)),
            help,
        );
    }

    let units = read_units(
        &mut ck,
        &schema,
        &w,
        units_file,
        text(units_file),
        &mut plan,
        &mut record_files,
        params.as_mut(),
    );

    // Rows naming units that units.csv does not list.
    for rf in &record_files {
        let mut rest: Vec<(&String, &Vec<&Row>)> = rf.rows.iter().collect();
        rest.sort_by_key(|(_, rows)| rows.first().map(|r| r.line));
        for (name, rows) in rest {
            for rec in rows {
                not_listed(&mut ck, &w, rf.file, rec.line, rf.unit_col, name);
            }
        }
    }
    if let Some(p) = &params {
        for (name, rec) in &p.rows {
            not_listed(&mut ck, &w, p.file, rec.line, p.unit_col, name);
        }
    }
    if ck.has_errors() {
        return Err(ck.finish());
    }
    Ok(Batch { globals, units })
}

fn not_listed(
    ck: &mut Checker<'_, '_>,
    w: &Words,
    file: u32,
    row: u32,
    unit_col: usize,
    name: &str,
) {
    ck.scope(Some(name), "");
    ck.report(
        Loc::Cell {
            file,
            row,
            col: col(unit_col),
        },
        None,
        format!("unit `{name}` is not in {}", w.named("units")),
        Some(format!(
            "add a row for it to {}, or correct the name",
            w.named("units")
        )),
    );
}

/// Where an input's values come from.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// No column and no file: fine if optional.
    Absent,
    /// A column or file is missing or unreadable; the error is reported.
    Reported,
    /// A column of `units.csv`.
    Column(usize),
    /// An entry of the record files.
    Records(usize),
}

struct RecordFile<'p, 't> {
    file: u32,
    unit_col: usize,
    /// Each field's column, `Err(true)` = missing and reported, `Err(false)` = optional and absent.
    cols: Vec<(&'p FieldDef, Result<usize, bool>)>,
    /// A single record per unit rather than a list.
    single: bool,
    rows: HashMap<String, Vec<&'t Row>>,
}

struct ParamsFile<'t> {
    file: u32,
    unit_col: usize,
    /// (parameter slot, column).
    cols: Vec<(usize, usize)>,
    rows: HashMap<String, &'t Row>,
}

fn strip_csv(name: &str) -> Option<&str> {
    let cut = name.len().checked_sub(4)?;
    let (stem, ext) = (name.get(..cut)?, name.get(cut..)?);
    ext.eq_ignore_ascii_case(".csv").then_some(stem)
}

fn record_fields(ty: &Type) -> Option<&[FieldDef]> {
    match ty {
        Type::Record(fields) => Some(fields),
        Type::List(elem) => match elem.as_ref() {
            Type::Record(fields) => Some(fields),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a value of this type fits in one cell.
fn cell_ok(ty: &Type) -> bool {
    match ty {
        Type::Bool | Type::Num(_) | Type::Date | Type::Text | Type::Enum(_) => true,
        Type::List(elem) => matches!(
            elem.as_ref(),
            Type::Bool | Type::Num(_) | Type::Date | Type::Text | Type::Enum(_)
        ),
        Type::Record(_) | Type::Group(..) => false,
    }
}

fn col(i: usize) -> u32 {
    u32::try_from(i + 1).unwrap_or(u32::MAX)
}

/// Cell `c` of a row as a datum of the given type.
fn row_cell<'r>(rec: &'r Row, c: usize, ty: &Type, optional: bool, at: Loc) -> Datum<'r> {
    match rec.get(c) {
        Some(t) if rec.percent.contains(&c) && !t.trim().is_empty() => {
            Datum::new(Node::Percent(t.trim()), at)
        }
        Some(t) => cell(t, ty, optional, at),
        None => Datum::new(Node::Reported, at),
    }
}

/// One cell as a datum of the given type.
fn cell<'r>(text: &'r str, ty: &Type, optional: bool, at: Loc) -> Datum<'r> {
    let node = match ty {
        Type::Text if text.is_empty() && optional => Node::Null,
        Type::Text => Node::Str(Cow::Borrowed(text)),
        Type::List(elem) => {
            let t = text.trim();
            if t.is_empty() {
                Node::List(Vec::new())
            } else if matches!(elem.as_ref(), Type::Text) {
                Node::List(t.split(';').map(|p| cell(p, elem, false, at)).collect())
            } else {
                Node::List(
                    t.split([';', '；'])
                        .map(|p| cell(p, elem, false, at))
                        .collect(),
                )
            }
        }
        Type::Bool => match text.trim() {
            "" => Node::Null,
            "true" | "TRUE" | "True" | "是" => Node::Bool(true),
            "false" | "FALSE" | "False" | "否" => Node::Bool(false),
            t => Node::Str(Cow::Borrowed(t)),
        },
        _ => match text.trim() {
            "" => Node::Null,
            t => Node::Str(Cow::Borrowed(t)),
        },
    };
    Datum::new(node, at)
}

/// Reads records, counting each one's true starting line (the `csv`
/// crate miscounts lines after CRLF, so lines are counted here from the
/// record's byte offset).
struct Reader<'t> {
    rdr: csv::Reader<&'t [u8]>,
    text: &'t [u8],
    /// Lines are counted up to this byte...
    counted: usize,
    /// ...where this line starts or continues.
    line: u64,
}

impl Reader<'_> {
    /// The 1-based line of a byte offset at or after the last one asked.
    fn line_of(&mut self, byte: usize) -> u32 {
        // After CRLF the crate's offset can point at the `\n`: skip to the record.
        let mut byte = byte;
        while matches!(self.text.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        if byte < self.counted {
            self.counted = 0;
            self.line = 1;
        }
        let newlines = self
            .text
            .get(self.counted..byte)
            .map_or(0, |s| s.iter().filter(|&&c| c == b'\n').count());
        self.line += newlines as u64;
        self.counted = byte;
        u32::try_from(self.line).unwrap_or(u32::MAX)
    }
}

/// A CSV text (a leading byte-order mark removed) into the table's rows; a
/// quote that never closes or unreadable CSV is a problem of the table,
/// and no rows are read past it.
fn read_csv(text: &str, table: &mut Table) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(q) = quote_problem(text.as_bytes()) {
        let message = match q.closed_on {
            None => "a quote (`\"`) opened in this cell is never closed".to_owned(),
            Some(l) if l == q.line => "text follows the closing quote of this quoted cell".to_owned(),
            Some(l) => format!(
                "a quote (`\"`) opened in this cell closes only on line {l}, so the rows between would be read as one cell"
            ),
        };
        table.problems.push(CellProblem {
            row: q.line,
            col: q.col,
            unit: None,
            message,
            help: Some("close the quote at the end of the cell, or remove it; a quote inside a quoted cell is written twice (`\"\"`)".into()),
        });
        return;
    }
    let mut rdr = Reader {
        rdr: csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes()),
        text: text.as_bytes(),
        counted: 0,
        line: 1,
    };
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.rdr.read_record(&mut rec) {
            Ok(true) => {
                let byte = rec.position().map_or(0, |p| p.byte());
                let line = rdr.line_of(usize::try_from(byte).unwrap_or(usize::MAX));
                table.rows.push(Row {
                    line,
                    cells: rec.iter().map(str::to_owned).collect(),
                    percent: Vec::new(),
                });
            }
            Ok(false) => break,
            Err(e) => {
                let byte = e.position().map_or(0, |p| p.byte());
                let row = rdr.line_of(usize::try_from(byte).unwrap_or(usize::MAX));
                table.problems.push(CellProblem {
                    row,
                    col: 0,
                    unit: None,
                    message: format!("unreadable CSV: {e}"),
                    help: None,
                });
                break;
            }
        }
    }
}

fn report_problems(ck: &mut Checker<'_, '_>, file: u32, t: &Table) {
    for p in &t.problems {
        ck.scope(p.unit.as_deref(), "");
        ck.report(
            Loc::Shown {
                file,
                row: p.row,
                col: p.col,
            },
            None,
            p.message.clone(),
            p.help.clone(),
        );
    }
}

/// A quote that does not close where a cell ends: the `csv` crate would
/// read every row after it as one cell (or stop reading), so the file is
/// refused at the line where the quote opened.
struct QuoteProblem {
    /// 1-based line and cell of the opening quote.
    line: u32,
    col: u32,
    /// The line where the quoted cell ended, if it did.
    closed_on: Option<u32>,
}

fn quote_problem(text: &[u8]) -> Option<QuoteProblem> {
    let (mut line, mut col) = (1u32, 1u32);
    let mut field_start = true;
    // The opening quote of the cell being read, while inside it.
    let mut open: Option<(u32, u32)> = None;
    // The opening quote of the cell just closed, until the cell ends.
    let mut closed: Option<(u32, u32)> = None;
    let mut i = 0;
    while let Some(&c) = text.get(i) {
        i += 1;
        if let Some((l, k)) = open {
            match c {
                b'"' if text.get(i) == Some(&b'"') => i += 1,
                b'"' => {
                    open = None;
                    closed = Some((l, k));
                }
                b'\n' => line += 1,
                _ => {}
            }
            continue;
        }
        match c {
            b',' | b'\n' | b'\r' => {
                closed = None;
                field_start = true;
                if c == b',' {
                    col += 1;
                } else if c == b'\n' {
                    line += 1;
                    col = 1;
                }
            }
            _ if closed.is_some() => {
                return closed.map(|(l, k)| QuoteProblem {
                    line: l,
                    col: k,
                    closed_on: Some(line),
                });
            }
            b'"' if field_start => {
                open = Some((line, col));
                field_start = false;
            }
            _ => field_start = false,
        }
    }
    open.map(|(line, col)| QuoteProblem {
        line,
        col,
        closed_on: None,
    })
}

/// The header of a table, trimmed; `None` if the table is empty (reported)
/// or unreadable (reported with its problems).
fn header(ck: &mut Checker<'_, '_>, w: &Words, file: u32, t: &Table) -> Option<(u32, Vec<String>)> {
    let Some(first) = t.rows.first() else {
        if t.problems.is_empty() {
            ck.scope(None, "");
            let what = if w.sheets { "sheet" } else { "file" };
            ck.report(
                Loc::Cell {
                    file,
                    row: 0,
                    col: 0,
                },
                None,
                format!("the {what} is empty"),
                Some("the first row must be a header naming the columns".into()),
            );
        }
        return None;
    };
    Some((
        first.line.max(1),
        first.cells.iter().map(|h| h.trim().to_owned()).collect(),
    ))
}

fn is_unit_header(h: &str) -> bool {
    h == "unit" || h == "单位"
}

/// The column holding the unit's name; reported if absent or repeated.
fn unit_column(ck: &mut Checker<'_, '_>, file: u32, row: u32, header: &[String]) -> Option<usize> {
    let cols: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| is_unit_header(h))
        .map(|(i, _)| i)
        .collect();
    ck.scope(None, "");
    match cols.as_slice() {
        [] => {
            ck.report(
                Loc::Cell { file, row, col: 0 },
                None,
                "no `unit` column",
                Some("the first column must be `unit`, the unit's name".into()),
            );
            None
        }
        [c, rest @ ..] => {
            for r in rest {
                ck.report(
                    Loc::Cell {
                        file,
                        row,
                        col: col(*r),
                    },
                    None,
                    "a second `unit` column",
                    None,
                );
            }
            Some(*c)
        }
    }
}

/// A row whose length differs from the header's is reported (missing cells
/// then count as reported).
fn check_width(ck: &mut Checker<'_, '_>, w: &Words, file: u32, rec: &Row, width: usize) {
    if rec.len() != width {
        let help = if w.sheets {
            "check the row's cells"
        } else {
            "check for a missing or extra comma, or quote cells that contain commas"
        };
        ck.report(
            Loc::Cell {
                file,
                row: rec.line,
                col: 0,
            },
            None,
            format!(
                "this row has {} cells but the header has {width}",
                rec.len()
            ),
            Some(help.into()),
        );
    }
}

fn read_record_file<'p, 't>(
    ck: &mut Checker<'_, '_>,
    w: &Words,
    file: u32,
    table: &'t Table,
    def: &'p InputDef,
    fields: &'p [FieldDef],
    single: bool,
) -> Option<RecordFile<'p, 't>> {
    let (hrow, header) = header(ck, w, file, table)?;
    let unit_col = unit_column(ck, file, hrow, &header)?;
    let mut cols: Vec<(&FieldDef, Result<usize, bool>)> =
        fields.iter().map(|f| (f, Err(false))).collect();
    ck.scope(None, "");
    // Fields whose column is there, misspelt (reported as unknown columns).
    let mut misspelt: Vec<usize> = Vec::new();
    for (c, h) in header.iter().enumerate() {
        if c == unit_col || is_unit_header(h) {
            continue;
        }
        let at = Loc::Cell {
            file,
            row: hrow,
            col: col(c),
        };
        let found = fields.iter().position(|f| f.name == *h).or_else(|| {
            fields
                .iter()
                .position(|f| !f.label.is_empty() && f.label == *h)
        });
        match found.and_then(|i| cols.get_mut(i)) {
            Some((f, slot)) => {
                if !cell_ok(&f.ty) {
                    let message = format!(
                        "field `{}` ({}) cannot be given in {}",
                        f.name,
                        f.ty.describe(),
                        w.medium()
                    );
                    ck.report(at, None, message, Some("give the data as JSON".into()));
                    *slot = Err(true);
                } else if slot.is_ok() {
                    ck.report(
                        at,
                        None,
                        format!("a second column for field `{}`", f.name),
                        None,
                    );
                } else {
                    *slot = Ok(c);
                }
            }
            None => {
                let names = fields
                    .iter()
                    .map(|f| f.name.as_str())
                    .chain(fields.iter().map(|f| f.label.as_str()));
                let best = did_you_mean(h, names);
                if let Some(b) = best {
                    misspelt.extend(fields.iter().position(|f| f.name == b || f.label == b));
                }
                let help = best.map(|b| format!("did you mean `{b}`?")).or_else(|| {
                    let list: Vec<String> =
                        fields.iter().map(|f| format!("`{}`", f.name)).collect();
                    Some(format!(
                        "the fields of `{}` are {}",
                        def.name,
                        list.join(", ")
                    ))
                });
                ck.report(at, None, format!("unknown column `{h}`"), help);
            }
        }
    }
    for (i, (f, slot)) in cols.iter_mut().enumerate() {
        if matches!(slot, Err(false)) && misspelt.contains(&i) {
            *slot = Err(true);
        } else if matches!(slot, Err(false)) && !f.optional && !cell_ok(&f.ty) {
            let message = format!(
                "field `{}` ({}) cannot be given in {}",
                f.name,
                f.ty.describe(),
                w.medium()
            );
            let at = Loc::Cell {
                file,
                row: hrow,
                col: 0,
            };
            ck.report(at, None, message, Some("give the data as JSON".into()));
            *slot = Err(true);
        } else if matches!(slot, Err(false)) && !f.optional {
            let message = format!("missing column for field `{}` ({})", f.name, f.label);
            ck.report(
                Loc::Cell {
                    file,
                    row: hrow,
                    col: 0,
                },
                None,
                message,
                None,
            );
            *slot = Err(true);
        }
    }
    let mut rows: HashMap<String, Vec<&'t Row>> = HashMap::new();
    for rec in table.rows.iter().skip(1) {
        check_width(ck, w, file, rec, header.len());
        let name = unit_name(rec.get(unit_col).unwrap_or(""));
        let name = name.as_ref();
        if name.is_empty() {
            let at = Loc::Cell {
                file,
                row: rec.line,
                col: col(unit_col),
            };
            ck.scope(None, "");
            ck.report(
                at,
                None,
                "empty unit name",
                Some("every row must name its unit".into()),
            );
            continue;
        }
        let list = rows.entry(name.to_owned()).or_default();
        if single && !list.is_empty() {
            ck.scope(Some(name), "");
            let at = Loc::Cell {
                file,
                row: rec.line,
                col: 0,
            };
            let message = format!(
                "a second row for `{}`, which is one record per unit",
                def.name
            );
            ck.report(at, Some(&def.name), message, None);
            continue;
        }
        list.push(rec);
    }
    Some(RecordFile {
        file,
        unit_col,
        cols,
        single,
        rows,
    })
}

fn read_params<'t>(
    ck: &mut Checker<'_, '_>,
    schema: &Schema<'_>,
    w: &Words,
    file: u32,
    table: &'t Table,
) -> Option<ParamsFile<'t>> {
    let (hrow, header) = header(ck, w, file, table)?;
    let unit_col = unit_column(ck, file, hrow, &header)?;
    let mut cols: Vec<(usize, usize)> = Vec::new();
    ck.scope(None, "");
    for (c, h) in header.iter().enumerate() {
        if c == unit_col || is_unit_header(h) {
            continue;
        }
        let at = Loc::Cell {
            file,
            row: hrow,
            col: col(c),
        };
        match schema.params.by_id_or_label(h) {
            Some(p) if cols.iter().any(|&(q, _)| q == p) => {
                ck.report(
                    at,
                    None,
                    format!("a second column for parameter `{h}`"),
                    None,
                );
            }
            Some(p) => cols.push((p, c)),
            None => {
                let help = schema.params.unknown_help(h, true);
                ck.report(at, None, format!("unknown parameter `{h}`"), help);
            }
        }
    }
    let mut rows: HashMap<String, &'t Row> = HashMap::new();
    for rec in table.rows.iter().skip(1) {
        check_width(ck, w, file, rec, header.len());
        let name = unit_name(rec.get(unit_col).unwrap_or(""));
        let name = name.as_ref();
        let at = Loc::Cell {
            file,
            row: rec.line,
            col: col(unit_col),
        };
        if name.is_empty() {
            ck.scope(None, "");
            ck.report(
                at,
                None,
                "empty unit name",
                Some("every row must name its unit".into()),
            );
        } else if rows.contains_key(name) {
            ck.scope(Some(name), "");
            ck.report(at, None, format!("a second row for unit `{name}`"), None);
        } else {
            rows.insert(name.to_owned(), rec);
        }
    }
    Some(ParamsFile {
        file,
        unit_col,
        cols,
        rows,
    })
}

fn read_globals<'p>(
    ck: &mut Checker<'p, '_>,
    schema: &Schema<'p>,
    w: &Words,
    file: u32,
    table: &Table,
) -> Vec<Value> {
    let missing = || vec![Value::Missing; schema.globals.len()];
    let Some((hrow, header)) = header(ck, w, file, table) else {
        return missing();
    };
    let records: Vec<&Row> = table.rows.iter().skip(1).collect();
    ck.scope(None, "");
    // Two layouts: `key,value` rows, or a header row of names above one row
    // of values. Either way: (name, its place, the value's text, its place).
    let mut pairs: Vec<(String, Loc, (&Row, usize), Loc)> = Vec::new();
    if header == ["key", "value"] {
        for rec in &records {
            check_width(ck, w, file, rec, 2);
            let row = rec.line;
            pairs.push((
                rec.get(0).unwrap_or("").trim().to_owned(),
                Loc::Cell { file, row, col: 1 },
                (*rec, 1),
                Loc::Cell { file, row, col: 2 },
            ));
        }
    } else {
        if records.len() != 1 {
            ck.report(
                Loc::Cell {
                    file,
                    row: hrow,
                    col: 0,
                },
                None,
                format!(
                    "{} with the shared facts' names as its header needs exactly one row of values, not {}",
                    w.named("globals"),
                    records.len()
                ),
                Some("or write it as two columns with the header `key,value`".into()),
            );
            return missing();
        }
        if let Some(rec) = records.first() {
            check_width(ck, w, file, rec, header.len());
            let row = rec.line;
            for (i, key) in header.iter().enumerate() {
                let col = i as u32 + 1;
                pairs.push((
                    key.trim().to_owned(),
                    Loc::Cell {
                        file,
                        row: hrow,
                        col,
                    },
                    (*rec, i),
                    Loc::Cell { file, row, col },
                ));
            }
        }
    }
    let mut entries: Vec<Entry<'_>> = Vec::new();
    for (key, key_at, text, at) in &pairs {
        let (key, key_at, at) = (key.as_str(), *key_at, *at);
        let Some(def) = schema
            .globals
            .by_id_or_label(key)
            .and_then(|i| schema.globals.get(i))
        else {
            let help = schema.globals.unknown_help(key, true);
            ck.report(key_at, Some(key), format!("unknown global `{key}`"), help);
            continue;
        };
        let value = if !cell_ok(&def.ty) {
            let message = format!(
                "global `{}` ({}) cannot be given in {}",
                def.name,
                def.ty.describe(),
                w.medium()
            );
            ck.report(
                key_at,
                Some(&def.name),
                message,
                Some("give the data as JSON".into()),
            );
            Datum::new(Node::Reported, at)
        } else {
            let (rec, c) = *text;
            row_cell(rec, c, &def.ty, def.optional, at)
        };
        entries.push(Entry {
            key: Cow::Borrowed(&def.name),
            at: key_at,
            value,
        });
    }
    ck.globals(
        schema,
        Loc::Cell {
            file,
            row: 0,
            col: 0,
        },
        &entries,
        None,
        "",
    )
}

#[allow(clippy::too_many_arguments)]
fn read_units<'p, 't>(
    ck: &mut Checker<'p, '_>,
    schema: &Schema<'p>,
    w: &Words,
    file: u32,
    table: &'t Table,
    plan: &mut [Source],
    record_files: &mut [RecordFile<'p, 't>],
    mut params: Option<&mut ParamsFile<'t>>,
) -> Vec<super::UnitData> {
    let Some((hrow, header)) = header(ck, w, file, table) else {
        return Vec::new();
    };
    let Some(unit_col) = unit_column(ck, file, hrow, &header) else {
        return Vec::new();
    };
    ck.scope(None, "");
    // Inputs whose column is there, misspelt (reported as unknown columns).
    let mut misspelt: Vec<usize> = Vec::new();
    for (c, h) in header.iter().enumerate() {
        if c == unit_col || is_unit_header(h) {
            continue;
        }
        let at = Loc::Cell {
            file,
            row: hrow,
            col: col(c),
        };
        let Some(i) = schema.inputs.by_id_or_label(h) else {
            if schema.params.by_id_or_label(h).is_some() {
                let message = format!("`{h}` is a parameter, not an input");
                let help = format!(
                    "give it in {}, with a `unit` column and a column `{h}`",
                    w.named("params")
                );
                ck.report(at, None, message, Some(help));
                continue;
            }
            let help = schema.inputs.unknown_help(h, true);
            misspelt.extend(schema.inputs.suggest(h, true));
            ck.report(at, None, format!("unknown input `{h}`"), help);
            continue;
        };
        let (Some(def), Some(source)) = (schema.inputs.get(i), plan.get_mut(i)) else {
            continue;
        };
        if record_fields(&def.ty).is_some() {
            let message = format!(
                "input `{}` is a list of records and cannot be a column",
                def.name
            );
            let help = format!(
                "give it in its own {}, with a `unit` column",
                w.table(&def.name)
            );
            ck.report(at, None, message, Some(help));
        } else if !cell_ok(&def.ty) {
            // Reported when the plan was made.
        } else if let Source::Column(_) = source {
            ck.report(
                at,
                None,
                format!("a second column for input `{}`", def.name),
                None,
            );
        } else {
            *source = Source::Column(c);
        }
    }
    for (i, (def, source)) in schema.inputs.defs.iter().zip(plan.iter_mut()).enumerate() {
        if matches!(source, Source::Absent) && misspelt.contains(&i) {
            *source = Source::Reported;
        } else if matches!(source, Source::Absent) && cell_ok(&def.ty) && !def.optional {
            let message = if def.label.is_empty() {
                format!("missing column for input `{}`", def.name)
            } else {
                format!("missing column for input `{}` ({})", def.name, def.label)
            };
            let help = format!(
                "every unit must give `{}`, a {}",
                def.name,
                def.ty.describe()
            );
            ck.report(
                Loc::Cell {
                    file,
                    row: hrow,
                    col: 0,
                },
                None,
                message,
                Some(help),
            );
            *source = Source::Reported;
        }
    }

    let mut units = Vec::new();
    for rec in table.rows.iter().skip(1) {
        let row = rec.line;
        ck.scope(None, "");
        check_width(ck, w, file, rec, header.len());
        let name_cell = unit_name(rec.get(unit_col).unwrap_or(""));
        let name_cell = name_cell.as_ref();
        let name = if name_cell.is_empty() {
            let at = Loc::Cell {
                file,
                row,
                col: col(unit_col),
            };
            ck.report(
                at,
                None,
                "empty unit name",
                Some("every row must name its unit".into()),
            );
            None
        } else {
            ck.claim_name(
                name_cell,
                Loc::Cell {
                    file,
                    row,
                    col: col(unit_col),
                },
            );
            Some(name_cell)
        };
        // This unit's rows in the record files and params file.
        let taken: Vec<Vec<&Row>> = record_files
            .iter_mut()
            .map(|rf| name.and_then(|n| rf.rows.remove(n)).unwrap_or_default())
            .collect();
        let own_params = params
            .as_deref_mut()
            .and_then(|p| name.and_then(|n| p.rows.remove(n)).map(|r| (p.file, r)));
        let mut entries: Vec<Entry<'_>> = Vec::with_capacity(plan.len());
        for (def, source) in schema.inputs.defs.iter().zip(plan.iter()) {
            let key = Cow::Borrowed(def.name.as_str());
            match *source {
                Source::Absent => {}
                Source::Reported => entries.push(Entry {
                    key,
                    at: Loc::Cell { file, row, col: 0 },
                    value: Datum::new(Node::Reported, Loc::Cell { file, row, col: 0 }),
                }),
                Source::Column(c) => {
                    let at = Loc::Cell {
                        file,
                        row,
                        col: col(c),
                    };
                    let value = row_cell(rec, c, &def.ty, def.optional, at);
                    entries.push(Entry { key, at, value });
                }
                Source::Records(r) => {
                    let (Some(rf), Some(rows)) = (record_files.get(r), taken.get(r)) else {
                        continue;
                    };
                    let at = Loc::Cell {
                        file: rf.file,
                        row: 0,
                        col: 0,
                    };
                    let mut items = rows.iter().map(|rec| record_row(rf, rec));
                    let value = if rf.single {
                        match items.next() {
                            Some(d) => d,
                            None => continue,
                        }
                    } else {
                        Datum::new(Node::List(items.collect()), at)
                    };
                    entries.push(Entry { key, at, value });
                }
            }
        }
        let params_datum = own_params.as_ref().map(|(pf, prec)| {
            let cols = params.as_deref().map_or(&[][..], |p| p.cols.as_slice());
            params_row(schema, *pf, prec, cols)
        });
        units.push(ck.unit(
            schema,
            UnitIn {
                name,
                at: Loc::Cell { file, row, col: 0 },
                inputs: entries.iter().collect(),
                params: params_datum.as_ref(),
                base: None,
                prefix: String::new(),
                params_prefix: String::new(),
            },
        ));
    }
    units
}

fn record_row<'r, 'p: 'r>(rf: &RecordFile<'p, '_>, rec: &'r Row) -> Datum<'r> {
    let row = rec.line;
    let mut entries = Vec::with_capacity(rf.cols.len());
    for (f, c) in &rf.cols {
        let key: Cow<'r, str> = Cow::Borrowed(f.name.as_str());
        match *c {
            Ok(c) => {
                let at = Loc::Cell {
                    file: rf.file,
                    row,
                    col: col(c),
                };
                let value = row_cell(rec, c, &f.ty, f.optional, at);
                entries.push(Entry { key, at, value });
            }
            Err(true) => {
                let at = Loc::Cell {
                    file: rf.file,
                    row,
                    col: 0,
                };
                entries.push(Entry {
                    key,
                    at,
                    value: Datum::new(Node::Reported, at),
                });
            }
            Err(false) => {}
        }
    }
    Datum::new(
        Node::Object(entries),
        Loc::Cell {
            file: rf.file,
            row,
            col: 0,
        },
    )
}

fn params_row<'r, 'p: 'r>(
    schema: &Schema<'p>,
    file: u32,
    rec: &'r Row,
    cols: &[(usize, usize)],
) -> Datum<'r> {
    let row = rec.line;
    let mut entries = Vec::with_capacity(cols.len());
    for &(p, c) in cols {
        let (Some(def), Some(text)) = (schema.params.get(p), rec.get(c)) else {
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        let at = Loc::Cell {
            file,
            row,
            col: col(c),
        };
        entries.push(Entry {
            key: Cow::Borrowed(def.name.as_str()),
            at,
            value: row_cell(rec, c, &def.ty, def.optional, at),
        });
    }
    Datum::new(Node::Object(entries), Loc::Cell { file, row, col: 0 })
}
