//! Spreadsheets (`.xlsx`) and `.csv` files laid out as the official table:
//! 一级指标 / 二级指标 / 分值 / 考核单位 / 计分标准, merged or blank cells
//! meaning "the same as above" (the layout `rulebook eval --format xlsx` writes).

use super::rows_from_grid;
use crate::model::Table;
use calamine::{Reader, Xlsx};

/// The first sheet holding the table.
pub fn read_xlsx(bytes: &[u8]) -> Result<Table, String> {
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec()))
        .map_err(|e| format!("not a readable .xlsx workbook: {e}"))?;
    let names = wb.sheet_names();
    let mut errors = Vec::new();
    for name in names {
        let range = match wb.worksheet_range(&name) {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("sheet `{name}`: {e}"));
                continue;
            }
        };
        let (top, left) = range.start().unwrap_or((0, 0));
        let grid: Vec<(String, Vec<String>)> = range
            .rows()
            .enumerate()
            .map(|(r, cells)| {
                (
                    format!("{name}!{}", cell_name(top as usize + r, left as usize)),
                    cells.iter().map(|c| c.to_string()).collect(),
                )
            })
            .collect();
        let mut table = rows_from_grid(&grid);
        // `rulebook eval --format xlsx` titles each unit's sheet `TITLE（UNIT）`.
        for line in &mut table.preamble {
            if let Some(t) = line.strip_suffix(&format!("（{name}）")) {
                *line = t.to_string();
            }
        }
        if !table.rows.is_empty() {
            return Ok(table);
        }
    }
    if errors.is_empty() {
        Err("no sheet has a header row with 二级指标 (or 分值), 考核单位 and 计分标准".into())
    } else {
        Err(errors.join("; "))
    }
}

/// `A1`-style name of a cell (0-based row and column).
fn cell_name(row: usize, col: usize) -> String {
    let mut letters = String::new();
    let mut c = col + 1;
    while c > 0 {
        let rem = (c - 1) % 26;
        letters.insert(0, char::from(b'A' + rem as u8));
        c = (c - 1) / 26;
    }
    format!("{letters}{}", row + 1)
}

/// A `.csv` file (UTF-8, with or without a byte-order mark).
pub fn read_csv(bytes: &[u8]) -> Result<Table, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut grid = Vec::new();
    for (n, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| format!("line {}: {e}", n + 1))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(n as u64 + 1);
        grid.push((
            format!("line {line}"),
            rec.iter().map(|s| s.to_string()).collect(),
        ));
    }
    Ok(rows_from_grid(&grid))
}

#[cfg(test)]
mod tests {
    #[test]
    fn cell_names() {
        assert_eq!(super::cell_name(0, 0), "A1");
        assert_eq!(super::cell_name(6, 27), "AB7");
    }
}
