//! Syntax-check files: `cargo run -p rulebook-lang --example parse -- FILE...`
fn main() {
    let mut bad = false;
    for path in std::env::args().skip(1) {
        let Ok(src) = std::fs::read_to_string(&path) else {
            eprintln!("cannot read {path}");
            bad = true;
            continue;
        };
        match rulebook_lang::parse::parse(&src) {
            Ok(f) => println!(
                "{path}: ok ({} inputs, {} lets, {} tests)",
                f.inputs.len(),
                f.lets.len(),
                f.tests.len()
            ),
            Err(e) => {
                bad = true;
                eprint!(
                    "{}",
                    rulebook_lang::diag::render_plain(
                        &rulebook_lang::Source::new(path.as_str(), src.as_str()),
                        &e
                    )
                );
            }
        }
    }
    std::process::exit(i32::from(bad));
}
