//! Rulebook-test literals (`given`, `globals`): checked like data files.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod data_common;

use data_common::*;
use rulebook_eval::data::{globals_from_value, load_json, unit_from_value};
use rulebook_eval::Value;
use rulebook_lang::ast::Value as Lit;

/// A JSON value as a rulebook literal (numbers exact).
fn lit(v: &serde_json::Value) -> Lit {
    match v {
        serde_json::Value::Null => Lit::Null,
        serde_json::Value::Bool(b) => Lit::Bool(*b),
        serde_json::Value::Number(n) => Lit::Number(
            rust_decimal::Decimal::from_scientific(&n.to_string())
                .or_else(|_| n.to_string().parse())
                .unwrap(),
        ),
        serde_json::Value::String(s) => Lit::Str(s.clone()),
        serde_json::Value::Array(xs) => Lit::List(xs.iter().map(lit).collect()),
        serde_json::Value::Object(m) => {
            Lit::Object(m.iter().map(|(k, v)| (k.clone(), lit(v))).collect())
        }
    }
}

fn good_unit(i: usize) -> Lit {
    let v: serde_json::Value = serde_json::from_str(GOOD).unwrap();
    let mut u = v["units"][i].clone();
    u.as_object_mut().unwrap().remove("unit");
    lit(&u)
}

fn obj(entries: &[(&str, Lit)]) -> Lit {
    Lit::Object(
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

#[test]
fn a_full_given_reads_like_the_file() {
    let file = load_json(&program(), "data.json", GOOD).unwrap();
    for i in 0..2 {
        let name = &file.units[i].name;
        let u = unit_from_value(&program(), name, None, &good_unit(i)).unwrap();
        assert_eq!(&u, &file.units[i]);
    }
}

#[test]
fn overrides_replace_only_what_is_given() {
    let file = load_json(&program(), "data.json", GOOD).unwrap();
    let base = &file.units[0];
    let given = obj(&[
        ("pm25", Lit::Number(dec("80"))),
        ("done_on", Lit::Null),
        (
            "road_dates",
            Lit::List(vec![Lit::Date("2024-05-01".into())]),
        ),
        ("params", obj(&[("task", Lit::Number(dec("20")))])),
    ]);
    let u = unit_from_value(&program(), "甲县", Some(base), &given).unwrap();
    assert_eq!(u.inputs[slot("pm25")], Value::Num(dec("80")));
    assert_eq!(u.inputs[slot("done_on")], Value::Missing);
    assert_eq!(
        u.inputs[slot("road_dates")].clone(),
        Value::List(vec![Value::Date(19844)].into())
    );
    assert_eq!(u.inputs[slot("plan_done")], base.inputs[slot("plan_done")]);
    assert_eq!(
        u.params,
        vec![Value::Num(dec("96.5")), Value::Num(dec("20"))]
    );
}

#[test]
fn given_errors_are_located_by_path() {
    let file = load_json(&program(), "data.json", GOOD).unwrap();
    let base = &file.units[0];
    let given = obj(&[
        ("reports_late", Lit::Number(dec("1.5"))),
        ("pm_25", Lit::Number(dec("1"))),
        (
            "cases",
            Lit::List(vec![obj(&[
                ("found", Lit::Date("2024-02-30".into())),
                ("level", Lit::Str("region".into())),
                ("situations", Lit::List(Vec::new())),
            ])]),
        ),
    ]);
    let es = unit_from_value(&program(), "甲县", Some(base), &given).unwrap_err();
    let got: Vec<_> = es
        .iter()
        .map(|e| {
            (
                e.unit.as_deref(),
                e.field.as_deref(),
                path_of(e),
                e.message.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                Some("甲县"),
                Some("reports_late"),
                "given.reports_late",
                "expected a whole number ≥ 0, found `1.5`"
            ),
            (
                Some("甲县"),
                Some("pm_25"),
                "given.pm_25",
                "unknown input `pm_25`"
            ),
            (
                Some("甲县"),
                Some("cases[0].found"),
                "given.cases[0].found",
                "no such date: `2024-02-30`"
            ),
        ]
    );
    // Without a base every input is required, and the name picks the rulebook's parameters.
    let es = unit_from_value(&program(), "丙县", None, &obj(&[])).unwrap_err();
    assert_eq!(es.len(), program().inputs.len() - 1 + 2, "{es:#?}");
    assert!(es
        .iter()
        .any(|e| e.message == "missing input `pm25`" && path_of(e) == "given.pm25"));
    assert!(
        es.iter()
            .any(|e| e.message == "no value for parameter `task`"
                && path_of(e) == "given.params.task")
    );
}

#[test]
fn globals_from_literals() {
    let g = globals_from_value(
        &program(),
        None,
        &obj(&[
            ("city_met", Lit::Bool(true)),
            ("city_pm25", Lit::Str("30.5".into())),
        ]),
    )
    .unwrap();
    assert_eq!(g, vec![Value::Bool(true), Value::Num(dec("30.5"))]);
    let g2 = globals_from_value(
        &program(),
        Some(&g),
        &obj(&[("city_met", Lit::Bool(false))]),
    )
    .unwrap();
    assert_eq!(g2, vec![Value::Bool(false), Value::Num(dec("30.5"))]);
    let es = globals_from_value(
        &program(),
        None,
        &obj(&[("city_met", Lit::Number(dec("1")))]),
    )
    .unwrap_err();
    let got: Vec<_> = es
        .iter()
        .map(|e| (e.field.as_deref(), path_of(e), e.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                Some("city_met"),
                "globals.city_met",
                "expected `true` or `false`, found `1`"
            ),
            (
                Some("city_pm25"),
                "globals.city_pm25",
                "missing global `city_pm25`"
            ),
        ]
    );
    let e = globals_from_value(&program(), None, &Lit::Number(dec("1"))).unwrap_err();
    assert_eq!(e[0].message, "expected an object of global facts");
}

#[test]
fn deep_literals_are_refused() {
    let mut v = Lit::Null;
    for _ in 0..200 {
        v = Lit::List(vec![v]);
    }
    let es = unit_from_value(&program(), "甲县", None, &obj(&[("fines", v)])).unwrap_err();
    assert_eq!(
        es[0].message,
        "lists and objects nest deeper than 64 levels"
    );
}

/// A test literal's errors are located by their path.
fn path_of(e: &rulebook_eval::data::DataError) -> &str {
    match &e.location {
        rulebook_eval::data::Location::Path(p) => p,
        _ => "",
    }
}
