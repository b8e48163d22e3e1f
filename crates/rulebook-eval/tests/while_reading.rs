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
    evaluate_batch, rank_by_total, score_while_reading, score_while_reading_map, scores_alone,
    scores_while_reading, Options, UnitResult, WhileReading,
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
    while_reading_traced(program, path, false)
}

/// [`while_reading`], keeping every unit's trace when `trace`.
fn while_reading_traced(
    program: &Program,
    path: &Path,
    trace: bool,
) -> Result<Vec<UnitResult>, WhileReading> {
    let mut got = Vec::new();
    let ticks = std::sync::atomic::AtomicUsize::new(0);
    let tick = || {
        ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    };
    match score_while_reading(program, "data.json", path, trace, &tick, &mut |u| {
        got.push(u)
    })
    .unwrap()
    {
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
    let dir = tempfile::tempdir().unwrap();
    let path = repeated("zhoushan-2021", 300, false, dir.path(), renamed);
    let read = while_reading(&program, &path).unwrap();
    assert_eq!(read.len(), 1500);
    assert_eq!(read, whole(&program, &path));
}

/// What each unit is made into where it was scored (`score_while_reading_map`,
/// as `eval --format json` makes each unit's text) comes to the sink in the
/// file's order, each with its place in the file, and from the same
/// results: 1 500 units, traced, enough for the reading thread to score
/// and make some itself.
#[test]
fn units_made_where_they_are_scored_come_in_order() {
    let src = std::fs::read_to_string(root().join("rulebooks/zhoushan-2021.rules")).unwrap();
    let program = program("zhoushan-2021.rules", &src);
    let dir = tempfile::tempdir().unwrap();
    let path = repeated("zhoushan-2021", 300, false, dir.path(), renamed);
    let mut made = Vec::new();
    let map = |at: usize, u: UnitResult| (at, u);
    let done =
        score_while_reading_map(&program, "data.json", &path, true, &|| {}, &map, &mut |x| {
            made.push(x)
        })
        .unwrap();
    assert!(matches!(done, WhileReading::Scored(e) if e.is_empty()));
    let places: Vec<usize> = made.iter().map(|(at, _)| *at).collect();
    assert_eq!(places, (0..1500).collect::<Vec<_>>());
    let mut units: Vec<UnitResult> = made.into_iter().map(|(_, u)| u).collect();
    rank_by_total(&mut units);
    assert_eq!(units, while_reading_traced(&program, &path, true).unwrap());
}

/// Copy `k` of a unit, named apart from the others (its name and `k`).
fn renamed(k: usize, u: &mut serde_json::Value) -> bool {
    let name = format!("{}{k}", u["unit"].as_str().unwrap());
    u["unit"] = serde_json::Value::String(name);
    true
}

/// The example units of `examples/NAME/data.json` repeated `times` times,
/// each copy (and its number) given to `edit`, which may leave it out;
/// written to a file in `dir` (`pretty`: one key to a line).
fn repeated(
    name: &str,
    times: usize,
    pretty: bool,
    dir: &Path,
    edit: impl Fn(usize, &mut serde_json::Value) -> bool,
) -> std::path::PathBuf {
    let text = std::fs::read_to_string(root().join(format!("examples/{name}/data.json"))).unwrap();
    let mut data: serde_json::Value = serde_json::from_str(&text).unwrap();
    let units = data["units"].as_array().unwrap().clone();
    let mut many = Vec::new();
    for k in 0..times {
        for u in &units {
            let mut u = u.clone();
            if edit(k, &mut u) {
                many.push(u);
            }
        }
    }
    data["units"] = serde_json::Value::Array(many);
    let path = dir.join("many.json");
    let text = if pretty {
        serde_json::to_string_pretty(&data)
    } else {
        serde_json::to_string(&data)
    };
    std::fs::write(&path, text.unwrap()).unwrap();
    path
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

/// Every unit's result of the batch read whole and scored, ranked.
fn whole(program: &Program, path: &Path) -> Vec<UnitResult> {
    whole_traced(program, path, false)
}

/// [`whole`], keeping every unit's trace when `trace`.
fn whole_traced(program: &Program, path: &Path, trace: bool) -> Vec<UnitResult> {
    let batch = load_json_path(program, "data.json", path).unwrap().unwrap();
    let mut whole = evaluate_batch(
        program,
        &batch,
        Options {
            trace,
            parallel: false,
        },
    )
    .unwrap();
    rank_by_total(&mut whole);
    whole
}

/// The Ziyuan rulebook ranks every unit by its `certificates_new`: a skim
/// of the file works the ranks out ahead, and the units are scored as
/// they are read, as the batch read whole scores them. Over the example
/// units and over 1 401 units made from them (the ranks then spread over
/// the whole batch).
#[test]
fn a_rulebook_that_ranks_by_an_input_scores_while_reading() {
    let src = std::fs::read_to_string(root().join("rulebooks/ziyuan-2024.rules")).unwrap();
    let program = program("ziyuan-2024.rules", &src);
    assert!(!scores_alone(&program));
    assert!(scores_while_reading(&program));
    let path = root().join("examples/ziyuan-2024/data.json");
    let read = while_reading(&program, &path).unwrap();
    assert_eq!(read.len(), 8);
    assert_eq!(read, whole(&program, &path));

    let dir = tempfile::tempdir().unwrap();
    // Pretty-printed, so keys and values are spread over lines.
    let big = repeated("ziyuan-2024", 200, true, dir.path(), |k, u| {
        let name = u["unit"].as_str().unwrap().to_string();
        // (资源县's targets are the rulebook's own, under its name.)
        if k > 0 && name == "资源县" {
            return false;
        }
        if k > 0 {
            u["unit"] = serde_json::Value::String(format!("{name}{k}"));
        }
        u["certificates_new"] = serde_json::json!((k * 7) % 23);
        true
    });
    let read = while_reading(&program, &big).unwrap();
    assert_eq!(read.len(), 1401);
    assert_eq!(read, whole(&program, &big));
    // With every trace entry kept (`eval --format json` from a file), the
    // same: every node, reason and fact.
    let traced = while_reading_traced(&program, &big, true).unwrap();
    assert!(traced.iter().all(|u| !u.trace.is_empty()));
    assert_eq!(traced, whole_traced(&program, &big, true));
}

const RANKED: &str = r#"rulebook "排名测试"
input done: number in 0..100 "完成率"
input visits: list of { done: number in 0..100 "完成率" } "检查记录"
item 1 "完成率全市第一的得3分，第二得1分" {
  points 3
  award tiers rank(done) { = 1: 3, = 2: 1, else: 0 }
}
item 2 "高于各县最低完成率的得1分" {
  points 1
  award 1 if done > min(done across units)
}
"#;

/// Files the skim reads wrongly — a record field named like the ranked
/// input, a unit whose name comes after its values, a key written with an
/// escape — are still scored right: a unit that is not what the skim found
/// sends the batch to be scored whole. (Hand-computed: 甲 done 80, 乙 90,
/// 丙 70: 乙 ranks 1st, 3 + 1; 甲 2nd, 1 + 1; 丙 3rd and lowest, 0.)
#[test]
fn a_file_the_skim_misreads_is_scored_right() {
    let program = program("ranked.rules", RANKED);
    assert!(scores_while_reading(&program));
    let plain = r#"{"units": [
        {"unit": "甲", "done": 80, "visits": []},
        {"unit": "乙", "done": 90, "visits": []},
        {"unit": "丙", "done": 70, "visits": []}]}"#;
    let misleading = [
        plain.to_string(),
        plain.replace(r#""visits": []}"#, r#""visits": [{"done": 10}]}"#),
        r#"{"units": [{"done": 80, "visits": [], "unit": "甲"},
            {"done": 90, "visits": [], "unit": "乙"},
            {"done": 70, "visits": [], "unit": "丙"}]}"#
            .to_string(),
        plain.replacen(r#""done": 90"#, r#""\u0064one": 90"#, 1),
        // (`globals` after the units, with a key named like the input.)
        plain.replacen("]}", r#"], "globals": {"done": 5}}"#, 1),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (k, text) in misleading.iter().enumerate() {
        let path = dir.path().join(format!("m{k}.json"));
        std::fs::write(&path, text).unwrap();
        let got = match while_reading(&program, &path) {
            Ok(read) => {
                assert_eq!(k, 0, "file #{k} was not scored whole");
                read
            }
            Err(WhileReading::Whole(Ok(batch))) => {
                assert_ne!(k, 0, "the plain file was scored whole");
                let mut r = evaluate_batch(
                    &program,
                    &batch,
                    Options {
                        trace: false,
                        parallel: false,
                    },
                )
                .unwrap();
                rank_by_total(&mut r);
                r
            }
            Err(WhileReading::Whole(Err(errors))) if k == 4 => {
                // An unknown global is an error of the data.
                assert!(!errors.is_empty());
                continue;
            }
            Err(other) => panic!("file #{k}: {other:?}"),
        };
        let totals: Vec<_> = got
            .iter()
            .map(|u| (u.unit.as_str(), u.total.to_string()))
            .collect();
        assert_eq!(
            totals,
            [("甲", "2".into()), ("乙", "4".into()), ("丙", "0".into())],
            "file #{k}"
        );
        assert_eq!(got, whole(&program, &path), "file #{k}");
    }
}

/// The batch's values cannot be worked out (a rank over a division by
/// zero): the batch comes back whole, for the errors scoring it gives.
#[test]
fn batch_values_with_errors_send_the_batch_whole() {
    let src = RANKED.replace("rank(done)", "rank(100 / (done - 80))");
    let program = program("ranked.rules", &src);
    assert!(scores_while_reading(&program));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.json");
    std::fs::write(
        &path,
        r#"{"units": [{"unit": "甲", "done": 80, "visits": []}, {"unit": "乙", "done": 90, "visits": []}]}"#,
    )
    .unwrap();
    match while_reading(&program, &path) {
        Err(WhileReading::Whole(Ok(batch))) => {
            assert_eq!(batch.units.len(), 2);
            let errors = evaluate_batch(&program, &batch, Options::default()).unwrap_err();
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].unit, "甲");
        }
        other => panic!("{other:?}"),
    }
}

/// A rank over something only a whole scoring gives (a global) is not
/// skimmed: the batch comes back whole.
#[test]
fn a_rank_over_a_global_gets_the_batch_whole() {
    let src = GLOBALS.replace(
        "award 2 if city_met",
        "award 2 if city_met and rank(if city_met then done else 0) = 1",
    );
    let program = program("globals.rules", &src);
    assert!(!scores_while_reading(&program));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.json");
    std::fs::write(
        &path,
        r#"{"globals": {"city_met": true}, "units": [{"unit": "甲", "done": 2}]}"#,
    )
    .unwrap();
    match while_reading(&program, &path) {
        Err(WhileReading::Whole(Ok(batch))) => assert_eq!(batch.units.len(), 1),
        other => panic!("{other:?}"),
    }
}

/// A named pipe given a `.json` name can be read only once: a rulebook
/// that ranks by an input is then not skimmed (the skim would read the
/// pipe beside the full reading, and the fallback read it a third time,
/// waiting for a writer that is gone) but read whole and scored as a
/// batch. The pipe's writer starts late, as a program feeding it would.
#[cfg(unix)]
#[test]
fn a_named_pipe_is_read_once() {
    let src = std::fs::read_to_string(root().join("rulebooks/ziyuan-2024.rules")).unwrap();
    let program = program("ziyuan-2024.rules", &src);
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let data = std::fs::read(root().join("examples/ziyuan-2024/data.json")).unwrap();
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(200));
            std::io::Write::write_all(&mut std::fs::File::create(&fifo).unwrap(), &data).unwrap();
        })
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(while_reading(&program, &fifo).map(|r| r.len()));
    });
    let got = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the pipe is read without waiting for a second writer");
    writer.join().unwrap();
    match got {
        Err(WhileReading::Whole(Ok(batch))) => assert_eq!(batch.units.len(), 8),
        other => panic!("{other:?}"),
    }
}
