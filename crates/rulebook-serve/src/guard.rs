//! The checks every request passes before a handler sees it: the body's
//! size (413), the origin of a POST (403), the token (401 or the login
//! page); and a handler that fails unexpectedly answers 500 instead of
//! taking the server down.

use crate::{pages, State};
use axum::body::Body;
use axum::extract::{Query, Request};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use serde::Deserialize;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;

/// The login cookie's name.
pub const COOKIE: &str = "rulebook_token";

pub fn wrap(routes: Router<State>, state: State) -> Router {
    let limit = state.max_upload;
    routes
        .route("/login", get(login_page).post(login))
        .layer(axum::middleware::from_fn_with_state(state.clone(), check))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(CatchPanicLayer::custom(|_| {
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "/",
                "内部错误：这个请求没有完成，请把所用的文件发给维护人员。".to_owned(),
            )
        }))
        .with_state(state)
}

/// An error as JSON for the API, as a page otherwise.
pub fn error(status: StatusCode, path: &str, message: String) -> Response {
    if path.starts_with("/api/") {
        (status, Json(serde_json::json!({ "error": message }))).into_response()
    } else {
        (status, pages::message_page("出错了", &message)).into_response()
    }
}

async fn check(
    axum::extract::State(state): axum::extract::State<State>,
    req: Request<Body>,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !same_origin(req.headers()) {
        return error(
            StatusCode::FORBIDDEN,
            &path,
            "this request comes from another site; only this server's own pages may send it"
                .to_owned(),
        );
    }
    if let Some(token) = &state.token {
        let open = path == "/login" || path.starts_with("/static/");
        if !open && !authorized(req.headers(), token) {
            if path.starts_with("/api/") {
                return error(
                    StatusCode::UNAUTHORIZED,
                    &path,
                    "give the server's token: `Authorization: Bearer TOKEN`".to_owned(),
                );
            }
            return Redirect::to("/login").into_response();
        }
    }
    next.run(req).await
}

/// A request that is not plainly from another site: its `Origin` (or,
/// without one, its `Referer`) names this host, or it has neither and the
/// browser does not say it is cross-site (a script or `curl`).
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_ascii_lowercase);
    let from = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .map(|v| v.to_str().unwrap_or("null").to_ascii_lowercase());
    match from {
        Some(origin) => {
            let rest = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"));
            let origin_host = rest.map(|r| r.split('/').next().unwrap_or(""));
            matches!((origin_host, host), (Some(o), Some(h)) if o == h)
        }
        None => headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_none_or(|s| s == "same-origin" || s == "none"),
    }
}

fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| same(t.trim(), token));
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .any(|(k, v)| k == COOKIE && same(v, token));
    bearer || cookie
}

/// Compare without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[derive(Deserialize)]
struct LoginQuery {
    #[serde(default)]
    failed: bool,
}

async fn login_page(Query(q): Query<LoginQuery>) -> Response {
    pages::login(q.failed).into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

async fn login(
    axum::extract::State(state): axum::extract::State<State>,
    Form(f): Form<LoginForm>,
) -> Response {
    match &state.token {
        Some(t) if same(f.token.trim(), t) => (
            [(
                header::SET_COOKIE,
                format!(
                    "{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict",
                    f.token.trim()
                ),
            )],
            Redirect::to("/"),
        )
            .into_response(),
        Some(_) => Redirect::to("/login?failed=true").into_response(),
        None => Redirect::to("/").into_response(),
    }
}
