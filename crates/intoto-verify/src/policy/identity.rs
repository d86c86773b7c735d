//! Policy functionaries that are identities, not keys: X.509
//! certificates (ITE-7, SPIFFE IDs among them) and Sigstore keyless
//! signers.
//!
//! ```yaml
//! functionaries:
//!   builder:                          # an X.509 / SPIFFE functionary
//!     spiffeId: spiffe://example.org/build
//!     trustBundle: {roots: [PEM], intermediates: [PEM]}
//!     commonName: "*"                 # optional; absent fields allow any value
//!   release:                          # a Sigstore keyless functionary
//!     sigstore:
//!       issuer: https://token.actions.githubusercontent.com
//!       subjectRegex: https://github\.com/org/repo/\.github/workflows/release\.yml@refs/tags/v.*
//!       sourceRepositoryURI: https://github.com/org/repo   # optional Fulcio extensions
//! ```
//!
//! A certificate functionary signs an envelope whose signature carries its
//! certificate (`certificate`, `intermediates`). A keyless functionary's
//! attestations come in Sigstore bundles, whose certificate and
//! transparency-log entry are checked before the identity is matched
//! here.

use std::collections::BTreeMap;

use serde_json::Value;

use intoto_model::{CertConstraint, Envelope, ModelError};

use super::layout::PolicyError;
use crate::functionary::TrustBundleSet;

/// Verifies Sigstore bundles (offline, against a trusted root) and says
/// who signed them: implemented by the Sigstore module of the CLI's
/// build, handed to policy verification.
pub trait KeylessVerifier: Send + Sync + std::fmt::Debug {
    /// The DSSE envelope a Sigstore bundle carries and the identity of its
    /// signer, after every check of the bundle passed.
    ///
    /// # Errors
    ///
    /// A one-line reason naming the check that failed.
    fn verify_bundle(&self, bytes: &[u8]) -> Result<(Envelope, KeylessIdentity), String>;
}

/// Whether `value` is a Sigstore bundle (by its `mediaType`).
pub fn is_sigstore_bundle(value: &Value) -> bool {
    value
        .get("mediaType")
        .and_then(Value::as_str)
        .is_some_and(|t| t.starts_with("application/vnd.dev.sigstore.bundle"))
}

/// A policy functionary known by identity.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum PolicyIdentity {
    /// An X.509 certificate chaining to the functionary's trust bundle and
    /// meeting its constraint.
    Certificate {
        /// The roots and intermediates.
        bundles: TrustBundleSet,
        /// The names the certificate must hold.
        constraint: CertConstraint,
    },
    /// A Sigstore keyless signer.
    Keyless(KeylessConstraint),
}

/// What a keyless (Sigstore) signer's certificate must say.
#[derive(Debug, Clone)]
pub struct KeylessConstraint {
    issuer: Matcher,
    subject: Matcher,
    extensions: BTreeMap<String, Matcher>,
}

/// The identity a verified Sigstore bundle's certificate states.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct KeylessIdentity {
    /// The OIDC issuer (Fulcio's issuer extension).
    pub issuer: String,
    /// The subject alternative name: an e-mail address or a URI (a
    /// workflow for CI identities).
    pub subject: String,
    /// Fulcio's other extensions by their names in Fulcio's
    /// documentation (`sourceRepositoryURI`, `buildConfigURI`, ...).
    pub extensions: BTreeMap<String, String>,
}

impl KeylessIdentity {
    /// An identity of `issuer` and `subject`.
    pub fn new(issuer: impl Into<String>, subject: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            subject: subject.into(),
            extensions: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone)]
enum Matcher {
    Exact(String),
    Regex(regex::Regex),
}

impl Matcher {
    fn matches(&self, value: &str) -> bool {
        match self {
            Self::Exact(s) => s == value,
            Self::Regex(r) => r.is_match(value),
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Exact(s) => format!("{s:?}"),
            Self::Regex(r) => format!("a whole match of /{}/", r.as_str()),
        }
    }
}

impl KeylessConstraint {
    /// Why `identity` does not satisfy the constraint, naming the field;
    /// `None` when it does.
    pub fn mismatch(&self, identity: &KeylessIdentity) -> Option<String> {
        if !self.issuer.matches(&identity.issuer) {
            return Some(format!(
                "issuer is {:?}, the policy wants {}",
                identity.issuer,
                self.issuer.describe()
            ));
        }
        if !self.subject.matches(&identity.subject) {
            return Some(format!(
                "subject is {:?}, the policy wants {}",
                identity.subject,
                self.subject.describe()
            ));
        }
        self.extensions.iter().find_map(|(name, want)| {
            let have = identity.extensions.get(name).map_or("", String::as_str);
            (!want.matches(have))
                .then(|| format!("{name} is {have:?}, the policy wants {}", want.describe()))
        })
    }
}

/// The identity functionary `value` describes, or `None` when it is a key.
///
/// # Errors
///
/// [`PolicyError`] naming the field at fault.
pub(crate) fn parse(id: &str, value: &Value) -> Result<Option<PolicyIdentity>, PolicyError> {
    let path = format!("functionaries.{id}");
    let Some(map) = value.as_object() else {
        return Ok(None);
    };
    if let Some(sigstore) = map.get("sigstore") {
        return keyless(sigstore, &format!("{path}.sigstore"))
            .map(|c| Some(PolicyIdentity::Keyless(c)));
    }
    if !map.contains_key("spiffeId") && !map.contains_key("trustBundle") {
        return Ok(None);
    }
    let bundle_path = format!("{path}.trustBundle");
    let bundle = map
        .get("trustBundle")
        .ok_or_else(|| ModelError::MissingField {
            field: bundle_path.clone(),
        })?;
    let pems = |name: &str| {
        string_list(
            bundle.get(name),
            &format!("{bundle_path}.{name}"),
            Vec::new(),
        )
    };
    let certs = |name: &str| -> Result<Vec<intoto_crypto::x509::Certificate>, PolicyError> {
        let mut out = Vec::new();
        for (i, pem) in pems(name)?.iter().enumerate() {
            let parsed = intoto_crypto::x509::parse_pem_chain(pem).map_err(|e| {
                ModelError::InvalidValue {
                    field: format!("{bundle_path}.{name}[{i}]"),
                    problem: "is not a PEM X.509 certificate",
                    detail: Some(intoto_model::error::Detail(e.to_string())),
                }
            })?;
            out.extend(parsed);
        }
        Ok(out)
    };
    let roots = certs("roots")?;
    if roots.is_empty() {
        return Err(ModelError::InvalidValue {
            field: format!("{bundle_path}.roots"),
            problem: "must list at least one root certificate",
            detail: None,
        }
        .into());
    }
    let intermediates = certs("intermediates")?;
    let bundles = TrustBundleSet::from_parts(vec![(id.to_owned(), roots, intermediates)]);
    let list = |name: &str| {
        string_list(
            map.get(name),
            &format!("{path}.{name}"),
            vec!["*".to_owned()],
        )
    };
    let mut constraint = CertConstraint::default();
    constraint.common_name = match map.get("commonName") {
        None => "*".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(ModelError::WrongType {
                field: format!("{path}.commonName"),
                expected: "a string",
            }
            .into());
        }
    };
    constraint.dns_names = list("dnsNames")?;
    constraint.emails = list("emails")?;
    constraint.organizations = list("organizations")?;
    constraint.uris = match map.get("spiffeId") {
        Some(Value::String(id)) if id.starts_with("spiffe://") => vec![id.clone()],
        Some(_) => {
            return Err(ModelError::InvalidValue {
                field: format!("{path}.spiffeId"),
                problem: "must be a SPIFFE ID (spiffe://trust-domain/path)",
                detail: None,
            }
            .into());
        }
        None => list("uris")?,
    };
    constraint.roots = vec!["*".to_owned()];
    Ok(Some(PolicyIdentity::Certificate {
        bundles,
        constraint,
    }))
}

/// The strings of the list at `field`, or `absent` when there is none.
fn string_list(
    value: Option<&Value>,
    field: &str,
    absent: Vec<String>,
) -> Result<Vec<String>, ModelError> {
    match value {
        None => Ok(absent),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| ModelError::WrongType {
                        field: format!("{field}[{i}]"),
                        expected: "a string",
                    })
            })
            .collect(),
        Some(_) => Err(ModelError::WrongType {
            field: field.to_owned(),
            expected: "a list of strings",
        }),
    }
}

fn keyless(value: &Value, path: &str) -> Result<KeylessConstraint, PolicyError> {
    let map = value.as_object().ok_or_else(|| ModelError::WrongType {
        field: path.to_owned(),
        expected: "an object with issuer and subject",
    })?;
    let matcher = |name: &str, required: bool| -> Result<Option<Matcher>, PolicyError> {
        let regex_name = format!("{name}Regex");
        match (map.get(name), map.get(&regex_name)) {
            (Some(Value::String(s)), None) => Ok(Some(Matcher::Exact(s.clone()))),
            // The whole value must match, as a policy author expects of
            // `subjectRegex: https://github\.com/org/repo/...`.
            (None, Some(Value::String(r))) => regex::RegexBuilder::new(&format!("^(?:{r})$"))
                .size_limit(1 << 20)
                .build()
                .map(|r| Some(Matcher::Regex(r)))
                .map_err(|e| {
                    ModelError::InvalidValue {
                        field: format!("{path}.{regex_name}"),
                        problem: "is not a regular expression",
                        detail: Some(intoto_model::error::Detail(e.to_string())),
                    }
                    .into()
                }),
            (None, None) if !required => Ok(None),
            (None, None) => Err(ModelError::MissingField {
                field: format!("{path}.{name}"),
            }
            .into()),
            (Some(_), Some(_)) => Err(ModelError::InvalidValue {
                field: format!("{path}.{name}"),
                problem: "is given both exactly and as a regex; give one",
                detail: None,
            }
            .into()),
            _ => Err(ModelError::WrongType {
                field: format!("{path}.{name}"),
                expected: "a string",
            }
            .into()),
        }
    };
    let issuer = matcher("issuer", true)?.ok_or_else(|| ModelError::MissingField {
        field: format!("{path}.issuer"),
    })?;
    let subject = matcher("subject", true)?.ok_or_else(|| ModelError::MissingField {
        field: format!("{path}.subject"),
    })?;
    let mut extensions = BTreeMap::new();
    for key in map.keys() {
        let name = key.strip_suffix("Regex").unwrap_or(key);
        if ["issuer", "subject"].contains(&name) || extensions.contains_key(name) {
            continue;
        }
        if let Some(m) = matcher(name, false)? {
            extensions.insert(name.to_owned(), m);
        }
    }
    Ok(KeylessConstraint {
        issuer,
        subject,
        extensions,
    })
}
