//! JSON data: exact values, and every kind of bad data reported with its
//! unit, field and location, all in one run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod data_common;

use data_common::*;
use rulebook_eval::data::load_json;
use rulebook_eval::value::parse_date;
use rulebook_eval::Value;
use rust_decimal::Decimal;

fn load(text: &str) -> Result<rulebook_eval::data::Batch, Vec<rulebook_eval::data::DataError>> {
    load_json(&program(), "data.json", text)
}

fn num(s: &str) -> Value {
    Value::Num(dec(s))
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

#[test]
fn good_file_reads_every_value() {
    let b = load(GOOD).unwrap();
    assert_eq!(b.globals, vec![Value::Bool(true), num("31.05")]);
    assert_eq!(b.units.len(), 2);
    let a = &b.units[0];
    assert_eq!(a.name, "甲县");
    assert_eq!(a.inputs[slot("plan_done")], Value::Bool(true));
    assert_eq!(a.inputs[slot("reports_late")], num("2"));
    assert_eq!(a.inputs[slot("pm25")], num("26.5"));
    assert_eq!(a.inputs[slot("change")], num("-1.25"));
    assert_eq!(a.inputs[slot("place")], num("3"));
    assert_eq!(
        a.inputs[slot("done_on")],
        Value::Date(parse_date("2024-09-30").unwrap())
    );
    assert_eq!(
        a.inputs[slot("fines")],
        Value::List(vec![num("1500"), num("800.5")].into())
    );
    assert_eq!(a.inputs[slot("level")], text("national"));
    assert_eq!(a.inputs[slot("note")], text("按期 \"完成\""));
    let d = |s: &str| Value::Date(parse_date(s).unwrap());
    assert_eq!(
        a.inputs[slot("cases")],
        Value::List(
            vec![
                Value::Record(
                    vec![
                        d("2024-01-01"),
                        d("2024-03-01"),
                        text("national"),
                        Value::List(vec![text("relapse")].into())
                    ]
                    .into()
                ),
                Value::Record(
                    vec![
                        d("2024-02-01"),
                        Value::Missing,
                        text("region"),
                        Value::List(Vec::new().into())
                    ]
                    .into()
                ),
            ]
            .into()
        )
    );
    // Parameters: 甲县 from the rulebook; 乙县 its own `task`, the rulebook's target.
    assert_eq!(a.params, vec![num("96.5"), num("16")]);
    let b2 = &b.units[1];
    assert_eq!(b2.params, vec![num("95"), num("12")]);
    // An optional input left out is missing; `1.0` is a whole rank; "" is text.
    assert_eq!(b2.inputs[slot("done_on")], Value::Missing);
    assert_eq!(b2.inputs[slot("place")], num("1"));
    assert_eq!(b2.inputs[slot("note")], text(""));
    assert_eq!(b2.inputs[slot("reports_late")], num("0"));
}

#[test]
fn numbers_are_exact() {
    // A number and a string in number syntax read the same, exactly.
    let a = load(&edit(r#""pm25": "26.5""#, r#""pm25": "96.35""#)).unwrap();
    let b = load(&edit(r#""pm25": "26.5""#, r#""pm25": 96.35"#)).unwrap();
    assert_eq!(a.units[0].inputs[slot("pm25")], num("96.35"));
    assert_eq!(b.units[0].inputs[slot("pm25")], num("96.35"));
    // 0.1 + 0.2 is 0.3, not 0.30000000000000004.
    let c = load(&edit(
        r#""fines": [1500, "800.50"]"#,
        r#""fines": [0.1, 0.2, 1234567890.123456789, 1e2, "25E-1"]"#,
    ))
    .unwrap();
    let Value::List(fines) = &c.units[0].inputs[slot("fines")] else {
        panic!()
    };
    let sum = fines[0].as_num().unwrap() + fines[1].as_num().unwrap();
    assert_eq!(sum, dec("0.3"));
    assert_eq!(fines[2], num("1234567890.123456789"));
    assert_eq!(fines[3], num("100"));
    assert_eq!(fines[4], num("2.5"));
    // Written scale does not matter: 96.50 and "96.5" are the same value.
    let d = load(&edit(
        r#""good_days_rate": 96.35"#,
        r#""good_days_rate": 96.50"#,
    ))
    .unwrap();
    assert_eq!(
        d.units[0].inputs[slot("good_days_rate")]
            .as_num()
            .unwrap()
            .to_string(),
        "96.5"
    );
}

#[test]
fn huge_and_overprecise_numbers_are_errors() {
    for (written, message) in [
        ("1e400", "number too large: `1e400`"),
        (
            "99999999999999999999999999999999",
            "number too large: `99999999999999999999999999999999`",
        ),
        ("\"-1e400\"", "number too large: `-1e400`"),
        (
            "1e-400",
            "number has too many digits to be read exactly: `1e-400`",
        ),
    ] {
        let t = edit(r#""change": -1.25"#, &format!(r#""change": {written}"#));
        let e = one(load(&t));
        assert_eq!(e.message, message);
        assert_eq!(e.field.as_deref(), Some("change"));
        assert_eq!(e.unit.as_deref(), Some("甲县"));
    }
}

/// One error from replacing `from` by `to`: its field, location (the
/// position of `at`, a part of `to`, in the edited text) and message.
fn check_one(from: &str, to: &str, at: &str, unit: &str, field: &str, path: &str, message: &str) {
    let t = edit(from, to);
    let start = GOOD.find(from).unwrap() + to.find(at).expect("`at` is part of `to`");
    let line = t[..start].matches('\n').count() + 1;
    let col = t[..start].rsplit('\n').next().unwrap().chars().count() + 1;
    let e = one(load(&t));
    assert_eq!(e.unit.as_deref(), Some(unit), "{e}");
    assert_eq!(e.field.as_deref(), Some(field), "{e}");
    assert_eq!(
        e.location.to_string(),
        format!("data.json:{line}:{col} ({path})"),
        "{e}"
    );
    assert_eq!(e.message, message, "{e}");
}

#[test]
fn missing_required_input() {
    let t = edit("      \"pm25\": 0,\n", "");
    let e = one(load(&t));
    assert_eq!(e.unit.as_deref(), Some("乙县"));
    assert_eq!(e.field.as_deref(), Some("pm25"));
    assert_eq!(e.message, "missing input `pm25`");
    // At the unit's opening brace.
    let brace = t.find("\"unit\": \"乙县\"").unwrap();
    let brace = t[..brace].rfind('{').unwrap();
    let line = t[..brace].matches('\n').count() + 1;
    let col = t[..brace].rsplit('\n').next().unwrap().chars().count() + 1;
    assert_eq!(
        e.location.to_string(),
        format!("data.json:{line}:{col} (units[1].pm25)")
    );
    assert!(e.help.unwrap().contains("PM2.5年均浓度"));
}

#[test]
fn null_where_not_optional() {
    check_one(
        r#""reports_late": "0""#,
        r#""reports_late": null"#,
        "null",
        "乙县",
        "reports_late",
        "units[1].reports_late",
        "expected a whole number ≥ 0, found null",
    );
}

#[test]
fn optional_may_be_null_or_absent() {
    let b = load(&edit(r#""done_on": "2024-09-30""#, r#""done_on": null"#)).unwrap();
    assert_eq!(b.units[0].inputs[slot("done_on")], Value::Missing);
    let b = load(&edit(r#""inspected": "2024-03-01", "#, "")).unwrap();
    let Value::List(cases) = &b.units[0].inputs[slot("cases")] else {
        panic!()
    };
    let Value::Record(first) = &cases[0] else {
        panic!()
    };
    assert_eq!(first[1], Value::Missing);
}

#[test]
fn text_in_a_count() {
    check_one(
        r#""reports_late": 2"#,
        r#""reports_late": "两次""#,
        "\"两次\"",
        "甲县",
        "reports_late",
        "units[0].reports_late",
        "expected a whole number ≥ 0, found `\"两次\"`",
    );
}

#[test]
fn one_for_a_bool() {
    check_one(
        r#""plan_done": false"#,
        r#""plan_done": 1"#,
        "1",
        "乙县",
        "plan_done",
        "units[1].plan_done",
        "expected `true` or `false`, found `1`",
    );
    check_one(
        r#""plan_done": true"#,
        r#""plan_done": "true""#,
        "\"true\"",
        "甲县",
        "plan_done",
        "units[0].plan_done",
        "expected `true` or `false`, found `\"true\"`",
    );
}

#[test]
fn negative_and_fractional_counts() {
    check_one(
        r#""reports_late": 2"#,
        r#""reports_late": -3"#,
        "-3",
        "甲县",
        "reports_late",
        "units[0].reports_late",
        "expected a whole number ≥ 0, found `-3`",
    );
    check_one(
        r#""reports_late": 2"#,
        r#""reports_late": 3.5"#,
        "3.5",
        "甲县",
        "reports_late",
        "units[0].reports_late",
        "expected a whole number ≥ 0, found `3.5`",
    );
    // Ranks start at 1; money and concentrations are ≥ 0.
    check_one(
        r#""place": 1.0"#,
        r#""place": 0"#,
        "0",
        "乙县",
        "place",
        "units[1].place",
        "expected a whole number ≥ 1, found `0`",
    );
    check_one(
        r#""pm25": "26.5""#,
        r#""pm25": -0.1"#,
        "-0.1",
        "甲县",
        "pm25",
        "units[0].pm25",
        "expected a number ≥ 0, found `-0.1`",
    );
    check_one(
        r#""fines": [1500, "800.50"]"#,
        r#""fines": [1500, "-800.50"]"#,
        "\"-800.50\"",
        "甲县",
        "fines[1]",
        "units[0].fines[1]",
        "expected a number ≥ 0, found `-800.50`",
    );
    // A plain percentage change may be negative.
    assert!(load(&edit(r#""change": -1.25"#, r#""change": -300"#)).is_ok());
}

#[test]
fn rate_outside_its_range() {
    check_one(
        r#""good_days_rate": 96.35"#,
        r#""good_days_rate": 100.01"#,
        "100.01",
        "甲县",
        "good_days_rate",
        "units[0].good_days_rate",
        "expected a number ≥ 0 and ≤ 100, found `100.01`",
    );
    // A record field's own range, with the path down to it.
    check_one(
        r#""load_rate": 120.5"#,
        r#""load_rate": -1"#,
        "-1",
        "甲县",
        "town_plants[0].load_rate",
        "units[0].town_plants[0].load_rate",
        "expected a number ≥ 0, found `-1`",
    );
}

#[test]
fn malformed_dates() {
    check_one(
        r#""done_on": "2024-09-30""#,
        r#""done_on": "2024-9-30""#,
        "\"2024-9-30\"",
        "甲县",
        "done_on",
        "units[0].done_on",
        "expected a date written `YYYY-MM-DD`, found `\"2024-9-30\"`",
    );
    let e = one(load(&edit(
        r#""done_on": "2024-09-30""#,
        r#""done_on": "2024-9-30""#,
    )));
    assert_eq!(e.help.as_deref(), Some("write `2024-09-30`"));
    check_one(
        r#""found": "2024-02-01""#,
        r#""found": "2024-02-30""#,
        "\"2024-02-30\"",
        "甲县",
        "cases[1].found",
        "units[0].cases[1].found",
        "no such date: `2024-02-30`",
    );
    check_one(
        r#"["2024-03-01", "2024-04-01"]"#,
        r#"["2024-03-01", 20240401]"#,
        "20240401",
        "甲县",
        "road_dates[1]",
        "units[0].road_dates[1]",
        "expected a date written `YYYY-MM-DD`, found `20240401`",
    );
}

#[test]
fn undeclared_input_suggests_a_name() {
    check_one(
        r#""pm25": 0,"#,
        r#""pm25": 0, "pm_25": 3,"#,
        "\"pm_25\"",
        "乙县",
        "pm_25",
        "units[1].pm_25",
        "unknown input `pm_25`",
    );
    let e = one(load(&edit(r#""pm25": 0,"#, r#""pm25": 0, "pm_25": 3,"#)));
    assert_eq!(e.help.as_deref(), Some("did you mean `pm25`?"));
    // A label used as a key.
    let e = one(load(&edit(
        r#""pm25": 0,"#,
        r#""pm25": 0, "PM2.5年均浓度": 3,"#,
    )));
    assert_eq!(
        e.help.as_deref(),
        Some("`PM2.5年均浓度` is the label of `pm25`: use the id")
    );
    // An unknown field of a record.
    let t = edit(r#""cod_in": 95"#, r#""cod_in": 95, "codin": 1"#);
    let e = one(load(&t));
    assert_eq!(e.field.as_deref(), Some("town_plants[0].codin"));
    assert_eq!(e.message, "unknown field `codin`");
    assert_eq!(e.help.as_deref(), Some("did you mean `cod_in`?"));
    assert_eq!(
        e.location.to_string(),
        format!(
            "data.json:{} (units[0].town_plants[0].codin)",
            pos(&t, "\"codin\"")
        )
    );
}

#[test]
fn missing_record_field() {
    let t = edit(r#", "cod_in": 95"#, "");
    let e = one(load(&t));
    assert_eq!(e.field.as_deref(), Some("town_plants[0].cod_in"));
    assert_eq!(e.message, "missing field `cod_in`");
    assert_eq!(
        e.location.to_string(),
        format!(
            "data.json:{} (units[0].town_plants[0].cod_in)",
            pos(&t, "{\"li_river\"")
        )
    );
}

#[test]
fn name_outside_the_listed_set() {
    check_one(
        "\"level\": \"national\",\n      \"note\"",
        "\"level\": \"nation\",\n      \"note\"",
        "\"nation\"",
        "甲县",
        "level",
        "units[0].level",
        "expected one of `national`, `region`, found `\"nation\"`",
    );
    let e = one(load(&edit(
        "\"level\": \"national\",\n      \"note\"",
        "\"level\": \"nation\",\n      \"note\"",
    )));
    assert_eq!(e.help.as_deref(), Some("did you mean `national`?"));
    check_one(
        r#""situations": ["relapse"]"#,
        r#""situations": ["relapse", "overdo"]"#,
        "\"overdo\"",
        "甲县",
        "cases[0].situations[1]",
        "units[0].cases[0].situations[1]",
        "expected one of `city_notice`, `relapse`, `overdue`, found `\"overdo\"`",
    );
}

#[test]
fn duplicate_unit_names_both_places() {
    let t = edit(r#""unit": "乙县""#, r#""unit": "甲县""#);
    let e = one(load(&t));
    assert_eq!(e.unit.as_deref(), Some("甲县"));
    assert_eq!(e.message, "duplicate unit `甲县`");
    let second = t.rfind("\"甲县\"").unwrap();
    let line = t[..second].matches('\n').count() + 1;
    assert!(
        e.location
            .to_string()
            .starts_with(&format!("data.json:{line}:")),
        "{e}"
    );
    assert!(e.location.to_string().ends_with("(units[1])"), "{e}");
    let help = e.help.unwrap();
    assert!(
        help.contains(&format!("data.json:{} (units[0])", pos(&t, "\"甲县\""))),
        "{help}"
    );
}

#[test]
fn missing_parameter_value() {
    // 丙县 has no value in the rulebook and gives none.
    let t = edit(r#""unit": "乙县""#, r#""unit": "丙县""#);
    let e = one(load(&t));
    assert_eq!(e.unit.as_deref(), Some("丙县"));
    assert_eq!(e.field.as_deref(), Some("good_days_target"));
    assert_eq!(e.message, "no value for parameter `good_days_target`");
    assert!(
        e.location
            .to_string()
            .ends_with("(units[1].params.good_days_target)"),
        "{e}"
    );
    // Its own value (or null = the rulebook's) settles it.
    let t2 = t.replace(
        r#""params": {"task": 12}"#,
        r#""params": {"task": 12, "good_days_target": "94.5"}"#,
    );
    let b = load(&t2).unwrap();
    assert_eq!(
        b.units[1].params,
        vec![Value::Num(dec("94.5")), Value::Num(Decimal::from(12))]
    );
    // A unit's `task` must be ≥ 1, and a parameter key must exist.
    let e = one(load(&edit(
        r#""params": {"task": 12}"#,
        r#""params": {"task": 0}"#,
    )));
    assert_eq!(e.message, "expected a whole number ≥ 1, found `0`");
    assert_eq!(e.field.as_deref(), Some("task"));
    let es = errors(load(&edit(
        r#""params": {"task": 12}"#,
        r#""params": {"tsak": 12}"#,
    )));
    assert_eq!(es.len(), 2, "{es:#?}");
    // In file order: the unit's missing `task` (at its brace), then the typo.
    assert_eq!(es[0].message, "no value for parameter `task`");
    let e = &es[1];
    assert_eq!(e.message, "unknown parameter `tsak`");
    assert_eq!(e.help.as_deref(), Some("did you mean `task`?"));
    // `"params": null` means none given: 乙县 has no rulebook `task`.
    let e = one(load(&edit(
        r#""params": {"task": 12}"#,
        r#""params": null"#,
    )));
    assert_eq!(e.message, "no value for parameter `task`");
}

#[test]
fn missing_and_unknown_globals() {
    let t = edit(r#""city_met": true, "#, "");
    let e = one(load(&t));
    assert_eq!(e.unit, None);
    assert_eq!(e.field.as_deref(), Some("city_met"));
    assert_eq!(e.message, "missing global `city_met`");
    assert_eq!(
        e.location.to_string(),
        format!("data.json:{} (globals.city_met)", pos(&t, "{\"city_pm25\""))
    );
    let e = one(load(&edit(
        r#""city_met": true"#,
        r#""city_met": true, "city_mat": false"#,
    )));
    assert_eq!(e.message, "unknown global `city_mat`");
    assert_eq!(e.help.as_deref(), Some("did you mean `city_met`?"));
    // No `globals` at all: each one missing.
    let t = edit(
        r#"  "globals": {"city_met": true, "city_pm25": "31.05"},"#,
        "",
    );
    let es = errors(load(&t));
    assert_eq!(es.len(), 2);
    assert_eq!(
        es[0].location.to_string(),
        "data.json:1:1 (globals.city_met)"
    );
}

#[test]
fn duplicate_keys() {
    let t = edit(r#""pm25": 0,"#, r#""pm25": 0, "pm25": 1,"#);
    let e = one(load(&t));
    assert_eq!(e.unit.as_deref(), Some("乙县"));
    assert_eq!(e.field.as_deref(), Some("pm25"));
    assert_eq!(e.message, "duplicate key `pm25`");
    let second = t.find("\"pm25\": 1").unwrap();
    let line = t[..second].matches('\n').count() + 1;
    let col = t[..second].rsplit('\n').next().unwrap().chars().count() + 1;
    assert_eq!(
        e.location.to_string(),
        format!("data.json:{line}:{col} (units[1].pm25)")
    );
    assert!(e
        .help
        .unwrap()
        .starts_with(&format!("first given at data.json:{line}:")));
    // In a record, in `params`, for `unit`, at the top.
    for (from, to, message) in [
        (
            r#""cod_in": 95"#,
            r#""cod_in": 95, "cod_in": 96"#,
            "duplicate key `cod_in`",
        ),
        (
            r#""params": {"task": 12}"#,
            r#""params": {"task": 12, "task": 13}"#,
            "duplicate key `task`",
        ),
        (
            r#""unit": "乙县","#,
            r#""unit": "乙县", "unit": "乙县","#,
            "duplicate key `unit`",
        ),
        (
            r#""units": ["#,
            r#""globals": {}, "units": ["#,
            "duplicate key `globals`",
        ),
    ] {
        let e = one(load(&edit(from, to)));
        assert_eq!(e.message, message);
    }
}

#[test]
fn malformed_json_has_line_and_column() {
    // A missing comma.
    let t = edit(r#""pm25": 0,"#, r#""pm25": 0"#);
    let e = one(load(&t));
    let after = t.find("\"pm25\": 0").unwrap() + "\"pm25\": 0".len();
    let next = after + t[after..].find('"').unwrap();
    let line = t[..next].matches('\n').count() + 1;
    let col = t[..next].rsplit('\n').next().unwrap().chars().count() + 1;
    assert_eq!(e.location.to_string(), format!("data.json:{line}:{col}"));
    assert_eq!(e.message, "expected `,` or `}` after a value, found `\"`");
    assert_eq!(e.help.as_deref(), Some("add a comma between the entries"));
    for (text, location, message) in [
        ("", "data.json:1:1", "the file is empty"),
        ("  \n ", "data.json:2:2", "the file is empty"),
        (
            "{\"units\": [}",
            "data.json:1:12",
            "expected a value, found `}`",
        ),
        (
            "{\"units\": []",
            "data.json:1:13",
            "expected `,` or `}` after a value, found the end of the file",
        ),
        (
            "{\"units\": [1,]}",
            "data.json:1:14",
            "expected a value, found `]`",
        ),
        (
            "{\"units\": [], }",
            "data.json:1:15",
            "expected a key in quotes, found `}`",
        ),
        (
            "{units: []}",
            "data.json:1:2",
            "expected a key in quotes, found `u`",
        ),
        (
            "{\"units\": [True]}",
            "data.json:1:12",
            "expected a value, found `True`",
        ),
        (
            "{\"units\": [01]}",
            "data.json:1:13",
            "malformed number: found `1`",
        ),
        (
            "{\"units\": [1.]}",
            "data.json:1:14",
            "malformed number: found `]`",
        ),
        (
            "{\"a\": \"x\ny\"}",
            "data.json:1:9",
            "control character `\\n` in a string",
        ),
        (
            "{\"a\": \"abc}",
            "data.json:1:7",
            "this string has no closing quote",
        ),
        (
            "{\"a\": \"\\q\"}",
            "data.json:1:8",
            "unknown escape in a string",
        ),
        (
            "{\"a\": \"\\ud800\"}",
            "data.json:1:8",
            "invalid unicode escape in a string",
        ),
        (
            "{\"units\": []} x",
            "data.json:1:15",
            "unexpected `x` after the end of the data",
        ),
        (
            "{\"名\": 1 ]",
            "data.json:1:9",
            "expected `,` or `}` after a value, found `]`",
        ),
    ] {
        let es = errors(load(text));
        let e = es.last().unwrap();
        assert_eq!(
            (e.location.to_string().as_str(), e.message.as_str()),
            (location, message),
            "{text:?}: {es:#?}"
        );
    }
}

#[test]
fn escapes_are_decoded() {
    let b = load(&edit(
        r#""note": "按期 \"完成\"""#,
        r#""note": "a\u00e9\ud83d\ude00\n\t\/\\""#,
    ))
    .unwrap();
    assert_eq!(b.units[0].inputs[slot("note")], text("aé😀\n\t/\\"));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let e = errors(load(&deep));
    assert_eq!(
        e.last().unwrap().message,
        "lists and objects nest deeper than 64 levels"
    );
    let deep = format!(
        "{{\"units\": [{{\"unit\": \"x\", \"note\": {}1{}}}]}}",
        "[".repeat(70),
        "]".repeat(70)
    );
    let es = errors(load(&deep));
    assert!(
        es.iter().any(|e| e.message.contains("nest deeper")),
        "{es:#?}"
    );
}

#[test]
fn wrong_shapes() {
    let e = one(load("[]"));
    assert_eq!(
        e.message,
        "expected an object with `globals` and `units`, found a list"
    );
    let es = errors(load(
        "{\"globals\": {\"city_met\": true, \"city_pm25\": 1}}",
    ));
    assert_eq!(es.len(), 1);
    assert_eq!(es[0].message, "missing `units`");
    let e = one(load(
        "{\"globals\": {\"city_met\": true, \"city_pm25\": 1}, \"units\": {}}",
    ));
    assert_eq!(e.message, "expected a list of units, found an object");
    let e = one(load(
        "{\"globals\": {\"city_met\": true, \"city_pm25\": 1}, \"units\": [], \"unitz\": 1}",
    ));
    assert_eq!(e.message, "unknown key `unitz`");
    assert_eq!(e.help.as_deref(), Some("did you mean `units`?"));
    let e = one(load(&edit(r#""unit": "乙县","#, "")));
    assert_eq!(e.message, "missing `unit`");
    assert_eq!(e.unit, None);
    let e = one(load(&edit(r#""unit": "乙县","#, r#""unit": "  ","#)));
    assert!(e.message.starts_with("expected the unit's name"), "{e}");
    let e = one(load(&edit(r#""fines": [],"#, r#""fines": 3,"#)));
    assert_eq!(e.message, "expected a list of yuan (元), found `3`");
    let e = one(load(&edit(
        r#""town_plants": [],"#,
        r#""town_plants": [3],"#,
    )));
    assert_eq!(e.field.as_deref(), Some("town_plants[0]"));
    assert!(
        e.message
            .starts_with("expected an object with fields `li_river`"),
        "{e}"
    );
}

#[test]
fn all_errors_in_one_run() {
    let t = GOOD
        .replacen(r#""reports_late": 2"#, r#""reports_late": -1"#, 1)
        .replacen(
            "\"level\": \"national\",\n      \"note\"",
            "\"level\": \"nation\",\n      \"note\"",
            1,
        )
        .replacen(r#""load_rate": 120.5"#, r#""load_rate": "high""#, 1)
        .replacen(r#""pm25": 0,"#, "", 1)
        .replacen(r#""city_met": true"#, r#""city_met": "yes""#, 1);
    let es = errors(load(&t));
    assert_eq!(es.len(), 5, "{es:#?}");
    let fields: Vec<_> = es.iter().map(|e| e.field.clone().unwrap()).collect();
    // In file order.
    assert_eq!(
        fields,
        [
            "city_met",
            "reports_late",
            "level",
            "town_plants[0].load_rate",
            "pm25"
        ]
    );
}

#[test]
fn display_is_one_line() {
    let t = edit(r#""pm25": "26.5""#, r#""pm25": -3"#);
    let e = one(load(&t));
    assert_eq!(
        e.to_string(),
        format!("data.json:{} (units[0].pm25): unit `甲县`, field `pm25`: expected a number ≥ 0, found `-3`", pos(&t, "-3"))
    );
    let e = one(load(&edit(
        "\"level\": \"national\",\n      \"note\"",
        "\"level\": \"nation\",\n      \"note\"",
    )));
    // The help is not part of the line: the caller shows it.
    assert!(e.to_string().ends_with("found `\"nation\"`"), "{e}");
    // User text with a line break still gives one line.
    let e = one(load(&edit(r#""pm25": 0,"#, r#""pm25": 0, "a\nb": 1,"#)));
    assert_eq!(e.message, "unknown input `a\nb`");
    assert!(!e.to_string().contains('\n'), "{e}");
    assert!(e.to_string().ends_with("unknown input `a\\nb`"), "{e}");
}
