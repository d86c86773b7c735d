//! The subjects of an attestation: files and folders hashed as a step's
//! products are, and digests given on the command line.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use clap::Args;

use intoto::model::{DigestAlgorithm, DigestSet, ResourceDescriptor};
use intoto::record::Progress;

use crate::flags::ArtifactArgs;

/// `--subject` and `--subject-digest`.
#[derive(Debug, Args)]
pub(crate) struct SubjectArgs {
    /// A file or folder the attestation is about (folders recursively).
    #[arg(long = "subject", value_name = "PATH")]
    paths: Vec<String>,
    /// A subject known by its digest instead of a file: NAME=ALG:HEX, such
    /// as registry.example/app=sha256:9f86…
    #[arg(long = "subject-digest", value_name = "NAME=ALG:HEX", value_parser = parse_subject_digest)]
    digests: Vec<(String, String, String)>,
}

fn parse_subject_digest(text: &str) -> Result<(String, String, String), String> {
    let usage = || format!("{text:?} is not NAME=ALG:HEX (such as app=sha256:9f86…)");
    let (name, digest) = text.rsplit_once('=').ok_or_else(usage)?;
    let (alg, hex) = digest.split_once(':').ok_or_else(usage)?;
    if name.is_empty() || alg.is_empty() || hex.is_empty() {
        return Err(usage());
    }
    if DigestAlgorithm::from_name(alg).is_some()
        && (hex.len() % 2 != 0 || !hex.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(format!("{text:?}: the {alg} digest is not hexadecimal"));
    }
    Ok((name.to_owned(), alg.to_owned(), hex.to_ascii_lowercase()))
}

impl SubjectArgs {
    /// Whether any subject was given.
    pub(crate) fn given(&self) -> bool {
        !self.paths.is_empty() || !self.digests.is_empty()
    }

    /// The subjects: the files hashed (a named path must exist), then the
    /// digests given.
    pub(crate) fn resolve(
        &self,
        artifacts: &ArtifactArgs,
        progress: Arc<dyn Progress>,
    ) -> anyhow::Result<Vec<ResourceDescriptor>> {
        let mut subjects = Vec::new();
        if !self.paths.is_empty() {
            let base = artifacts.base_path();
            for path in &self.paths {
                let full = base.map_or_else(|| Path::new(path).to_owned(), |b| b.join(path));
                if let Err(e) = std::fs::metadata(&full) {
                    bail!("subject {}: {e}", full.display());
                }
            }
            let found = artifacts
                .options(progress)
                .record(&self.paths)
                .context("cannot hash the subjects")?;
            if found.is_empty() {
                bail!(
                    "the subjects {} hold no files to hash (after --exclude)",
                    self.paths.join(", ")
                );
            }
            subjects.extend(
                found
                    .into_iter()
                    .map(|(name, digest)| ResourceDescriptor::named(name, digest)),
            );
        }
        for (name, alg, hex) in &self.digests {
            let mut digest = DigestSet::new();
            digest.insert(alg.clone(), hex.clone());
            subjects.push(ResourceDescriptor::named(name.clone(), digest));
        }
        Ok(subjects)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_digests() {
        assert_eq!(
            parse_subject_digest("a=b=sha256:AB").unwrap(),
            ("a=b".into(), "sha256".into(), "ab".into())
        );
        for bad in [
            "app",
            "app=sha256",
            "=sha256:ab",
            "app=sha256:xyz",
            "app=sha256:abc",
        ] {
            assert!(parse_subject_digest(bad).is_err(), "{bad}");
        }
        assert!(parse_subject_digest("img=gitCommit:0123abcd").is_ok());
    }
}
