//! Properties of scoring the Ziyuan rulebook, over units whose facts are
//! varied at random within their declared types and ranges: scoring never
//! fails or panics, every node with a base stays within [0, points], the base
//! (the sum of the item scores) within [0, 100], the bonus within [0, 10],
//! the total is max(0, base − deductions off the total) + bonus, nothing
//! sent to the total is negative, and a veto always means 不合格.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use proptest::prelude::*;
use rulebook_eval::data::{load_json, Batch};
use rulebook_eval::eval::{evaluate_batch, Options};
use rulebook_eval::Value;
use rulebook_lang::ast::CmpOp;
use rulebook_lang::ir::{NodeKind, Program, Type, Unit};
use rust_decimal::Decimal;
use std::sync::OnceLock;

fn setup() -> &'static (Program, Batch) {
    static S: OnceLock<(Program, Batch)> = OnceLock::new();
    S.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let src = std::fs::read_to_string(root.join("rulebooks/ziyuan-2024.rules")).unwrap();
        let data = std::fs::read_to_string(root.join("examples/ziyuan-2024/data.json")).unwrap();
        let program = rulebook_lang::check("ziyuan-2024.rules", &src)
            .program
            .unwrap();
        let batch = load_json(&program, "data.json", &data).unwrap();
        (program, batch)
    })
}

/// A value of the input's type and range, from a random draw.
fn vary(ty: &Type, range: &[(CmpOp, Decimal)], draw: u64, scale: u32) -> Option<Value> {
    match ty {
        Type::Bool => Some(Value::Bool(draw.is_multiple_of(2))),
        Type::Num(u) => {
            let mut lo = u.intrinsic_min().unwrap_or(Decimal::from(-1000));
            let mut hi = Decimal::from(10_i64.pow(scale.min(9)));
            for (op, b) in range {
                match op {
                    CmpOp::Ge => lo = lo.max(*b),
                    CmpOp::Gt => lo = lo.max(*b + Decimal::new(1, 2)),
                    CmpOp::Le => hi = hi.min(*b),
                    CmpOp::Lt => hi = hi.min(*b - Decimal::new(1, 2)),
                    _ => {}
                }
            }
            if hi < lo {
                hi = lo;
            }
            // A value in [lo, hi] with two decimals (whole for counts and ranks).
            let span = ((hi - lo) * Decimal::ONE_HUNDRED).trunc();
            let steps = Decimal::from(draw % 1_000_003);
            let offset = if span.is_zero() {
                Decimal::ZERO
            } else {
                (steps % (span + Decimal::ONE)) / Decimal::ONE_HUNDRED
            };
            let mut v = lo + offset;
            if matches!(u, Unit::Count | Unit::Rank) {
                v = v.ceil();
            }
            Some(Value::Num(v.min(hi).max(lo)))
        }
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn scores_stay_in_bounds(unit in 0usize..8, draws in proptest::collection::vec((0usize..400, any::<u64>(), 0u32..7), 1..60)) {
        let (program, batch) = setup();
        let mut b = batch.clone();
        let u = unit % b.units.len();
        for (slot, draw, scale) in draws {
            let i = slot % program.inputs.len();
            let def = &program.inputs[i];
            if let Some(v) = vary(&def.ty, &def.range, draw, scale) {
                b.units[u].inputs[i] = v;
            }
        }
        let results = evaluate_batch(program, &b, Options { trace: true, parallel: false })
            .unwrap_or_else(|e| panic!("scoring failed: {}", e[0]));
        let r = &results[u];
        prop_assert!(r.base >= Decimal::ZERO && r.base <= Decimal::from(100), "base {}", r.base);
        prop_assert!(r.bonus >= Decimal::ZERO && r.bonus <= Decimal::from(10), "bonus {}", r.bonus);
        let net = (r.base - r.total_deductions).max(Decimal::ZERO);
        prop_assert_eq!(r.total, net + r.bonus);
        // Every item with a base, outside the bonus section.
        let items: Decimal = program.nodes.iter().zip(&r.nodes)
            .filter(|(n, _)| n.kind == NodeKind::Item && n.has_base() && !n.bonus)
            .map(|(_, s)| s.score)
            .sum();
        prop_assert_eq!(r.base, items);
        prop_assert!(r.total_deductions >= Decimal::ZERO);
        for (def, s) in program.nodes.iter().zip(&r.nodes) {
            if let Some(p) = def.points {
                prop_assert!(s.score >= Decimal::ZERO && s.score <= p, "{} scored {} of {}", def.id, s.score, p);
            }
            prop_assert!(s.to_total >= Decimal::ZERO, "{} sends {} to the total", def.id, s.to_total);
        }
        if !r.vetoes.is_empty() {
            prop_assert_eq!(r.grade.as_str(), "不合格");
        } else {
            prop_assert_eq!(r.grade.as_str(), "合格");
        }
    }
}
