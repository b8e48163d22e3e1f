//! `--format html`: one self-contained page that renders.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use rulebook_report::html;
use std::path::Path;
use std::process::Command;

#[test]
fn self_contained_and_escaped() {
    let (program, mut units) = common::ziyuan();
    let page = html::render(&program, &units);
    assert_eq!(page, html::render(&program, &units), "same bytes every run");
    assert!(page.starts_with("<!DOCTYPE html>"));
    for needle in ["http://", "https://", "<script", "<link", "@import", "url("] {
        assert!(!page.contains(needle), "the page holds `{needle}`");
    }
    assert!(page.contains("<svg"), "charts are inline SVG");
    assert!(page.contains("典型县"));
    // A citation of the document's own sentence.
    assert!(page.contains("每低0.1个百分点扣0.3分"));
    // Names from the data are escaped.
    units[0].unit = "<script>alert(1)</script> & \"x\"".into();
    let page = html::render(&program, &units);
    assert!(!page.contains("<script"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"));
}

/// Screenshot the report in headless Chromium, where it is installed, and
/// check the picture is not blank.
#[test]
fn renders_in_chromium() {
    let chromium = Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        eprintln!("skipped: no /usr/bin/chromium");
        return;
    }
    let (program, units) = common::ziyuan();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, html::render(&program, &units)).unwrap();
    let shot = dir.path().join("shot.png");
    let profile = dir.path().join("profile");
    let run = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1280,2000")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        run.status.success() && shot.exists(),
        "chromium failed ({}): {}",
        run.status,
        String::from_utf8_lossy(&run.stderr)
    );
    let bytes = std::fs::read(&shot).unwrap();
    assert!(
        bytes.len() > 10_000,
        "screenshot is only {} bytes",
        bytes.len()
    );
    if let Ok(keep) = std::env::var("RULEBOOK_KEEP_SCREENSHOT") {
        std::fs::write(keep, &bytes).unwrap();
    }
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (1280, 2000));
    let px = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(px).collect();
    let first = pixels[0];
    let differ = pixels.iter().filter(|p| *p != &first).count();
    // Text, tables and bars cover a fair part of the page.
    assert!(
        differ * 20 > pixels.len(),
        "the page is nearly one colour: {differ} of {} pixels differ",
        pixels.len()
    );
    // Some pixels are the bars' colours (blue ranking, red losses).
    let blue = pixels
        .iter()
        .any(|p| p[0] == 0x2f && p[1] == 0x6f && p[2] == 0xb0);
    assert!(blue, "no ranking bar in the screenshot");
}
