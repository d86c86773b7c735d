//! The ITE-7 parts of a layout: trust bundles (`trustBundles`) and a
//! step's certificate constraints (`cert_constraints`), with
//! in-toto-golang's field names and ITE-7's (`trustBundleIds`).

use std::collections::BTreeMap;

use serde_json::Value;

use super::strings_to_value;
use crate::error::ModelError;
use crate::fields::{Fields, extra_map, join};

/// An ITE-7 trust bundle: root certificates and the intermediates that
/// lead to them, each PEM text as the layout holds it.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct TrustBundle {
    /// The PEM root certificates.
    pub roots: Vec<String>,
    /// The PEM intermediate certificates.
    pub intermediates: Vec<String>,
    /// Fields this model does not know (`bundleid` among them), kept as received.
    pub extra: BTreeMap<String, Value>,
}

impl TrustBundle {
    pub(super) fn from_value(value: Value, path: &str) -> Result<Self, ModelError> {
        let mut f = Fields::new(value, path)?;
        Ok(Self {
            roots: f.string_list_or_default("roots")?,
            intermediates: f.string_list_or_default("intermediates")?,
            extra: f.rest(),
        })
    }

    pub(super) fn to_value(&self) -> Value {
        let mut map = extra_map(&self.extra);
        map.insert("roots".into(), strings_to_value(&self.roots));
        map.insert(
            "intermediates".into(),
            strings_to_value(&self.intermediates),
        );
        Value::Object(map)
    }
}

/// An ITE-7 certificate constraint, with in-toto-golang's field names.
///
/// In each list, `["*"]` allows any value and an empty list requires none.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct CertConstraint {
    /// Required subject common name (`"*"` for any).
    pub common_name: String,
    /// Required DNS SANs.
    pub dns_names: Vec<String>,
    /// Required e-mail SANs.
    pub emails: Vec<String>,
    /// Required subject organisations.
    pub organizations: Vec<String>,
    /// Keyids of the `rootcas` the certificate must chain to.
    pub roots: Vec<String>,
    /// Required URI SANs (SPIFFE IDs).
    pub uris: Vec<String>,
    /// Ids of the `trustBundles` the certificate must chain to (ITE-7's
    /// `trustBundleIds`, where in-toto-golang writes `roots`).
    pub trust_bundle_ids: Option<Vec<String>>,
    /// Fields this model does not know, kept as received.
    pub extra: BTreeMap<String, Value>,
}

impl CertConstraint {
    pub(super) fn from_value(value: Value, path: &str) -> Result<Self, ModelError> {
        let mut f = Fields::new(value, path)?;
        let common_name = f.opt_string("common_name")?.unwrap_or_default();
        Ok(Self {
            common_name,
            dns_names: f.string_list_or_default("dns_names")?,
            emails: f.string_list_or_default("emails")?,
            organizations: f.string_list_or_default("organizations")?,
            roots: f.string_list_or_default("roots")?,
            uris: f.string_list_or_default("uris")?,
            trust_bundle_ids: match f.take("trustBundleIds") {
                None => None,
                Some(v) => Some(crate::fields::as_string_list(v, &f.path("trustBundleIds"))?),
            },
            extra: f.rest(),
        })
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        let mut map = extra_map(&self.extra);
        map.insert(
            "common_name".into(),
            Value::String(self.common_name.clone()),
        );
        map.insert("dns_names".into(), strings_to_value(&self.dns_names));
        map.insert("emails".into(), strings_to_value(&self.emails));
        map.insert(
            "organizations".into(),
            strings_to_value(&self.organizations),
        );
        if self.trust_bundle_ids.is_none() || !self.roots.is_empty() {
            map.insert("roots".into(), strings_to_value(&self.roots));
        }
        if let Some(ids) = &self.trust_bundle_ids {
            map.insert("trustBundleIds".into(), strings_to_value(ids));
        }
        map.insert("uris".into(), strings_to_value(&self.uris));
        Value::Object(map)
    }
}

/// The `trustBundles` object: bundles by id.
pub(super) fn trust_bundles_from_value(
    value: Value,
    path: &str,
) -> Result<BTreeMap<String, TrustBundle>, ModelError> {
    let Value::Object(map) = value else {
        return Err(ModelError::WrongType {
            field: path.to_owned(),
            expected: "an object of trust bundles by id",
        });
    };
    map.into_iter()
        .map(|(id, v)| {
            let bundle = TrustBundle::from_value(v, &join(path, &id))?;
            Ok((id, bundle))
        })
        .collect()
}
