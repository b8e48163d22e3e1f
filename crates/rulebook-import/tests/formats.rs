//! The other published forms: the official table as `rulebook eval --format
//! xlsx` writes it, and the same table as CSV, an HTML page and a Word
//! document. Each is read back and its structure compared with the
//! hand-written rulebook's.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use calamine::{Reader, Xlsx};
use std::io::Write;

/// The official table of the example units, as `eval --format xlsx` writes it.
fn official_xlsx() -> Vec<u8> {
    let root = common::root();
    let text = std::fs::read_to_string(root.join("rulebooks/ziyuan-2024.rules")).unwrap();
    let program = rulebook_lang::check("ziyuan-2024.rules", &text)
        .program
        .unwrap();
    let data = std::fs::read_to_string(root.join("examples/ziyuan-2024/data.json")).unwrap();
    let batch = rulebook_eval::data::load_json(&program, "data.json", &data).unwrap();
    let units = rulebook_eval::eval::evaluate_batch(&program, &batch, Default::default()).unwrap();
    rulebook_report::xlsx::render(&program, &units[..1]).unwrap()
}

/// The first unit's sheet as a grid of strings.
fn grid(xlsx: &[u8]) -> Vec<Vec<String>> {
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    let name = wb.sheet_names()[1].clone();
    let range = wb.worksheet_range(&name).unwrap();
    let mut g: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    // A published table names no unit in its title.
    g[0][0] = g[0][0].replace(&format!("（{name}）"), "");
    g
}

fn import(bytes: &[u8], ext: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("doc.{ext}"));
    std::fs::write(&path, bytes).unwrap();
    let doc = rulebook_import::read_document(&path).unwrap();
    assert_eq!(
        doc.title.as_deref(),
        Some("2024年度资源县生态环境保护目标任务分解表"),
        "{ext}"
    );
    assert_eq!(doc.number.as_deref(), Some("资政办发〔2024〕10号"), "{ext}");
    rulebook_import::draft(&doc).0
}

fn measure(name: &str, draft: &str) -> f64 {
    let (matched, total, extra, report) = common::compare(draft);
    let pct = matched as f64 * 100.0 / total as f64;
    eprintln!("{report}");
    eprintln!(
        "structure ({name}): {matched} of {total} hand-written nodes match ({pct:.1}%), {} extra",
        extra.len()
    );
    pct
}

// The official table carries one 考核单位 per part, so units the document
// gives per clause (5.6.1–5.6.4, 6.5.x, 7.1.x, 5.2.1) cannot come back:
// 13 of the 184 nodes. Everything else must.
const TABLE_FLOOR: f64 = 90.0;

#[test]
fn xlsx_official_table() {
    let pct = measure("xlsx", &import(&official_xlsx(), "xlsx"));
    assert!(pct >= TABLE_FLOOR, "{pct:.1}%");
}

#[test]
fn csv_table() {
    let g = grid(&official_xlsx());
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in &g {
        w.write_record(row).unwrap();
    }
    let bytes = w.into_inner().unwrap();
    let pct = measure("csv", &import(&bytes, "csv"));
    assert!(pct >= TABLE_FLOOR, "{pct:.1}%");
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[test]
fn html_table() {
    let g = grid(&official_xlsx());
    let mut html = String::from("<html><head><title>通知</title></head><body>\n");
    // The title and number above the table, as a web page shows them.
    html.push_str(&format!(
        "<h1>{}</h1>\n<p>{}</p>\n<table>\n",
        escape(&g[0][0]),
        escape(&g[1][0])
    ));
    for row in g.iter().skip(2) {
        html.push_str("<tr>");
        for c in row {
            let cell: Vec<String> = c.lines().map(escape).collect();
            html.push_str(&format!("<td>{}</td>", cell.join("<br>")));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table></body></html>\n");
    let pct = measure("html", &import(html.as_bytes(), "html"));
    assert!(pct >= TABLE_FLOOR, "{pct:.1}%");
}

#[test]
fn docx_table() {
    let g = grid(&official_xlsx());
    let para = |s: &str| {
        format!(
            "<w:p><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
            escape(s)
        )
    };
    let mut body = String::new();
    body.push_str(&para(&g[0][0]));
    body.push_str(&para(&g[1][0]));
    body.push_str("<w:tbl>");
    for row in g.iter().skip(2) {
        body.push_str("<w:tr>");
        for c in row {
            body.push_str("<w:tc>");
            for line in c.split('\n') {
                body.push_str(&para(line));
            }
            body.push_str("</w:tc>");
        }
        body.push_str("</w:tr>");
    }
    body.push_str("</w:tbl>");
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>"
    );
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file(
        "word/document.xml",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(xml.as_bytes()).unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    let pct = measure("docx", &import(&bytes, "docx"));
    assert!(pct >= TABLE_FLOOR, "{pct:.1}%");
}

#[test]
fn bad_documents_are_refused_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("empty.txt", &b"nothing here"[..]),
        ("broken.docx", &b"not a zip"[..]),
        ("broken.xlsx", &b"not a zip"[..]),
        ("nohead.csv", &b"a,b\n1,2\n"[..]),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = rulebook_import::read_document(&path).unwrap_err();
        assert!(err.to_string().contains(name), "{err}");
    }
}
