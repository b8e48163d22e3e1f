//! `rulebook serve [DIR] [--addr 127.0.0.1:8080] [--edit] [--token TOKEN]
//! [--max-upload 100MB]`: the rulebooks of DIR in a browser.

use super::{usage_error, OK};
use rulebook_serve::Config;
use std::net::SocketAddr;
use std::path::Path;

pub fn run(
    dir: &Path,
    addr: SocketAddr,
    edit: bool,
    token: Option<String>,
    max_upload: usize,
) -> u8 {
    let config = Config {
        dir: dir.to_path_buf(),
        addr,
        edit,
        token,
        max_upload,
    };
    match rulebook_serve::run(&config) {
        Ok(()) => OK,
        Err(e) => usage_error(&e),
    }
}
