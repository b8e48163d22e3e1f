//! A unit's JSON is written by hand (`json::unit_text`), for speed: it must
//! be exactly what serde_json writes for the same document, compact (JSON
//! Lines) and pretty (a unit inside `--format json`'s `units` list), for
//! every unit of every shipped example, at every `--detail`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use rulebook_report::json::{unit_text, Detail};
use serde_json::Value;

/// serde_json's pretty text of `v`, every line after the first indented by
/// four spaces (where a unit sits in `units`).
fn pretty_in_units(v: &Value) -> String {
    serde_json::to_string_pretty(v)
        .unwrap()
        .replace('\n', "\n    ")
}

#[test]
fn units_are_written_as_serde_json_writes_them() {
    let mut compared = 0;
    for name in ["ziyuan-2024", "anhui-env", "zhoushan-2021"] {
        let (program, units) = common::shipped(name);
        for u in &units {
            for detail in [Detail::Summary, Detail::Items, Detail::Full] {
                let mut line = Vec::new();
                unit_text(&program, u, true, detail, &mut line);
                let line = String::from_utf8(line).unwrap();
                let json = line.strip_suffix('\n').expect("a line ends the text");
                // (Parsed in order, numbers as written: the crate's
                // serde_json keeps both.)
                let v: Value = serde_json::from_str(json).unwrap();
                assert_eq!(
                    json,
                    serde_json::to_string(&v).unwrap(),
                    "{name} {}",
                    u.unit
                );

                let mut pretty = Vec::new();
                unit_text(&program, u, false, detail, &mut pretty);
                let pretty = String::from_utf8(pretty).unwrap();
                assert_eq!(pretty, pretty_in_units(&v), "{name} {}", u.unit);
                if detail == Detail::Full {
                    assert!(
                        v["items"][0]["trace"].is_array(),
                        "{name}: a trace is written"
                    );
                }
                compared += 1;
            }
        }
    }
    assert!(compared >= 3 * 3 * 3, "{compared}");
}
