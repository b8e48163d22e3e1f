//! `"""…"""` strings: a sentence written across lines as the document wraps it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

const ONE_LINE: &str = r#"rulebook "t"
input fines: count "罚款次数"
section 加 "加分项" {
  bonus
  item B6 "示例" {
    part B6.6 "⑥发性有机物治理。本年度内，实施工业企业挥发性有机物（VOCs）治理项目且申报总量减排项目得到认可的，每家加0.2分，最高加1分。" {
      award 0.2 each fines cap 1
    }
  }
}
"#;

/// B6.6 as the document wraps it (source.txt lines 686–688).
const WRAPPED: &str = r#"rulebook "t"
input fines: count "罚款次数"
section 加 "加分项" {
  bonus
  item B6 "示例" {
    part B6.6 """⑥发性有机物治理。本年度内，实施工业企业挥发性有机物（VOCs）治理项目且申报总量
                 减排项目得到认可的，每家加0.2分，最高加1分。""" {
      award 0.2 each fines cap 1
    }
  }
}
"#;

#[test]
fn a_wrapped_sentence_is_the_same_sentence() {
    let a = rulebook_lang::check("a.rules", ONE_LINE);
    let b = rulebook_lang::check("b.rules", WRAPPED);
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
    assert!(b.diagnostics.is_empty(), "{:?}", b.diagnostics);
    let (a, b) = (a.program.unwrap(), b.program.unwrap());
    let title = |p: &rulebook_lang::ir::Program| {
        p.nodes
            .iter()
            .find(|n| n.id == "B6.6")
            .map(|n| n.title.clone())
            .unwrap()
    };
    assert_eq!(title(&a), title(&b));
    assert!(title(&b).contains("申报总量减排项目"));
}

#[test]
fn line_breaks_and_the_spaces_around_them_are_dropped_but_not_others() {
    let src =
        "rulebook \"\"\"甲 乙 \n\t   丙\n\n丁\"\"\"\ndocument \"\"\"“引号”和\"单个\"引号\"\"\"\n";
    let c = rulebook_lang::check("t.rules", src);
    let p = c.program.unwrap();
    assert_eq!(p.title, "甲 乙丙丁");
    assert_eq!(p.document, "“引号”和\"单个\"引号");
}

#[test]
fn an_unclosed_long_string_is_a_located_syntax_error() {
    let src = "rulebook \"\"\"甲\n乙\n";
    let c = rulebook_lang::check("t.rules", src);
    assert!(c.program.is_none());
    assert!(c.diagnostics.iter().all(|d| !d.labels.is_empty()));
}

#[test]
fn formatting_reindents_a_long_string_without_changing_it() {
    let messy = WRAPPED
        .replace("\n    part B6.6", "\n          part B6.6")
        .replace("\n                 减排", "\n                       减排");
    let once = rulebook_lang::format::format(&messy);
    assert_eq!(rulebook_lang::format::format(&once), once);
    assert_eq!(once, WRAPPED);
    // A brace or `#` inside the string is text, not a block or a comment.
    let tricky =
        "text \"\"\"第一行 { 不是块\n  # 也不是注释 }\n  \"\"\"\nitem 1 \"x\" {\npoints 1\n}\n";
    let out = rulebook_lang::format::format(tricky);
    assert_eq!(
        out,
        "text \"\"\"第一行 { 不是块\n  # 也不是注释 }\n  \"\"\"\nitem 1 \"x\" {\n  points 1\n}\n"
    );
}
