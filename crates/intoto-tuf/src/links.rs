//! The downloaded links, looked up by the verifier as a link folder.

use std::collections::HashMap;

use intoto::verify::{LinkSource, SourceError};

/// Links downloaded from a TUF repository, by their name relative to the
/// package's metadata folder (`<step>.<keyid8>.link`, and sublayout links
/// under `<step>.<keyid8>/`). Messages name the target they came from.
#[derive(Debug, Default)]
pub struct TufLinks {
    files: HashMap<String, (String, Vec<u8>)>,
}

impl TufLinks {
    /// Links from `(target name, relative name, bytes)`.
    pub fn new(documents: impl IntoIterator<Item = (String, String, Vec<u8>)>) -> Self {
        Self {
            files: documents
                .into_iter()
                .map(|(target, relative, bytes)| (relative, (target, bytes)))
                .collect(),
        }
    }

    fn key(folder: &[String], file: &str) -> String {
        let mut parts: Vec<&str> = folder.iter().map(String::as_str).collect();
        parts.push(file);
        parts.join("/")
    }
}

impl LinkSource for TufLinks {
    fn read(&self, folder: &[String], file: &str) -> Result<Option<Vec<u8>>, SourceError> {
        Ok(self
            .files
            .get(&Self::key(folder, file))
            .map(|(_, bytes)| bytes.clone()))
    }

    fn list(&self, folder: &[String]) -> Result<Vec<String>, SourceError> {
        let prefix = match folder.is_empty() {
            true => String::new(),
            false => format!("{}/", folder.join("/")),
        };
        let mut names: Vec<String> = self
            .files
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter(|rest| !rest.contains('/'))
            .map(str::to_owned)
            .collect();
        names.sort();
        Ok(names)
    }

    fn describe(&self, folder: &[String], file: &str) -> String {
        let key = Self::key(folder, file);
        match self.files.get(&key) {
            Some((target, _)) => format!("tuf:{target}"),
            None => format!("tuf:{key}"),
        }
    }
}
