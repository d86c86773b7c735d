//! Layouts (spec §4.3): the supply chain a project owner expects.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::ModelError;
use crate::expires::Expires;
use crate::fields::{Fields, as_string_list, extra_map, index};
use crate::key::KeyDict;
use crate::keyid::KeyId;
use crate::rule::ArtifactRule;

mod certificates;

pub use certificates::{CertConstraint, TrustBundle};

/// A layout.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Layout {
    /// When the layout stops being trusted. Absent only in unsigned layout
    /// templates: signing gives it a default, and a verifier rejects a
    /// layout without one.
    pub expires: Option<Expires>,
    /// A human-readable description.
    pub readme: String,
    /// Functionary public keys by the keyid the layout lists them under.
    pub keys: BTreeMap<KeyId, KeyDict>,
    /// The steps, in the order they are expected to be carried out.
    pub steps: Vec<Step>,
    /// The inspections the client runs while verifying.
    pub inspect: Vec<Inspection>,
    /// ITE-7 root certificates by keyid (in-toto-golang's `rootcas`).
    pub rootcas: Option<BTreeMap<KeyId, KeyDict>>,
    /// ITE-7 intermediate certificates by keyid (in-toto-golang's `intermediatecas`).
    pub intermediatecas: Option<BTreeMap<KeyId, KeyDict>>,
    /// ITE-7 trust bundles by bundle id (`trustBundles`).
    pub trust_bundles: Option<BTreeMap<String, TrustBundle>>,
    /// Fields this model does not know, kept as received.
    pub extra: BTreeMap<String, Value>,
}

/// A step: work a functionary carries out and records in a link.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Step {
    /// The step name, unique among steps and inspections.
    pub name: String,
    /// How many distinct functionaries must have carried the step out.
    pub threshold: Threshold,
    /// Rules for the link's materials.
    pub expected_materials: Vec<ArtifactRule>,
    /// Rules for the link's products.
    pub expected_products: Vec<ArtifactRule>,
    /// Keyids of the functionaries authorised to carry the step out.
    pub pubkeys: Vec<KeyId>,
    /// The command the functionary is expected to run (a warning only).
    pub expected_command: Vec<String>,
    /// ITE-7 certificate constraints (in-toto-golang's `cert_constraints`).
    pub cert_constraints: Option<Vec<CertConstraint>>,
    /// Fields this model does not know, kept as received.
    pub extra: BTreeMap<String, Value>,
}

/// An inspection: a command the client runs while verifying.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Inspection {
    /// The inspection name, unique among steps and inspections.
    pub name: String,
    /// Rules for the inspection's materials.
    pub expected_materials: Vec<ArtifactRule>,
    /// Rules for the inspection's products.
    pub expected_products: Vec<ArtifactRule>,
    /// The command to run, as an argument list.
    pub run: Vec<String>,
    /// Fields this model does not know, kept as received.
    pub extra: BTreeMap<String, Value>,
}

/// A step or an inspection: what artifact rules are attached to.
#[derive(Debug, Clone, Copy)]
pub enum SupplyChainItem<'a> {
    /// A step.
    Step(&'a Step),
    /// An inspection.
    Inspection(&'a Inspection),
}

impl SupplyChainItem<'_> {
    /// The item's name.
    pub fn name(&self) -> &str {
        match self {
            SupplyChainItem::Step(s) => &s.name,
            SupplyChainItem::Inspection(i) => &i.name,
        }
    }

    /// The materials rules.
    pub fn expected_materials(&self) -> &[ArtifactRule] {
        match self {
            SupplyChainItem::Step(s) => &s.expected_materials,
            SupplyChainItem::Inspection(i) => &i.expected_materials,
        }
    }

    /// The products rules.
    pub fn expected_products(&self) -> &[ArtifactRule] {
        match self {
            SupplyChainItem::Step(s) => &s.expected_products,
            SupplyChainItem::Inspection(i) => &i.expected_products,
        }
    }

    /// `"step"` or `"inspection"`.
    pub fn kind(&self) -> &'static str {
        match self {
            SupplyChainItem::Step(_) => "step",
            SupplyChainItem::Inspection(_) => "inspection",
        }
    }
}

impl Layout {
    /// An empty layout expiring at `expires`.
    pub fn new(expires: Expires) -> Self {
        Self {
            expires: Some(expires),
            readme: String::new(),
            keys: BTreeMap::new(),
            steps: Vec::new(),
            inspect: Vec::new(),
            rootcas: None,
            intermediatecas: None,
            trust_bundles: None,
            extra: BTreeMap::new(),
        }
    }

    /// Reads a layout from its JSON form; `path` prefixes field names in errors.
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn from_value(value: Value, path: &str) -> Result<Self, ModelError> {
        let mut f = Fields::new(value, path)?;
        f.type_tag("layout", true)?;
        let expires_field = f.path("expires");
        let expires = match f.opt_string("expires")? {
            None => None,
            Some(text) => Some(Expires::parse(&text).map_err(|_| {
                ModelError::invalid(
                    expires_field,
                    "is not a date like 2030-01-31T12:00:00Z",
                    &text,
                )
            })?),
        };
        let readme = f.opt_string("readme")?.unwrap_or_default();
        // `keys`, `steps` and `inspect` are required: a layout without them
        // lays out nothing (the reference cannot read one without `steps` or
        // `inspect` either).
        let keys = keys_from_value(Some(f.require("keys")?), &f.path("keys"))?;
        let steps = f
            .list("steps")?
            .into_iter()
            .enumerate()
            .map(|(i, v)| Step::from_value(v, &index(&f.path("steps"), i)))
            .collect::<Result<Vec<_>, _>>()?;
        let inspect = f
            .list("inspect")?
            .into_iter()
            .enumerate()
            .map(|(i, v)| Inspection::from_value(v, &index(&f.path("inspect"), i)))
            .collect::<Result<Vec<_>, _>>()?;
        let rootcas = match f.take("rootcas") {
            None => None,
            Some(v) => Some(keys_from_value(Some(v), &f.path("rootcas"))?),
        };
        let intermediatecas = match f.take("intermediatecas") {
            None => None,
            Some(v) => Some(keys_from_value(Some(v), &f.path("intermediatecas"))?),
        };
        let trust_bundles = match f.take("trustBundles") {
            None => None,
            Some(v) => Some(certificates::trust_bundles_from_value(
                v,
                &f.path("trustBundles"),
            )?),
        };
        Ok(Self {
            expires,
            readme,
            keys,
            steps,
            inspect,
            rootcas,
            intermediatecas,
            trust_bundles,
            extra: f.rest(),
        })
    }

    /// The JSON form, with `_type`.
    pub fn to_value(&self) -> Value {
        let mut map = extra_map(&self.extra);
        map.insert("_type".into(), "layout".into());
        if let Some(expires) = &self.expires {
            map.insert("expires".into(), Value::String(expires.to_string()));
        }
        map.insert("readme".into(), Value::String(self.readme.clone()));
        map.insert("keys".into(), keys_to_value(&self.keys));
        map.insert(
            "steps".into(),
            Value::Array(self.steps.iter().map(Step::to_value).collect()),
        );
        map.insert(
            "inspect".into(),
            Value::Array(self.inspect.iter().map(Inspection::to_value).collect()),
        );
        if let Some(cas) = &self.rootcas {
            map.insert("rootcas".into(), keys_to_value(cas));
        }
        if let Some(cas) = &self.intermediatecas {
            map.insert("intermediatecas".into(), keys_to_value(cas));
        }
        if let Some(bundles) = &self.trust_bundles {
            let bundles = bundles
                .iter()
                .map(|(id, b)| (id.clone(), b.to_value()))
                .collect();
            map.insert("trustBundles".into(), Value::Object(bundles));
        }
        Value::Object(map)
    }

    /// Steps and then inspections, in layout order.
    pub fn items(&self) -> impl Iterator<Item = SupplyChainItem<'_>> {
        self.steps
            .iter()
            .map(SupplyChainItem::Step)
            .chain(self.inspect.iter().map(SupplyChainItem::Inspection))
    }

    /// The step called `name`.
    pub fn step(&self, name: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.name == name)
    }
}

/// A step's threshold (spec §4.3): how many distinct functionaries must
/// have carried the step out.
///
/// Kept as written, so that a layout with a threshold below one can be
/// read and reported by a verifier; such a threshold is never met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Threshold(i64);

impl Threshold {
    /// One functionary: the default.
    pub const ONE: Self = Self(1);

    /// The threshold as written.
    pub fn new(value: i64) -> Self {
        Self(value)
    }

    /// The value as written.
    pub fn get(self) -> i64 {
        self.0
    }

    /// Whether it is a threshold a step can have (at least one).
    pub fn is_valid(self) -> bool {
        self.0 >= 1
    }

    /// Whether `distinct` functionaries meet it.
    pub fn is_met_by(self, distinct: usize) -> bool {
        self.is_valid() && i64::try_from(distinct).unwrap_or(i64::MAX) >= self.0
    }

    /// Whether a step needs more than one functionary (and so their links
    /// must agree).
    pub fn is_multiple(self) -> bool {
        self.0 > 1
    }
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Step {
    /// A step called `name` with threshold 1 and no rules.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            threshold: Threshold::ONE,
            expected_materials: Vec::new(),
            expected_products: Vec::new(),
            pubkeys: Vec::new(),
            expected_command: Vec::new(),
            cert_constraints: None,
            extra: BTreeMap::new(),
        }
    }

    fn from_value(value: Value, path: &str) -> Result<Self, ModelError> {
        let mut f = Fields::new(value, path)?;
        f.type_tag("step", false)?;
        let name = f.string("name")?;
        let threshold = match f.take("threshold") {
            None => Threshold::ONE,
            Some(v) => Threshold::new(v.as_i64().ok_or_else(|| ModelError::WrongType {
                field: f.path("threshold"),
                expected: "an integer",
            })?),
        };
        let expected_materials =
            rules_from_value(f.take("expected_materials"), &f.path("expected_materials"))?;
        let expected_products =
            rules_from_value(f.take("expected_products"), &f.path("expected_products"))?;
        let pubkeys = f
            .string_list_or_default("pubkeys")?
            .into_iter()
            .map(KeyId::new)
            .collect();
        let expected_command = f.string_list_or_default("expected_command")?;
        let cert_constraints = match f.take("cert_constraints") {
            None => None,
            Some(Value::Array(items)) => Some(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| {
                        CertConstraint::from_value(v, &index(&f.path("cert_constraints"), i))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(_) => {
                return Err(ModelError::WrongType {
                    field: f.path("cert_constraints"),
                    expected: "a list of certificate constraints",
                });
            }
        };
        Ok(Self {
            name,
            threshold,
            expected_materials,
            expected_products,
            pubkeys,
            expected_command,
            cert_constraints,
            extra: f.rest(),
        })
    }

    /// The JSON form, with `_type`.
    pub fn to_value(&self) -> Value {
        let mut map = extra_map(&self.extra);
        map.insert("_type".into(), "step".into());
        map.insert("name".into(), Value::String(self.name.clone()));
        map.insert("threshold".into(), self.threshold.get().into());
        map.insert(
            "expected_materials".into(),
            rules_to_value(&self.expected_materials),
        );
        map.insert(
            "expected_products".into(),
            rules_to_value(&self.expected_products),
        );
        map.insert(
            "pubkeys".into(),
            Value::Array(
                self.pubkeys
                    .iter()
                    .map(|k| Value::String(k.to_string()))
                    .collect(),
            ),
        );
        map.insert(
            "expected_command".into(),
            strings_to_value(&self.expected_command),
        );
        if let Some(cc) = &self.cert_constraints {
            map.insert(
                "cert_constraints".into(),
                Value::Array(cc.iter().map(CertConstraint::to_value).collect()),
            );
        }
        Value::Object(map)
    }
}

impl Inspection {
    /// An inspection called `name` running `run`.
    pub fn new(name: impl Into<String>, run: Vec<String>) -> Self {
        Self {
            name: name.into(),
            expected_materials: Vec::new(),
            expected_products: Vec::new(),
            run,
            extra: BTreeMap::new(),
        }
    }

    fn from_value(value: Value, path: &str) -> Result<Self, ModelError> {
        let mut f = Fields::new(value, path)?;
        f.type_tag("inspection", false)?;
        let name = f.string("name")?;
        let expected_materials =
            rules_from_value(f.take("expected_materials"), &f.path("expected_materials"))?;
        let expected_products =
            rules_from_value(f.take("expected_products"), &f.path("expected_products"))?;
        let run = f.string_list_or_default("run")?;
        Ok(Self {
            name,
            expected_materials,
            expected_products,
            run,
            extra: f.rest(),
        })
    }

    /// The JSON form, with `_type`.
    pub fn to_value(&self) -> Value {
        let mut map = extra_map(&self.extra);
        map.insert("_type".into(), "inspection".into());
        map.insert("name".into(), Value::String(self.name.clone()));
        map.insert(
            "expected_materials".into(),
            rules_to_value(&self.expected_materials),
        );
        map.insert(
            "expected_products".into(),
            rules_to_value(&self.expected_products),
        );
        map.insert("run".into(), strings_to_value(&self.run));
        Value::Object(map)
    }
}

pub(crate) fn strings_to_value(items: &[String]) -> Value {
    Value::Array(items.iter().cloned().map(Value::String).collect())
}

fn rules_from_value(value: Option<Value>, path: &str) -> Result<Vec<ArtifactRule>, ModelError> {
    let items = match value {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(ModelError::WrongType {
                field: path.to_owned(),
                expected: "a list of artifact rules",
            });
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let field = index(path, i);
            ArtifactRule::from_value(&v).map_err(|source| ModelError::Rule {
                rule: rule_text(&v),
                field,
                source,
            })
        })
        .collect()
}

fn rule_text(v: &Value) -> String {
    match as_string_list(v.clone(), "") {
        Ok(words) => words.join(" "),
        Err(_) => v.to_string(),
    }
}

fn rules_to_value(rules: &[ArtifactRule]) -> Value {
    Value::Array(rules.iter().map(ArtifactRule::to_value).collect())
}

fn keys_from_value(
    value: Option<Value>,
    path: &str,
) -> Result<BTreeMap<KeyId, KeyDict>, ModelError> {
    let map = match value {
        None => return Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(ModelError::WrongType {
                field: path.to_owned(),
                expected: "an object of keyids to public keys",
            });
        }
    };
    map.into_iter()
        .map(|(id, key)| {
            let field = format!("{path}[{id:?}]");
            let key = KeyDict::from_value(key, &field)?;
            if !crate::encoding::hex::is_hex(&id) {
                return Err(ModelError::invalid(
                    field,
                    "is not listed under a hex keyid",
                    &id,
                ));
            }
            Ok((KeyId::new(id), key))
        })
        .collect()
}

fn keys_to_value(keys: &BTreeMap<KeyId, KeyDict>) -> Value {
    Value::Object(
        keys.iter()
            .map(|(k, v)| (k.to_string(), v.to_value()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn minimal() -> Value {
        json!({
            "_type": "layout",
            "expires": "2030-01-01T00:00:00Z",
            "readme": "",
            "keys": {"abcd": {"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": "00"}}},
            "steps": [{
                "_type": "step", "name": "build", "threshold": 1,
                "expected_materials": [["ALLOW", "*"]],
                "expected_products": [["MATCH", "*", "WITH", "PRODUCTS", "FROM", "build"]],
                "pubkeys": ["abcd"], "expected_command": ["make"]
            }],
            "inspect": [{"_type": "inspection", "name": "check", "expected_materials": [],
                         "expected_products": [], "run": ["true"]}],
        })
    }

    #[test]
    fn round_trips_and_keeps_ite7_fields() {
        let mut v = minimal();
        v["rootcas"] =
            json!({"ff": {"keytype": "rsa", "scheme": "x", "keyval": {"certificate": "PEM"}}});
        v["steps"][0]["cert_constraints"] = json!([{"common_name": "*", "dns_names": [""], "emails": [],
            "organizations": ["*"], "roots": ["*"], "uris": ["spiffe://x"]}]);
        v["x-owner"] = json!("kept");
        let layout = Layout::from_value(v.clone(), "signed").unwrap();
        assert_eq!(layout.to_value(), v);
        assert_eq!(
            layout.steps[0].cert_constraints.as_ref().unwrap()[0].uris,
            ["spiffe://x"]
        );
    }

    #[test]
    fn bad_rule_names_its_position() {
        let mut v = minimal();
        v["steps"][0]["expected_products"] =
            json!([["ALLOW", "*"], ["MATCH", "x", "WITH", "FROM"]]);
        let err = Layout::from_value(v, "signed").unwrap_err();
        assert_eq!(
            err.to_string(),
            "artifact rule `signed.steps[0].expected_products[1]` (MATCH x WITH FROM) is invalid"
        );
    }

    #[test]
    fn bad_expiry_is_reported_with_the_field() {
        let mut v = minimal();
        v["expires"] = json!("tomorrow");
        let err = Layout::from_value(v, "signed").unwrap_err();
        assert_eq!(
            err.to_string(),
            "field `signed.expires` is not a date like 2030-01-31T12:00:00Z"
        );
    }
}
