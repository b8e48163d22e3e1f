//! CSV data: the same values as JSON, and located errors (`file:row:column`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod data_common;

use data_common::*;
use rulebook_eval::data::{load_csv, load_json, Batch, DataError};
use rulebook_eval::Value;

const UNITS: &str = "\u{feff}unit,plan_done,reports_late,优良天数比率,pm25,change,place,done_on,fines,level,note,road_dates\n\
甲县,true,2,96.35,26.5,-1.25,3,2024-09-30,1500;800.50,national,\"按期 \"\"完成\"\"\",2024-03-01; 2024-04-01\n\
乙县,否,0,100,0,0,1.0,,,region,,\n";

/// Named by the input's label, with CRLF line ends.
const CASES: &str = "unit,found,核查日期,level,situations\r\n甲县,2024-01-01,2024-03-01,national,relapse\r\n甲县,2024-02-01,,region,\r\n";
const PLANTS: &str = "unit,li_river,load_rate,cod_in\n甲县,TRUE,120.5,95\n";
const GLOBALS: &str = "key,value\ncity_met,是\n全市PM2.5,31.05\n";
const PARAMS: &str = "unit,good_days_target,task\n乙县,,12\n";

fn files(edits: &[(&str, &str, &str)]) -> Vec<(String, String)> {
    let mut fs: Vec<(String, String)> = vec![
        ("units.csv".into(), UNITS.into()),
        ("案件.csv".into(), CASES.into()),
        ("data/town_plants.csv".into(), PLANTS.into()),
        ("globals.csv".into(), GLOBALS.into()),
        ("params.csv".into(), PARAMS.into()),
        ("README.md".into(), "not data".into()),
    ];
    for (file, from, to) in edits {
        let f = fs.iter_mut().find(|(n, _)| n.ends_with(file)).unwrap();
        assert_eq!(
            f.1.matches(from).count(),
            1,
            "`{from}` must occur once in {file}"
        );
        f.1 = f.1.replacen(from, to, 1);
    }
    fs
}

fn load(edits: &[(&str, &str, &str)]) -> Result<Batch, Vec<DataError>> {
    load_csv(&program(), &files(edits))
}

#[test]
fn csv_reads_the_same_values_as_json() {
    let json = load_json(&program(), "data.json", GOOD).unwrap();
    let csv = load(&[]).unwrap();
    assert_eq!(csv, json);
}

#[test]
fn without_optional_params_file() {
    let fs: Vec<_> = files(&[])
        .into_iter()
        .filter(|(n, _)| n != "params.csv")
        .collect();
    let es = load_csv(&program(), &fs).unwrap_err();
    // 乙县 has no rulebook `task`.
    assert_eq!(es.len(), 1);
    assert_eq!(es[0].message, "no value for parameter `task`");
    assert_eq!(es[0].unit.as_deref(), Some("乙县"));
    assert_eq!(es[0].location.to_string(), "units.csv:3");
}

fn one(r: Result<Batch, Vec<DataError>>) -> DataError {
    let es = r.unwrap_err();
    assert_eq!(es.len(), 1, "expected one error, got: {es:#?}");
    es.into_iter().next().unwrap()
}

fn assert_error(
    e: &DataError,
    unit: Option<&str>,
    field: Option<&str>,
    location: &str,
    message: &str,
) {
    assert_eq!(
        (
            e.unit.as_deref(),
            e.field.as_deref(),
            e.location.to_string().as_str(),
            e.message.as_str()
        ),
        (unit, field, location, message),
        "{e}"
    );
}

#[test]
fn bad_cells_are_located() {
    let e = one(load(&[("units.csv", "甲县,true,2,", "甲县,true,-3,")]));
    assert_error(
        &e,
        Some("甲县"),
        Some("reports_late"),
        "units.csv:2:3",
        "expected a whole number ≥ 0, found `-3`",
    );
    let e = one(load(&[("units.csv", "乙县,否,", "乙县,1,")]));
    assert_error(
        &e,
        Some("乙县"),
        Some("plan_done"),
        "units.csv:3:2",
        "expected `true` or `false`, found `1`",
    );
    assert_eq!(
        e.help.as_deref(),
        Some("write `true` or `false` (or `是` / `否`)")
    );
    let e = one(load(&[("units.csv", "2024-09-30,", "2024-9-30,")]));
    assert_error(
        &e,
        Some("甲县"),
        Some("done_on"),
        "units.csv:2:8",
        "expected a date written `YYYY-MM-DD`, found `2024-9-30`",
    );
    let e = one(load(&[("units.csv", "1500;800.50", "1500;;800.50")]));
    assert_error(
        &e,
        Some("甲县"),
        Some("fines[1]"),
        "units.csv:2:9",
        "expected a number ≥ 0, found an empty cell",
    );
    let e = one(load(&[(
        "units.csv",
        "乙县,否,0,100,0,0,1.0,",
        "乙县,否,,100,0,0,1.0,",
    )]));
    assert_error(
        &e,
        Some("乙县"),
        Some("reports_late"),
        "units.csv:3:3",
        "expected a whole number ≥ 0, found an empty cell",
    );
    // In a record file: the row's index among the unit's records.
    let e = one(load(&[(
        "案件.csv",
        "2024-02-01,,region",
        "2024-02-30,,region",
    )]));
    assert_error(
        &e,
        Some("甲县"),
        Some("cases[1].found"),
        "案件.csv:3:2",
        "no such date: `2024-02-30`",
    );
    let e = one(load(&[("town_plants.csv", "120.5", "-120.5")]));
    assert_error(
        &e,
        Some("甲县"),
        Some("town_plants[0].load_rate"),
        "data/town_plants.csv:2:3",
        "expected a number ≥ 0, found `-120.5`",
    );
    let e = one(load(&[(
        "案件.csv",
        "national,relapse",
        "national,relapse;overdo",
    )]));
    assert_error(
        &e,
        Some("甲县"),
        Some("cases[0].situations[1]"),
        "案件.csv:2:5",
        "expected one of `city_notice`, `relapse`, `overdue`, found `overdo`",
    );
    assert_eq!(e.help.as_deref(), Some("did you mean `overdue`?"));
    let e = one(load(&[("globals.csv", "city_met,是", "city_met,yes")]));
    assert_error(
        &e,
        None,
        Some("city_met"),
        "globals.csv:2:2",
        "expected `true` or `false`, found `yes`",
    );
    let e = one(load(&[("params.csv", "乙县,,12", "乙县,,0")]));
    assert_error(
        &e,
        Some("乙县"),
        Some("task"),
        "params.csv:2:3",
        "expected a whole number ≥ 1, found `0`",
    );
}

#[test]
fn header_problems_are_reported_once() {
    let e = one(load(&[("units.csv", ",pm25,", ",pm_25,")]));
    assert_error(&e, None, None, "units.csv:1:5", "unknown input `pm_25`");
    assert_eq!(e.help.as_deref(), Some("did you mean `pm25`?"));
    // A missing column: one error at the header, not one per unit.
    let e = one(load(&[
        ("units.csv", ",pm25,", ","),
        ("units.csv", "96.35,26.5,", "96.35,"),
        ("units.csv", "100,0,", "100,"),
    ]));
    assert_error(
        &e,
        None,
        None,
        "units.csv:1",
        "missing column for input `pm25` (PM2.5年均浓度)",
    );
    let e = one(load(&[("town_plants.csv", "load_rate", "负荷")]));
    assert_eq!(e.location.to_string(), "data/town_plants.csv:1:3");
    assert_eq!(e.message, "unknown column `负荷`");
    assert_eq!(e.help.as_deref(), Some("did you mean `负荷率`?"));
    let e = one(load(&[
        ("units.csv", ",road_dates\n", ",road_dates,unit\n"),
        (
            "units.csv",
            "2024-03-01; 2024-04-01\n",
            "2024-03-01; 2024-04-01,甲县\n",
        ),
        ("units.csv", "region,,\n", "region,,,乙县\n"),
    ]));
    assert_eq!(e.location.to_string(), "units.csv:1:13");
    assert_eq!(e.message, "a second `unit` column");
    // A header other than `key,value` is the names-above-one-row layout,
    // which cannot have several rows (the fixture's GLOBALS has two).
    let e = one(load(&[("globals.csv", "key,value", "name,value")]));
    assert_eq!(
        e.message,
        "`globals.csv` with the shared facts' names as its header needs exactly one row of values, not 2"
    );
    assert_eq!(e.location.to_string(), "globals.csv:1");
    // A record input as a column.
    let e = one(load(&[
        ("units.csv", ",road_dates\n", ",road_dates,cases\n"),
        (
            "units.csv",
            "2024-03-01; 2024-04-01\n",
            "2024-03-01; 2024-04-01,\n",
        ),
        ("units.csv", "region,,\n", "region,,,\n"),
    ]));
    assert_eq!(
        e.message,
        "input `cases` is a list of records and cannot be a column"
    );
    assert_eq!(e.location.to_string(), "units.csv:1:13");
}

#[test]
fn files_missing_or_unknown() {
    let fs: Vec<_> = files(&[])
        .into_iter()
        .filter(|(n, _)| !n.ends_with("town_plants.csv"))
        .collect();
    let e = one(load_csv(&program(), &fs));
    assert_eq!(
        e.message,
        "missing file `town_plants.csv` for input `town_plants`"
    );
    assert_eq!(e.location.to_string(), "town_plants.csv");
    // A header alone: every unit has no records.
    let fs = files(&[("town_plants.csv", "\n甲县,TRUE,120.5,95\n", "\n")]);
    let b = load_csv(&program(), &fs).unwrap();
    assert_eq!(
        b.units[0].inputs[slot("town_plants")],
        Value::List(Vec::new().into())
    );
    // A misnamed file.
    let mut fs = files(&[]);
    fs.push(("town_plant.csv".into(), "unit\n".into()));
    let e = one(load_csv(&program(), &fs));
    assert_eq!(e.message, "unknown file `town_plant.csv`");
    assert_eq!(e.help.as_deref(), Some("did you mean `town_plants.csv`?"));
    // No units.csv at all.
    let fs: Vec<_> = files(&[])
        .into_iter()
        .filter(|(n, _)| n != "units.csv")
        .collect();
    let e = one(load_csv(&program(), &fs));
    assert_eq!(e.message, "missing file `units.csv`");
    let fs: Vec<_> = files(&[])
        .into_iter()
        .filter(|(n, _)| n != "globals.csv")
        .collect();
    let e = one(load_csv(&program(), &fs));
    assert_eq!(e.message, "missing file `globals.csv`");
}

#[test]
fn units_must_match_across_files() {
    let e = one(load(&[("案件.csv", "甲县,2024-02-01", "丁县,2024-02-01")]));
    assert_error(
        &e,
        Some("丁县"),
        None,
        "案件.csv:3:1",
        "unit `丁县` is not in `units.csv`",
    );
    let e = one(load(&[("params.csv", "乙县,,12", "乙县,,12\n戊县,,1")]));
    assert_error(
        &e,
        Some("戊县"),
        None,
        "params.csv:3:1",
        "unit `戊县` is not in `units.csv`",
    );
    let es = load(&[("units.csv", "乙县,否", "甲县,否")]).unwrap_err();
    let dup = es
        .iter()
        .find(|e| e.message == "duplicate unit `甲县`")
        .unwrap();
    assert_eq!(dup.location.to_string(), "units.csv:3:1");
    assert!(
        dup.help.as_deref().unwrap().contains("units.csv:2:1"),
        "{dup}"
    );
}

#[test]
fn quoting_and_row_widths() {
    // A quoted cell with a comma and a line break: later rows keep their line numbers.
    let b = load(&[("units.csv", "\"按期 \"\"完成\"\"\"", "\"a,b\nc\"")]).unwrap();
    assert_eq!(
        b.units[0].inputs[slot("note")],
        Value::Text("a,b\nc".into())
    );
    let e = one(load(&[
        ("units.csv", "\"按期 \"\"完成\"\"\"", "\"a,b\nc\""),
        ("units.csv", "乙县,否,0", "乙县,否,-1"),
    ]));
    assert_eq!(e.location.to_string(), "units.csv:4:3");
    let e = one(load(&[("units.csv", "region,,\n", "region,\n")]));
    assert_error(
        &e,
        None,
        None,
        "units.csv:3",
        "this row has 11 cells but the header has 12",
    );
}

#[test]
fn all_errors_in_one_run() {
    let es = load(&[
        ("units.csv", "甲县,true,2,", "甲县,true,-2,"),
        ("units.csv", "乙县,否,", "乙县,no,"),
        ("town_plants.csv", "120.5", "x"),
        ("globals.csv", "31.05", "-1"),
        ("案件.csv", "national,relapse", "nation,relapse"),
    ])
    .unwrap_err();
    assert_eq!(es.len(), 5, "{es:#?}");
}

#[test]
fn values_csv_cannot_hold_are_reported_once() {
    let mut p = program();
    p.inputs.push(input(
        "grid",
        "网格",
        list(list(rulebook_lang::ir::Type::Num(
            rulebook_lang::ir::Unit::Count,
        ))),
    ));
    let e = one(load_csv(&p, &files(&[])));
    assert_eq!(
        e.message,
        "input `grid` (list of list of count) cannot be given in CSV"
    );
    assert_eq!(e.help.as_deref(), Some("give the data as JSON"));
    // Optional, it is simply absent.
    p.inputs.last_mut().unwrap().optional = true;
    let b = load_csv(&p, &files(&[])).unwrap();
    assert_eq!(b.units[0].inputs.last(), Some(&Value::Missing));
}
