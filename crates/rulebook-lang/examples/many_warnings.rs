//! How long checking and rendering take as the number of diagnostics grows
//! (issue 10 #14: line and column used to be counted from the start of the
//! file for each diagnostic). Run:
//!
//!     cargo run --release -p rulebook-lang --example many_warnings [N]
//!
//! A rulebook with N unused inputs gives N `unused_input` warnings; the
//! example times the checker and the rendering of every warning.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use rulebook_lang::diag::{render_plain, Source};
use std::time::Instant;

fn main() {
    let sizes: Vec<usize> = match std::env::args().nth(1) {
        Some(n) => vec![n.parse().expect("a number of warnings")],
        None => vec![5_000, 10_000, 20_000],
    };
    for n in sizes {
        let mut text = String::from("rulebook \"多警告\"\ninput used: count \"次数\"\n");
        for i in 0..n {
            text.push_str(&format!("input unused_{i}: count \"未用{i}\"\n"));
        }
        text.push_str("item 1 \"示例\" {\n  points 1\n  clause 1.1 \"扣分\" { award 1  deduct 0.1 each used cap 1 }\n}\n");
        let t0 = Instant::now();
        let checked = rulebook_lang::check("many.rules", &text);
        let t1 = Instant::now();
        let rendered = render_plain(
            &Source::new("many.rules", text.as_str()),
            &checked.diagnostics,
        );
        let t2 = Instant::now();
        println!(
            "{n:>6} warnings ({} KB): check {:>7.1} ms, render {:>7.1} ms ({} lines of output)",
            text.len() / 1024,
            (t1 - t0).as_secs_f64() * 1e3,
            (t2 - t1).as_secs_f64() * 1e3,
            rendered.lines().count()
        );
        assert!(checked.diagnostics.len() >= n);
    }
}
