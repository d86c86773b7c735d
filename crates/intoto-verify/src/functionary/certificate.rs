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

use intoto_crypto::x509::{
    Certificate, MAX_INTERMEDIATES, X509Error, parse_pem_chain, verify_path,
};
use intoto_crypto::{SignatureError, Verified, verify_over_at};
use intoto_model::{CertConstraint, EnvelopeKind, KeyId, Layout, Signature};

use super::{Functionary, KeyFingerprint};

/// The wildcard of constraint fields.
const ANY: &str = "*";

/// The most signatures of one document whose certificates are checked.
pub(crate) const MAX_CERTIFIED_SIGNATURES: usize = 8;

/// Trust bundles by id, each root with the intermediates that lead to it.
#[derive(Debug, Clone, Default)]
pub struct TrustBundleSet {
    bundles: Vec<Bundle>,
    problems: Vec<(String, String)>,
}

/// One bundle: its id, roots and intermediates, and whether a path may
/// also go through intermediates the signature carries.
#[derive(Debug, Clone)]
struct Bundle {
    id: String,
    roots: Vec<Certificate>,
    intermediates: Vec<Certificate>,
    carried: bool,
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
            // in-toto-golang builds paths through the layout's
            // `intermediatecas` only.
            set.bundles.push(Bundle {
                id: keyid.as_str().to_owned(),
                roots,
                intermediates: shared.clone(),
                carried: false,
            });
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
            // ITE-7 lets intermediates come at verification time.
            set.bundles.push(Bundle {
                id: id.clone(),
                roots,
                intermediates,
                carried: true,
            });
        }
        set
    }

    /// Bundles given directly: `(id, roots, intermediates)`; paths may also
    /// go through intermediates a signature carries (as Witness and ITE-7
    /// signatures do).
    pub fn from_parts(bundles: Vec<(String, Vec<Certificate>, Vec<Certificate>)>) -> Self {
        Self {
            bundles: bundles
                .into_iter()
                .map(|(id, roots, intermediates)| Bundle {
                    id,
                    roots,
                    intermediates,
                    carried: true,
                })
                .collect(),
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

    /// The bundles `ids` chooses (`["*"]`: all of them).
    fn chosen<'s>(&'s self, ids: &'s [String]) -> impl Iterator<Item = &'s Bundle> + 's {
        let all = is_wildcard(ids);
        self.bundles
            .iter()
            .filter(move |b| all || ids.contains(&b.id))
    }
}

fn certificate_of(dict: &intoto_model::KeyDict) -> Option<&str> {
    dict.as_map()
        .get("keyval")
        .and_then(|kv| kv.get("certificate"))
        .and_then(serde_json::Value::as_str)
}

/// Verifies RFC 3161 timestamp tokens over signatures against trusted
/// timestamp authorities (Sigstore's trusted root, or TSAs given): a
/// certificate is then checked at the time the token proves the signature
/// existed, not at verification time.
pub trait TimestampVerifier: Send + Sync + std::fmt::Debug {
    /// The time (unix seconds) `token` vouches `signature` existed at.
    ///
    /// # Errors
    ///
    /// A one-line reason when no trusted authority signed the token or it
    /// is not over `signature`.
    fn verify(&self, token: &[u8], signature: &[u8]) -> Result<i64, String>;
}

/// What a certificate is checked against: constraints, the bundles they
/// choose from, and the time its path must be valid at.
#[derive(Debug, Clone, Copy)]
pub struct CertificateCheck<'a> {
    /// At least one must be satisfied in full.
    pub constraints: &'a [CertConstraint],
    /// The trusted roots and intermediates.
    pub bundles: &'a TrustBundleSet,
    /// Verification time, unix seconds.
    pub time_unix: i64,
    /// Trusted timestamp authorities: a signature's verified timestamp
    /// replaces `time_unix` for its certificate.
    pub timestamps: Option<&'a dyn TimestampVerifier>,
}

/// Checks the signatures over `bytes` that carry a certificate and whose
/// keyid starts with `keyid` (any keyid when it is empty): the
/// certificate must chain to a chosen bundle, satisfy one constraint,
/// and hold the key that verifies its signature. Returns the functionary
/// (the certificate's identity and key) of the first that does.
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
) -> Result<Verified<Functionary>, SignatureError> {
    let mut first_error = None;
    let mut checked = 0;
    for sig in signatures {
        if !sig.keyid.as_str().starts_with(keyid.as_str()) {
            continue;
        }
        let Some(pem) = sig.certificate_pem() else {
            continue;
        };
        checked += 1;
        if checked > MAX_CERTIFIED_SIGNATURES {
            break;
        }
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
) -> Result<Verified<Functionary>, SignatureError> {
    let rejected = |reason: String| SignatureError::Certificate {
        keyid: sig.keyid.clone(),
        reason,
    };
    let leaf = Certificate::from_pem(pem).map_err(|e| rejected(e.to_string()))?;
    // The signature first: it is cheap, and nothing else matters if the
    // certificate's key did not make it.
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
    let carried_pems = sig.intermediate_pems();
    if carried_pems.len() > MAX_INTERMEDIATES {
        return Err(rejected(format!(
            "it carries {} intermediates; at most {MAX_INTERMEDIATES} are read",
            carried_pems.len()
        )));
    }
    let mut carried = Vec::new();
    for pem in &carried_pems {
        carried.extend(parse_pem_chain(pem).map_err(|e| rejected(format!("intermediates: {e}")))?);
    }
    carried.truncate(MAX_INTERMEDIATES);
    let (time_unix, stamped) = signing_time(kind, sig, check);
    let check = CertificateCheck { time_unix, ..check };
    let mut reasons = Vec::new();
    for (i, constraint) in check.constraints.iter().enumerate() {
        let problem = constraint_mismatch(&leaf, constraint)
            .or_else(|| path_problem(&leaf, &carried, constraint, check));
        match problem {
            None => {
                let functionary = Functionary::Certificate {
                    identity: leaf.identity(),
                    key: KeyFingerprint::of(&key),
                };
                return Ok(verified.map(|_| functionary));
            }
            Some(why) => reasons.push(format!("cert_constraints[{i}]: {why}")),
        }
    }
    let mut reason = if reasons.is_empty() {
        "the step has no certificate constraints".to_owned()
    } else {
        reasons.join("; ")
    };
    if let Some(note) = stamped {
        reason.push_str(&format!(" ({note})"));
    }
    Err(rejected(reason))
}

/// The time a signature's certificate is checked at: the first of its
/// timestamps a trusted authority vouches for, else verification time;
/// and, when it has timestamps that are not used, why.
fn signing_time(
    kind: EnvelopeKind,
    sig: &Signature,
    check: CertificateCheck<'_>,
) -> (i64, Option<String>) {
    let tokens = sig.timestamp_tokens();
    if tokens.is_empty() {
        return (check.time_unix, None);
    }
    let Some(verifier) = check.timestamps else {
        return (
            check.time_unix,
            Some("its timestamps were not checked: no timestamp authority is trusted".into()),
        );
    };
    let signature = match kind {
        EnvelopeKind::Legacy => intoto_model::encoding::hex::decode(&sig.sig),
        _ => intoto_model::envelope::decode_base64(&sig.sig).ok(),
    };
    let Some(signature) = signature else {
        return (check.time_unix, None);
    };
    let mut why = Vec::new();
    for token in &tokens {
        match verifier.verify(token, &signature) {
            Ok(time) => {
                return (
                    time,
                    Some(format!("checked at its timestamp, unix time {time}")),
                );
            }
            Err(e) => why.push(e),
        }
    }
    (
        check.time_unix,
        Some(format!(
            "its timestamps are not trusted: {}",
            why.join("; ")
        )),
    )
}

/// Why `cert` has no trusted path through the bundles `constraint`
/// chooses, or `None` when it has one through one of them.
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
    let mut first = None;
    let mut any = false;
    for bundle in check.bundles.chosen(&ids) {
        any = true;
        let mut intermediates = bundle.intermediates.clone();
        if bundle.carried {
            intermediates.extend(carried.iter().cloned());
        }
        match verify_path(cert, &intermediates, &bundle.roots, check.time_unix) {
            Ok(_) => return None,
            Err(X509Error::Path(why)) => {
                first.get_or_insert(why);
            }
            Err(e) => {
                first.get_or_insert(e.to_string());
            }
        }
    }
    if !any {
        return Some(format!(
            "roots: {ids:?} names no trusted root of the layout"
        ));
    }
    first
}

/// Whether a constraint list is the wildcard: exactly `["*"]`, as
/// in-toto-golang reads it (a `"*"` among other values is a value).
fn is_wildcard(list: &[String]) -> bool {
    matches!(list, [only] if only == ANY)
}

/// The first field of `constraint` that `cert` does not satisfy, with the
/// values on both sides; `None` when all do. Each field is a set: exactly
/// `["*"]` allows anything, an empty list (or `[""]`) requires no value,
/// and otherwise the certificate must hold exactly the listed values.
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
    if is_wildcard(allowed) {
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
