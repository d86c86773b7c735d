//! This project's code-review predicate v0.1, for teams that record human
//! review of a change (`docs/attestations.md`):
//!
//! ```json
//! {"change": {"uri": "git+https://example.com/repo@refs/pull/7",
//!             "digest": {"gitCommit": "1a2b…"}},
//!  "reviewers": ["alice", "bob"],
//!  "approvals": ["alice"],
//!  "url": "https://example.com/repo/pull/7",
//!  "reviewedOn": "2026-12-01T12:00:00Z"}
//! ```
//!
//! No vetted in-toto predicate covers human review; this one is kept small
//! so that a policy can ask "how many distinct reviewers approved exactly
//! this change".

use serde_json::{Map, Value};

use super::read::{Obj, Path};
use crate::error::ModelError;
use crate::statement::ResourceDescriptor;

/// A code-review predicate.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Review {
    /// The change reviewed, with its digest.
    pub change: ResourceDescriptor,
    /// Who reviewed it.
    pub reviewers: Vec<String>,
    /// Which of the reviewers approved it.
    pub approvals: Vec<String>,
    /// Where the review can be read.
    pub url: Option<String>,
    /// When the review ended.
    pub reviewed_on: Option<String>,
}

impl Review {
    /// A review of `change` by `reviewers`, of whom `approvals` approved.
    pub fn new(change: ResourceDescriptor, reviewers: Vec<String>, approvals: Vec<String>) -> Self {
        Self {
            change,
            reviewers,
            approvals,
            url: None,
            reviewed_on: None,
        }
    }

    /// Reads and checks a predicate: the change has a digest, there is a
    /// reviewer, and every approval is by a reviewer, once.
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn from_predicate(predicate: &Map<String, Value>) -> Result<Self, ModelError> {
        let root = Path::new("predicate");
        let p = Obj::new(predicate, &root);
        let change = p
            .opt_descriptor("change")?
            .ok_or_else(|| ModelError::MissingField {
                field: p.path("change"),
            })?;
        if change
            .digest
            .as_ref()
            .is_none_or(crate::DigestSet::is_empty)
        {
            return Err(ModelError::MissingField {
                field: format!("{}.digest", p.path("change")),
            });
        }
        p.list("reviewers")?;
        let reviewers = p.strings("reviewers")?;
        if reviewers.is_empty() {
            return Err(ModelError::InvalidValue {
                field: p.path("reviewers"),
                problem: "must name at least one reviewer",
                detail: None,
            });
        }
        let approvals = p.strings("approvals")?;
        for (i, a) in approvals.iter().enumerate() {
            let field = format!("{}[{i}]", p.path("approvals"));
            if !reviewers.contains(a) {
                return Err(ModelError::invalid(field, "is not one of the reviewers", a));
            }
            if approvals[..i].contains(a) {
                return Err(ModelError::invalid(field, "repeats an approval", a));
            }
        }
        Ok(Self {
            change,
            reviewers,
            approvals,
            url: p.opt_string("url")?.map(str::to_owned),
            reviewed_on: p.opt_timestamp("reviewedOn")?.map(str::to_owned),
        })
    }

    /// The predicate's JSON object.
    pub fn to_predicate(&self) -> Map<String, Value> {
        let names =
            |list: &[String]| Value::Array(list.iter().cloned().map(Value::String).collect());
        let mut out = Map::new();
        out.insert("change".into(), self.change.to_value());
        out.insert("reviewers".into(), names(&self.reviewers));
        out.insert("approvals".into(), names(&self.approvals));
        if let Some(url) = &self.url {
            out.insert("url".into(), Value::String(url.clone()));
        }
        if let Some(on) = &self.reviewed_on {
            out.insert("reviewedOn".into(), Value::String(on.clone()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn approvals_come_from_reviewers() {
        let mut digest = crate::DigestSet::new();
        digest.insert("gitCommit", "1a2b");
        let r = Review::new(
            ResourceDescriptor::named("pr-7", digest),
            vec!["alice".into(), "bob".into()],
            vec!["bob".into()],
        );
        assert_eq!(Review::from_predicate(&r.to_predicate()).unwrap(), r);
        let Value::Object(bad) = json!({"change": {"digest": {"sha256": "ab"}},
                                        "reviewers": ["alice"], "approvals": ["mallory"]})
        else {
            unreachable!()
        };
        assert_eq!(
            Review::from_predicate(&bad).unwrap_err().to_string(),
            "field `predicate.approvals[0]` is not one of the reviewers"
        );
        let Value::Object(bad) = json!({"change": {"uri": "x"}, "reviewers": ["a"]}) else {
            unreachable!()
        };
        assert_eq!(
            Review::from_predicate(&bad).unwrap_err().to_string(),
            "required field `predicate.change.digest` is missing"
        );
    }
}
