//! Web pages holding the table as `<table>`: the text before the table is
//! the preamble; `<br>` and paragraphs inside a cell are line breaks.

use super::rows_from_grid;
use crate::model::Table;
use scraper::{ElementRef, Html, Node, Selector};

pub fn read(text: &str) -> Table {
    let doc = Html::parse_document(text);
    let (Ok(tables), Ok(rows), Ok(cells), Ok(paras)) = (
        Selector::parse("table"),
        Selector::parse("tr"),
        Selector::parse("td, th"),
        Selector::parse("h1, h2, h3, p, div.title, title"),
    ) else {
        return Table::default();
    };
    let mut grid = Vec::new();
    let mut n = 0;
    for t in doc.select(&tables) {
        for r in t.select(&rows) {
            n += 1;
            let row: Vec<String> = r.select(&cells).map(cell_text).collect();
            grid.push((format!("table row {n}"), row));
        }
    }
    let mut table = rows_from_grid(&grid);
    // Paragraphs outside any table, before it: title and document number.
    let mut preamble: Vec<String> = doc
        .select(&paras)
        .filter(|p| {
            !p.ancestors()
                .any(|a| a.value().as_element().is_some_and(|e| e.name() == "table"))
        })
        .map(|p| p.text().collect::<String>().trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    preamble.append(&mut table.preamble);
    table.preamble = preamble;
    table
}

/// A cell's text with line breaks where the page breaks lines.
fn cell_text(cell: ElementRef<'_>) -> String {
    let mut out = String::new();
    for node in cell.descendants() {
        match node.value() {
            Node::Text(t) => out.push_str(t),
            Node::Element(e)
                if matches!(e.name(), "br" | "p" | "div" | "li")
                    && !out.is_empty()
                    && !out.ends_with('\n') =>
            {
                out.push('\n');
            }
            _ => {}
        }
    }
    out
}
