//! Target files where the TUF specification puts them, and where tough
//! does.
//!
//! With consistent snapshots, the specification (and python-tuf, go-tuf)
//! prefix a target's *file name* with its digest: `dir/<sha256>.<file>`.
//! tough prefixes the whole target name: `<sha256>.dir/<file>`. The two
//! agree for names without folders. [`SpecTargets`] fetches the
//! specification's path first and tough's when that is not found, so the
//! client reads repositories made by either; the bytes are checked
//! against the targets metadata either way.

use futures_util::StreamExt as _;
use tough::{Transport, TransportError, TransportErrorKind, TransportStream};
use url::Url;

/// A transport that maps tough's consistent-snapshot target URLs to the
/// specification's, falling back to tough's own.
#[derive(Debug, Clone)]
pub(crate) struct SpecTargets<T> {
    inner: T,
    targets_base: String,
}

impl<T> SpecTargets<T> {
    pub(crate) fn new(inner: T, targets_base: &Url) -> Self {
        Self {
            inner,
            targets_base: targets_base.as_str().to_owned(),
        }
    }

    /// The specification's URL for tough's `url`, when they differ.
    fn spec_url(&self, url: &Url) -> Option<Url> {
        let rest = url.as_str().strip_prefix(&self.targets_base)?;
        let (digest, name) = rest.split_at_checked(65)?;
        let digest = digest.strip_suffix('.')?;
        if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let (dir, file) = name.rsplit_once('/')?;
        Url::parse(&format!("{}{dir}/{digest}.{file}", self.targets_base)).ok()
    }
}

#[tough::async_trait]
impl<T: Transport + Clone + 'static> Transport for SpecTargets<T> {
    async fn fetch(&self, url: Url) -> Result<TransportStream, TransportError> {
        let Some(spec) = self.spec_url(&url) else {
            return self.inner.fetch(url).await;
        };
        // Errors of an HTTP fetch arrive with its first item: look at it.
        let mut stream = match self.inner.fetch(spec).await {
            Ok(stream) => stream,
            Err(e) if e.kind() == TransportErrorKind::FileNotFound => {
                return self.inner.fetch(url).await;
            }
            Err(e) => return Err(e),
        };
        match stream.next().await {
            Some(Err(e)) if e.kind() == TransportErrorKind::FileNotFound => {
                self.inner.fetch(url).await
            }
            Some(first) => Ok(Box::pin(
                futures_util::stream::once(async { first }).chain(stream),
            )),
            None => Ok(Box::pin(futures_util::stream::empty())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tough_urls_map_to_the_specifications() {
        let base = Url::parse("http://h/repo/targets/").unwrap();
        let t = SpecTargets::new((), &base);
        let digest = "ab".repeat(32);
        let tough = Url::parse(&format!(
            "http://h/repo/targets/{digest}.in-toto-metadata/x/s.link"
        ))
        .unwrap();
        assert_eq!(
            t.spec_url(&tough).unwrap().as_str(),
            format!("http://h/repo/targets/in-toto-metadata/x/{digest}.s.link")
        );
        // No folder: the two agree.
        let flat = Url::parse(&format!("http://h/repo/targets/{digest}.pkg.tar")).unwrap();
        assert_eq!(t.spec_url(&flat), None);
        // Metadata and other URLs are left alone.
        assert_eq!(
            t.spec_url(&Url::parse("http://h/repo/metadata/1.root.json").unwrap()),
            None
        );
        let short = Url::parse("http://h/repo/targets/abc.d/e").unwrap();
        assert_eq!(t.spec_url(&short), None);
    }
}
