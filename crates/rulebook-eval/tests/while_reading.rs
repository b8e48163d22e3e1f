//! Scoring a JSON data file while it is read gives what scoring the batch
//! read whole gives, in the file's order; a file with any error, or a
//! rulebook whose scores need the whole batch, is handed back read whole.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use rulebook_eval::data::load_json_path;
use rulebook_eval::eval::{
    evaluate_batch, rank_by_total, score_while_reading, scores_alone, Options, UnitResult,
    WhileReading,
};
use rulebook_lang::ir::Program;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .parent()
        .unwrap()
}

fn program(name: &str, src: &str) -> Program {
    let checked = rulebook_lang::check::check(name, src);
    checked.program.expect("the rulebook checks")
}

/// Every unit's result as scored while reading, ranked, or what came back.
fn while_reading(program: &Program, path: &Path) -> Result<Vec<UnitResult>, WhileReading> {
    let mut got = Vec::new();
    let ticks = std::sync::atomic::AtomicUsize::new(0);
    let tick = || {
        ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    };
    match score_while_reading(program, "data.json", path, &tick, &mut |u| got.push(u)).unwrap() {
        WhileReading::Scored(errors) if errors.is_empty() => {
            assert_eq!(ticks.into_inner(), got.len());
            rank_by_total(&mut got);
            Ok(got)
        }
        other => Err(other),
    }
}

/// The Zhoushan rulebook (nothing in it ranks the batch) over its example
/// units repeated 300 times under new names: enough chunks that the
/// reading thread scores some itself. Same results as the batch read whole.
#[test]
fn a_large_file_scores_as_the_batch_does() {
    let src = std::fs::read_to_string(root().join("rulebooks/zhoushan-2021.rules")).unwrap();
    let program = program("zhoushan-2021.rules", &src);
    assert!(scores_alone(&program));
    let text = std::fs::read_to_string(root().join("examples/zhoushan-2021/data.json")).unwrap();
    let mut data: serde_json::Value = serde_json::from_str(&text).unwrap();
    let units = data["units"].as_array().unwrap().clone();
    let mut many = Vec::new();
    for k in 0..300 {
        for u in &units {
            let mut u = u.clone();
            let name = format!("{}{k}", u["unit"].as_str().unwrap());
            u["unit"] = serde_json::Value::String(name);
            many.push(u);
        }
    }
    data["units"] = serde_json::Value::Array(many);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.json");
    std::fs::write(&path, serde_json::to_string(&data).unwrap()).unwrap();

    let batch = load_json_path(&program, "many.json", &path)
        .unwrap()
        .unwrap();
    let mut whole = evaluate_batch(
        &program,
        &batch,
        Options {
            trace: false,
            parallel: true,
        },
    )
    .unwrap();
    rank_by_total(&mut whole);
    let read = while_reading(&program, &path).unwrap();
    assert_eq!(read.len(), 1500);
    assert_eq!(read, whole);
}

const GLOBALS: &str = r#"rulebook "全局测试"
global city_met: bool "全市完成减排目标"
input done: count "完成任务数"
item 1 "每完成1项任务得1分，最多3分" {
  points 3
  award 1 each done cap 3
}
item 2 "全市完成减排目标的，各县得2分" {
  points 2
  award 2 if city_met
}
"#;

/// Globals written after the units: the units wait for them.
#[test]
fn globals_after_the_units_are_waited_for() {
    let program = program("globals.rules", GLOBALS);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.json");
    std::fs::write(
        &path,
        r#"{"units": [{"unit": "甲", "done": 2}, {"unit": "乙", "done": 5}],
            "globals": {"city_met": true}}"#,
    )
    .unwrap();
    let read = while_reading(&program, &path).unwrap();
    let totals: Vec<_> = read
        .iter()
        .map(|u| (u.unit.as_str(), u.total.to_string(), u.rank))
        .collect();
    // 甲: 2 tasks → 2, and 2 for the city: 4. 乙: 5 tasks, at most 3, and 2: 5.
    assert_eq!(
        totals,
        [("甲", "4".to_string(), 2), ("乙", "5".to_string(), 1)]
    );
}

/// A file with an error is read whole: its errors come back as reading it
/// whole reports them, and nothing scored counts.
#[test]
fn a_file_with_an_error_comes_back_whole() {
    let program = program("globals.rules", GLOBALS);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(
        &path,
        r#"{"globals": {"city_met": true},
            "units": [{"unit": "甲", "done": 2}, {"unit": "乙", "done": -1}, {"unit": "丙", "done": "x"}]}"#,
    )
    .unwrap();
    let expected = load_json_path(&program, "data.json", &path)
        .unwrap()
        .unwrap_err();
    assert_eq!(expected.len(), 2, "{expected:?}");
    match while_reading(&program, &path) {
        Err(WhileReading::Whole(Err(errors))) => assert_eq!(errors, expected),
        other => panic!("{other:?}"),
    }
}

/// A rulebook that ranks the batch cannot score a unit before all are read.
#[test]
fn a_rulebook_that_ranks_gets_the_batch_whole() {
    let src = std::fs::read_to_string(root().join("rulebooks/ziyuan-2024.rules")).unwrap();
    let program = program("ziyuan-2024.rules", &src);
    assert!(!scores_alone(&program));
    let path = root().join("examples/ziyuan-2024/data.json");
    match while_reading(&program, &path) {
        Err(WhileReading::Whole(Ok(batch))) => assert_eq!(batch.units.len(), 8),
        other => panic!("{other:?}"),
    }
}
