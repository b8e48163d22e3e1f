//! Score one unit many times (cache-hot) to separate interpreter cost from batch effects.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let src = std::fs::read_to_string(root.join("rulebooks/ziyuan-2024.rules")).unwrap();
    let data = std::fs::read_to_string(root.join("examples/ziyuan-2024/data.json")).unwrap();
    let program = rulebook_lang::check("z", &src).program.unwrap();
    let batch = rulebook_eval::data::load_json(&program, "d", &data).unwrap();
    let n = 200_000;
    let t = std::time::Instant::now();
    for i in 0..n {
        let u = &batch.units[i % batch.units.len()];
        let r = rulebook_eval::eval::evaluate_unit(
            &program,
            &batch.globals,
            u,
            &[rust_decimal::Decimal::ONE],
            false,
        )
        .unwrap();
        std::hint::black_box(&r);
    }
    println!("{:?} per unit", t.elapsed() / n as u32);
}
