//! Time `check` on a file: `cargo run --release -p rulebook-lang --example check_many -- FILE [RUNS]`.
fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "rulebooks/ziyuan-2024.rules".into());
    let runs: u32 = args.next().and_then(|r| r.parse().ok()).unwrap_or(100);
    let Ok(src) = std::fs::read_to_string(&path) else {
        eprintln!("cannot read {path}");
        std::process::exit(2);
    };
    let t = std::time::Instant::now();
    let mut errors = 0;
    for _ in 0..runs {
        errors = rulebook_lang::check(&path, &src).diagnostics.len();
    }
    println!(
        "{path}: {:?} per check ({errors} diagnostics)",
        t.elapsed() / runs
    );
}
