//! `rulebook serve`: an assessment office's workbench in a browser.
//!
//! In: a folder of `.rules` files. Out: server-rendered pages (Chinese,
//! self-contained, printable) to read a rulebook, download its templates,
//! score an uploaded data file, see each unit's reasons and where it can
//! gain, download the reports, and (with `--edit`) edit a rulebook with the
//! checker's diagnostics as you type; and the HTTP API those pages use
//! (`docs/http-api.md`). Every computation is the library crates'
//! (`rulebook-lang`, `rulebook-eval`, `rulebook-report`, `rulebook-office`);
//! this crate only moves requests to them and their answers back.
//!
//! Safety: it binds to 127.0.0.1 unless given a token; uploads are capped;
//! only `.rules` files directly in the folder are read or written (and only
//! written by a save under `--edit`); cross-origin POSTs are refused;
//! scorings run a few at a time so memory stays bounded.

mod api;
mod assets;
mod files;
mod gains;
mod guard;
mod pages;
mod results;
mod scoring;

use axum::Router;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// The largest upload taken by default: 100 MB.
pub const DEFAULT_MAX_UPLOAD: usize = 100 * 1024 * 1024;

/// How the server runs: what `rulebook serve` was given.
#[derive(Debug, Clone)]
pub struct Config {
    /// The folder whose `.rules` files are served.
    pub dir: PathBuf,
    pub addr: SocketAddr,
    /// Allow editing and saving rulebooks.
    pub edit: bool,
    /// Required of every request when set (a bearer header or the login
    /// cookie); required to serve on any address but loopback.
    pub token: Option<String>,
    /// The largest request body, in bytes.
    pub max_upload: usize,
}

impl Config {
    /// Serve `dir` on 127.0.0.1:8080, read-only, without a token.
    pub fn local(dir: impl Into<PathBuf>) -> Config {
        Config {
            dir: dir.into(),
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            edit: false,
            token: None,
            max_upload: DEFAULT_MAX_UPLOAD,
        }
    }

    /// Refuse what would be unsafe to start: another address than loopback
    /// without a token, an empty or blank token.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(t) = &self.token {
            if t.len() < 8 || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err("the token must be at least 8 characters, without spaces".to_owned());
            }
        }
        if !self.addr.ip().is_loopback() && self.token.is_none() {
            return Err(format!(
                "serving on {} lets other computers in: give a password with --token TOKEN \
                 (people then sign in with it), or serve on 127.0.0.1",
                self.addr
            ));
        }
        if self.max_upload == 0 {
            return Err("--max-upload must be more than 0".to_owned());
        }
        Ok(())
    }
}

/// Read a size such as `100MB`, `20M`, `512k` or `1048576` (bytes).
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim().to_ascii_lowercase();
    let t = t.strip_suffix('b').unwrap_or(&t);
    let (digits, factor) = match t.char_indices().last() {
        Some((i, 'k')) => (t.get(..i).unwrap_or(""), 1usize << 10),
        Some((i, 'm')) => (t.get(..i).unwrap_or(""), 1 << 20),
        Some((i, 'g')) => (t.get(..i).unwrap_or(""), 1 << 30),
        _ => (t, 1),
    };
    digits
        .trim()
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{s}` is not a size; write e.g. 100MB, 20MB or 1048576"))
}

/// What every handler shares.
pub(crate) struct AppState {
    pub files: files::Rulebooks,
    pub edit: bool,
    pub token: Option<String>,
    pub max_upload: usize,
    pub results: results::Results,
    pub scoring: tokio::sync::Semaphore,
}

pub(crate) type State = Arc<AppState>;

/// The whole application (pages and API, behind the safety checks), for a
/// server or a test.
pub fn app(config: &Config) -> Result<Router, String> {
    config.validate()?;
    let files = files::Rulebooks::new(&config.dir)?;
    let permits = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
    let state: State = Arc::new(AppState {
        files,
        edit: config.edit,
        token: config.token.clone(),
        max_upload: config.max_upload,
        results: results::Results::default(),
        scoring: tokio::sync::Semaphore::new(permits),
    });
    let routes = Router::new()
        .merge(pages::routes())
        .merge(api::routes())
        .merge(assets::routes());
    Ok(guard::wrap(routes, state))
}

/// Serve until Ctrl-C. Prints the address to open.
pub fn run(config: &Config) -> Result<(), String> {
    let router = app(config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Checking and scoring run on blocking threads; deeply nested
        // rulebooks are refused by the parser, but a generous stack keeps
        // every pass clear of the limit.
        .thread_stack_size(64 << 20)
        .build()
        .map_err(|e| format!("cannot start: {e}"))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
        let shown = listener.local_addr().unwrap_or(config.addr);
        eprintln!(
            "serving the rulebooks in {} at http://{shown}/{}{}",
            config.dir.display(),
            if config.edit {
                " (editing allowed)"
            } else {
                ""
            },
            if config.token.is_some() {
                " — sign in with the token"
            } else {
                ""
            }
        );
        eprintln!("press Ctrl-C to stop");
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| format!("the server stopped: {e}"))
    })
}
