//! A compiled rulebook read from disk is validated before it is evaluated:
//! each hand edit below is refused with a message naming where it is, and
//! the rulebook as compiled passes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use rulebook_lang::ir::{Expr, Program, SettleTo, Target};
use rulebook_lang::validate::validate;

fn ziyuan() -> Program {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let src = std::fs::read_to_string(root.join("rulebooks/ziyuan-2024.rules")).unwrap();
    rulebook_lang::check("ziyuan-2024.rules", &src)
        .program
        .unwrap()
}

/// The first rule of a node with a plain amount whose condition reads an input.
fn first_condition(p: &mut Program) -> &mut Expr {
    p.nodes
        .iter_mut()
        .flat_map(|n| n.rules.iter_mut())
        .find_map(|r| r.condition.as_mut())
        .unwrap()
}

fn refused(p: &Program, words: &str) {
    let errors = validate(p);
    assert!(
        errors.iter().any(|e| e.contains(words)),
        "expected an error with {words:?}, got {errors:?}"
    );
}

#[test]
fn the_compiled_rulebook_is_sound() {
    assert_eq!(validate(&ziyuan()), Vec::<String>::new());
}

#[test]
fn serde_round_trip_is_sound() {
    let p = ziyuan();
    let text = serde_json::to_string(&p).unwrap();
    let back: Program = serde_json::from_str(&text).unwrap();
    assert_eq!(validate(&back), Vec::<String>::new());
}

#[test]
fn out_of_range_input_slot() {
    // Today's bug: such a slot read as "missing" and scored with exit 0.
    let mut p = ziyuan();
    let n = p.inputs.len() as u32;
    *first_condition(&mut p) = Expr::Input(n + 5);
    refused(&p, &format!("reads input #{}, which does not exist", n + 5));
}

#[test]
fn node_is_its_own_child() {
    // Today's bug: the evaluator recursed until the stack overflowed.
    let mut p = ziyuan();
    p.nodes[3].children.push(3);
    refused(&p, "child #3 is numbered before its parent");
}

#[test]
fn node_reached_twice_or_not_at_all() {
    let mut p = ziyuan();
    let moved = p.nodes[0].children.pop().unwrap();
    refused(&p, &format!("node #{moved}: is not part of the table"));
    let mut p = ziyuan();
    let c = p.nodes[1].children[0];
    p.nodes[0].children.push(c);
    refused(&p, "names another parent");
}

#[test]
fn child_out_of_range() {
    let mut p = ziyuan();
    p.nodes[1].children.push(1_000_000);
    refused(&p, "child #1000000 does not exist");
}

#[test]
fn derived_values_must_not_loop() {
    let mut p = ziyuan();
    assert!(!p.lets.is_empty());
    let last = p.lets.len() - 1;
    p.lets[0].expr = Expr::Let(last as u32);
    refused(&p, "reads derived value");
    let mut p = ziyuan();
    p.lets[0].expr = Expr::Let(0);
    refused(&p, "reads derived value #0");
}

#[test]
fn other_version() {
    let mut p = ziyuan();
    p.version += 1;
    refused(&p, "compiled by another version");
}

#[test]
fn hand_edited_settlement() {
    let mut p = ziyuan();
    let rule = p
        .nodes
        .iter_mut()
        .flat_map(|n| n.rules.iter_mut())
        .find(|r| r.settle.to == SettleTo::Node)
        .unwrap();
    rule.settle.to = SettleTo::Total;
    refused(&p, "where its amount settles does not match the table");
}

#[test]
fn pool_of_strangers() {
    let mut p = ziyuan();
    p.nodes[1].target = Target::Pool {
        settle_at: 0,
        members: vec![5_000],
        then_total: false,
    };
    refused(&p, "deducts from a pool");
}

#[test]
fn bad_table_and_block_and_locals() {
    let mut p = ziyuan();
    *first_condition(&mut p) = Expr::Table(99, vec![]);
    refused(&p, "reads table #99");
    let mut p = ziyuan();
    let rule = p
        .nodes
        .iter_mut()
        .flat_map(|n| n.rules.iter_mut())
        .next()
        .unwrap();
    rule.block = Some(7);
    refused(&p, "cap block #7 does not exist");
    let mut p = ziyuan();
    p.locals = u32::MAX;
    refused(&p, "variables, more than");
}

#[test]
fn deep_expression_is_refused_without_recursion() {
    let mut p = ziyuan();
    let mut e = Expr::Bool(true);
    for _ in 0..100_000 {
        e = Expr::Not(Box::new(e));
    }
    *first_condition(&mut p) = e;
    refused(&p, "nests deeper than");
    // Dropping 100 000 nested boxes recurses too; keep the test about validation.
    std::mem::forget(p);
}
