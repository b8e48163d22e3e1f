//! The stylesheet and the two small scripts, written here and built into
//! the binary (no CDN: the pages work offline).

use crate::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

const STYLE: &str = include_str!("../assets/style.css");
const APP: &str = include_str!("../assets/app.js");
const EDITOR: &str = include_str!("../assets/editor.js");

pub fn routes() -> Router<State> {
    Router::new()
        .route(
            "/static/style.css",
            get(|| async { asset("text/css", STYLE) }),
        )
        .route(
            "/static/app.js",
            get(|| async { asset("text/javascript", APP) }),
        )
        .route(
            "/static/editor.js",
            get(|| async { asset("text/javascript", EDITOR) }),
        )
}

fn asset(ctype: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, format!("{ctype}; charset=utf-8")),
            (header::CACHE_CONTROL, "no-cache".to_owned()),
        ],
        body,
    )
}
