//! `explain` names the derived values (`let`) a rule used, with their
//! labels and values, beside the inputs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use rulebook_eval::data::load_json;
use rulebook_eval::eval::{evaluate_batch, Options};
use rulebook_report::explain;

const RULES: &str = r#"
rulebook "派生值"
points 5
input air: pct in 0..100 "空气质量达标率"
input water: pct in 0..100 "水质达标率"
input done: count "完成项数"
input tasks: count > 0 "任务项数"
let combined = (air + water) / 2 "综合达标率"
let done_ratio = done / tasks "任务完成率"
item 1 "综合达标" {
  points 2
  clause 1.1 "综合达标率达到90%的，得2分。" { award 2 if combined >= 90 }
}
item 2 "任务完成" {
  points 3
  clause 2.1 "按任务完成比例得分。" { award 3 in proportion to done_ratio }
}
"#;

fn explain_of(data: &str) -> String {
    let checked = rulebook_lang::check("t.rules", RULES);
    let program = checked
        .program
        .unwrap_or_else(|| panic!("{:?}", checked.diagnostics));
    let batch = load_json(&program, "d.json", data).unwrap();
    let units = evaluate_batch(
        &program,
        &batch,
        Options {
            trace: true,
            parallel: false,
        },
    )
    .unwrap();
    explain::render(&program, &units[0], 1)
}

#[test]
fn a_condition_on_a_derived_value_names_it_with_its_value() {
    // (95 + 90) / 2 = 92.5 ≥ 90 → 2.
    let out =
        explain_of(r#"{"units": [{"unit": "甲", "air": 95, "water": 90, "done": 2, "tasks": 3}]}"#);
    assert!(out.contains("符合要求（综合达标率：92.5%）"), "{out}");
    // (89 + 90) / 2 = 89.5 < 90 → 0, and the reason says why.
    let out =
        explain_of(r#"{"units": [{"unit": "甲", "air": 89, "water": 90, "done": 2, "tasks": 3}]}"#);
    assert!(
        out.contains("未达到要求，不得分（综合达标率：89.5%）"),
        "{out}"
    );
}

#[test]
fn a_ratio_is_shown_as_a_percent_and_marked_when_rounded() {
    // 2 / 3 = 0.666… → 66.67%, rounded for the reader only: 3 × 0.6667 → 2 (two places).
    let out =
        explain_of(r#"{"units": [{"unit": "甲", "air": 95, "water": 90, "done": 2, "tasks": 3}]}"#);
    assert!(out.contains("（任务完成率：约66.67%）"), "{out}");
    // 3 / 4 = 75% exactly: no mark.
    let out =
        explain_of(r#"{"units": [{"unit": "甲", "air": 95, "water": 90, "done": 3, "tasks": 4}]}"#);
    assert!(out.contains("（任务完成率：75%）"), "{out}");
}
