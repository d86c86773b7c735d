//! X.509 functionaries (ITE-7): a signature carries its key's
//! certificate; it counts when the certificate chains to a trusted root
//! and satisfies every field of one certificate constraint.
//!
//! Trust bundles come from a layout in either form that exists:
//! in-toto-golang's `rootcas` (one bundle per root, keyed by its keyid,
//! sharing all `intermediatecas`) or ITE-7's `trustBundles`. Constraints
//! choose bundles by `roots` (in-toto-golang) or `trustBundleIds` (ITE-7);
//! `"*"` chooses all. Path building is webpki's
//! ([`intoto_crypto::x509::verify_path`]).

use std::collections::BTreeSet;

use intoto_crypto::x509::{Certificate, Identity, X509Error, parse_pem_chain, verify_path};
use intoto_crypto::{SignatureError, Verified, verify_over_at};
use intoto_model::{CertConstraint, EnvelopeKind, KeyId, Layout, Signature};

/// The wildcard of constraint fields.
const ANY: &str = "*";

/// Trust bundles by id, each root with the intermediates that lead to it.
#[derive(Debug, Clone, Default)]
pub struct TrustBundleSet {
    bundles: Vec<(String, Vec<Certificate>, Vec<Certificate>)>,
    problems: Vec<(String, String)>,
}

impl TrustBundleSet {
    /// The bundles a layout lists (`rootcas` with `intermediatecas`, and
    /// `trustBundles`). Certificates that cannot be read are kept aside
    /// (see [`TrustBundleSet::problems`]).
    pub fn from_layout(layout: &Layout) -> Self {
        let mut set = Self::default();
        let mut shared = Vec::new();
        for (keyid, dict) in layout.intermediatecas.iter().flatten() {
            let field = format!("intermediatecas.{keyid}");
            shared.extend(set.read(&field, certificate_of(dict)));
        }
        for (keyid, dict) in layout.rootcas.iter().flatten() {
            let field = format!("rootcas.{keyid}");
            let roots = set.read(&field, certificate_of(dict));
            set.bundles
                .push((keyid.as_str().to_owned(), roots, shared.clone()));
        }
        for (id, bundle) in layout.trust_bundles.iter().flatten() {
            let mut roots = Vec::new();
            let mut intermediates = Vec::new();
            for (i, pem) in bundle.roots.iter().enumerate() {
                let field = format!("trustBundles.{id}.roots[{i}]");
                roots.extend(set.read(&field, Some(pem)));
            }
            for (i, pem) in bundle.intermediates.iter().enumerate() {
                let field = format!("trustBundles.{id}.intermediates[{i}]");
                intermediates.extend(set.read(&field, Some(pem)));
            }
            set.bundles.push((id.clone(), roots, intermediates));
        }
        set
    }

    /// Bundles given directly: `(id, roots, intermediates)`.
    pub fn from_parts(bundles: Vec<(String, Vec<Certificate>, Vec<Certificate>)>) -> Self {
        Self {
            bundles,
            problems: Vec::new(),
        }
    }

    fn read(&mut self, field: &str, pem: Option<&str>) -> Vec<Certificate> {
        let Some(pem) = pem else {
            self.problems
                .push((field.to_owned(), "has no keyval.certificate".into()));
            return Vec::new();
        };
        match parse_pem_chain(pem) {
            Ok(certs) => certs,
            Err(e) => {
                self.problems.push((field.to_owned(), e.to_string()));
                Vec::new()
            }
        }
    }

    /// Whether no bundle is listed.
    pub fn is_empty(&self) -> bool {
        self.bundles.is_empty()
    }

    /// Certificates that could not be read: the field, and why.
    pub fn problems(&self) -> &[(String, String)] {
        &self.problems
    }

    /// The roots and intermediates of the bundles `ids` chooses (`"*"`:
    /// all of them).
    fn chosen(&self, ids: &[String]) -> (Vec<Certificate>, Vec<Certificate>) {
        let all = ids.iter().any(|id| id == ANY);
        let mut roots = Vec::new();
        let mut intermediates = Vec::new();
        for (id, r, i) in &self.bundles {
            if all || ids.contains(id) {
                roots.extend(r.iter().cloned());
                intermediates.extend(i.iter().cloned());
            }
        }
        (roots, intermediates)
    }
}

fn certificate_of(dict: &intoto_model::KeyDict) -> Option<&str> {
    dict.as_map()
        .get("keyval")
        .and_then(|kv| kv.get("certificate"))
        .and_then(serde_json::Value::as_str)
}

/// What a certificate is checked against: constraints, the bundles they
/// choose from, and the time its path must be valid at.
#[derive(Debug, Clone, Copy)]
pub struct CertificateCheck<'a> {
    /// At least one must be satisfied in full.
    pub constraints: &'a [CertConstraint],
    /// The trusted roots and intermediates.
    pub bundles: &'a TrustBundleSet,
    /// Verification time (or a trusted timestamp), unix seconds.
    pub time_unix: i64,
}

/// Checks the signatures over `bytes` that carry a certificate and whose
/// keyid starts with `keyid` (any keyid when it is empty): the
/// certificate must chain to a chosen bundle, satisfy one constraint,
/// and hold the key that verifies its signature. Returns the identity
/// of the first that does.
///
/// # Errors
///
/// [`SignatureError::NoSignature`] when no such signature carries a
/// certificate; [`SignatureError::Certificate`] naming the first
/// constraint field or path problem; the signature's own error.
pub fn check_certificate_signature(
    bytes: &[u8],
    kind: EnvelopeKind,
    signatures: &[Signature],
    keyid: &KeyId,
    check: CertificateCheck<'_>,
) -> Result<Verified<Identity>, SignatureError> {
    let mut first_error = None;
    for sig in signatures {
        if !sig.keyid.as_str().starts_with(keyid.as_str()) {
            continue;
        }
        let Some(pem) = sig.certificate_pem() else {
            continue;
        };
        match check_one(bytes, kind, sig, &pem, check) {
            Ok(identity) => return Ok(identity),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| SignatureError::NoSignature {
        keyid: keyid.clone(),
    }))
}

fn check_one(
    bytes: &[u8],
    kind: EnvelopeKind,
    sig: &Signature,
    pem: &str,
    check: CertificateCheck<'_>,
) -> Result<Verified<Identity>, SignatureError> {
    let rejected = |reason: String| SignatureError::Certificate {
        keyid: sig.keyid.clone(),
        reason,
    };
    let leaf = Certificate::from_pem(pem).map_err(|e| rejected(e.to_string()))?;
    let mut carried = Vec::new();
    for pem in sig.intermediate_pems() {
        carried.extend(parse_pem_chain(&pem).map_err(|e| rejected(format!("intermediates: {e}")))?);
    }
    let mut reasons = Vec::new();
    let mut satisfied = false;
    for (i, constraint) in check.constraints.iter().enumerate() {
        let result = constraint_mismatch(&leaf, constraint)
            .map_or_else(|| path_problem(&leaf, &carried, constraint, check), Some);
        match result {
            None => {
                satisfied = true;
                break;
            }
            Some(why) => reasons.push(format!("cert_constraints[{i}]: {why}")),
        }
    }
    if !satisfied {
        let reason = if reasons.is_empty() {
            "the step has no certificate constraints".to_owned()
        } else {
            reasons.join("; ")
        };
        return Err(rejected(reason));
    }
    let key = leaf
        .public_key(&sig.keyid)
        .map_err(|e| rejected(e.to_string()))?;
    let verified = verify_over_at(
        bytes,
        kind,
        std::slice::from_ref(sig),
        &key,
        check.time_unix,
    )?;
    Ok(verified.map(|_| leaf.identity()))
}

/// Why `cert` has no trusted path through the bundles `constraint`
/// chooses, or `None` when it has.
fn path_problem(
    cert: &Certificate,
    carried: &[Certificate],
    constraint: &CertConstraint,
    check: CertificateCheck<'_>,
) -> Option<String> {
    let ids: Vec<String> = match &constraint.trust_bundle_ids {
        Some(ids) => ids.iter().chain(&constraint.roots).cloned().collect(),
        None => constraint.roots.clone(),
    };
    let (roots, mut intermediates) = check.bundles.chosen(&ids);
    if roots.is_empty() {
        return Some(format!(
            "roots: {ids:?} names no trusted root of the layout"
        ));
    }
    intermediates.extend(carried.iter().cloned());
    match verify_path(cert, &intermediates, &roots, check.time_unix) {
        Ok(_) => None,
        Err(X509Error::Path(why)) => Some(why),
        Err(e) => Some(e.to_string()),
    }
}

/// The first field of `constraint` that `cert` does not satisfy, with the
/// values on both sides; `None` when all do. Each field is a set: `["*"]`
/// allows anything, an empty list (or `[""]`) requires no value, and
/// otherwise the certificate must hold exactly the listed values.
pub fn constraint_mismatch(cert: &Certificate, constraint: &CertConstraint) -> Option<String> {
    let f = cert.fields();
    let fields: [(&str, Vec<String>, &[String]); 5] = [
        (
            "common_name",
            vec![constraint.common_name.clone()],
            std::slice::from_ref(&f.common_name),
        ),
        ("dns_names", constraint.dns_names.clone(), &f.dns_names),
        ("emails", constraint.emails.clone(), &f.emails),
        (
            "organizations",
            constraint.organizations.clone(),
            &f.organizations,
        ),
        ("uris", constraint.uris.clone(), &f.uris),
    ];
    fields
        .into_iter()
        .find_map(|(name, allowed, values)| field_mismatch(name, &allowed, values))
}

fn field_mismatch(name: &str, allowed: &[String], values: &[String]) -> Option<String> {
    if allowed.iter().any(|a| a == ANY) {
        return None;
    }
    let blank = |list: &[String]| list.len() == 1 && list[0].is_empty();
    let allowed: BTreeSet<&str> = match blank(allowed) {
        true => BTreeSet::new(),
        false => allowed.iter().map(String::as_str).collect(),
    };
    let values: BTreeSet<&str> = match blank(values) {
        true => BTreeSet::new(),
        false => values.iter().map(String::as_str).collect(),
    };
    if let Some(unexpected) = values.iter().find(|v| !allowed.contains(*v)) {
        return Some(if allowed.is_empty() {
            format!("{name}: the certificate has {unexpected:?}, the constraint allows none")
        } else {
            format!(
                "{name}: the certificate has {unexpected:?}, the constraint allows only {allowed:?}"
            )
        });
    }
    allowed
        .iter()
        .find(|a| !values.contains(*a))
        .map(|missing| format!("{name}: the certificate lacks {missing:?}"))
}
