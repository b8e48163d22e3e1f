//! Shared by the HTTP and browser tests: the repository's files, a served
//! folder in a temporary directory, the Ziyuan example as a workbook and
//! as a zip of CSV files.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

pub const RULEBOOK: &str = "ziyuan-2024";

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

pub fn rules_text() -> String {
    std::fs::read_to_string(root().join("rulebooks/ziyuan-2024.rules")).unwrap()
}

pub fn data_json() -> String {
    std::fs::read_to_string(root().join("examples/ziyuan-2024/data.json")).unwrap()
}

/// A temporary copy of the layout `rulebook test` expects:
/// `rulebooks/ziyuan-2024.rules` and `examples/ziyuan-2024/data.json`
/// beside it. Returns the temp dir and its `rulebooks` folder.
pub fn served_copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rulebooks");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ziyuan-2024.rules"), rules_text()).unwrap();
    let ex = tmp.path().join("examples/ziyuan-2024");
    std::fs::create_dir_all(&ex).unwrap();
    std::fs::write(ex.join("data.json"), data_json()).unwrap();
    (tmp, dir)
}

/// The example CSV files, (file name, text), sorted.
pub fn csv_files() -> Vec<(String, String)> {
    let dir = root().join("examples/ziyuan-2024/csv");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The example CSV files in a zip, as an office would send them.
pub fn csv_zip() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (name, text) in csv_files() {
        zip.start_file(format!("data/{name}"), opts).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// The Ziyuan example filled into a workbook the way a person fills the
/// template: a sheet per CSV file, numbers as number cells, true/false as
/// boolean cells, everything else as text.
pub fn workbook() -> Vec<u8> {
    workbook_with(|_, _, _| None)
}

/// [`workbook`], with `change(sheet, row, column)` able to put other text
/// in a cell (row 0 is the header).
pub fn workbook_with(change: impl Fn(&str, usize, usize) -> Option<String>) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, text) in csv_files() {
        let stem = name.trim_end_matches(".csv").to_owned();
        let ws = wb.add_worksheet();
        ws.set_name(&stem).unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        for (r, rec) in reader.records().enumerate() {
            for (c, v) in rec.unwrap().iter().enumerate() {
                let v = change(&stem, r, c).unwrap_or_else(|| v.to_owned());
                let (row, col) = (r as u32, c as u16);
                let numeric = !v.is_empty()
                    && v.chars()
                        .all(|ch| ch.is_ascii_digit() || ch == '.' || ch == '-')
                    && v.parse::<f64>().is_ok()
                    && !v.contains("--");
                if r > 0 && numeric && v.matches('-').count() <= 1 && !v[1..].contains('-') {
                    ws.write_number(row, col, v.parse::<f64>().unwrap())
                        .unwrap();
                } else if r > 0 && (v == "true" || v == "false") {
                    ws.write_boolean(row, col, v == "true").unwrap();
                } else if !v.is_empty() {
                    ws.write_string(row, col, &v).unwrap();
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}
