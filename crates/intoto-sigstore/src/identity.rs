//! The identity a verified bundle's Fulcio certificate states.

use intoto_verify::policy::identity::KeylessIdentity;
use sigstore_verify::VerificationResult;

/// Issuer, subject and Fulcio's CI extensions, named as Fulcio's
/// documentation names them (`sourceRepositoryURI`, `buildConfigURI`...).
pub(crate) fn of(result: &VerificationResult) -> Result<KeylessIdentity, String> {
    let issuer = result
        .issuer()
        .ok_or("the certificate names no OIDC issuer")?
        .to_string();
    let subject = result
        .identity()
        .map(|s| s.as_str().to_owned())
        .ok_or("the certificate names no subject")?;
    let mut identity = KeylessIdentity::new(issuer, subject);
    if let Some(info) = result.certificate() {
        let c = &info.ci_claims;
        let claims = [
            ("buildSignerURI", &c.build_signer_uri),
            ("buildSignerDigest", &c.build_signer_digest),
            ("runnerEnvironment", &c.runner_environment),
            ("sourceRepositoryURI", &c.source_repository_uri),
            ("sourceRepositoryDigest", &c.source_repository_digest),
            ("sourceRepositoryRef", &c.source_repository_ref),
            ("sourceRepositoryOwnerURI", &c.source_repository_owner_uri),
            ("buildConfigURI", &c.build_config_uri),
            ("buildConfigDigest", &c.build_config_digest),
            ("buildTrigger", &c.build_trigger),
            ("runInvocationURI", &c.run_invocation_uri),
        ];
        for (name, value) in claims {
            if let Some(value) = value {
                identity.extensions.insert(name.to_owned(), value.clone());
            }
        }
    }
    Ok(identity)
}
