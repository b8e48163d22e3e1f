#[test]
fn small_parses() {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/small/small.rules"
    ))
    .unwrap();
    match rulebook_lang::parse::parse(&src) {
        Ok(f) => {
            assert_eq!(f.inputs.len(), 11);
            assert_eq!(f.root.children.len(), 3);
        }
        Err(e) => panic!(
            "{}",
            rulebook_lang::diag::render_plain(
                &rulebook_lang::Source::new("small.rules", src.as_str()),
                &e
            )
        ),
    }
}
