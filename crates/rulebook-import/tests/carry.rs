//! `--base`: this year's document against this year's rulebook reproduces
//! it; a hand-written 2025-style variant gives exactly the expected updates
//! and to-dos, and checks clean once they are done.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::root;

fn base() -> String {
    std::fs::read_to_string(root().join("rulebooks/ziyuan-2024.rules")).unwrap()
}

#[test]
fn a_year_against_itself_reproduces_its_rulebook() {
    let doc = rulebook_import::read_document(&common::source()).unwrap();
    let base = base();
    let carried = rulebook_import::carry::carry_over(&doc, &base).unwrap();
    let s = &carried.summary;
    assert!(
        s.numbers.is_empty() && s.new.is_empty() && s.removed.is_empty(),
        "{}",
        s.render()
    );
    assert!(s.reworded.is_empty() && s.todo.is_empty(), "{}", s.render());
    // Byte for byte, so `rulebook diff` has nothing to say either.
    assert_eq!(carried.text, base);
    let a = rulebook_lang::check("a", &base).program.unwrap();
    let b = rulebook_lang::check("b", &carried.text).program.unwrap();
    assert!(rulebook_report::diff::diff(&a, &b).is_empty());
}

#[test]
fn the_2025_variant_gives_the_expected_updates_and_todos() {
    let doc = rulebook_import::read_document(&root().join("tests/import/ziyuan-2025/source.txt"))
        .unwrap();
    let carried = rulebook_import::carry::carry_over(&doc, &base()).unwrap();
    let s = &carried.summary;
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    // What tests/import/ziyuan-2025/source.txt changes (see its README).
    assert_eq!(
        s.numbers,
        vec![
            ("5.1".to_string(), pairs(&[("96.5", "97"), ("26.5", "25")])),
            ("5.2.3".to_string(), pairs(&[("3", "2")])),
            ("5.4.1".to_string(), pairs(&[("16", "20")])),
        ],
        "{}",
        s.render()
    );
    assert_eq!(s.new, vec!["5.11.3"]);
    assert_eq!(s.removed, vec!["1.4"]);
    assert_eq!(s.reworded, vec!["1.3"]);
    assert_eq!(s.todo, vec!["5.11.3"]);
    assert_eq!(
        s.units,
        vec![(
            "9".to_string(),
            "县农业农村局".to_string(),
            "县农业农村和水利局".to_string()
        )]
    );
    assert!(s.renumbered.is_empty());
    assert_eq!(
        s.unused,
        vec![
            "input `supervision_missed` is never used",
            "input `staffing_complaints` is never used"
        ]
    );
    let t = &carried.text;
    // The numbers, in the sentences, the rules and the parameters.
    assert!(t.contains("param good_days_target: pct in 0..100 \"城市环境空气质量优良天数比率控制目标\" { \"资源县\": 97 }"));
    assert!(t.contains(
        "param pm25_target: ug \"细颗粒物（PM2.5）控制目标（微克/立方米）\" { \"资源县\": 25 }"
    ));
    assert!(t.contains("{ \"资源县\": 20 }"));
    assert!(t.contains("deduct 0.1 each burn_reports cap 2\n"));
    assert!(t.contains("text \"城市环境空气质量优良天数比率控制目标：资源县97%。\""));
    assert!(t.contains("document \"资政办发〔2025〕8号\""));
    assert!(t.contains("    by \"县农业农村和水利局\"\n"));
    // The reworded clause: a rule for the new sentence, last year's kept as a comment.
    assert!(t.contains("deduct 0.5 each c1_3_n cap 2\n"));
    assert!(t.contains("# deduct 0.5 each supervision_missed\n"));
    // The removed clause is gone; unchanged clauses keep their comments.
    assert!(!t.contains("part 1.4 "));
    assert!(
        t.contains("# 21（2）: any veto makes the result 不合格, whatever the score (DATA.md).")
    );
    // The one to-do is reported at its clause.
    let checked = rulebook_lang::check("draft.rules", t);
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].code, "rulebook::todo");
    // Done by hand: the to-do written, the inputs nothing reads removed.
    let filled = t
        .replace(
            "todo \"not read: 「春节期间烟花爆竹燃放投诉量较上年上升的扣0.5分，上升超过20%的扣1分」\"",
            "input firework_complaint_rise: pct \"烟花爆竹燃放投诉量较上年上升幅度\"\n        deduct tiers firework_complaint_rise { > 20: 1, > 0: 0.5, else: 0 }",
        )
        .replace("input supervision_missed: count \"明显应督办而未督办的次数\"\n", "")
        .replace(
            "input staffing_complaints: count \"因未落实具体人员承担生态环境保护工作而产生、查证属实的举报问题件数\"\n",
            "",
        );
    let checked = rulebook_lang::check("done.rules", &filled);
    let all: Vec<String> = checked
        .diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(all.is_empty(), "{all:#?}");
}
