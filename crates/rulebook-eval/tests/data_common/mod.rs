//! A small hand-built program and a valid data file for the data tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use rulebook_eval::data::{Batch, DataError};
use rulebook_lang::ast::CmpOp;
use rulebook_lang::ir::{FieldDef, InputDef, ParamDef, Program, Type, Unit, IR_VERSION};
use rust_decimal::Decimal;
use std::str::FromStr;

pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

pub fn input(name: &str, label: &str, ty: Type) -> InputDef {
    InputDef {
        name: name.into(),
        label: label.into(),
        ty,
        optional: false,
        range: Vec::new(),
        used_by: Vec::new(),
    }
}

pub fn field(name: &str, label: &str, ty: Type, optional: bool) -> FieldDef {
    FieldDef {
        name: name.into(),
        label: label.into(),
        ty,
        optional,
        range: Vec::new(),
    }
}

pub fn names(ns: &[&str]) -> Type {
    Type::Enum(ns.iter().map(|s| s.to_string()).collect())
}

pub fn list(t: Type) -> Type {
    Type::List(Box::new(t))
}

/// Inputs, in slot order:
/// 0 plan_done: bool, 1 reports_late: count, 2 good_days_rate: pct in [0, 100],
/// 3 pm25: ug, 4 change: pct, 5 place: rank, 6 done_on: optional date,
/// 7 fines: list of yuan, 8 level: "national" | "region", 9 note: text,
/// 10 road_dates: list of date, 11 cases: list of {found, inspected?, level, situations},
/// 12 town_plants: list of {li_river, load_rate ≥ 0, cod_in}.
pub fn program() -> Program {
    let mut rate = input("good_days_rate", "优良天数比率", Type::Num(Unit::Pct));
    rate.range = vec![(CmpOp::Ge, Decimal::ZERO), (CmpOp::Le, Decimal::from(100))];
    let mut done_on = input("done_on", "完成日期", Type::Date);
    done_on.optional = true;
    let mut load_rate = field("load_rate", "负荷率", Type::Num(Unit::Pct), false);
    load_rate.range = vec![(CmpOp::Ge, Decimal::ZERO)];
    let inputs = vec![
        input("plan_done", "制定工作方案", Type::Bool),
        input("reports_late", "迟报次数", Type::Num(Unit::Count)),
        rate,
        input("pm25", "PM2.5年均浓度", Type::Num(Unit::Ug)),
        input("change", "同比变化", Type::Num(Unit::Pct)),
        input("place", "排名", Type::Num(Unit::Rank)),
        done_on,
        input("fines", "罚款金额", list(Type::Num(Unit::Yuan))),
        input("level", "级别", names(&["national", "region"])),
        input("note", "备注", Type::Text),
        input("road_dates", "路检日期", list(Type::Date)),
        input(
            "cases",
            "案件",
            list(Type::Record(vec![
                field("found", "发现日期", Type::Date, false),
                field("inspected", "核查日期", Type::Date, true),
                field("level", "级别", names(&["national", "region"]), false),
                field(
                    "situations",
                    "情形",
                    list(names(&["city_notice", "relapse", "overdue"])),
                    false,
                ),
            ])),
        ),
        input(
            "town_plants",
            "乡镇污水厂",
            list(Type::Record(vec![
                field("li_river", "漓江流域", Type::Bool, false),
                load_rate,
                field("cod_in", "进水COD", Type::Num(Unit::Mgl), false),
            ])),
        ),
    ];
    let mut task = input("task", "任务数", Type::Num(Unit::Count));
    task.range = vec![(CmpOp::Ge, Decimal::ONE)];
    Program {
        version: IR_VERSION,
        title: "示例考核表".into(),
        document: "示例〔2024〕1号".into(),
        source_name: "small.rules".into(),
        inputs,
        globals: vec![
            input("city_met", "全市完成目标", Type::Bool),
            input("city_pm25", "全市PM2.5", Type::Num(Unit::Ug)),
        ],
        params: vec![
            ParamDef {
                input: input("good_days_target", "优良天数比率目标", Type::Num(Unit::Pct)),
                values: vec![("甲县".into(), dec("96.5")), ("乙县".into(), dec("95"))],
                by_year: Vec::new(),
            },
            ParamDef {
                input: task,
                values: vec![("甲县".into(), Decimal::from(16))],
                by_year: Vec::new(),
            },
        ],
        lets: Vec::new(),
        tables: Vec::new(),
        ranks: Vec::new(),
        across: Vec::new(),
        nodes: Vec::new(),
        grades: Vec::new(),
        tests: Vec::new(),
        locals: 0,
        floor: Some(Decimal::ZERO),
        year: None,
    }
}

pub fn slot(name: &str) -> usize {
    program()
        .inputs
        .iter()
        .position(|i| i.name == name)
        .unwrap()
}

/// A valid file: 甲县 takes its parameters from the rulebook, 乙县 gives
/// `task` itself (its `good_days_target` comes from the rulebook).
pub const GOOD: &str = r#"{
  "globals": {"city_met": true, "city_pm25": "31.05"},
  "units": [
    {
      "unit": "甲县",
      "plan_done": true,
      "reports_late": 2,
      "good_days_rate": 96.35,
      "pm25": "26.5",
      "change": -1.25,
      "place": 3,
      "done_on": "2024-09-30",
      "fines": [1500, "800.50"],
      "level": "national",
      "note": "按期 \"完成\"",
      "road_dates": ["2024-03-01", "2024-04-01"],
      "cases": [
        {"found": "2024-01-01", "inspected": "2024-03-01", "level": "national", "situations": ["relapse"]},
        {"found": "2024-02-01", "inspected": null, "level": "region", "situations": []}
      ],
      "town_plants": [{"li_river": true, "load_rate": 120.5, "cod_in": 95}]
    },
    {
      "unit": "乙县",
      "plan_done": false,
      "reports_late": "0",
      "good_days_rate": 100,
      "pm25": 0,
      "change": 0,
      "place": 1.0,
      "fines": [],
      "level": "region",
      "note": "",
      "road_dates": [],
      "cases": [],
      "town_plants": [],
      "params": {"task": 12}
    }
  ]
}"#;

/// GOOD with `from` replaced by `to` (which must occur exactly once).
pub fn edit(from: &str, to: &str) -> String {
    assert_eq!(
        GOOD.matches(from).count(),
        1,
        "`{from}` must occur once in GOOD"
    );
    GOOD.replacen(from, to, 1)
}

pub fn errors(r: Result<Batch, Vec<DataError>>) -> Vec<DataError> {
    match r {
        Ok(_) => panic!("expected errors"),
        Err(es) => es,
    }
}

/// The single error of a result.
pub fn one(r: Result<Batch, Vec<DataError>>) -> DataError {
    let es = errors(r);
    assert_eq!(es.len(), 1, "expected one error, got: {es:#?}");
    es.into_iter().next().unwrap()
}

/// 1-based line and column of the first occurrence of `needle` in `text`.
pub fn pos(text: &str, needle: &str) -> String {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in text"));
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap().chars().count() + 1;
    format!("{line}:{col}")
}
