//! The test runner on tests that must fail: each says what happened.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use rulebook_eval::data::{load_json, Batch, DataError};
use rulebook_eval::tests_run::{run_tests, TestOutcome};

const RULES: &str = r#"
rulebook "t"
points 2
input found: count "发现次数"
input certs: count "证书数"
param target: count { "甲": 1, "乙": 1 } "目标"
item 1 "示例" {
  points 2
  clause 1.1 "每次扣0.5分" { deduct 0.5 each found }
  clause 1.2 "排名第一的不扣分，否则扣0.5分；未达目标扣0.5分" {
    deduct tiers rank(certs) { = 1: 0, else: 0.5 }
    deduct 0.5 if certs < target
  }
}
"#;

const DATA: &str = r#"{"units": [
  {"unit": "甲", "found": 0, "certs": 3},
  {"unit": "乙", "found": 1, "certs": 2}
]}"#;

/// 乙's count of certificates is negative.
const BAD: &str = r#"{"units": [
  {"unit": "甲", "found": 0, "certs": 3},
  {"unit": "乙", "found": 1, "certs": -2}
]}"#;

fn run(tests: &str) -> Vec<TestOutcome> {
    let src = format!("{RULES}\n{tests}");
    let checked = rulebook_lang::check("t.rules", &src);
    let program = checked.program.unwrap_or_else(|| {
        panic!("{:?}", checked.diagnostics);
    });
    let mut load = |path: &str| -> Result<Batch, Vec<DataError>> {
        match path {
            "data.json" => load_json(&program, path, DATA),
            "bad.json" => load_json(&program, path, BAD),
            _ => panic!("{path}"),
        }
    };
    run_tests(&program, &mut load)
}

fn failure(o: &TestOutcome) -> String {
    let mut s = o.error.clone().unwrap_or_default();
    for m in &o.mismatches {
        s.push_str(&m.to_string());
        s.push('\n');
    }
    s
}

#[test]
fn expect_error_fails_when_the_data_is_accepted() {
    let out = run(r#"test "x" { data "data.json" unit "乙"  expect error found }"#);
    assert!(!out[0].passed());
    // 乙: 1 × 0.5 + rank 2 → 0.5 = 1 off 2 → 1.
    assert_eq!(
        failure(&out[0]),
        "line 16: `expect error found` expected the data to be refused for `found`, got accepted (unit `乙` scored total 1)\n"
    );
}

#[test]
fn expect_error_fails_when_refused_for_another_field() {
    let out =
        run(r#"test "x" { data "data.json" unit "甲"  given { certs: -1 }  expect error found }"#);
    let f = failure(&out[0]);
    assert!(!out[0].passed());
    assert!(f.contains("got refused only for:"), "{f}");
    assert!(f.contains("field `certs`"), "{f}");
}

#[test]
fn expect_error_passes_for_a_path_below_the_field_and_a_param() {
    let out = run(r#"
test "a" { data "data.json" unit "甲"  given { found: 1.5 }  expect error found }
test "b" { data "data.json" unit "甲"  given { params: { target: -1 } }  expect error target }
test "c" { data "data.json" unit "甲"  units [ { unit: "乙", found: -1 } ]  expect error found }
"#);
    for o in &out {
        assert!(o.passed(), "{}: {}", o.name, failure(o));
    }
}

#[test]
fn units_override_the_files_units_and_name_the_unit_expected() {
    let out = run(r#"
test "a" {
  data "data.json" unit "甲"
  units [ { unit: "乙", certs: 4 } ]
  # 乙 now first: 乙 2 − 0.5 (found 1) = 1.5; 甲 rank 2 → 2 − 0.5 = 1.5.
  expect total = 1.5
  expect "乙" total = 1.5
  expect "乙" rank = 1
  expect rank = 1
}
test "b" {
  data "data.json" unit "甲"
  expect "乙" total = 2
}
"#);
    assert!(out[0].passed(), "{}", failure(&out[0]));
    assert_eq!(out[0].checks, 4);
    // 乙 is 1; and the mismatch names the unit.
    assert_eq!(failure(&out[1]), "line 28: `乙` total expected 2, got 1\n");
}

#[test]
fn an_unknown_unit_of_the_files_batch_is_an_error_of_the_test() {
    let out = run(r#"test "x" { data "data.json" unit "甲"  expect "丙" total = 2 }"#);
    assert_eq!(
        out[0].error.as_deref(),
        Some("line 16: there is no unit `丙` in this test's batch")
    );
}

#[test]
fn a_given_param_changes_the_score() {
    // 甲: certs 3 < target 4 → 0.5 off; rank 1 → 0 → 1.5.
    let out = run(
        r#"test "x" { data "data.json" unit "甲"  given { params: { target: 4 } }  expect total = 1.5 }"#,
    );
    assert!(out[0].passed(), "{}", failure(&out[0]));
}

#[test]
fn a_refused_data_file_meets_expect_error_naming_its_field() {
    let out = run(r#"
test "a" { data "bad.json" unit "甲"  expect error certs }
test "b" { data "bad.json" unit "甲"  expect error found }
test "c" { data "bad.json" unit "甲"  expect total = 2 }
"#);
    assert!(out[0].passed(), "{}", failure(&out[0]));
    assert!(!out[1].passed());
    assert!(
        failure(&out[1]).contains("got refused only for: bad.json"),
        "{}",
        failure(&out[1])
    );
    // Without `expect error`, refused data is an error of the test, located.
    let e = out[2].error.clone().unwrap();
    assert!(e.contains("bad.json") && e.contains("`certs`"), "{e}");
}
