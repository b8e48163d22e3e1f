//! The four forms a document is published in, each read into a [`Table`].

mod docx;
mod html;
mod sheet;
mod text;

use crate::model::{Row, Table};
use crate::ImportError;
use std::path::Path;

/// Column names a header row may hold.
const HEADERS: [&str; 11] = [
    "一级指标",
    "二级指标",
    "分值",
    "考核单位",
    "评分单位",
    "计分标准",
    "自评分",
    "考核分",
    "得分",
    "扣分说明",
    "备注",
];

/// Read a document: `.txt`, `.docx`, `.xlsx`, `.csv` or `.html`, by its extension.
pub fn read(path: &Path) -> Result<Table, ImportError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let bytes = std::fs::read(path).map_err(|e| ImportError::new(path, e.to_string()))?;
    let utf8 = |bytes: Vec<u8>| {
        String::from_utf8(bytes).map_err(|e| {
            ImportError::new(
                path,
                format!(
                    "not UTF-8 text (bad byte at offset {}); save it as UTF-8",
                    e.utf8_error().valid_up_to()
                ),
            )
        })
    };
    let table = match ext.as_str() {
        "docx" => docx::read(&bytes).map_err(|e| ImportError::new(path, e))?,
        "xlsx" | "xlsm" => sheet::read_xlsx(&bytes).map_err(|e| ImportError::new(path, e))?,
        "csv" => sheet::read_csv(&bytes).map_err(|e| ImportError::new(path, e))?,
        "html" | "htm" => html::read(&utf8(bytes)?),
        _ => text::read(&utf8(bytes)?),
    };
    if table.rows.is_empty() {
        return Err(ImportError::new(
            path,
            "no table found: the document needs a header row with 二级指标 (or 分值), 考核单位 and 计分标准"
                .to_string(),
        ));
    }
    Ok(table)
}

/// Read a document held in memory (`ext` as in a file name: `txt`, `csv`, …).
pub fn read_text(text: &str) -> Table {
    text::read(text)
}

/// One cell of the table, with where it starts.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    pub text: String,
    pub place: String,
}

impl Cell {
    pub fn new(first: &str, place: String) -> Self {
        Cell {
            text: first.trim_end().to_string(),
            place,
        }
    }
    pub fn push_line(&mut self, line: &str) {
        self.text.push('\n');
        self.text.push_str(line.trim_end());
    }
    fn trimmed(&self) -> &str {
        self.text.trim()
    }
}

fn is_header(s: &str) -> bool {
    HEADERS.contains(&s.trim())
}

/// Group a stream of cells into rows, using the header rows to know how
/// many cells a row has and which is which.
pub(crate) fn rows_from_cells(cells: &[Cell]) -> Table {
    let mut table = Table::default();
    let mut columns: Vec<String> = Vec::new();
    let mut bonus = false;
    let mut i = 0;
    while i < cells.len() {
        let Some(cell) = cells.get(i) else { break };
        let t = cell.trimmed();
        if is_header(t) && cells.get(i + 1).is_some_and(|c| is_header(c.trimmed())) {
            columns.clear();
            while let Some(c) = cells.get(i).filter(|c| is_header(c.trimmed())) {
                columns.push(c.trimmed().to_string());
                i += 1;
            }
            bonus = bonus || !columns.iter().any(|c| c == "二级指标");
            continue;
        }
        if columns.is_empty() {
            i += 1;
            continue;
        }
        // The total row: 总分, its value, then nothing until the next header.
        if t == "总分" || t == "合计" {
            table.total = cells.get(i + 1).map(|c| c.trimmed().to_string());
            i += 2;
            while let Some(c) = cells.get(i).filter(|c| !is_header(c.trimmed())) {
                if c.text.contains("加分") {
                    bonus = true;
                }
                i += 1;
            }
            continue;
        }
        let row_cells: Vec<&Cell> = cells.iter().skip(i).take(columns.len()).collect();
        let mut row = Row {
            bonus,
            place: cell.place.clone(),
            ..Row::default()
        };
        for (name, c) in columns.iter().zip(&row_cells) {
            let text = c.text.trim().to_string();
            match name.as_str() {
                "一级指标" => row.section = text,
                "二级指标" => row.item = text,
                "分值" => row.points = text,
                "考核单位" | "评分单位" => row.by = text,
                "计分标准" => row.standard = text,
                _ => {}
            }
        }
        table.rows.push(row);
        i += columns.len();
    }
    table
}

/// Rows from a grid (spreadsheet, CSV, HTML or Word table): each row's
/// cells as text, the first row holding 二级指标 or 分值 the header.
pub(crate) fn rows_from_grid(grid: &[(String, Vec<String>)]) -> Table {
    let mut table = Table::default();
    let mut columns: Vec<String> = Vec::new();
    let mut bonus = false;
    for (place, cells) in grid {
        let nonempty: Vec<&String> = cells.iter().filter(|c| !c.trim().is_empty()).collect();
        if nonempty.len() >= 2 && nonempty.iter().all(|c| is_header(c)) {
            columns = cells.iter().map(|c| c.trim().to_string()).collect();
            bonus = bonus || !columns.iter().any(|c| c == "二级指标");
            continue;
        }
        if columns.is_empty() {
            let line = cells.join(" ").trim().to_string();
            if !line.is_empty() {
                table.preamble.push(line);
            }
            continue;
        }
        let first = nonempty.first().map(|c| c.trim()).unwrap_or("");
        if first == "总分" || first == "合计" {
            table.total = nonempty.get(1).map(|c| c.trim().to_string());
            continue;
        }
        if first == "加分合计" {
            // Its standard is the bonus section's own sentence (加分上限…).
            let standard = columns
                .iter()
                .zip(cells)
                .find(|(n, _)| *n == "计分标准")
                .map(|(_, c)| c.trim().to_string())
                .unwrap_or_default();
            table.rows.push(Row {
                bonus: true,
                place: place.clone(),
                standard,
                ..Row::default()
            });
            continue;
        }
        if nonempty.len() == 1 && first.contains("加分") && !first.contains('（') {
            bonus = true;
            continue;
        }
        let mut row = Row {
            bonus,
            place: place.clone(),
            ..Row::default()
        };
        for (name, c) in columns.iter().zip(cells) {
            let text = c.trim().to_string();
            match name.as_str() {
                "一级指标" => {
                    if text.contains("加分") {
                        row.bonus = true;
                        bonus = true;
                    }
                    row.section = text
                }
                "二级指标" => row.item = text,
                "分值" => row.points = text,
                "考核单位" | "评分单位" => row.by = text,
                "计分标准" => row.standard = text,
                _ => {}
            }
        }
        if row.item.is_empty() && row.standard.is_empty() && row.by.is_empty() {
            if !row.section.is_empty() {
                table.rows.push(row);
            }
            continue;
        }
        table.rows.push(row);
    }
    table
}
