//! Table rows that `cite` a clause: a hit policy's deduction is reported
//! under the clause whose row applied, and no score changes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use rulebook_eval::data::load_json;
use rulebook_eval::eval::{evaluate_batch, Detail, Options, UnitResult};
use rulebook_lang::ir::Program;
use rust_decimal::Decimal;

fn rules(cite: bool) -> String {
    let c = |id: &str| {
        if cite {
            format!(" cite {id}")
        } else {
            String::new()
        }
    };
    format!(
        r#"
rulebook "按最高分项扣分"
points 7
input matters: list of {{ id: text "事项编号", kind: "overdue" | "relapse" | "notice" "情形" }} "督察事项"
table kind_points "各情形扣分" {{
  "overdue": 3{}
  "relapse": 2{}
  "notice": 0.5{}
}}
item 1 "整改" {{
  points 7
  cap 4
  award 7
  deduct sum(max(kind_points[r.kind] for r in g) for g in matters grouped by id)
  clause 1.1 "①未按时完成整改的，每个问题扣3分。" {{}}
  clause 1.2 "②问题反弹的，每个问题扣2分。" {{}}
  clause 1.3 "③被通报的，每个问题扣0.5分。" {{}}
}}
"#,
        c("1.1"),
        c("1.2"),
        c("1.3")
    )
}

fn score(cite: bool, matters: &str) -> (Program, UnitResult) {
    let checked = rulebook_lang::check("t.rules", &rules(cite));
    let program = checked
        .program
        .unwrap_or_else(|| panic!("{:?}", checked.diagnostics));
    let data = format!(r#"{{"units": [{{"unit": "甲", "matters": {matters}}}]}}"#);
    let batch = load_json(&program, "d.json", &data).unwrap();
    let mut units = evaluate_batch(
        &program,
        &batch,
        Options {
            trace: true,
            parallel: false,
        },
    )
    .unwrap();
    (program, units.remove(0))
}

/// (cited node id, amount) of the trace's deductions.
fn deductions(program: &Program, u: &UnitResult) -> Vec<(String, Decimal)> {
    u.trace
        .iter()
        .filter(|e| e.amount < Decimal::ZERO)
        .map(|e| (program.nodes[e.node as usize].id.clone(), e.amount))
        .collect()
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn each_matter_is_cited_under_the_clause_of_its_largest_situation() {
    // A: notice 0.5, relapse 2 → 2 (1.2); B: notice → 0.5 (1.3). 2.5 in all.
    let m = r#"[{"id": "A", "kind": "notice"}, {"id": "A", "kind": "relapse"}, {"id": "B", "kind": "notice"}]"#;
    let (p, u) = score(true, m);
    assert_eq!(
        deductions(&p, &u),
        vec![("1.2".into(), d("-2")), ("1.3".into(), d("-0.5"))]
    );
    let Detail::Cited(cited) = &u
        .trace
        .iter()
        .find(|e| e.amount < Decimal::ZERO)
        .unwrap()
        .detail
    else {
        panic!("not cited");
    };
    let (group, row, largest) = (&cited.group, &cited.row, cited.largest);
    assert_eq!(group.as_deref(), Some("A"));
    assert_eq!(row, &vec!["relapse".to_string()]);
    assert!(largest);
    // Same score as without cites: 7 − 2.5.
    let (p0, u0) = score(false, m);
    assert_eq!(u.total, d("4.5"));
    assert_eq!(u0.total, u.total);
    assert_eq!(u0.nodes, u.nodes);
    assert_eq!(deductions(&p0, &u0), vec![("1".into(), d("-2.5"))]);
}

#[test]
fn a_cap_cuts_the_last_cited_values_and_the_parts_add_up_to_what_was_taken() {
    // A overdue 3, B relapse 2 → 5, capped at 4 (cap 4): 3 under 1.1, 1 of 2 under 1.2.
    let m = r#"[{"id": "A", "kind": "overdue"}, {"id": "B", "kind": "relapse"}]"#;
    let (p, u) = score(true, m);
    assert_eq!(
        deductions(&p, &u),
        vec![("1.1".into(), d("-3")), ("1.2".into(), d("-1"))]
    );
    let capped: Vec<_> = u
        .trace
        .iter()
        .filter(|e| e.amount < Decimal::ZERO)
        .map(|e| e.capped_at())
        .collect();
    assert_eq!(capped, vec![None, Some(d("4"))]);
    assert_eq!(u.total, d("3"));
    let (_, u0) = score(false, m);
    assert_eq!(u0.total, u.total);
}

#[test]
fn ties_cite_the_first_situation_and_empty_matters_nothing() {
    // A: overdue 3 and overdue 3 → one deduction of 3 under 1.1; B has no situation.
    let m = r#"[{"id": "A", "kind": "overdue"}, {"id": "A", "kind": "overdue"}]"#;
    let (p, u) = score(true, m);
    assert_eq!(deductions(&p, &u), vec![("1.1".into(), d("-3"))]);
    let (p, u) = score(true, "[]");
    assert!(deductions(&p, &u).is_empty());
    assert_eq!(u.total, d("7"));
}
