//! The `rulebook` command as a user runs it: exit codes, shipped rulebooks'
//! own tests, JSON and CSV data giving the same scores, byte-identical
//! output, and a snapshot of `explain`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[test]
fn every_shipped_rulebook_passes_its_own_tests() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("rulebooks"))
        .unwrap()
        .map(|e| format!("rulebooks/{}", e.unwrap().file_name().to_string_lossy()))
        .filter(|f| f.ends_with(".rules"))
        .collect();
    files.sort();
    files.push("examples/small/small.rules".into());
    let mut evals: Vec<String> = std::fs::read_dir(root().join("tests/eval"))
        .unwrap()
        .map(|e| format!("tests/eval/{}", e.unwrap().file_name().to_string_lossy()))
        .filter(|f| f.ends_with(".rules"))
        .collect();
    evals.sort();
    files.extend(evals);
    let args: Vec<&str> = std::iter::once("test")
        .chain(files.iter().map(|s| s.as_str()))
        .collect();
    let o = rulebook(&args);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    let last = out.lines().last().unwrap();
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
    let passed: usize = last.split(' ').next().unwrap().parse().unwrap();
    assert!(passed >= 18, "{out}");
}

#[test]
fn exit_codes() {
    let clean = rulebook(&["check", "rulebooks/ziyuan-2024.rules"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
    let warning_only = rulebook(&["check", "tests/check/unused_input.rules"]);
    assert_eq!(warning_only.status.code(), Some(0));
    assert!(stderr(&warning_only).contains("rulebook::unused_input"));
    let bad = rulebook(&[
        "check",
        "tests/check/unknown_name.rules",
        "tests/check/cap_too_large.rules",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    let err = stderr(&bad);
    assert!(
        err.contains("rulebook::unknown_name") && err.contains("rulebook::cap_too_large"),
        "{err}"
    );
    let missing = rulebook(&["check", "no/such/file.rules"]);
    assert_eq!(missing.status.code(), Some(2));
    let usage = rulebook(&["eval"]);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn json_and_csv_data_score_the_same() {
    let json = rulebook(&[
        "eval",
        "rulebooks/ziyuan-2024.rules",
        "examples/ziyuan-2024/data.json",
        "--format",
        "csv",
    ]);
    let csv = rulebook(&[
        "eval",
        "rulebooks/ziyuan-2024.rules",
        "examples/ziyuan-2024/csv",
        "--format",
        "csv",
    ]);
    assert!(json.status.success(), "{}", stderr(&json));
    assert!(csv.status.success(), "{}", stderr(&csv));
    assert_eq!(stdout(&json), stdout(&csv));
}

/// JSON and JSON Lines from a JSON file are ranked by a first reading of
/// the file and written as a second one is scored; the same bytes as for
/// the same data given as CSV tables, read whole and scored as a batch.
#[test]
fn json_from_a_file_read_twice_is_the_batch_s() {
    for extra in [
        &["--format", "json"][..],
        &["--format", "jsonl"],
        &["--format", "json", "--detail", "items"],
        &["--format", "jsonl", "--detail", "items"],
    ] {
        let run = |data: &str| {
            let mut args = vec!["eval", "rulebooks/ziyuan-2024.rules", data];
            args.extend_from_slice(extra);
            let o = rulebook(&args);
            assert!(o.status.success(), "{extra:?}: {}", stderr(&o));
            stdout(&o)
        };
        let from_file = run("examples/ziyuan-2024/data.json");
        assert!(from_file.contains("典型县"), "{extra:?}");
        assert_eq!(from_file, run("examples/ziyuan-2024/csv"), "{extra:?}");
    }
}

/// A named pipe given a `.json` name is read once, its writer starting
/// late: JSON Lines, which from a file reads it twice, and CSV for a
/// rulebook that ranks by an input, which from a file skims it first, come
/// out as from the file itself.
#[cfg(unix)]
#[test]
fn a_named_pipe_is_read_once() {
    let data = std::fs::read(root().join("examples/ziyuan-2024/data.json")).unwrap();
    for format in ["jsonl", "csv"] {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.json");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let writer = {
            let (fifo, data) = (fifo.clone(), data.clone());
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(200));
                std::io::Write::write_all(&mut std::fs::File::create(&fifo).unwrap(), &data)
                    .unwrap();
            })
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let path = fifo.to_str().unwrap().to_string();
        std::thread::spawn(move || {
            let o = rulebook(&[
                "eval",
                "rulebooks/ziyuan-2024.rules",
                &path,
                "--format",
                format,
            ]);
            let _ = tx.send(o);
        });
        let from_pipe = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the pipe is read without waiting for a second writer");
        writer.join().unwrap();
        assert!(
            from_pipe.status.success(),
            "{format}: {}",
            stderr(&from_pipe)
        );
        let from_file = rulebook(&[
            "eval",
            "rulebooks/ziyuan-2024.rules",
            "examples/ziyuan-2024/data.json",
            "--format",
            format,
        ]);
        assert_eq!(stdout(&from_pipe), stdout(&from_file), "{format}");
    }
}

/// A workbook with a sheet for a named unit, from a JSON file (read twice,
/// no unit's data kept) and from the same data as CSV tables (read whole):
/// the same bytes. A name that no unit has is refused before anything is
/// written.
#[test]
fn a_large_workbook_from_a_file_read_twice_is_the_batch_s() {
    let dir = tempfile::tempdir().unwrap();
    let run = |data: &str, unit: &str, out: &str| {
        let out = dir.path().join(out);
        let o = rulebook(&[
            "eval",
            "rulebooks/ziyuan-2024.rules",
            data,
            "--format",
            "xlsx",
            "--unit",
            unit,
            "-o",
            out.to_str().unwrap(),
        ]);
        (o, out)
    };
    let (o, from_file) = run("examples/ziyuan-2024/data.json", "典型县", "file.xlsx");
    assert!(o.status.success(), "{}", stderr(&o));
    let (o, from_rows) = run("examples/ziyuan-2024/csv", "典型县", "rows.xlsx");
    assert!(o.status.success(), "{}", stderr(&o));
    let (a, b) = (
        std::fs::read(from_file).unwrap(),
        std::fs::read(from_rows).unwrap(),
    );
    assert!(a.len() > 10_000);
    assert!(a == b, "the two workbooks differ");
    let (o, none) = run("examples/ziyuan-2024/data.json", "无此县", "none.xlsx");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("there is no unit `无此县`"),
        "{}",
        stderr(&o)
    );
    assert!(!none.exists());
}

#[test]
fn output_is_byte_identical_from_run_to_run() {
    let a = rulebook(&[
        "eval",
        "rulebooks/ziyuan-2024.rules",
        "examples/ziyuan-2024/data.json",
        "--format",
        "json",
    ]);
    let b = rulebook(&[
        "eval",
        "rulebooks/ziyuan-2024.rules",
        "examples/ziyuan-2024/data.json",
        "--format",
        "json",
    ]);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn compiled_rulebook_scores_like_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let ir = dir.path().join("ziyuan.json");
    let c = rulebook(&[
        "compile",
        "rulebooks/ziyuan-2024.rules",
        "-o",
        ir.to_str().unwrap(),
    ]);
    assert!(c.status.success(), "{}", stderr(&c));
    let from_ir = rulebook(&[
        "eval",
        ir.to_str().unwrap(),
        "examples/ziyuan-2024/data.json",
        "--format",
        "json",
    ]);
    let from_src = rulebook(&[
        "eval",
        "rulebooks/ziyuan-2024.rules",
        "examples/ziyuan-2024/data.json",
        "--format",
        "json",
    ]);
    assert!(from_ir.status.success(), "{}", stderr(&from_ir));
    assert_eq!(from_ir.stdout, from_src.stdout);
}

#[test]
fn eval_json_has_the_documented_shape() {
    let o = rulebook(&[
        "eval",
        "rulebooks/ziyuan-2024.rules",
        "examples/ziyuan-2024/data.json",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let units = v["units"].as_array().unwrap();
    assert_eq!(units.len(), 8);
    let u = &units[0];
    for key in [
        "unit",
        "total",
        "base",
        "bonus",
        "total_deductions",
        "grade",
        "vetoes",
        "items",
    ] {
        assert!(u.get(key).is_some(), "missing `{key}`");
    }
    assert!(u["total"].is_string(), "decimals are strings");
    let item5 = u["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "5")
        .unwrap();
    for key in ["id", "score", "to_total", "parts", "trace"] {
        assert!(item5.get(key).is_some(), "item missing `{key}`");
    }
    // The document's text is written once, under `rulebook`, not per unit.
    assert!(item5.get("title").is_none());
    let nodes = v["rulebook"]["nodes"].as_array().unwrap();
    let node5 = nodes.iter().find(|n| n["id"] == "5").unwrap();
    for key in ["id", "kind", "title", "text", "by", "points", "parent"] {
        assert!(node5.get(key).is_some(), "rulebook node missing `{key}`");
    }
    assert_eq!(node5["kind"], "item");
    assert_eq!(item5["parts"][0]["id"], "5.1");
    assert_eq!(item5["parts"][0]["parts"][1]["id"], "5.1.2");
    let veto_unit = units.iter().find(|u| u["unit"] == "否决县").unwrap();
    assert_eq!(veto_unit["grade"], "不合格");
    assert!(veto_unit["vetoes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v == "21.2.1"));
}

#[test]
fn explain_typical_unit() {
    let o = rulebook(&[
        "explain",
        "rulebooks/ziyuan-2024.rules",
        "examples/ziyuan-2024/data.json",
        "--unit",
        "典型县",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn explain_unknown_unit_is_a_usage_error() {
    let o = rulebook(&[
        "explain",
        "rulebooks/ziyuan-2024.rules",
        "examples/ziyuan-2024/data.json",
        "--unit",
        "不存在县",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("典型县"));
}

#[test]
fn output_file_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scores.csv");
    let o = rulebook(&[
        "eval",
        "rulebooks/ziyuan-2024.rules",
        "examples/ziyuan-2024/data.json",
        "--format",
        "csv",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(out).unwrap();
    assert!(text.starts_with("unit,total,base,bonus"));
    assert_eq!(text.lines().count(), 9);
}

#[test]
fn diff_says_what_changed_between_two_rulebooks() {
    let same = rulebook(&[
        "diff",
        "examples/small/small.rules",
        "examples/small/small.rules",
    ]);
    assert_eq!(same.status.code(), Some(0));
    assert!(stdout(&same).ends_with("0 added, 0 removed, 0 changed\n"));

    let src = std::fs::read_to_string(root().join("examples/small/small.rules")).unwrap();
    let next_year = src
        .replace(
            "deduct 0.1 each reports_late",
            "deduct 0.2 each reports_late",
        )
        .replace("\"甲县\": 96.5", "\"甲县\": 97");
    assert_ne!(src, next_year);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small-2025.rules");
    std::fs::write(&path, next_year).unwrap();
    let d = rulebook(&["diff", "examples/small/small.rules", path.to_str().unwrap()]);
    assert_eq!(d.status.code(), Some(1));
    let out = stdout(&d);
    assert!(
        out.contains("~ 1.3.1  删去规则：deduct 0.1 each reports_late"),
        "{out}"
    );
    assert!(
        out.contains("~ 1.3.1  新增规则：deduct 0.2 each reports_late"),
        "{out}"
    );
    assert!(
        out.contains("~ param good_days_target  取值：甲县 96.5 → 甲县 97"),
        "{out}"
    );
    assert!(out.ends_with("0 added, 0 removed, 3 changed\n"), "{out}");
}

#[test]
fn globals_csv_may_be_one_header_row() {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(root().join("examples/ziyuan-2024/csv")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    std::fs::write(
        dir.path().join("globals.csv"),
        "city_co2_annual_met,city_co2_cumulative_met,city_emission_met\ntrue,true,false\n",
    )
    .unwrap();
    let from_rows = rulebook(&[
        "eval",
        "rulebooks/ziyuan-2024.rules",
        dir.path().to_str().unwrap(),
        "--format",
        "csv",
    ]);
    let from_json = rulebook(&[
        "eval",
        "rulebooks/ziyuan-2024.rules",
        "examples/ziyuan-2024/data.json",
        "--format",
        "csv",
    ]);
    assert!(from_rows.status.success(), "{}", stderr(&from_rows));
    assert_eq!(stdout(&from_rows), stdout(&from_json));
}

#[test]
fn shipped_rulebooks_are_formatted() {
    let o = rulebook(&[
        "fmt",
        "--check",
        "rulebooks/ziyuan-2024.rules",
        "examples/small/small.rules",
        "tests/eval/patterns.rules",
        "tests/eval/tests.rules",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let dir = tempfile::tempdir().unwrap();
    let messy = dir.path().join("messy.rules");
    std::fs::write(&messy, "input a: count \"次数\"   \nitem 1 \"x\" {\npoints 2\n      clause 1.1 \"y\" { deduct 0.5 each a }\n}").unwrap();
    let check = rulebook(&["fmt", "--check", messy.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(1));
    let fix = rulebook(&["fmt", messy.to_str().unwrap()]);
    assert_eq!(fix.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        "input a: count \"次数\"\nitem 1 \"x\" {\n  points 2\n  clause 1.1 \"y\" { deduct 0.5 each a }\n}\n"
    );
}

#[test]
fn damaged_compiled_rulebook_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ir = dir.path().join("z.json");
    let o = rulebook(&[
        "compile",
        "rulebooks/ziyuan-2024.rules",
        "-o",
        ir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let good = std::fs::read_to_string(&ir).unwrap();
    let mut p: serde_json::Value = serde_json::from_str(&good).unwrap();
    let data = "examples/ziyuan-2024/data.json";
    let run = |text: &str, words: &str| {
        let f = dir.path().join("edited.json");
        std::fs::write(&f, text).unwrap();
        let o = rulebook(&["eval", f.to_str().unwrap(), data]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains(words), "expected {words:?} in: {err}");
        assert!(!err.contains("panicked"), "{err}");
    };
    // Truncated.
    run(&good[..good.len() / 2], "is not a compiled rulebook");
    // A node listing itself as its own child.
    let mut own_child = p.clone();
    own_child["nodes"][3]["children"]
        .as_array_mut()
        .unwrap()
        .push(3.into());
    run(
        &own_child.to_string(),
        "child #3 is numbered before its parent",
    );
    // An input slot out of range, in a rule's condition.
    let cond = p["nodes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .flat_map(|n| n["rules"].as_array_mut().unwrap().iter_mut())
        .find(|r| !r["condition"].is_null())
        .unwrap();
    cond["condition"] = serde_json::json!({ "Input": 9999 });
    run(&p.to_string(), "reads input #9999, which does not exist");
}

#[test]
fn jsonl_and_details_carry_the_same_figures() {
    let data = [
        "rulebooks/ziyuan-2024.rules",
        "examples/ziyuan-2024/data.json",
    ];
    let run = |extra: &[&str]| {
        let args: Vec<&str> = ["eval"].iter().chain(&data).chain(extra).copied().collect();
        let o = rulebook(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    let full: serde_json::Value = serde_json::from_str(&run(&["--format", "json"])).unwrap();
    let lines = run(&["--format", "jsonl", "--detail", "summary"]);
    let mut lines = lines.lines();
    let head: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(head["rulebook"], full["rulebook"]);
    let units: Vec<serde_json::Value> = lines.map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(units.len(), 8);
    for (a, b) in units.iter().zip(full["units"].as_array().unwrap()) {
        for key in [
            "unit",
            "total",
            "base",
            "bonus",
            "total_deductions",
            "grade",
            "rank",
            "vetoes",
        ] {
            assert_eq!(a[key], b[key], "{key}");
        }
        assert!(a.get("items").is_none(), "a summary has no items");
    }
    let items: serde_json::Value =
        serde_json::from_str(&run(&["--format", "json", "--detail", "items"])).unwrap();
    let item = &items["units"][1]["items"][0];
    assert!(item.get("score").is_some() && item.get("trace").is_none());
    let csv = run(&["--format", "csv", "--detail", "summary"]);
    assert_eq!(
        csv.lines().next().unwrap(),
        "unit,total,base,bonus,total_deductions,grade,rank,vetoes"
    );
    assert_eq!(
        csv.lines().nth(2).unwrap(),
        "典型县,59.84,60.29,5.55,6,合格,7,"
    );
    let o = rulebook(&[
        "eval", data[0], data[1], "--format", "csv", "--detail", "full",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn large_workbook_has_summary_and_items_sheets() {
    use calamine::{open_workbook, Reader, Xlsx};
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("big.xlsx");
    let o = rulebook(&[
        "eval",
        "rulebooks/ziyuan-2024.rules",
        "examples/ziyuan-2024/data.json",
        "--format",
        "xlsx",
        "--unit",
        "典型县",
        "-o",
        f.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut book: Xlsx<_> = open_workbook(&f).unwrap();
    assert_eq!(book.sheet_names(), ["汇总", "得分明细", "典型县"]);
    let summary = book.worksheet_range("汇总").unwrap();
    let row = summary.rows().find(|r| r[0] == "典型县").unwrap();
    assert_eq!(row[4].to_string(), "59.84");
    let items = book.worksheet_range("得分明细").unwrap();
    // As many items per unit as the CSV has item columns (two per item).
    let csv = rulebook(&[
        "eval",
        "rulebooks/ziyuan-2024.rules",
        "examples/ziyuan-2024/data.json",
        "--format",
        "csv",
    ]);
    let header = stdout(&csv).lines().next().unwrap().to_string();
    let items_per_unit = header.matches(",item_").count() / 2;
    assert!(items_per_unit >= 19);
    assert_eq!(items.rows().count(), 1 + 8 * items_per_unit);
}

/// Units that cannot be scored are all reported, in every output, and
/// nothing is written: whether the output keeps a few figures per unit
/// from one pass (CSV, summaries) or ranks first and writes as it scores.
#[test]
fn every_unit_that_cannot_be_scored_is_reported_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("dz.rules");
    std::fs::write(
        &rules,
        "rulebook \"任务完成情况考核\"\n\
         input done: count \"已完成任务数\"\n\
         input task: count \"下达任务数\"\n\
         item 1 \"任务完成（2分）\" {\n  points 2\n  award 2 in proportion to done / task\n}\n",
    )
    .unwrap();
    let data = dir.path().join("dz.json");
    std::fs::write(
        &data,
        r#"{"units": [
            {"unit": "甲县", "done": 3, "task": 4},
            {"unit": "乙县", "done": 1, "task": 0},
            {"unit": "丙县", "done": 2, "task": 2},
            {"unit": "丁县", "done": 0, "task": 0}
        ]}"#,
    )
    .unwrap();
    let (rules, data) = (rules.to_str().unwrap(), data.to_str().unwrap());
    for format in [
        &["--format", "csv"][..],
        &["--format", "csv", "--detail", "summary"],
        &["--format", "jsonl", "--detail", "summary"],
        &["--format", "json", "--detail", "items"],
        &["--format", "jsonl"],
        &["--format", "table"],
    ] {
        let mut args = vec!["eval", rules, data];
        args.extend_from_slice(format);
        let o = rulebook(&args);
        assert_eq!(o.status.code(), Some(1), "{format:?}");
        assert!(stdout(&o).is_empty(), "{format:?}: {}", stdout(&o));
        let err = stderr(&o);
        assert!(
            err.contains("`乙县`") && err.contains("`丁县`") && !err.contains("`甲县`"),
            "{format:?}: {err}"
        );
        assert!(err.contains("division by zero"), "{format:?}: {err}");
        // With what to do: say what 0 means, or declare the range.
        assert!(
            err.contains("help:") && err.contains("if task = 0") && err.contains("count >= 1"),
            "{format:?}: {err}"
        );
    }
    // With the two units fixed, the one-pass CSV ranks and writes all four.
    let fixed = std::fs::read_to_string(data)
        .unwrap()
        .replace("\"done\": 1, \"task\": 0", "\"done\": 1, \"task\": 2")
        .replace("\"done\": 0, \"task\": 0", "\"done\": 0, \"task\": 1");
    std::fs::write(data, fixed).unwrap();
    let o = rulebook(&["eval", rules, data, "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // 甲县 3/4 of 2 = 1.5; 乙县 1/2 → 1; 丙县 2/2 → 2; 丁县 0.
    assert_eq!(
        stdout(&o),
        "unit,total,base,bonus,total_deductions,grade,rank,vetoes,item_1,item_1_to_total\n\
         甲县,1.5,1.5,0,0,,2,,1.5,0\n\
         乙县,1,1,0,0,,3,,1,0\n\
         丙县,2,2,0,0,,1,,2,0\n\
         丁县,0,0,0,0,,4,,0,0\n"
    );
    // The table (scored while the file is read, as nothing here ranks the
    // batch) gives the same figures: base, deductions, bonus, total, rank.
    let o = rulebook(&["eval", rules, data]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    let row = |name: &str| -> Vec<String> {
        let line = table.lines().find(|l| l.starts_with(name)).unwrap();
        line.split_whitespace().map(String::from).collect()
    };
    assert_eq!(row("甲县"), ["甲县", "1.5", "0", "0", "1.5", "2"]);
    assert_eq!(row("丙县"), ["丙县", "2", "0", "0", "2", "1"]);
    assert_eq!(row("丁县"), ["丁县", "0", "0", "0", "0", "4"]);
}
