//! Reading rule cases (scenario folders and differential vectors) and
//! checking the engine's verdict against the expected one.

use std::collections::BTreeMap;

use intoto_model::{ArtifactRule, ArtifactType, DigestSet, Link};
use intoto_verify::{RuleTrace, RuleViolation, verify_item_rules};
use serde_json::Value;

/// One case: an item's rule list, the links, and the expected verdict.
pub(crate) struct RuleCase {
    pub(crate) item: String,
    pub(crate) artifact_type: ArtifactType,
    pub(crate) rules: Vec<ArtifactRule>,
    pub(crate) links: BTreeMap<String, Link>,
    pub(crate) expected: Value,
}

fn artifacts(value: &Value) -> BTreeMap<String, DigestSet> {
    value
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(name, digests)| {
                    let set = digests
                        .as_object()
                        .expect("a digest set is an object")
                        .iter()
                        .map(|(alg, hex)| (alg.clone(), hex.as_str().expect("hex").to_owned()))
                        .collect();
                    (name.clone(), set)
                })
                .collect()
        })
        .unwrap_or_default()
}

impl RuleCase {
    pub(crate) fn from_value(case: &Value) -> Self {
        let artifact_type = match case["artifact_type"].as_str() {
            Some("materials") => ArtifactType::Materials,
            Some("products") => ArtifactType::Products,
            other => panic!("artifact_type {other:?}"),
        };
        let rules = case["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .map(|r| ArtifactRule::from_value(r).expect("rule parses"))
            .collect();
        let links = case["links"]
            .as_object()
            .expect("links")
            .iter()
            .map(|(name, l)| {
                let mut link = Link::new(name.clone());
                link.materials = artifacts(&l["materials"]);
                link.products = artifacts(&l["products"]);
                (name.clone(), link)
            })
            .collect();
        Self {
            item: case["item"].as_str().expect("item").to_owned(),
            artifact_type,
            rules,
            links,
            expected: case["expected"].clone(),
        }
    }

    pub(crate) fn run(&self) -> Result<RuleTrace, Box<RuleViolation>> {
        let link = self
            .links
            .get(&self.item)
            .expect("the item's link is among the links");
        verify_item_rules(
            &self.item,
            &self.rules,
            self.artifact_type,
            link,
            &self.links,
        )
    }

    /// Checks the engine against `expected`; returns what differs.
    pub(crate) fn check(&self) -> Result<(), String> {
        let result = self.run();
        let expected = &self.expected;
        let (steps, queue_before_failure) = match (&result, expected["verdict"].as_str()) {
            (Ok(trace), Some("pass")) => (&trace.steps, None),
            (Err(v), Some("fail")) => {
                let rule = expected["rule"].as_u64().expect("rule index") as usize;
                let code = expected["code"].as_str().expect("code");
                if v.rule_index != rule || v.code() != code {
                    return Err(format!(
                        "expected {code} at rule {rule}, got {} at rule {}: {v}",
                        v.code(),
                        v.rule_index
                    ));
                }
                if let Some(names) = expected.get("artifacts") {
                    let got: Vec<&str> = v.artifacts.iter().map(|a| a.path.as_str()).collect();
                    let want: Vec<&str> = names
                        .as_array()
                        .expect("artifacts")
                        .iter()
                        .map(|n| n.as_str().expect("name"))
                        .collect();
                    if got != want {
                        return Err(format!("expected artifacts {want:?}, got {got:?}"));
                    }
                }
                (&v.trace.steps, Some(&v.trace.remaining))
            }
            (Ok(_), _) => return Err(format!("expected {expected}, got pass")),
            (Err(v), _) => return Err(format!("expected pass, got {}: {v}", v.code())),
        };
        // The queue after each completed rule, when the case records it.
        if let Some(queues) = expected.get("queues").and_then(Value::as_array) {
            let initial: Vec<String> = match self.artifact_type {
                ArtifactType::Materials => &self.links[&self.item].materials,
                ArtifactType::Products => &self.links[&self.item].products,
            }
            .keys()
            .cloned()
            .collect();
            let mut queue = initial;
            if queues.len() != steps.len() {
                return Err(format!(
                    "{} rules completed, expected {}",
                    steps.len(),
                    queues.len()
                ));
            }
            for (step, want) in steps.iter().zip(queues) {
                queue.retain(|n| step.consumed.binary_search(n).is_err());
                let want: Vec<&str> = want
                    .as_array()
                    .expect("queue")
                    .iter()
                    .map(|n| n.as_str().expect("name"))
                    .collect();
                if queue != want {
                    return Err(format!(
                        "queue after rule {} ({}): {queue:?}, reference {want:?}",
                        step.index, step.rule
                    ));
                }
            }
            if let Some(remaining) = queue_before_failure
                && *remaining != queue
            {
                return Err(format!(
                    "trace.remaining {remaining:?} is not the queue {queue:?}"
                ));
            }
        }
        Ok(())
    }
}
