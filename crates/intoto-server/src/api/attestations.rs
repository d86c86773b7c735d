//! Uploading, listing, fetching and walking attestations.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use intoto_store::backend::PutOutcome;
use intoto_store::backend::{DigestRef, page_limit};
use intoto_store::{AttestationId, Indexed, StoreError, UploadError, UploadFormat, verify_upload};
use serde_json::json;

use super::{ApiError, authorize_write};
use crate::state::AppState;

/// `POST /v1/attestations`.
pub(super) async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    authorize_write(&state, &headers)?;
    let body = body?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(format) = UploadFormat::from_content_type(content_type) else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type",
            format!(
                "content type {content_type:?} is not taken: send application/json for one envelope or link, application/jsonl for a bundle"
            ),
        ));
    };
    store(&state, body, format).await
}

/// Verifies and stores `body`; the answer lists each document's ids.
async fn store(state: &AppState, body: Bytes, format: UploadFormat) -> Result<Response, ApiError> {
    let (accepted, outcomes) = accept(state, body, format).await?;
    let created = outcomes.iter().any(|o| o.created);
    let items: Vec<serde_json::Value> = outcomes
        .iter()
        .zip(&accepted)
        .map(|(o, i)| {
            json!({
                "id": o.id,
                "gitoid": o.gitoid,
                "created": o.created,
                "kind": i.kind,
                "predicateType": i.predicate_type,
                "step": i.step,
                "signers": i.signers,
                "subjects": i.subjects.len(),
                "materials": i.materials.len(),
            })
        })
        .collect();
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(json!({"attestations": items}))).into_response())
}

/// Verifies `body` (off the async runtime: signature checks take CPU) and
/// stores what it holds: each document's index, and how storing went.
pub(super) async fn accept(
    state: &AppState,
    body: Bytes,
    format: UploadFormat,
) -> Result<(Vec<Indexed>, Vec<PutOutcome>), ApiError> {
    let trust = state.trust.clone();
    let now = chrono::Utc::now().timestamp();
    let accepted = tokio::task::spawn_blocking(move || verify_upload(&body, format, &trust, now))
        .await
        .map_err(|e| ApiError::internal(&e.to_string()))?
        .map_err(upload_error)?;
    let indexed = accepted.iter().map(|a| a.indexed.clone()).collect();
    let outcomes = state
        .store
        .put(accepted)
        .await
        .map_err(|e| ApiError::internal(&e.to_string()))?;
    Ok((indexed, outcomes))
}

/// The stored bytes a lookup found, or a 404 naming `what` was looked for.
pub(super) fn bytes_answer(
    found: Result<Option<Vec<u8>>, StoreError>,
    what: impl FnOnce() -> String,
) -> Result<Response, ApiError> {
    match found {
        Ok(Some(bytes)) => {
            Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response())
        }
        Ok(None) => Err(ApiError::new(StatusCode::NOT_FOUND, "not-found", what())),
        Err(e) => Err(ApiError::internal(&e.to_string())),
    }
}

/// The status and envelope of a refused upload.
pub(super) fn upload_error(e: UploadError) -> ApiError {
    let status = match &e {
        UploadError::UnknownKey { .. } => StatusCode::FORBIDDEN,
        UploadError::BadSignature { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        UploadError::TooManyLines => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_REQUEST,
    };
    ApiError::new(status, e.code(), e.to_string())
}

const LIST_PARAMETERS: [&str; 6] = [
    "subject",
    "material",
    "predicateType",
    "step",
    "limit",
    "after",
];

/// `GET /v1/attestations?subject=ALG:HEX&predicateType=…&step=…&limit=…&after=…`.
pub(super) async fn list(
    State(state): State<AppState>,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = query.map_err(|e| ApiError::bad_request("query", e.body_text()))?;
    if let Some(unknown) = params
        .keys()
        .find(|k| !LIST_PARAMETERS.contains(&k.as_str()))
    {
        return Err(ApiError::bad_request(
            "query",
            format!(
                "unknown parameter {unknown:?}; the parameters are {}",
                LIST_PARAMETERS.join(", ")
            ),
        ));
    }
    let digest = |name: &str| {
        params
            .get(name)
            .map(|v| {
                DigestRef::parse(v)
                    .map_err(|e| ApiError::bad_request("digest", format!("{name}: {e}")))
            })
            .transpose()
    };
    let mut q = intoto_store::Query {
        subject: digest("subject")?,
        material: digest("material")?,
        ..intoto_store::Query::default()
    };
    if q.subject.is_some() && q.material.is_some() {
        return Err(ApiError::bad_request(
            "query",
            "give subject or material, not both",
        ));
    }
    q.predicate_type = params.get("predicateType").cloned();
    q.step = params.get("step").cloned();
    for (name, value) in [("predicateType", &q.predicate_type), ("step", &q.step)] {
        if value.as_ref().is_some_and(|v| v.len() > 1024) {
            return Err(ApiError::bad_request(
                "query",
                format!("{name} is longer than 1024 bytes"),
            ));
        }
    }
    let number = |name: &str| {
        params
            .get(name)
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    ApiError::bad_request("query", format!("{name} must be a whole number"))
                })
            })
            .transpose()
    };
    q.limit = page_limit(number("limit")?.map(|n| u32::try_from(n).unwrap_or(u32::MAX)));
    q.after = number("after")?.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    let page = state
        .store
        .find(&q)
        .await
        .map_err(|e| ApiError::internal(&e.to_string()))?;
    Ok(Json(page).into_response())
}

fn parse_id(id: &str) -> Result<AttestationId, ApiError> {
    AttestationId::parse(id).map_err(|e| ApiError::bad_request("id", e))
}

/// `GET /v1/attestations/{id}`: the bytes as received.
pub(super) async fn fetch(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    bytes_answer(state.store.get(&id).await, || {
        format!("no attestation {id}")
    })
}

/// `GET /v1/attestations/{id}/meta`: what the store knows of it.
pub(super) async fn meta(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    match state.store.describe(&id).await {
        Ok(Some(meta)) => Ok(Json(meta).into_response()),
        Ok(None) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("no attestation {id}"),
        )),
        Err(e) => Err(ApiError::internal(&e.to_string())),
    }
}

/// `GET /v1/evidence?subject=ALG:HEX`: every document of the chain that
/// ends in the subject, with its bytes (base64).
pub(super) async fn evidence(
    State(state): State<AppState>,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = query.map_err(|e| ApiError::bad_request("query", e.body_text()))?;
    let subject = params
        .get("subject")
        .ok_or_else(|| ApiError::bad_request("query", "give subject=ALG:HEX"))?;
    let subject = DigestRef::parse(subject).map_err(|e| ApiError::bad_request("digest", e))?;
    let evidence = intoto_store::evidence::collect(state.store.as_ref(), &subject)
        .await
        .map_err(|e| ApiError::internal(&e.to_string()))?;
    let items: Vec<serde_json::Value> = evidence
        .found
        .iter()
        .map(|f| json!({"meta": f.meta, "bytes": intoto::model::envelope::encode_base64(&f.bytes)}))
        .collect();
    Ok(Json(json!({
        "subject": subject.to_string(),
        "truncated": evidence.truncated,
        "attestations": items,
    }))
    .into_response())
}
