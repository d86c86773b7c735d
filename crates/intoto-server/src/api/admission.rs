//! `POST /v1/admission`: Kubernetes `AdmissionReview` (v1) requests, each
//! container image checked by [`crate::admission::review`] against the
//! configured policy over the store's evidence for its digest.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use intoto_store::backend::DigestRef;

use super::ApiError;
use crate::admission::{AdmissionConfig, ImageRef, ImageVerdict, error_response, review};
use crate::state::AppState;

/// The most findings quoted in a denial for one image.
const MAX_QUOTED: usize = 3;

/// `POST /v1/admission`.
pub(super) async fn admission(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body?;
    let Some(settings) = state.admission.clone() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "admission-off",
            "this server checks no admission requests: start it with --admission-policy",
        ));
    };
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(e) => {
            // Kubernetes reads the review only from a 200 answer.
            return Ok(Json(error_response(None, &format!("not JSON: {e}"))).into_response());
        }
    };
    let config = AdmissionConfig {
        allow_tags: settings.allow_tags,
    };
    let check = |image: ImageRef| {
        let state = state.clone();
        let settings = settings.clone();
        async move {
            let Some(digest) = image.digest.as_ref() else {
                return ImageVerdict {
                    passed: false,
                    message: "not pinned by digest".into(),
                    warnings: Vec::new(),
                };
            };
            let subject = DigestRef {
                algorithm: digest.algorithm.clone(),
                digest: digest.hex.clone(),
            };
            match super::verify::run(
                &state,
                settings.name.clone(),
                settings.document.clone(),
                settings.keys.clone(),
                &subject,
                settings.parameters.clone(),
            )
            .await
            {
                Ok((verdict, _)) if verdict.passed() => ImageVerdict {
                    passed: true,
                    message: "verified".into(),
                    warnings: verdict
                        .report
                        .verdict
                        .warnings()
                        .take(MAX_QUOTED)
                        .map(|d| format!("{}: {}", image.image, d.message))
                        .collect(),
                },
                Ok((verdict, _)) => {
                    let reasons: Vec<String> = verdict
                        .report
                        .verdict
                        .errors()
                        .take(MAX_QUOTED)
                        .map(|d| d.message.clone())
                        .collect();
                    ImageVerdict {
                        passed: false,
                        message: format!("failed verification: {}", reasons.join("; ")),
                        warnings: Vec::new(),
                    }
                }
                Err(e) => ImageVerdict {
                    passed: false,
                    message: format!("could not be verified: {}", e.message()),
                    warnings: Vec::new(),
                },
            }
        }
    };
    match review(&value, &config, check).await {
        Ok(response) => Ok(Json(response).into_response()),
        Err(e) => {
            let uid = value.pointer("/request/uid").and_then(|u| u.as_str());
            Ok(Json(error_response(uid, &e.to_string())).into_response())
        }
    }
}
