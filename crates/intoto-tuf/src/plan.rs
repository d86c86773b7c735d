//! What a package's `custom.in-toto` says to download, checked before
//! anything is: exactly one root layout, taken from the top-level targets
//! role only (its offline keys, not the online packages role, decide which
//! layouts and layout keys exist), its keys, and the package's links.

use std::collections::HashMap;

use serde_json::Value;

use crate::TufError;
use crate::names::{self, IN_TOTO, MAX_LAYOUT_KEYS, MAX_LISTED};

/// The in-toto metadata of one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The root layout's target name.
    pub layout: String,
    /// The layout keys' target names.
    pub layout_keys: Vec<String>,
    /// The links (or attestations): target names, and the names the
    /// verifier looks them up by (relative to the package's metadata
    /// folder, so sublayout folders keep their place).
    pub documents: Vec<(String, String)>,
}

/// The names `custom.in-toto` lists for target `name`.
///
/// # Errors
///
/// [`TufError::InToto`] when the field is missing, not a list of strings,
/// or too long.
pub fn listed(name: &str, custom: &HashMap<String, Value>) -> Result<Vec<String>, TufError> {
    let refuse = |reason: &str| TufError::InToto {
        name: name.to_owned(),
        reason: reason.to_owned(),
    };
    let Some(value) = custom.get(IN_TOTO) else {
        return Err(refuse(
            "its targets entry lists no in-toto metadata (custom.in-toto), so how it was made \
             cannot be verified",
        ));
    };
    let Some(items) = value.as_array() else {
        return Err(refuse("custom.in-toto is not a list of target names"));
    };
    if items.len() > MAX_LISTED {
        return Err(refuse(&format!(
            "custom.in-toto lists {} targets (at most {MAX_LISTED})",
            items.len()
        )));
    }
    let mut names = Vec::with_capacity(items.len());
    for item in items {
        let Some(text) = item.as_str() else {
            return Err(refuse(
                "custom.in-toto holds a value that is not a target name",
            ));
        };
        if names.iter().any(|n| n == text) {
            return Err(refuse(&format!("custom.in-toto lists {text:?} twice")));
        }
        names.push(text.to_owned());
    }
    Ok(names)
}

/// The plan for package `package`, whose `custom.in-toto` lists `listed`.
/// `top_level` gives the `custom.in-toto` of a name in the top-level
/// targets role (`None` when the top-level role does not list it with
/// one): the root layout is the one listed name it has.
///
/// # Errors
///
/// [`TufError::InToto`] when there is not exactly one root layout, it
/// lists no keys, or a name cannot be used.
pub fn plan(
    package: &str,
    listed: &[String],
    top_level: impl Fn(&str) -> Option<Result<Vec<String>, TufError>>,
) -> Result<Plan, TufError> {
    let refuse = |reason: String| TufError::InToto {
        name: package.to_owned(),
        reason,
    };
    let mut layouts = Vec::new();
    let mut documents = Vec::new();
    for name in listed {
        match top_level(name) {
            Some(keys) => layouts.push((name.clone(), keys?)),
            None => documents.push(name.clone()),
        }
    }
    let (layout, layout_keys) = match layouts.len() {
        1 => layouts.remove(0),
        0 => {
            return Err(refuse(
                "custom.in-toto lists no root layout of the top-level targets role (a layout \
                 target whose own custom.in-toto lists its keys)"
                    .to_owned(),
            ));
        }
        n => {
            return Err(refuse(format!(
                "custom.in-toto lists {n} root layouts; a package is verified with exactly one"
            )));
        }
    };
    if layout_keys.is_empty() {
        return Err(refuse(format!("the layout {layout:?} lists no keys")));
    }
    if layout_keys.len() > MAX_LAYOUT_KEYS {
        return Err(refuse(format!(
            "the layout {layout:?} lists more than {MAX_LAYOUT_KEYS} keys"
        )));
    }
    let base = common_folder(&documents);
    let documents = documents
        .into_iter()
        .map(|target| {
            let relative = target[base.len()..].to_owned();
            for part in relative.split('/') {
                names::check_component(part)
                    .map_err(|reason| refuse(format!("listed target {target:?}: {reason}")))?;
            }
            Ok((target, relative))
        })
        .collect::<Result<Vec<_>, TufError>>()?;
    Ok(Plan {
        layout,
        layout_keys,
        documents,
    })
}

/// The longest folder prefix (ending in `/`, or empty) all `names` share.
fn common_folder(names: &[String]) -> String {
    let Some(first) = names.first() else {
        return String::new();
    };
    let mut end = first.rfind('/').map_or(0, |i| i + 1);
    for name in &names[1..] {
        while end > 0 && !(name.len() >= end && name.as_bytes()[..end] == first.as_bytes()[..end]) {
            end = first[..end - 1].rfind('/').map_or(0, |i| i + 1);
        }
    }
    first[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    fn top(name: &str) -> Option<Result<Vec<String>, TufError>> {
        (name.ends_with(".layout")).then(|| Ok(strings(&["in-toto-pubkeys/k.pub"])))
    }

    #[test]
    fn the_layout_comes_from_the_top_level_role_and_links_keep_their_folders() {
        let listed = strings(&[
            "in-toto-metadata/layouts/aa/root.layout",
            "in-toto-metadata/0a/clone.1234abcd.link",
            "in-toto-metadata/0a/build.1234abcd.link",
            "in-toto-metadata/0a/sub.5678abcd/inner.9999aaaa.link",
        ]);
        let plan = plan("pkg", &listed, top).unwrap();
        assert_eq!(plan.layout, "in-toto-metadata/layouts/aa/root.layout");
        assert_eq!(plan.layout_keys, strings(&["in-toto-pubkeys/k.pub"]));
        let relative: Vec<&str> = plan.documents.iter().map(|d| d.1.as_str()).collect();
        assert_eq!(
            relative,
            [
                "clone.1234abcd.link",
                "build.1234abcd.link",
                "sub.5678abcd/inner.9999aaaa.link"
            ]
        );
    }

    #[test]
    fn exactly_one_layout_with_keys() {
        let none = plan("pkg", &strings(&["m/a.link"]), top).unwrap_err();
        assert!(none.to_string().contains("no root layout"), "{none}");
        let two = plan("pkg", &strings(&["a.layout", "b.layout"]), top).unwrap_err();
        assert!(two.to_string().contains("2 root layouts"), "{two}");
        let keyless = plan("pkg", &strings(&["a.layout"]), |_| Some(Ok(Vec::new()))).unwrap_err();
        assert!(keyless.to_string().contains("lists no keys"), "{keyless}");
    }

    #[test]
    fn the_list_is_checked() {
        let missing = listed("pkg", &HashMap::new()).unwrap_err();
        assert!(missing.to_string().contains("custom.in-toto"), "{missing}");
        let mut custom = HashMap::new();
        custom.insert(IN_TOTO.to_owned(), json!(["a", 1]));
        assert!(listed("pkg", &custom).is_err());
        custom.insert(IN_TOTO.to_owned(), json!(["a", "a"]));
        assert!(
            listed("pkg", &custom)
                .unwrap_err()
                .to_string()
                .contains("twice")
        );
        custom.insert(IN_TOTO.to_owned(), json!("a"));
        assert!(listed("pkg", &custom).is_err());
        custom.insert(IN_TOTO.to_owned(), json!(["a", "b"]));
        assert_eq!(listed("pkg", &custom).unwrap(), strings(&["a", "b"]));
    }

    #[test]
    fn names_from_metadata_cannot_climb() {
        let listed = strings(&["a.layout", "m/x/../../etc.link", "m/y.link"]);
        assert!(plan("pkg", &listed, top).is_err());
    }

    #[test]
    fn common_folders() {
        assert_eq!(common_folder(&strings(&["a/b/c", "a/b/d"])), "a/b/");
        assert_eq!(common_folder(&strings(&["a/b/c", "a/x/d"])), "a/");
        assert_eq!(common_folder(&strings(&["a/bc/d", "a/b/d"])), "a/");
        assert_eq!(common_folder(&strings(&["c", "a/b"])), "");
        assert_eq!(common_folder(&strings(&["a/b/c"])), "a/b/");
    }
}
