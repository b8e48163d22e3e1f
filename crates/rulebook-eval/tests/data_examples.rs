//! The repository's example data loads, and its JSON and CSV forms agree.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use rulebook_eval::data::{load_csv, load_json, load_json_path, load_json_whole};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .parent()
        .unwrap()
}

#[test]
fn ziyuan_json_and_csv_agree() {
    let src = std::fs::read_to_string(root().join("rulebooks/ziyuan-2024.rules")).unwrap();
    let checked = rulebook_lang::check::check("ziyuan-2024.rules", &src);
    let program = checked.program.expect("the Ziyuan rulebook checks");
    let dir = root().join("examples/ziyuan-2024");
    let text = std::fs::read_to_string(dir.join("data.json")).unwrap();
    let json = load_json(&program, "data.json", &text).unwrap_or_else(|es| {
        panic!(
            "{}",
            es.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir.join("csv")).unwrap() {
        let p = entry.unwrap().path();
        files.push((
            p.file_name().unwrap().to_string_lossy().to_string(),
            std::fs::read_to_string(&p).unwrap(),
        ));
    }
    files.sort();
    let csv = load_csv(&program, &files).unwrap_or_else(|es| {
        panic!(
            "{}",
            es.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    assert!(json.units.len() >= 5);
    assert_eq!(json.globals, csv.globals);
    assert_eq!(json.units.len(), csv.units.len());
    for (a, b) in json.units.iter().zip(&csv.units) {
        assert_eq!(a.name, b.name);
        assert_eq!(a.params, b.params, "params of {}", a.name);
        for (i, (x, y)) in a.inputs.iter().zip(&b.inputs).enumerate() {
            assert_eq!(x, y, "unit {} input {}", a.name, program.inputs[i].name);
        }
    }
}

/// Every example data file read from disk in pieces (the one-pass reader of
/// large files) gives the batch that reading its text whole gives; so does
/// each file with its units' keys in reverse order, and written on one line.
#[test]
fn examples_read_from_disk_as_in_memory() {
    for (rules, data) in [
        (
            "rulebooks/ziyuan-2024.rules",
            "examples/ziyuan-2024/data.json",
        ),
        ("rulebooks/anhui-env.rules", "examples/anhui-env/data.json"),
        (
            "rulebooks/zhoushan-2021.rules",
            "examples/zhoushan-2021/data.json",
        ),
    ] {
        let src = std::fs::read_to_string(root().join(rules)).unwrap();
        let program = rulebook_lang::check::check(rules, &src).program.unwrap();
        let text = std::fs::read_to_string(root().join(data)).unwrap();
        let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let reversed = {
            for u in doc["units"].as_array_mut().unwrap() {
                let entries: Vec<_> = u
                    .as_object()
                    .unwrap()
                    .iter()
                    .rev()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                *u = serde_json::Value::Object(entries.into_iter().collect());
            }
            serde_json::to_string(&doc).unwrap()
        };
        for (i, text) in [text, reversed].iter().enumerate() {
            let whole = load_json_whole(&program, "data.json", text).unwrap();
            assert_eq!(load_json(&program, "data.json", text).unwrap(), whole);
            let path = std::env::temp_dir()
                .join(format!("rulebook-examples-{}-{i}.json", std::process::id()));
            std::fs::write(&path, text).unwrap();
            let streamed = load_json_path(&program, "data.json", &path).unwrap();
            std::fs::remove_file(&path).unwrap();
            assert_eq!(streamed.unwrap(), whole, "{data} ({i})");
        }
    }
}
