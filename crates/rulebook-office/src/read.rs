//! A filled-in workbook → a checked [`Batch`].
//!
//! In: the bytes of an xlsx (or xlsm, xlsb, xls, ods) workbook laid out as
//! [`crate::layout`] says. Each sheet's cells become text ([`crate::cells`])
//! and the sheets go, one CSV file each, through the CSV reader
//! (`rulebook_eval::data::load_csv`), so a workbook is checked exactly like
//! a folder of CSV files. Its locations (`units.csv:7:2`) are then put back
//! as cells (`units!B7`) and its words about files as words about sheets.
//! Out: the batch, or every error (nothing is returned from a workbook with
//! any error). The 说明 sheet, columns headed 说明 and wholly empty rows are
//! skipped.

use crate::cells::{cell_text, col_letters};
use crate::layout::{self, NOTES_COLUMN, NOTES_SHEET};
use calamine::{open_workbook_auto_from_rs, Data, Range, Reader};
use rulebook_eval::data::{load_csv, Batch, DataError};
use rulebook_lang::ir::Program;
use std::collections::HashMap;
use std::io::Cursor;

/// One sheet turned into CSV text, with the way back to its cells.
struct SheetCsv {
    /// The sheet's name in the workbook.
    name: String,
    /// The file name the CSV reader sees (`<stem>.csv`).
    file: String,
    text: String,
    /// CSV line (1-based) → sheet row (1-based).
    rows: HashMap<u32, u32>,
    /// CSV column (1-based) → sheet column (1-based).
    cols: Vec<u32>,
}

/// An error with where it sorts: sheet, row, column.
type Located = ((usize, u32, u32), DataError);

/// Read a workbook. `file_name` is used in messages only.
pub fn read_workbook(
    program: &Program,
    file_name: &str,
    bytes: &[u8],
) -> Result<Batch, Vec<DataError>> {
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| {
        vec![DataError {
            unit: None,
            field: None,
            location: file_name.to_owned(),
            message: format!("cannot read the workbook: {e}"),
            help: Some("save it from Excel or WPS as an .xlsx workbook".into()),
        }]
    })?;
    let stems = known_stems(program);
    let mut own: Vec<Located> = Vec::new();
    let mut sheets: Vec<SheetCsv> = Vec::new();
    for (index, name) in book.sheet_names().into_iter().enumerate() {
        if name.trim() == NOTES_SHEET {
            continue;
        }
        let range = match book.worksheet_range(&name) {
            Ok(r) => r,
            Err(e) => {
                own.push((
                    (index, 0, 0),
                    error(name.clone(), format!("cannot read the sheet: {e}"), None),
                ));
                continue;
            }
        };
        let stem = stem_of(&name, &stems);
        if range.is_empty() && !stems.iter().any(|(s, _)| s == &stem) {
            // An empty sheet nobody asked for (a new workbook's `Sheet1`).
            continue;
        }
        sheets.push(sheet_csv(index, &name, stem, &range, &mut own));
    }
    let files: Vec<(String, String)> = sheets
        .iter()
        .map(|s| (s.file.clone(), s.text.clone()))
        .collect();
    let result = load_csv(program, &files);
    let mut errors = own;
    match result {
        Ok(batch) if errors.is_empty() => return Ok(batch),
        Ok(_) => {}
        Err(es) => errors.extend(es.into_iter().map(|e| relocate(e, &sheets))),
    }
    errors.sort_by_key(|(k, _)| *k);
    Err(errors.into_iter().map(|(_, e)| e).collect())
}

fn error(location: String, message: String, help: Option<String>) -> DataError {
    DataError {
        unit: None,
        field: None,
        location,
        message,
        help,
    }
}

/// The sheet names the CSV reader knows, with the stem each stands for: the
/// fixed sheets, and each record input by id, label and cut id.
fn known_stems(program: &Program) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = [layout::UNITS, layout::GLOBALS, layout::PARAMS]
        .iter()
        .map(|s| ((*s).to_owned(), (*s).to_owned()))
        .collect();
    for d in &program.inputs {
        if layout::record_fields(&d.ty).is_some() {
            out.push((d.name.clone(), d.name.clone()));
            if !d.label.is_empty() {
                out.push((d.label.clone(), d.label.clone()));
            }
            let cut = layout::sheet_name(&d.name);
            if cut != d.name {
                out.push((cut, d.name.clone()));
            }
        }
    }
    out
}

/// The CSV stem a sheet stands for: a cut record id stands for the id.
fn stem_of(sheet: &str, stems: &[(String, String)]) -> String {
    let name = sheet.trim();
    stems
        .iter()
        .find(|(s, _)| s == name)
        .map_or_else(|| name.to_owned(), |(_, stem)| stem.clone())
}

/// Render a sheet as CSV text, keeping where each line and column came from.
fn sheet_csv(
    index: usize,
    name: &str,
    stem: String,
    range: &Range<Data>,
    own: &mut Vec<Located>,
) -> SheetCsv {
    let (row0, col0) = range.start().unwrap_or((0, 0));
    // Every cell as text, by absolute (0-based) row, with absolute columns.
    let mut grid: Vec<(u32, Vec<String>)> = Vec::new();
    for (r, cells) in range.rows().enumerate() {
        let row = row0 + u32::try_from(r).unwrap_or(u32::MAX);
        let mut texts: Vec<String> = vec![String::new(); col0 as usize];
        for (c, cell) in cells.iter().enumerate() {
            let col = col0 + u32::try_from(c).unwrap_or(u32::MAX);
            let t = cell_text(cell);
            if let Some((message, help)) = t.problem {
                own.push((
                    (index, row + 1, col + 1),
                    error(cell_ref(name, row + 1, col + 1), message, Some(help)),
                ));
            }
            texts.push(t.text);
        }
        if texts.iter().any(|t| !t.trim().is_empty()) {
            grid.push((row + 1, texts));
        }
    }
    // The header is the first row with anything in it; its empty and
    // 说明 columns are dropped (a value under an empty header is an error).
    let header = grid.first().map(|(_, h)| h.clone()).unwrap_or_default();
    let keep: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.trim().is_empty() && h.trim() != NOTES_COLUMN)
        .map(|(i, _)| i)
        .collect();
    for (row, cells) in grid.iter().skip(1) {
        for (c, t) in cells.iter().enumerate() {
            let unheaded = match header.get(c) {
                Some(h) => h.trim().is_empty(),
                None => true,
            };
            if unheaded && !t.trim().is_empty() {
                let col = u32::try_from(c + 1).unwrap_or(u32::MAX);
                own.push((
                    (index, *row, col),
                    error(
                        cell_ref(name, *row, col),
                        format!("a value (`{}`) in a column with no header", t.trim()),
                        Some(
                            "give the column a header in the first row, or delete the value".into(),
                        ),
                    ),
                ));
            }
        }
    }
    // Name the unit of each row this sheet's own errors are on.
    let unit_col = header
        .iter()
        .position(|h| h.trim() == layout::UNIT_HEADER || h.trim() == "unit");
    let header_row = grid.first().map_or(0, |(r, _)| *r);
    for ((i, row, _), e) in own.iter_mut() {
        if *i != index || *row <= header_row || e.unit.is_some() {
            continue;
        }
        e.unit = grid
            .iter()
            .find(|(r, _)| r == row)
            .and_then(|(_, cells)| cells.get(unit_col?))
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty());
    }
    let mut text = String::new();
    let mut rows = HashMap::new();
    let mut line: u32 = 1;
    for (row, cells) in &grid {
        rows.insert(line, *row);
        let kept = keep
            .iter()
            .map(|&c| cells.get(c).map_or("", String::as_str));
        let record = csv_record(kept);
        line += u32::try_from(record.matches('\n').count()).unwrap_or(0);
        text.push_str(&record);
    }
    SheetCsv {
        name: name.to_owned(),
        file: format!("{stem}.csv"),
        text,
        rows,
        cols: keep
            .iter()
            .map(|&c| u32::try_from(c + 1).unwrap_or(u32::MAX))
            .collect(),
    }
}

/// One CSV line (ending in a newline), quoting as needed.
fn csv_record<'a>(cells: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for (i, c) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if c.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&c.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(c);
        }
    }
    out.push('\n');
    out
}

/// `units!B7`.
fn cell_ref(sheet: &str, row: u32, col: u32) -> String {
    format!("{}!{}{row}", quote_sheet(sheet), col_letters(col))
}

/// A sheet name as Excel writes it in a reference (`'my sheet'!A1`).
fn quote_sheet(sheet: &str) -> String {
    let plain = sheet
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '.');
    if plain {
        sheet.to_owned()
    } else {
        format!("'{}'", sheet.replace('\'', "''"))
    }
}

/// A CSV reader's error, told in sheets and cells.
fn relocate(mut e: DataError, sheets: &[SheetCsv]) -> Located {
    let mut key = (0, 0, 0);
    if let Some((i, s)) = sheets
        .iter()
        .enumerate()
        .filter(|(_, s)| e.location.starts_with(&s.file))
        .max_by_key(|(_, s)| s.file.len())
    {
        let rest = e.location.get(s.file.len()..).unwrap_or("");
        let nums: Vec<u32> = rest
            .split(':')
            .skip(1)
            .map_while(|n| n.parse().ok())
            .collect();
        let row = |line: u32| s.rows.get(&line).copied().unwrap_or(line);
        let sheet_index = i;
        let (location, r, c) = match nums.as_slice() {
            [line, col, ..] => {
                let sheet_col = s
                    .cols
                    .get((*col as usize).wrapping_sub(1))
                    .copied()
                    .unwrap_or(*col);
                let r = row(*line);
                (cell_ref(&s.name, r, sheet_col), r, sheet_col)
            }
            [line] => {
                let r = row(*line);
                (format!("{}!{r}:{r}", quote_sheet(&s.name)), r, 0)
            }
            _ => (quote_sheet(&s.name), 0, 0),
        };
        key = (sheet_index, r, c);
        e.location = location;
    } else if let Some(stem) = e.location.strip_suffix(".csv") {
        // A sheet that is missing altogether.
        e.location = quote_sheet(stem);
    }
    e.message = in_sheets(&e.message);
    e.help = e.help.as_deref().map(in_sheets);
    (key, e)
}

/// The CSV reader's words about files, as words about sheets:
/// "missing file `units.csv`" → "missing sheet `units`".
fn in_sheets(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('`') {
        let Some(len) = rest.get(start + 1..).and_then(|r| r.find('`')) else {
            break;
        };
        let inner = rest.get(start + 1..start + 1 + len).unwrap_or("");
        let before = rest.get(..start).unwrap_or("");
        match inner.strip_suffix(".csv") {
            Some(stem) => {
                let before = before
                    .strip_suffix("file ")
                    .or_else(|| before.strip_suffix("sheet "))
                    .unwrap_or(before);
                out.push_str(before);
                out.push_str(&format!("sheet `{stem}`"));
            }
            None => {
                out.push_str(before);
                out.push('`');
                out.push_str(inner);
                out.push('`');
            }
        }
        rest = rest.get(start + len + 2..).unwrap_or("");
    }
    out.push_str(rest);
    out.replace("cannot be given in CSV", "cannot be given in a spreadsheet")
        .replace("two files", "two sheets")
        .replace("the file is empty", "the sheet is empty")
        .replace(
            "check for a missing or extra comma, or quote cells that contain commas",
            "check the row's cells",
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(
            in_sheets("missing file `units.csv`"),
            "missing sheet `units`"
        );
        assert_eq!(
            in_sheets("unit `x` is not in `units.csv`"),
            "unit `x` is not in sheet `units`"
        );
        assert_eq!(
            in_sheets("did you mean `incidents.csv`?"),
            "did you mean sheet `incidents`?"
        );
        assert_eq!(in_sheets("unknown input `a.b`"), "unknown input `a.b`");
        assert_eq!(in_sheets("odd ` tick"), "odd ` tick");
    }

    #[test]
    fn refs() {
        assert_eq!(cell_ref("units", 7, 2), "units!B7");
        assert_eq!(cell_ref("my sheet", 1, 1), "'my sheet'!A1");
        assert_eq!(cell_ref("说明", 1, 1), "说明!A1");
    }
}
