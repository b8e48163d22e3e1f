//! A data file given as bytes (an upload): JSON, a workbook, a zip of CSV
//! files, or one CSV file → a checked [`Batch`].
//!
//! The kind is told from the name (`.json`, `.csv`, `.xlsx` …) or else
//! from the bytes (a zip holding `xl/workbook.xml` is a
//! workbook, any other zip a folder of CSV files; text starting with `{` is
//! JSON) and, for a lone CSV file, from its name. Every error is located
//! like the matching reader's (`data.json:4:17`, `units!D7`,
//! `units.csv:5:12` for a CSV file of a zip); nothing is returned from a file with any
//! error.

use crate::read_workbook;
use rulebook_eval::data::{
    load_csv, load_json, load_json_path, not_utf8, Batch, DataError, Location,
};
use rulebook_lang::ir::Program;
use std::io::{Cursor, Read};

/// The most CSV files a zip may hold.
const MAX_ZIP_FILES: usize = 1000;
/// The most bytes the CSV files of a zip may unpack to, all together.
const MAX_ZIP_UNPACKED: u64 = 1 << 30;

/// Read a data file's bytes. `file_name` is used in messages, and to tell a
/// lone `.csv` file.
pub fn read_data(
    program: &Program,
    file_name: &str,
    bytes: &[u8],
) -> Result<Batch, Vec<DataError>> {
    let lower = file_name.to_ascii_lowercase();
    let workbook = [".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"]
        .iter()
        .any(|x| lower.ends_with(x));
    // A workbook by name, or the OLE2 signature of an old `.xls` workbook.
    if workbook || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return read_workbook(program, file_name, bytes);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return read_zip(program, file_name, bytes);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(vec![not_utf8(file_name, bytes)]);
    };
    if lower.ends_with(".csv") {
        return load_csv(program, &[(file_name.to_owned(), text.to_owned())]);
    }
    let start = text.trim_start_matches('\u{feff}').trim_start();
    if lower.ends_with(".json") || start.starts_with('{') || start.starts_with('[') {
        return load_json(program, file_name, text);
    }
    Err(one(file_name, "the file is not a data file".to_owned()))
}

fn one(file_name: &str, message: String) -> Vec<DataError> {
    vec![DataError {
        unit: None,
        field: None,
        location: Location::File(file_name.to_owned()),
        message,
        help: Some(
            "give a filled-in template workbook (.xlsx), a .json data file, or a .zip of the .csv files"
                .into(),
        ),
    }]
}

fn read_zip(program: &Program, file_name: &str, bytes: &[u8]) -> Result<Batch, Vec<DataError>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| one(file_name, format!("cannot read the zip file: {e}")))?;
    let names: Vec<String> = zip.file_names().map(str::to_owned).collect();
    if names
        .iter()
        .any(|n| n == "xl/workbook.xml" || n == "content.xml")
    {
        return read_workbook(program, file_name, bytes);
    }
    let mut files = Vec::new();
    let mut budget = MAX_ZIP_UNPACKED;
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| one(file_name, format!("cannot read the zip file: {e}")))?;
        let path = entry.name().to_owned();
        let base = path.rsplit(['/', '\\']).next().unwrap_or("").to_owned();
        let hidden = path.starts_with("__MACOSX/") || base.starts_with('.');
        if entry.is_dir() || hidden || !base.to_ascii_lowercase().ends_with(".csv") {
            continue;
        }
        if files.len() == MAX_ZIP_FILES {
            return Err(one(
                file_name,
                format!("the zip holds more than {MAX_ZIP_FILES} CSV files"),
            ));
        }
        let mut raw = Vec::new();
        let read = (&mut entry)
            .take(budget + 1)
            .read_to_end(&mut raw)
            .map_err(|e| one(file_name, format!("cannot unpack `{path}`: {e}")))?;
        if read as u64 > budget {
            return Err(one(
                file_name,
                format!(
                    "the CSV files unpack to more than {} MB",
                    MAX_ZIP_UNPACKED >> 20
                ),
            ));
        }
        budget -= read as u64;
        let text = String::from_utf8(raw)
            .map_err(|e| vec![not_utf8(&format!("{file_name}/{path}"), e.as_bytes())])?;
        files.push((base, text));
    }
    if files.is_empty() {
        return Err(one(file_name, "the zip holds no .csv file".to_owned()));
    }
    load_csv(program, &files)
}

/// Whether [`read_path`] reads `path` as one JSON file (not a folder of
/// CSV files, not a workbook).
pub fn is_json_file(path: &std::path::Path) -> bool {
    !path.is_dir()
        && path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// Read a data file by path: a `.json` file, a workbook, a zip, or a
/// folder of `.csv` files (a `.csv` file stands for its folder). `Err` is a
/// file that cannot be read at all, in words; `Ok(Err)` the data's errors.
pub fn read_path(
    program: &Program,
    path: &std::path::Path,
) -> Result<Result<Batch, Vec<DataError>>, String> {
    let is_csv_file = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if path.is_dir() || is_csv_file {
        let dir = if path.is_dir() {
            path
        } else {
            path.parent().unwrap_or(std::path::Path::new("."))
        };
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        let mut files = Vec::new();
        let mut not_text = Vec::new();
        for p in paths {
            if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
                let bytes =
                    std::fs::read(&p).map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
                let name = p
                    .file_name()
                    .map(|f| f.to_string_lossy().to_string())
                    .unwrap_or_default();
                match String::from_utf8(bytes) {
                    Ok(text) => files.push((name, text)),
                    Err(e) => not_text.push(not_utf8(&name, e.as_bytes())),
                }
            }
        }
        if !not_text.is_empty() {
            return Ok(Err(not_text));
        }
        return Ok(load_csv(program, &files));
    }
    let known = ["json", "xlsx", "xlsm", "xlsb", "xls", "ods", "zip"];
    if !path
        .extension()
        .is_some_and(|e| known.iter().any(|x| e.eq_ignore_ascii_case(x)))
    {
        return Err(format!(
            "`{}`: give a .json data file, an .xlsx workbook or a folder of .csv files",
            path.display()
        ));
    }
    let cannot = |e: std::io::Error| format!("cannot read `{}`: {e}", path.display());
    let name = path.display().to_string();
    if is_json_file(path) {
        // Read in pieces: a large file's text is never held whole.
        return load_json_path(program, &name, path).map_err(cannot);
    }
    let bytes = std::fs::read(path).map_err(cannot)?;
    Ok(read_data(program, &name, &bytes))
}
