//! Word documents: the paragraphs before the table, then the table's rows.
//! A `.docx` is a zip holding `word/document.xml`.

use super::rows_from_grid;
use crate::model::Table;
use quick_xml::events::Event;
use std::io::Read;

pub fn read(bytes: &[u8]) -> Result<Table, String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("not a readable .docx file: {e}"))?;
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .map_err(|e| format!("not a Word document (no word/document.xml): {e}"))?
        .read_to_string(&mut xml)
        .map_err(|e| format!("cannot read word/document.xml: {e}"))?;
    let (preamble, grid) = parse(&xml)?;
    let mut table = rows_from_grid(&grid);
    let mut lines = preamble;
    lines.append(&mut table.preamble);
    table.preamble = lines;
    Ok(table)
}

type Grid = Vec<(String, Vec<String>)>;

/// Paragraphs outside tables, and every table row (cells' paragraphs joined
/// by line breaks). Cells merged down (`w:vMerge` without a value) are blank.
fn parse(xml: &str) -> Result<(Vec<String>, Grid), String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut preamble = Vec::new();
    let mut grid: Grid = Vec::new();
    let mut depth_tbl = 0usize;
    let mut row: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut para = String::new();
    let mut in_text = false;
    let mut rows_seen = 0usize;
    loop {
        let ev = reader.read_event().map_err(|e| {
            format!(
                "word/document.xml at byte {}: {e}",
                reader.buffer_position()
            )
        })?;
        match ev {
            Event::Start(e) => match e.local_name().as_ref() {
                b"tbl" => depth_tbl += 1,
                b"tr" => row.clear(),
                b"tc" => cell.clear(),
                b"p" => para.clear(),
                b"t" => in_text = true,
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                b"br" | b"cr" => para.push('\n'),
                b"tab" => para.push('\t'),
                b"p" => para.clear(),
                _ => {}
            },
            Event::Text(t) if in_text => {
                let s = t
                    .unescape()
                    .map_err(|e| format!("word/document.xml: {e}"))?;
                para.push_str(&s);
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"t" => in_text = false,
                b"p" => {
                    if depth_tbl > 0 {
                        if !cell.is_empty() {
                            cell.push('\n');
                        }
                        cell.push_str(&para);
                    } else if !para.trim().is_empty() {
                        preamble.push(para.trim().to_string());
                    }
                    para.clear();
                }
                b"tc" => row.push(std::mem::take(&mut cell)),
                b"tr" => {
                    rows_seen += 1;
                    grid.push((format!("table row {rows_seen}"), std::mem::take(&mut row)));
                }
                b"tbl" => depth_tbl = depth_tbl.saturating_sub(1),
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok((preamble, grid))
}

#[cfg(test)]
mod tests {
    #[test]
    fn paragraphs_and_cells() {
        let xml = r#"<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>资政办发〔2024〕10号</w:t></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>二级指标</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>计分标准</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:p><w:r><w:t>1．甲</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>（1）得1分</w:t></w:r></w:p><w:p><w:r><w:t>（2）每次扣0.5分</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:body></w:document>"#;
        let (pre, grid) = super::parse(xml).unwrap_or_default();
        assert_eq!(pre, vec!["资政办发〔2024〕10号".to_string()]);
        assert_eq!(grid.len(), 2);
        assert_eq!(
            grid.get(1).map(|r| r.1.clone()),
            Some(vec![
                "1．甲".to_string(),
                "（1）得1分\n（2）每次扣0.5分".to_string()
            ])
        );
    }
}
