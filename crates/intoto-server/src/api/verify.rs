//! `POST /v1/verify`: a layout or policy (one the server was configured
//! with, by id, or one sent inline with its owner's keys) verified over
//! the store's evidence for one subject digest, by the verifier the
//! command line runs. Inspections are not run on the server: a layout
//! that has them fails with `inspection-not-run`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use intoto::crypto::{KeyIdForm, PublicKey, Signer};
use intoto::policy::{SummaryOptions, summary_statement};
use intoto::verify::CommandRunner;
use intoto_store::AttestationId;
use intoto_store::backend::DigestRef;
use intoto_store::verify::{EvidenceRequest, EvidenceVerdict, verify_evidence};
use serde::Deserialize;
use serde_json::json;

use super::ApiError;
use crate::state::AppState;

/// Which layout or policy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DocumentRef {
    /// A configured one, by the sha256 of its file (`GET /v1/policies`).
    id: Option<String>,
    /// One given here: its text (a signed layout, a signed or unsigned policy).
    document: Option<String>,
}

/// What a summary should say.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct VsaRequest {
    #[serde(default)]
    resource_uri: Option<String>,
    #[serde(default)]
    verified_levels: Vec<String>,
}

/// The request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifyBody {
    policy: DocumentRef,
    /// PEM public keys of the owner (inline documents).
    #[serde(default)]
    keys: Vec<String>,
    /// `ALG:HEX` of the final artifact.
    subject: String,
    #[serde(default)]
    parameters: BTreeMap<String, String>,
    /// Sign a verification summary (policies).
    #[serde(default)]
    vsa: Option<VsaRequest>,
    /// Include the HTML picture of the verification.
    #[serde(default)]
    html: bool,
}

/// `GET /v1/policies`: the configured layouts and policies.
pub(super) async fn policies(State(state): State<AppState>) -> Response {
    let items: Vec<serde_json::Value> = state
        .trust
        .documents()
        .iter()
        .map(|d| json!({"id": d.id.to_string(), "kind": d.kind, "name": d.path.file_name().map(|n| n.to_string_lossy().into_owned())}))
        .collect();
    Json(json!({"policies": items})).into_response()
}

/// `POST /v1/verify`.
pub(super) async fn verify(
    State(state): State<AppState>,
    body: Result<Json<VerifyBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) =
        body.map_err(|e| ApiError::new(e.status(), "request-malformed", e.body_text()))?;
    let subject =
        DigestRef::parse(&body.subject).map_err(|e| ApiError::bad_request("digest", e))?;
    let (name, document, keys) = match (&body.policy.id, &body.policy.document) {
        (Some(id), None) => {
            let id = AttestationId::parse(id).map_err(|e| ApiError::bad_request("id", e))?;
            let doc = state.trust.document(&id).ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not-found",
                    format!("no configured layout or policy {id}; GET /v1/policies lists them"),
                )
            })?;
            if !body.keys.is_empty() {
                return Err(ApiError::bad_request(
                    "keys",
                    "a configured document is checked with the server's owner keys; send no keys",
                ));
            }
            (
                doc.path.clone(),
                doc.bytes.as_ref().clone(),
                state.trust.owner_keys().to_vec(),
            )
        }
        (None, Some(text)) => {
            let keys = body
                .keys
                .iter()
                .enumerate()
                .map(|(n, pem)| {
                    PublicKey::from_pem(pem.as_bytes(), KeyIdForm::Modern).map_err(|e| {
                        ApiError::bad_request(
                            "keys",
                            format!("keys[{n}]: not a PEM public key: {e}"),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            (PathBuf::from("request"), text.clone().into_bytes(), keys)
        }
        _ => {
            return Err(ApiError::bad_request(
                "policy",
                "give policy.id (a configured one) or policy.document (its text), one of them",
            ));
        }
    };
    let verdict = run(
        &state,
        name,
        document,
        keys,
        &subject,
        body.parameters.clone(),
    )
    .await?;
    let mut answer = json!({
        "passed": verdict.0.passed(),
        "kind": verdict.0.kind,
        "subject": subject.to_string(),
        "evidence": verdict.1,
        "report": verdict.0.report.to_json().map_err(|e| ApiError::internal(&e.to_string()))?,
    });
    if let Some(vsa) = &body.vsa {
        answer["vsa"] = summary(&state, &verdict.0, vsa)?;
    }
    if body.html {
        answer["html"] = json!(verdict.0.html());
    }
    Ok(Json(answer).into_response())
}

/// Collects the evidence for `subject` and verifies `document` over it.
pub(crate) async fn run(
    state: &AppState,
    name: PathBuf,
    document: Vec<u8>,
    keys: Vec<PublicKey>,
    subject: &DigestRef,
    parameters: BTreeMap<String, String>,
) -> Result<(EvidenceVerdict, serde_json::Value), ApiError> {
    let evidence = intoto_store::evidence::collect(state.store.as_ref(), subject)
        .await
        .map_err(|e| ApiError::internal(&e.to_string()))?;
    let about = json!({
        "count": evidence.found.len(),
        "truncated": evidence.truncated,
        "ids": evidence.found.iter().map(|f| f.meta.id.clone()).collect::<Vec<_>>(),
    });
    let subject = subject.clone();
    let verdict = tokio::task::spawn_blocking(move || {
        let request = EvidenceRequest {
            name,
            document: &document,
            keys,
            subject: &subject,
            parameters,
            runner: CommandRunner::disabled(),
            now: chrono::Utc::now(),
        };
        verify_evidence(&request, &evidence)
    })
    .await
    .map_err(|e| ApiError::internal(&e.to_string()))?
    .map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "verification-not-carried-out",
            intoto::verify::error_chain(&e),
        )
    })?;
    Ok((verdict, about))
}

fn summary(
    state: &AppState,
    verdict: &EvidenceVerdict,
    vsa: &VsaRequest,
) -> Result<serde_json::Value, ApiError> {
    let Some(key) = &state.vsa_signer else {
        return Err(ApiError::bad_request(
            "vsa",
            "this server signs no summaries: start it with --vsa-key",
        ));
    };
    let Some(report) = &verdict.policy else {
        return Err(ApiError::bad_request(
            "vsa",
            "summaries are made for policies, not classic layouts",
        ));
    };
    let mut options = SummaryOptions::new(vsa.resource_uri.clone().unwrap_or_default());
    options.verified_levels.clone_from(&vsa.verified_levels);
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let statement = summary_statement(report, &options, &now);
    let signers: [&dyn Signer; 1] = [key.as_ref()];
    let envelope = intoto::attest::sign_statement(&statement, &signers)
        .map_err(|e| ApiError::internal(&e.to_string()))?;
    Ok(envelope.to_value())
}
