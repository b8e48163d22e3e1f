//! A filled-in workbook → a checked [`Batch`].
//!
//! In: the bytes of an xlsx (or xlsm, xlsb, xls, ods) workbook laid out as
//! [`crate::layout`] says. Each sheet's filled cells are read one by one
//! (never as a whole grid: two cells far apart cost two cells), become text
//! (`crate::cells`) and form a [`Table`] whose rows keep their sheet rows
//! and columns; the tables go through the same reader as a folder of CSV
//! files (`rulebook_eval::data::load_tables`), so a workbook is checked
//! exactly like one, and every error names its cell (`units!B7`).
//! Out: the batch, or every error (nothing is returned from a workbook with
//! any error). The 说明 sheet, columns headed 说明 and wholly empty rows are
//! skipped. A number formatted as a percent is marked so (0.88 shown as
//! 88% is 88 in a percent column); a formula never calculated is refused.

use crate::cells::cell_text;
use crate::layout::{self, NOTES_COLUMN, NOTES_SHEET};
use crate::xlsx_info::{self, SheetInfo};
use calamine::{open_workbook_auto_from_rs, Data, Reader, Sheets};
use rulebook_eval::data::{
    load_sheets, Batch, CellProblem, DataError, Location, Row, Table, TableName,
};
use rulebook_lang::ir::Program;
use std::collections::BTreeMap;
use std::io::Cursor;

/// The most filled cells a sheet may have: far beyond any assessment
/// table, and within what a small machine holds.
const MAX_CELLS: usize = 2_000_000;

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
            location: Location::File(file_name.to_owned()),
            message: format!("cannot read the workbook: {e}"),
            help: Some("save it from Excel or WPS as an .xlsx workbook".into()),
        }]
    })?;
    let info = match book {
        Sheets::Xlsx(_) => xlsx_info::read(bytes),
        _ => Default::default(),
    };
    let stems = known_stems(program);
    let mut errors: Vec<DataError> = Vec::new();
    let mut tables: Vec<Table> = Vec::new();
    for name in book.sheet_names() {
        if name.trim() == NOTES_SHEET {
            continue;
        }
        let cells = match sheet_cells(&mut book, &name) {
            Ok(c) => c,
            Err(message) => {
                errors.push(DataError {
                    unit: None,
                    field: None,
                    location: Location::Sheet {
                        sheet: name.clone(),
                        row: 0,
                        col: 0,
                    },
                    message,
                    help: None,
                });
                continue;
            }
        };
        let stem = stem_of(&name, &stems);
        let sheet_info = info.get(&name);
        let uncalculated = sheet_info.is_some_and(|i| !i.uncalculated.is_empty());
        if cells.is_empty() && !uncalculated && !stems.iter().any(|(s, _)| s == &stem) {
            // An empty sheet nobody asked for (a new workbook's `Sheet1`).
            continue;
        }
        tables.push(table(&name, stem, cells, sheet_info));
    }
    match load_sheets(program, tables) {
        Ok(batch) if errors.is_empty() => Ok(batch),
        Ok(_) => Err(errors),
        Err(es) => {
            errors.extend(es);
            Err(errors)
        }
    }
}

/// A sheet's filled cells by 0-based (row, column), in order.
fn sheet_cells(
    book: &mut Sheets<Cursor<&[u8]>>,
    name: &str,
) -> Result<BTreeMap<(u32, u32), Data>, String> {
    let mut out = BTreeMap::new();
    let too_many = || {
        format!(
            "the sheet has more than {MAX_CELLS} filled cells; an assessment table needs far fewer"
        )
    };
    let unreadable = |e: &dyn std::fmt::Display| format!("cannot read the sheet: {e}");
    let mut keep = |(r, c): (u32, u32), d: Data| -> Result<(), String> {
        if matches!(d, Data::Empty) {
            return Ok(());
        }
        if out.len() >= MAX_CELLS {
            return Err(too_many());
        }
        out.insert((r, c), d);
        Ok(())
    };
    match book {
        Sheets::Xlsx(x) => {
            let mut cells = x.worksheet_cells_reader(name).map_err(|e| unreadable(&e))?;
            while let Some(c) = cells.next_cell().map_err(|e| unreadable(&e))? {
                keep(c.get_position(), Data::from(c.get_value().clone()))?;
            }
        }
        Sheets::Xlsb(x) => {
            let mut cells = x.worksheet_cells_reader(name).map_err(|e| unreadable(&e))?;
            while let Some(c) = cells.next_cell().map_err(|e| unreadable(&e))? {
                keep(c.get_position(), Data::from(c.get_value().clone()))?;
            }
        }
        // The older formats are read whole (their sheets are bounded:
        // 65 536 rows by 256 columns for xls).
        other => {
            let range = other.worksheet_range(name).map_err(|e| unreadable(&e))?;
            for (r, c, d) in range.used_cells() {
                let (r, c) = (u32::try_from(r), u32::try_from(c));
                if let (Ok(r), Ok(c)) = (r, c) {
                    let (r0, c0) = range.start().unwrap_or((0, 0));
                    keep((r0 + r, c0 + c), d.clone())?;
                }
            }
        }
    }
    Ok(out)
}

/// A sheet's cells as a table: its first filled row is the header; columns
/// without a header or headed 说明 are left out (a value under no header is
/// a problem); every other row with anything in it is a row of the table.
fn table(
    name: &str,
    stem: String,
    cells: BTreeMap<(u32, u32), Data>,
    info: Option<&SheetInfo>,
) -> Table {
    let mut problems: Vec<CellProblem> = Vec::new();
    // Rows of (column, text, percent), by 0-based row.
    let mut rows: BTreeMap<u32, Vec<(u32, String, bool)>> = BTreeMap::new();
    for ((r, c), d) in &cells {
        let t = cell_text(d);
        if let Some((message, help)) = t.problem {
            problems.push(CellProblem {
                row: r + 1,
                col: c + 1,
                unit: None,
                message,
                help: Some(help),
            });
        }
        if t.text.trim().is_empty() {
            continue;
        }
        let number = matches!(d, Data::Float(_) | Data::Int(_));
        let percent = number && info.is_some_and(|i| i.percent.contains(&(*r, *c)));
        rows.entry(*r).or_default().push((*c, t.text, percent));
    }
    for &(r, c) in info.map_or(&[][..], |i| i.uncalculated.as_slice()) {
        problems.push(CellProblem {
            row: r + 1,
            col: c + 1,
            unit: None,
            message: "this cell holds a formula that was never calculated, so it has no value".into(),
            help: Some(
                "open the workbook in Excel or WPS and save it, so that the formula's result is stored; or type the value"
                    .into(),
            ),
        });
    }
    let mut rows = rows.into_iter();
    let header = rows.next();
    // The kept columns (0-based) and their headers.
    let kept: Vec<(u32, &str)> = header.as_ref().map_or(Vec::new(), |(_, cells)| {
        cells
            .iter()
            .filter(|(_, h, _)| h.trim() != NOTES_COLUMN)
            .map(|(c, h, _)| (*c, h.as_str()))
            .collect()
    });
    let unit_col = kept
        .iter()
        .position(|(_, h)| h.trim() == layout::UNIT_HEADER || h.trim() == "unit");
    let mut table_rows: Vec<Row> = Vec::new();
    if let Some((r, _)) = &header {
        table_rows.push(Row {
            line: r + 1,
            cells: kept.iter().map(|(_, h)| (*h).to_owned()).collect(),
            percent: Vec::new(),
        });
    }
    let header_cols: Vec<u32> = header.as_ref().map_or(Vec::new(), |(_, cells)| {
        cells.iter().map(|(c, _, _)| *c).collect()
    });
    for (r, cells) in rows {
        let mut row = Row {
            line: r + 1,
            cells: vec![String::new(); kept.len()],
            percent: Vec::new(),
        };
        for (c, text, percent) in cells {
            match kept.iter().position(|(k, _)| *k == c) {
                Some(i) => {
                    if let Some(slot) = row.cells.get_mut(i) {
                        *slot = text;
                    }
                    if percent {
                        row.percent.push(i);
                    }
                }
                None if header_cols.contains(&c) => {} // a 说明 column
                None => problems.push(CellProblem {
                    row: r + 1,
                    col: c + 1,
                    unit: None,
                    message: format!("a value (`{}`) in a column with no header", text.trim()),
                    help: Some(
                        "give the column a header in the first row, or delete the value".into(),
                    ),
                }),
            }
        }
        // A row with values only outside the table is not a row of it.
        if row.cells.iter().any(|c| !c.trim().is_empty()) {
            table_rows.push(row);
        }
    }
    // Name the unit of each row a problem is on.
    let header_row = table_rows.first().map_or(0, |r| r.line);
    for p in problems.iter_mut().filter(|p| p.row > header_row) {
        p.unit = table_rows
            .iter()
            .find(|r| r.line == p.row)
            .and_then(|r| r.get(unit_col?))
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty());
    }
    Table {
        stem,
        name: TableName::Sheet {
            sheet: name.to_owned(),
            cols: kept.iter().map(|(c, _)| c + 1).collect(),
        },
        rows: table_rows,
        problems,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs() {
        let at = |sheet: &str, row, col| {
            Location::Sheet {
                sheet: sheet.into(),
                row,
                col,
            }
            .to_string()
        };
        assert_eq!(at("units", 7, 2), "units!B7");
        assert_eq!(at("my sheet", 1, 1), "'my sheet'!A1");
        assert_eq!(at("说明", 1, 1), "说明!A1");
        assert_eq!(at("units", 7, 0), "units!7:7");
    }
}
