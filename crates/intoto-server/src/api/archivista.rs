//! Archivista's routes, so that Witness and Archivista clients can use the
//! store: `POST /upload` takes one DSSE envelope and answers
//! `{"gitoid": "<hex>"}`; `GET /download/{gitoid}` gives its bytes. Both
//! are also under `/v1/`. Uploads are verified and need a bearer token,
//! as every write here does (Witness sends one with
//! `--archivista-headers "Authorization: Bearer …"`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use intoto_store::UploadFormat;
use serde_json::json;

use super::attestations::{accept, bytes_answer};
use super::{ApiError, authorize_write};
use crate::state::AppState;

/// `POST /upload`.
pub(super) async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    authorize_write(&state, &headers)?;
    let (_, outcomes) = accept(&state, body?, UploadFormat::Document).await?;
    let gitoid = outcomes
        .first()
        .map(|o| o.gitoid.clone())
        .unwrap_or_default();
    Ok(Json(json!({"gitoid": gitoid})).into_response())
}

/// `GET /download/{gitoid}`.
pub(super) async fn download(
    State(state): State<AppState>,
    Path(gitoid): Path<String>,
) -> Result<Response, ApiError> {
    if gitoid.len() != 64 || !gitoid.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::bad_request("id", "a gitoid is 64 hex digits"));
    }
    bytes_answer(state.store.get_by_gitoid(&gitoid).await, || {
        format!("no attestation with gitoid {gitoid}")
    })
}
