//! In `--format json`, each node carries exactly its own trace entries, in
//! the trace's order: every entry once, under the node it belongs to.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use rulebook_report::json::{render, Dec, Detail};
use rulebook_report::reason::reason;
use serde_json::Value;

/// Every node of `items` (depth first) with its trace's amounts and
/// reasons, by id.
fn walk(nodes: &Value, out: &mut Vec<(String, Vec<String>)>) {
    for n in nodes.as_array().unwrap() {
        let amounts = n["trace"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                assert_eq!(t["clause"], n["id"], "an entry under another node");
                format!(
                    "{} {}",
                    t["amount"].as_str().unwrap(),
                    t["reason"].as_str().unwrap()
                )
            })
            .collect();
        out.push((n["id"].as_str().unwrap().to_string(), amounts));
        walk(&n["parts"], out);
    }
}

#[test]
fn each_node_carries_its_own_trace_entries_in_order() {
    let (program, units) = common::ziyuan();
    let doc: Value = serde_json::from_str(&render(&program, &units, Detail::Full)).unwrap();
    for (u, out) in units.iter().zip(doc["units"].as_array().unwrap()) {
        let mut got = Vec::new();
        walk(&out["items"], &mut got);
        let mut listed = 0;
        for (id, amounts) in &got {
            let i = program.nodes.iter().position(|n| &n.id == id).unwrap() as u32;
            let want: Vec<String> = u
                .trace
                .iter()
                .filter(|e| e.node == i)
                .map(|e| {
                    let amount = serde_json::to_value(Dec(e.amount)).unwrap();
                    format!("{} {}", amount.as_str().unwrap(), reason(&program, u, e))
                })
                .collect();
            assert_eq!(amounts, &want, "{}: node {id}", u.unit);
            listed += amounts.len();
        }
        // Entries of the root and sections sit above the items.
        let above = u
            .trace
            .iter()
            .filter(|e| {
                !got.iter()
                    .any(|(id, _)| program.nodes[e.node as usize].id == *id)
            })
            .count();
        assert_eq!(listed + above, u.trace.len(), "{}", u.unit);
        assert!(listed > 0, "{}", u.unit);
    }
}
