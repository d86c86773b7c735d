//! GnuPG keyrings for tests: copies of the committed keyrings (or empty
//! ones) in temporary folders, whose gpg-agent is stopped when dropped.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::vector;

/// Fails the test with a clear message when gpg is not installed.
///
/// # Panics
///
/// When `gpg --version` does not run.
#[allow(clippy::panic)] // Tests that need gpg must not pass without it.
pub fn require_gpg() {
    let ok = Command::new("gpg")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        panic!(
            "these tests need the gpg binary (GnuPG); install it, e.g. `apt-get install -y gnupg` (scripts/setup.sh does)"
        );
    }
}

/// A keyring in a temporary folder; its gpg-agent is stopped on drop.
#[derive(Debug)]
pub struct GpgHome {
    dir: tempfile::TempDir,
}

impl GpgHome {
    /// An empty keyring.
    ///
    /// # Panics
    ///
    /// When gpg is missing or the folder cannot be made.
    #[allow(clippy::expect_used)] // Test setup.
    pub fn empty() -> Self {
        require_gpg();
        // Short paths: gpg-agent's socket path must fit in a sockaddr_un.
        let dir = tempfile::Builder::new()
            .prefix("gpg")
            .tempdir_in("/tmp")
            .expect("temporary keyring folder");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
                .expect("keyring folder mode");
        }
        Self { dir }
    }

    /// A copy of a committed keyring (`rsa` or `dsa` from
    /// `tests/vectors/in-toto-python/gpg_keyrings`).
    ///
    /// # Panics
    ///
    /// When the keyring cannot be copied.
    #[allow(clippy::expect_used)] // Test setup.
    pub fn copy(name: &str) -> Self {
        let home = Self::empty();
        let src = vector(&format!("in-toto-python/gpg_keyrings/{name}"));
        for entry in std::fs::read_dir(src).expect("keyring vector") {
            let entry = entry.expect("keyring file");
            std::fs::copy(entry.path(), home.path().join(entry.file_name())).expect("keyring copy");
        }
        home
    }

    /// The keyring folder (gpg's `--homedir`).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for GpgHome {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(self.path())
            .args(["--kill", "gpg-agent"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
