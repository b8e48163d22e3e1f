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
    let carried = common::carry(
        "tests/import/ziyuan-2025/source.txt",
        "rulebooks/ziyuan-2024.rules",
    );
    let s = &carried.summary;
    let pairs = common::pairs;
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

/// A small item whose parts 4 and 5 come off parts 1–3 and part 2.
fn pool_base() -> String {
    r#"rulebook "池测试"

input a: count "甲次数"
input b: bool "乙完成"
input c: bool "丙完成"
input d: count "丁次数"
input e: count "戊次数"

section 一 "一、测试" {
  item 1 "测试项" {
    points 4
    part 1.1 "（1）甲工作，得2分。每次扣0.5分。" {
      points 2
      award 2
      deduct 0.5 each a
    }
    part 1.2 "（2）乙工作完成的，得1分。" {
      points 1
      award 1 if b
    }
    part 1.3 "（3）丙工作完成的，得1分。" {
      points 1
      award 1 if c
    }
    part 1.4 "（4）丁管理，每次扣0.2分。" {
      no base
      off 1.1..1.3
      deduct 0.2 each d
    }
    part 1.5 "（5）戊管理，每次扣0.1分。" {
      no base
      deduct 0.1 each e off 1.2
    }
  }
}
"#
    .to_string()
}

fn pool_doc(
    points: u32,
    parts: &[(&str, &str, Option<u32>, bool)],
) -> rulebook_import::model::Document {
    use rulebook_import::model::{Document, Kind, Node};
    let mut item = Node::new(Kind::Item, "1", "测试项");
    item.points = Some(points.into());
    for (id, title, points, no_base) in parts {
        let mut p = Node::new(Kind::Part, *id, *title);
        p.points = points.map(Into::into);
        p.no_base = *no_base;
        item.children.push(p);
    }
    let mut section = Node::new(Kind::Section, "一", "一、测试");
    section.children.push(item);
    Document {
        title: Some("池测试".into()),
        number: None,
        points: None,
        sections: vec![section],
    }
}

#[test]
fn pools_follow_removed_and_renumbered_parts() {
    // Part (2) removed: (3)–(5) become (2)–(4).
    let doc = pool_doc(
        3,
        &[
            ("1.1", "（1）甲工作，得2分。每次扣0.5分。", Some(2), false),
            ("1.2", "（2）丙工作完成的，得1分。", Some(1), false),
            ("1.3", "（3）丁管理，每次扣0.2分。", None, true),
            ("1.4", "（4）戊管理，每次扣0.1分。", None, true),
        ],
    );
    let carried = rulebook_import::carry::carry_over(&doc, &pool_base()).unwrap();
    let s = &carried.summary;
    assert_eq!(s.removed, vec!["1.2"], "{}", s.render());
    assert!(s.unused.iter().any(|u| u.contains("`b`")), "{}", s.render());
    // The run 1.1..1.3 lost its middle and its end moved: 1.1..1.2.
    assert!(
        carried.text.contains(
            "part 1.3 \"（3）丁管理，每次扣0.2分。\" {\n      no base\n      off 1.1..1.2\n"
        ),
        "{}",
        carried.text
    );
    // The only part 戊 came off is gone: a to-do says so, and nothing
    // names a node that is not there.
    assert!(
        carried.text.contains("deduct 0.1 each e\n"),
        "{}",
        carried.text
    );
    assert!(s.todo.contains(&"1.4".to_string()), "{}", s.render());
    assert_eq!(
        s.pools,
        vec![
            ("1.3".into(), "off 1.1..1.3".into(), "off 1.1..1.2".into()),
            ("1.4".into(), "off 1.2".into(), String::new()),
        ],
        "{}",
        s.render()
    );
    let checked = rulebook_lang::check("draft.rules", &carried.text);
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| (d.code.to_string(), d.message.clone()))
        .collect();
    assert!(
        errors.iter().all(|(code, _)| code == "rulebook::todo") && errors.len() == 1,
        "{errors:#?}\n{}",
        carried.text
    );

    // A part added at the front: every end moves up one, nothing is lost.
    let doc = pool_doc(
        5,
        &[
            ("1.1", "（1）新工作完成的，得1分。", Some(1), false),
            ("1.2", "（2）甲工作，得2分。每次扣0.5分。", Some(2), false),
            ("1.3", "（3）乙工作完成的，得1分。", Some(1), false),
            ("1.4", "（4）丙工作完成的，得1分。", Some(1), false),
            ("1.5", "（5）丁管理，每次扣0.2分。", None, true),
            ("1.6", "（6）戊管理，每次扣0.1分。", None, true),
        ],
    );
    let carried = rulebook_import::carry::carry_over(&doc, &pool_base()).unwrap();
    assert!(carried.text.contains("off 1.2..1.4\n"), "{}", carried.text);
    assert!(
        carried.text.contains("deduct 0.1 each e off 1.3\n"),
        "{}",
        carried.text
    );
    let checked = rulebook_lang::check("draft.rules", &carried.text);
    assert!(
        !checked
            .diagnostics
            .iter()
            .any(|d| d.is_error() && d.code != "rulebook::todo"),
        "{:#?}",
        checked.diagnostics
    );
}

/// The 2024 document with part 12（2） (松材线虫病) taken out, as next year's
/// document would print it: （3） becomes （2）, its pool sentence and units
/// follow, item 12 is worth 2.
fn without_part_12_2() -> String {
    let text = std::fs::read_to_string(common::source()).unwrap();
    let start = text.find("12．加强生态保护红线").unwrap();
    let end = text.find("13．提升生态系统碳汇能力").unwrap();
    let mut item: String = text[start..end]
        .lines()
        .filter(|l| !l.starts_with("（2）完成桂林市下达的松材线虫病"))
        .collect::<Vec<_>>()
        .join("\n");
    for (old, new) in [
        ("\t4\n", "\t2\n"),
        ("（1）（2）县林业局", "（1）县林业局"),
        ("（3）县林业局、县自然资源局", "（2）县林业局、县自然资源局"),
        ("（3）自然生态环境监管", "（2）自然生态环境监管"),
        (
            "第（3）项未设分值，未完成从（1）（2）得分中扣分",
            "第（2）项未设分值，未完成从（1）得分中扣分",
        ),
    ] {
        assert_eq!(item.matches(old).count(), 1, "{old}");
        item = item.replace(old, new);
    }
    // The table's 总分 follows the 2 points taken out.
    let rest = text[end..].replacen("\t总分\n\t100\n", "\t总分\n\t98\n", 1);
    assert_ne!(rest, text[end..]);
    format!("{}{item}\n{rest}", &text[..start])
}

#[test]
fn a_part_taken_out_of_a_pool_in_the_real_document() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("2025.txt");
    std::fs::write(&path, without_part_12_2()).unwrap();
    let doc = rulebook_import::read_document(&path).unwrap();
    let carried = rulebook_import::carry::carry_over(&doc, &base()).unwrap();
    let s = &carried.summary;
    assert_eq!(s.removed, vec!["12.2"], "{}", s.render());
    assert!(
        s.new.is_empty() && s.reworded.is_empty() && s.todo.is_empty(),
        "{}",
        s.render()
    );
    assert_eq!(
        s.numbers,
        vec![
            ("总分".to_string(), common::pairs(&[("100", "98")])),
            ("12".to_string(), common::pairs(&[("4", "2")])),
        ],
        "{}",
        s.render()
    );
    assert_eq!(
        s.renumbered,
        common::pairs(&[("12.3", "12.2"), ("12.3.1", "12.2.1"), ("12.3.2", "12.2.2")]),
        "{}",
        s.render()
    );
    // 12（3）, now 12（2）, came off 12.1 and 12.2: only 12.1 is left.
    assert_eq!(
        s.pools,
        vec![("12.2".into(), "off 12.1, 12.2".into(), "off 12.1".into())],
        "{}",
        s.render()
    );
    let t = &carried.text;
    assert!(
        t.contains("    part 12.2 \"（2）自然生态环境监管\" {\n      no base\n      off 12.1\n"),
        "{t}"
    );
    assert!(!t.contains("（2）完成桂林市下达的松材线虫病") && !t.contains("part 12.3 "));
    assert_eq!(
        s.unused,
        vec!["input `pine_wilt_met` is never used"],
        "{}",
        s.render()
    );
    // Nothing left to do and nothing wrong: the pool names parts that are there.
    let found: Vec<String> = common::problems(t)
        .into_iter()
        .filter(|p| !p.contains("pine_wilt_met"))
        .collect();
    assert!(found.is_empty(), "{found:#?}");
}
