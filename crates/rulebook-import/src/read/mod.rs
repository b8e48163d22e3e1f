//! The four forms a document is published in, each read into a [`Table`].

mod docx;
mod html;
mod sheet;
mod text;

use crate::model::{Row, Table};
use crate::ImportError;
use std::path::Path;

/// Column names a header row may hold.
const HEADERS: [&str; 25] = [
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
    // The same columns as other documents name them.
    "项目",
    "指标",
    "考核内容",
    "考核评价内容",
    "权重",
    "评分细则",
    "评分标准",
    "考核标准",
    "考核对象",
    "责任单位",
    "牵头单位",
    "指标认定部门",
    "认定部门",
    "序号",
];

/// What a column holds, whatever the document calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Section,
    Item,
    Points,
    By,
    /// A unit column that names the unit's role (指标认定部门).
    ByRole,
    Standard,
    /// Text about the item (考核内容), kept as `text "列名：…"`.
    Note,
    Other,
}

fn column(name: &str) -> Column {
    match name {
        "一级指标" | "项目" => Column::Section,
        "二级指标" | "指标" => Column::Item,
        "分值" | "权重" => Column::Points,
        "考核单位" | "评分单位" | "考核对象" | "责任单位" | "牵头单位" => {
            Column::By
        }
        "指标认定部门" | "认定部门" => Column::ByRole,
        "计分标准" | "评分细则" | "评分标准" | "考核标准" => Column::Standard,
        "考核内容" | "考核评价内容" => Column::Note,
        _ => Column::Other,
    }
}

/// Put one cell's text in its column of a row.
fn place_cell(row: &mut Row, name: &str, text: String) {
    if text.is_empty() {
        return;
    }
    match column(name) {
        Column::Section => row.section = text,
        Column::Item => row.item = text,
        Column::Points => row.points = text,
        Column::By => push_line(&mut row.by, &text),
        Column::ByRole => push_line(&mut row.by, &format!("{text}（{name}）")),
        Column::Standard => row.standard = text,
        Column::Note => row.notes.push(format!("{name}：{text}")),
        Column::Other => {}
    }
}

fn push_line(to: &mut String, line: &str) {
    if !to.is_empty() {
        to.push('\n');
    }
    to.push_str(line);
}

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
            "no table found: the document needs a header row naming its columns — 二级指标 (or 指标), 分值 (or 权重), 考核单位 (or 考核对象), 计分标准 (or 评分细则) — each cell after a tab, in a table, or on a line of its own"
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
            bonus = bonus || !columns.iter().any(|c| column(c) == Column::Item);
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
            place_cell(&mut row, name, c.text.trim().to_string());
        }
        table.rows.push(row);
        i += columns.len();
    }
    table
}

/// A table copied from a web page one cell per line (no tabs): the header
/// cells on lines of their own, then the cells. Merged cells (an item
/// spanning several indicators) appear once, so rows are found by their
/// points (权重/分值, a bare number): the cell before it names the row's
/// indicator, the one after is its standard, the cells up to the next
/// indicator its units; cells before the first row's indicator fill the
/// columns before the points column.
pub(crate) fn rows_from_line_cells(cells: &[Cell]) -> Table {
    let mut table = Table::default();
    let Some(h) = (0..cells.len()).find(|&i| {
        cells
            .get(i..i + 3)
            .is_some_and(|w| w.iter().all(|c| is_header(c.trimmed())))
    }) else {
        return table;
    };
    table.preamble = cells
        .get(..h)
        .unwrap_or(&[])
        .iter()
        .map(|c| c.trimmed().to_string())
        .collect();
    let columns: Vec<String> = cells
        .iter()
        .skip(h)
        .take_while(|c| is_header(c.trimmed()))
        .map(|c| c.trimmed().to_string())
        .collect();
    let Some(pc) = columns.iter().position(|c| column(c) == Column::Points) else {
        return table;
    };
    let lead: Vec<&String> = columns
        .get(..pc)
        .unwrap_or(&[])
        .iter()
        .filter(|c| column(c) != Column::Other)
        .collect();
    let tail: Vec<&String> = columns
        .get(pc + 1..)
        .unwrap_or(&[])
        .iter()
        .filter(|c| column(c) != Column::Other)
        .collect();
    // A points cell on a line of its own (「(125分)」) belongs to the cell before.
    let mut body: Vec<Cell> = Vec::new();
    for c in cells.iter().skip(h + columns.len()) {
        let t = c.trimmed();
        let points_only = (t.starts_with('（') && t.ends_with("分）")) && t.chars().count() <= 8;
        match body.last_mut() {
            Some(prev) if points_only => prev.text.push_str(t),
            _ => body.push(c.clone()),
        }
    }
    let is_points = |c: &Cell| crate::text::dec(c.trimmed()).is_some();
    let anchors: Vec<usize> = (1..body.len())
        .filter(|&i| body.get(i).is_some_and(is_points) && i + 1 < body.len())
        .collect();
    let mut part_column = false;
    let mut from = 0;
    for (k, &a) in anchors.iter().enumerate() {
        let name = a - 1;
        let mut leads: Vec<&Cell> = body.get(from..name).unwrap_or(&[]).iter().collect();
        if k == 0 {
            // The first row shows every column: one cell more than the
            // columns before the points means an unnamed indicator column.
            part_column = leads.len() >= lead.len();
        } else {
            // Later rows: cells before the indicator that open a section
            // (「二、…」) start new merged cells; the rest were the previous
            // row's units.
            let opens = leads
                .iter()
                .position(|c| crate::build::opens_section(c.trimmed()))
                .unwrap_or(leads.len());
            leads = leads.split_off(opens);
        }
        let end = anchors.get(k + 1).map(|n| n - 1).unwrap_or(body.len());
        let mut units: Vec<String> = body
            .get(a + 2..end)
            .unwrap_or(&[])
            .iter()
            .take_while(|c| !crate::build::opens_section(c.trimmed()))
            .map(|c| c.trimmed().to_string())
            .collect();
        let unit_columns: Vec<&&String> = tail.iter().skip(1).collect();
        // More cells than unit columns: a unit broken over two lines.
        while units.len() > unit_columns.len().max(1) {
            let Some(j) = (0..units.len() - 1).min_by_key(|&j| {
                units.get(j).map(|u| u.chars().count()).unwrap_or(0)
                    + units.get(j + 1).map(|u| u.chars().count()).unwrap_or(0)
            }) else {
                break;
            };
            let next = units.remove(j + 1);
            if let Some(u) = units.get_mut(j) {
                u.push_str(&next);
            }
        }
        let place = body.get(name).map(|c| c.place.clone()).unwrap_or_default();
        let mut row = Row {
            place,
            ..Row::default()
        };
        for (col, c) in lead.iter().zip(&leads) {
            place_cell(&mut row, col, c.trimmed().to_string());
        }
        let name_text = body
            .get(name)
            .map(|c| c.trimmed().to_string())
            .unwrap_or_default();
        if part_column {
            row.part = name_text;
        } else if let Some(col) = lead.last() {
            place_cell(&mut row, col, name_text);
        }
        if let Some(col) = columns.get(pc) {
            row.points_column = col.clone();
        }
        row.points = body
            .get(a)
            .map(|c| c.trimmed().to_string())
            .unwrap_or_default();
        if let Some(col) = tail.first() {
            let std = body
                .get(a + 1)
                .map(|c| c.trimmed().to_string())
                .unwrap_or_default();
            place_cell(&mut row, col, std);
        }
        for (col, u) in unit_columns.iter().zip(units) {
            place_cell(&mut row, col, u);
        }
        table.rows.push(row);
        from = end;
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
            bonus = bonus || !columns.iter().any(|c| column(c) == Column::Item);
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
            if column(name) == Column::Section && text.contains("加分") {
                row.bonus = true;
                bonus = true;
            }
            place_cell(&mut row, name, text);
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

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing)]
    use super::*;

    fn cells(lines: &[&str]) -> Vec<Cell> {
        lines
            .iter()
            .enumerate()
            .map(|(n, l)| Cell::new(l, format!("line {}", n + 1)))
            .collect()
    }

    #[test]
    fn one_cell_per_line_with_merged_cells() {
        let t = rows_from_line_cells(&cells(&[
            "通知",
            "项目",
            "指标",
            "权重",
            "评分细则",
            "考核对象",
            "指标认定部门",
            "一、水环境（80分）",
            "水质",
            "（80分）",
            "国控断面",
            "50",
            "每个断面扣5分。",
            "新城管",
            "委会",
            "市生态环境局",
            "省控断面",
            "30",
            "每个断面扣3分。",
        ]));
        assert_eq!(t.preamble, vec!["通知"]);
        assert_eq!(t.rows.len(), 2);
        let (a, b) = (&t.rows[0], &t.rows[1]);
        assert_eq!(a.section, "一、水环境（80分）");
        assert_eq!(a.item, "水质（80分）");
        assert_eq!((a.part.as_str(), a.points.as_str()), ("国控断面", "50"));
        // A unit broken over two lines is joined; the role column is named.
        assert_eq!(a.by, "新城管委会\n市生态环境局（指标认定部门）");
        assert_eq!(a.points_column, "权重");
        // The merged cells are not repeated: the second row has its own only.
        assert!(b.section.is_empty() && b.item.is_empty() && b.by.is_empty());
        assert_eq!(
            (b.part.as_str(), b.standard.as_str()),
            ("省控断面", "每个断面扣3分。")
        );
        // No points column, or no header: no rows (and no panic).
        assert!(
            rows_from_line_cells(&cells(&["项目", "指标", "评分细则", "x"]))
                .rows
                .is_empty()
        );
        assert!(rows_from_line_cells(&cells(&["a", "50", "b"]))
            .rows
            .is_empty());
        assert!(
            rows_from_line_cells(&cells(&["项目", "指标", "权重", "50"]))
                .rows
                .is_empty()
        );
    }
}
