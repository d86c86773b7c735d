//! Container images of Kubernetes workloads, and whether each is pinned by
//! digest.
//!
//! The pod spec of each workload kind is at a fixed path in its object;
//! every container list in it (`containers`, `initContainers`,
//! `ephemeralContainers`) is read, and each image reference keeps the JSON
//! path it was read from so that a message can name the field at fault.

use std::fmt;

use serde_json::Value;

use super::AdmissionError;
use super::request::{as_object, required_str};

/// The content digest pinning an image reference (`name@sha256:<hex>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Digest {
    /// The algorithm: `sha256` or `sha512`.
    pub algorithm: String,
    /// The digest value in lowercase hexadecimal (64 or 128 digits).
    pub hex: String,
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.hex)
    }
}

/// One container image of a workload, with where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The JSON path of the image in the `AdmissionReview`, e.g.
    /// `request.object.spec.template.spec.containers[1].image`.
    pub field: String,
    /// The container's name.
    pub container: String,
    /// The image reference exactly as written.
    pub image: String,
    /// The digest when the reference is pinned (`name@sha256:…` or
    /// `name:tag@sha256:…`); `None` when it is not, or when its digest is
    /// malformed ([`ImageRef::unpinned_reason`] says which).
    pub digest: Option<Digest>,
}

impl ImageRef {
    /// An image reference read from `field`, its digest parsed from `image`.
    pub fn new(
        field: impl Into<String>,
        container: impl Into<String>,
        image: impl Into<String>,
    ) -> Self {
        let image = image.into();
        let digest = parse_digest(&image).ok();
        Self {
            field: field.into(),
            container: container.into(),
            image,
            digest,
        }
    }

    /// Why the reference is not pinned by digest, or `None` when it is.
    pub fn unpinned_reason(&self) -> Option<String> {
        parse_digest(&self.image).err()
    }
}

/// The digest of a pinned image reference, or why the reference is not
/// pinned (no `@`, or a malformed digest after it).
///
/// Only `sha256` (64 hex digits) and `sha512` (128 hex digits) are
/// accepted; the hex value is lowercased.
pub fn parse_digest(image: &str) -> Result<Digest, String> {
    let Some((name, digest)) = image.split_once('@') else {
        return Err("no @digest".into());
    };
    if name.is_empty() {
        return Err("no image name before '@'".into());
    }
    if digest.contains('@') {
        return Err("more than one '@'".into());
    }
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return Err(format!(
            "malformed digest {digest:?}: expected <algorithm>:<hex>"
        ));
    };
    let expected = match algorithm {
        "sha256" => 64,
        "sha512" => 128,
        _ => {
            return Err(format!(
                "unsupported digest algorithm {algorithm:?}: expected sha256 or sha512"
            ));
        }
    };
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("malformed {algorithm} digest: not hexadecimal"));
    }
    if hex.len() != expected {
        return Err(format!(
            "malformed {algorithm} digest: {} hex digits, expected {expected}",
            hex.len()
        ));
    }
    Ok(Digest {
        algorithm: algorithm.to_owned(),
        hex: hex.to_ascii_lowercase(),
    })
}

/// The path of the pod spec in an object of this kind, or `None` when the
/// kind is not a workload. `group` is the API group when known (`""` for
/// the core group); a kind of the same name in another group is not a
/// workload.
pub(super) fn pod_spec_path(group: Option<&str>, kind: &str) -> Option<&'static [&'static str]> {
    const POD: &[&str] = &["spec"];
    const TEMPLATE: &[&str] = &["spec", "template", "spec"];
    const CRON: &[&str] = &["spec", "jobTemplate", "spec", "template", "spec"];
    let (expected_group, path) = match kind {
        "Pod" => ("", POD),
        "ReplicationController" => ("", TEMPLATE),
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => ("apps", TEMPLATE),
        "Job" => ("batch", TEMPLATE),
        "CronJob" => ("batch", CRON),
        _ => return None,
    };
    match group {
        Some(group) if group != expected_group => None,
        _ => Some(path),
    }
}

/// The container lists of a pod spec, in the order they are read.
const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

/// Every container image in `object` (the `request.object` of a review),
/// whose pod spec is at `path`.
pub(super) fn workload_images(
    object: &Value,
    path: &[&str],
) -> Result<Vec<ImageRef>, AdmissionError> {
    let mut at = String::from("request.object");
    let mut spec = as_object(object, &at)?;
    for key in path {
        let parent = at.clone();
        at = format!("{parent}.{key}");
        match spec.get(*key) {
            None | Some(Value::Null) => return Err(AdmissionError::Missing { field: at }),
            Some(value) => spec = as_object(value, &at)?,
        }
    }
    let mut images = Vec::new();
    for list in CONTAINER_LISTS {
        let field = format!("{at}.{list}");
        let containers = match spec.get(list) {
            None | Some(Value::Null) => continue,
            Some(Value::Array(containers)) => containers,
            Some(_) => {
                return Err(AdmissionError::WrongType {
                    field,
                    expected: "an array",
                });
            }
        };
        for (index, container) in containers.iter().enumerate() {
            let at = format!("{field}[{index}]");
            let container = as_object(container, &at)?;
            let name = required_str(container, &at, "name")?;
            let image = required_str(container, &at, "image")?;
            images.push(ImageRef::new(format!("{at}.image"), name, image));
        }
    }
    Ok(images)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31";

    #[test]
    fn pinned_references() {
        let d = parse_digest(&format!("nginx@sha256:{HEX}")).unwrap();
        assert_eq!(d.algorithm, "sha256");
        assert_eq!(d.hex, HEX);
        let upper = HEX.to_ascii_uppercase();
        let d = parse_digest(&format!(
            "registry.example:5000/team/app:1.2@sha256:{upper}"
        ))
        .unwrap();
        assert_eq!(d.hex, HEX);
        assert_eq!(d.to_string(), format!("sha256:{HEX}"));
        let long = HEX.repeat(2);
        assert_eq!(parse_digest(&format!("a@sha512:{long}")).unwrap().hex, long);
    }

    #[test]
    fn unpinned_references_have_reasons() {
        assert_eq!(parse_digest("nginx:1.25").unwrap_err(), "no @digest");
        let short = parse_digest("nginx@sha256:abc").unwrap_err();
        assert!(short.contains("3 hex digits, expected 64"), "{short}");
        assert!(
            parse_digest(&format!("nginx@md5:{HEX}"))
                .unwrap_err()
                .contains("md5")
        );
        assert!(parse_digest(&format!("nginx@SHA256:{HEX}")).is_err());
        assert!(parse_digest(&format!("@sha256:{HEX}")).is_err());
        assert!(parse_digest(&format!("a@b@sha256:{HEX}")).is_err());
        assert!(parse_digest(&format!("a@sha256:{}", &HEX[..63])).is_err());
        assert!(
            parse_digest(&format!("a@sha256:{}g", &HEX[..63]))
                .unwrap_err()
                .contains("hex")
        );
        assert!(parse_digest(&format!("a@sha512:{HEX}")).is_err());
        assert!(parse_digest("a@sha256").is_err());
        let image = ImageRef::new("f", "c", "nginx@sha256:abc");
        assert_eq!(image.digest, None);
        assert!(image.unpinned_reason().is_some());
    }

    #[test]
    fn workload_kinds_and_groups() {
        assert_eq!(pod_spec_path(Some(""), "Pod"), Some(&["spec"][..]));
        assert_eq!(pod_spec_path(None, "Deployment").map(<[_]>::len), Some(3));
        assert_eq!(
            pod_spec_path(Some("batch"), "CronJob").map(<[_]>::len),
            Some(5)
        );
        assert_eq!(pod_spec_path(Some("example.com"), "Job"), None);
        assert_eq!(pod_spec_path(Some(""), "ConfigMap"), None);
    }
}
