//! The HTTP API. Every answer is JSON except the stored bytes and the web
//! page; every error is one envelope,
//! `{"error": {"code": "...", "message": "..."}}`, with a 4xx status for
//! anything the request got wrong and 5xx only for the server's own
//! failures. The routes and their shapes are in the OpenAPI document
//! served at `/openapi.json`.

mod admission;
mod archivista;
mod attestations;
mod verify;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::state::AppState;

/// The OpenAPI document of this API.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// The whole application: API, Archivista routes, web page.
pub fn router(state: AppState) -> Router {
    let limit = state.body_limit;
    Router::new()
        .route(
            "/v1/attestations",
            post(attestations::upload).get(attestations::list),
        )
        .route("/v1/attestations/{id}", get(attestations::fetch))
        .route("/v1/attestations/{id}/meta", get(attestations::meta))
        .route("/v1/evidence", get(attestations::evidence))
        .route("/v1/verify", post(verify::verify))
        .route("/v1/policies", get(verify::policies))
        .route("/v1/admission", post(admission::admission))
        .route("/upload", post(archivista::upload))
        .route("/v1/upload", post(archivista::upload))
        .route("/download/{gitoid}", get(archivista::download))
        .route("/v1/download/{gitoid}", get(archivista::download))
        .route("/openapi.json", get(openapi))
        .route("/healthz", get(healthz))
        .merge(crate::web::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    match state.store.count().await {
        Ok(n) => axum::Json(serde_json::json!({"status": "ok", "backend": state.store.backend(), "attestations": n})).into_response(),
        Err(e) => ApiError::internal(&e.to_string()).into_response(),
    }
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "no such route; the API is described at /openapi.json",
    )
}

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    code: String,
    message: String,
}

impl ApiError {
    /// An error with `status`, a stable `code` and a message saying what to do.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A 400.
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// The server's own failure; the detail is logged, not sent.
    pub fn internal(detail: &str) -> Self {
        tracing::error!(error = detail, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed; its log says why",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<axum::extract::rejection::BytesRejection> for ApiError {
    fn from(e: axum::extract::rejection::BytesRejection) -> Self {
        let status = e.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "body-too-large"
        } else {
            "body-unreadable"
        };
        Self::new(status, code, e.body_text())
    }
}

/// Refuses a write without a listed bearer token.
fn authorize_write(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    if !state.writable() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "read-only",
            "this store takes no uploads: start it with --token-file to allow writes",
        ));
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    match token {
        Some(token) if state.may_write(token) => Ok(()),
        Some(_) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "token-refused",
            "the bearer token is not one this store accepts",
        )),
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "token-missing",
            "a write needs 'Authorization: Bearer <token>' with a token from the store's --token-file",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every route the router serves is in the OpenAPI document, and the
    /// document names no route it does not serve.
    #[test]
    fn openapi_lists_the_routes() {
        let doc: serde_json::Value =
            serde_json::from_str(OPENAPI).unwrap_or_else(|e| panic!("openapi.json: {e}"));
        let mut documented: Vec<String> = doc["paths"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        documented.sort();
        let source = include_str!("mod.rs");
        let router = source.split("mod tests").next().unwrap_or_default();
        let mut served: Vec<String> = router
            .split(".route(")
            .skip(1)
            .filter_map(|part| part.split('"').nth(1))
            .map(str::to_owned)
            .chain(["/".to_owned()])
            .collect();
        served.sort();
        served.dedup();
        // The web page's assets are not API.
        documented.retain(|p| p != "/app.js" && p != "/style.css");
        assert_eq!(documented, served);
    }
}
