//! Plain text copied from the web page: cells start after a tab, a cell's
//! text runs on over the following lines until the next tab.

use super::{rows_from_cells, rows_from_line_cells, Cell};
use crate::model::Table;

/// The table in a text copy of the document.
pub fn read(text: &str) -> Table {
    let mut cells: Vec<Cell> = Vec::new();
    let mut preamble: Vec<String> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches(['\r', ' ', '\u{3000}']);
        let mut parts = line.split('\t');
        let head = parts.next().unwrap_or("");
        match cells.last_mut() {
            Some(c) => c.push_line(head),
            None => {
                if !head.trim().is_empty() {
                    preamble.push(head.trim().to_string());
                }
            }
        }
        for p in parts {
            cells.push(Cell::new(p, format!("line {}", n + 1)));
        }
    }
    let mut table = rows_from_cells(&cells);
    table.preamble = preamble;
    if table.rows.is_empty() {
        // No tabs: a table copied one cell per line.
        let lines: Vec<Cell> = text
            .lines()
            .enumerate()
            .map(|(n, l)| {
                (
                    n,
                    l.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}'),
                )
            })
            .filter(|(_, l)| !l.is_empty())
            .map(|(n, l)| Cell::new(&crate::text::widen(l), format!("line {}", n + 1)))
            .collect();
        return rows_from_line_cells(&lines);
    }
    table
}
