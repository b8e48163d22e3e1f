//! In a real browser (headless Chromium, driven through chromedriver): the
//! home page, uploading the Ziyuan workbook, the eight units ranked,
//! 典型县's reasons and gains, and a mistake typed in the editor showing
//! its diagnostic. Skipped, with a notice, where Chromium or chromedriver
//! is missing (`.ci/install-chromium` installs both). Screenshots go to
//! `target/tmp/serve-screenshots/`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use fantoccini::{wd::Capabilities, Client, ClientBuilder, Locator};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_driver() -> (Driver, u16) {
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let driver = Driver(child);
    let start = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (driver, port)
}

async fn browser(port: u16, profile: &Path) -> Client {
    let mut caps = Capabilities::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1366,768",
                "--lang=zh-CN",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .unwrap()
}

fn shots() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(c: &Client, name: &str) {
    // The whole page, not only the window.
    let height = c
        .execute("return document.documentElement.scrollHeight", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap_or(768)
        .clamp(768, 4000);
    c.set_window_size(1366, height as u32).await.unwrap();
    let png = c.screenshot().await.unwrap();
    std::fs::write(shots().join(format!("{name}.png")), png).unwrap();
    c.set_window_size(1366, 768).await.unwrap();
}

/// Wait until the page's text holds `want`.
async fn wait_text(c: &Client, want: &str) -> String {
    let start = Instant::now();
    loop {
        let text = c
            .execute("return document.body.innerText", vec![])
            .await
            .unwrap()
            .as_str()
            .unwrap_or("")
            .to_owned();
        if text.contains(want) {
            return text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the page never showed `{want}`:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_workflow_in_chromium() {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        // Straight to stderr, past the test harness's capture, so the skip shows.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: the browser test needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver; .ci/install-chromium does it)"
        );
        return;
    }
    let (tmp, dir) = served_copy();
    let workbook_path = tmp.path().join("资源县2024年数据.xlsx");
    std::fs::write(&workbook_path, workbook()).unwrap();

    let mut config = rulebook_serve::Config::local(&dir);
    config.edit = true;
    let router = rulebook_serve::app(&config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, router).await });

    let (_driver, port) = start_driver().await;
    let c = browser(port, &tmp.path().join("profile")).await;

    // Home: the rulebook, checked clean.
    c.goto(&format!("{site}/")).await.unwrap();
    let text = wait_text(&c, "2024年度资源县生态环境保护目标任务分解表").await;
    assert!(text.contains("✓ 通过"), "{text}");
    shot(&c, "1-home").await;
    c.find(Locator::LinkText(
        "2024年度资源县生态环境保护目标任务分解表",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    wait_text(&c, "考核表").await;
    shot(&c, "2-rulebook").await;

    // Upload the filled-in workbook.
    c.find(Locator::Css("input[type=file]"))
        .await
        .unwrap()
        .send_keys(&workbook_path.display().to_string())
        .await
        .unwrap();
    c.find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "评分结果").await;
    let rows = c.find_all(Locator::Css("#ranking tbody tr")).await.unwrap();
    assert_eq!(rows.len(), 8);
    let mut ranked = Vec::new();
    for r in &rows {
        ranked.push(r.text().await.unwrap());
    }
    // Ranked by total (hand-computed in examples/ziyuan-2024/README.md).
    let order: Vec<&str> = ranked
        .iter()
        .map(|r| r.split_whitespace().nth(1).unwrap_or(""))
        .collect();
    assert_eq!(
        order,
        [
            "自定县",
            "达标县",
            "日期县",
            "否决县",
            "资源县",
            "溢出县",
            "典型县",
            "封顶县"
        ]
    );
    assert!(ranked[6].contains("59.84"), "{}", ranked[6]);
    shot(&c, "3-results").await;

    // Sort by the unit column, then back by rank: the table reorders.
    c.find(Locator::Css("#ranking th:nth-child(3)"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let first = c
        .find(Locator::Css(
            "#ranking tbody tr:first-child td:nth-child(2)",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(first, "封顶县", "sorted by total, lowest first");

    // 典型县: its reasons and what it can gain.
    c.find(Locator::LinkText("典型县"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let text = wait_text(&c, "可挽回的分数").await;
    assert!(
        text.contains("环境空气质量优良天数比率提高到96.5%可挽回3分"),
        "{text}"
    );
    assert!(text.contains("①完成年度环境空气质量优良天数比率控制目标"));
    assert!(text.contains("59.84"));
    shot(&c, "4-unit").await;

    // The editor: a mistake typed, its diagnostic shown, clickable to its line.
    c.goto(&format!("{site}/rulebooks/ziyuan-2024/edit"))
        .await
        .unwrap();
    wait_text(&c, "检查通过").await;
    let src = c.find(Locator::Css("#source")).await.unwrap();
    c.execute(
        "var s = document.getElementById('source'); s.focus(); s.setSelectionRange(0, 0); s.scrollTop = 0;",
        vec![],
    )
    .await
    .unwrap();
    src.send_keys("input oops: pcnt \"多写的输入\"\n")
        .await
        .unwrap();
    wait_text(&c, "1 个错误").await;
    let diag = c.find(Locator::Css("#diags li")).await.unwrap();
    let said = diag.text().await.unwrap();
    assert!(
        said.starts_with("错误") && said.contains("第 1 行"),
        "{said}"
    );
    let status = c
        .find(Locator::Css("#status"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(status.contains("1 个错误"), "{status}");
    let line: u64 = diag
        .attr("data-line")
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(line, 1);
    shot(&c, "5-editor").await;
    diag.click().await.unwrap();
    let at = c
        .execute(
            "var s = document.getElementById('source'); return s.value.slice(0, s.selectionStart).split('\\n').length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(at.as_u64(), Some(line));

    c.close().await.unwrap();
    server.abort();
    // Nothing was saved.
    assert_eq!(
        std::fs::read_to_string(dir.join("ziyuan-2024.rules")).unwrap(),
        rules_text()
    );
}
