//! Running the gpg program the way securesystemslib does
//! (`_gpg/constants.py`, `_gpg/functions.py`).

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use intoto_model::{KeyDict, KeyId};

use intoto_crypto::PublicKey;
use intoto_crypto::gpg::{GpgError, key_dict_from_export};

use super::signer::GpgSigner;

/// How to run gpg: which program, which keyring (`--homedir`), and how long
/// to wait. Cloning is cheap; clones share the program lookup.
///
/// ```no_run
/// use intoto::gpg::Gpg;
///
/// let gpg = Gpg::new().with_homedir("/path/to/gnupg-home");
/// let key = gpg.export_public_key("8288ef560ed3795f9df2c0db56193089b285da58")?;
/// # Ok::<(), intoto::gpg::GpgError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Gpg {
    program: Option<OsString>,
    homedir: Option<PathBuf>,
    timeout: Duration,
    found: Arc<OnceLock<Option<OsString>>>,
}

impl Default for Gpg {
    fn default() -> Self {
        Self::new()
    }
}

/// A finished gpg run.
#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) stdout: Vec<u8>,
}

impl Gpg {
    /// The reference's time limit for one gpg command (`GPG_TIMEOUT`).
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// The default keyring and program: `$GNUPG` if set (and it runs), else
    /// `gpg2`, else `gpg`, looked up on first use.
    pub fn new() -> Self {
        Self {
            program: None,
            homedir: None,
            timeout: Self::DEFAULT_TIMEOUT,
            found: Arc::new(OnceLock::new()),
        }
    }

    /// Runs this program instead of looking one up.
    #[must_use]
    pub fn with_program(mut self, program: impl Into<OsString>) -> Self {
        self.program = Some(program.into());
        self
    }

    /// Uses the keyring in `homedir` (`--homedir`).
    #[must_use]
    pub fn with_homedir(mut self, homedir: impl Into<PathBuf>) -> Self {
        self.homedir = Some(homedir.into());
        self
    }

    /// Waits at most `timeout` for each gpg command.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The keyring directory, if one was set.
    pub fn homedir(&self) -> Option<&Path> {
        self.homedir.as_deref()
    }

    /// The gpg program that will run.
    ///
    /// # Errors
    ///
    /// [`GpgError::NotFound`] if none of `$GNUPG`, `gpg2` and `gpg` runs.
    pub fn program(&self) -> Result<OsString, GpgError> {
        if let Some(p) = &self.program {
            return Ok(p.clone());
        }
        let env = std::env::var_os("GNUPG").filter(|v| !v.is_empty());
        self.found
            .get_or_init(|| find_program(env.as_deref()))
            .clone()
            .ok_or_else(|| GpgError::NotFound {
                tried: match env {
                    Some(v) => format!("$GNUPG = {}", v.to_string_lossy()),
                    None => "gpg2, gpg".into(),
                },
            })
    }

    /// Exports a public key as securesystemslib's `export_pubkey` does: runs
    /// `gpg [--homedir H] --export KEYID` and reads the master key, its
    /// self-certified expiry and its verified subkeys. `keyid` may name the
    /// master key or a subkey (by full fingerprint or its end, such as the
    /// 16- or 8-digit key id); the whole key is returned either way.
    ///
    /// # Errors
    ///
    /// [`GpgError`]: gpg missing or failing, the key not found, or
    /// unparseable key data.
    pub fn export_pubkey(&self, keyid: &str) -> Result<KeyDict, GpgError> {
        check_keyid(keyid)?;
        let mut args: Vec<&OsStr> = Vec::new();
        if let Some(h) = &self.homedir {
            args.extend([OsStr::new("--homedir"), h.as_os_str()]);
        }
        args.extend([OsStr::new("--export"), OsStr::new(keyid)]);
        let out = self.run(&args, None)?;
        key_dict_from_export(&out.stdout, keyid)
    }

    /// Exports several keys (securesystemslib `export_pubkeys`), by the
    /// full keyid of each.
    ///
    /// # Errors
    ///
    /// The first key that cannot be exported, see [`Gpg::export_pubkey`].
    pub fn export_pubkeys<'a>(
        &self,
        keyids: impl IntoIterator<Item = &'a str>,
    ) -> Result<BTreeMap<KeyId, KeyDict>, GpgError> {
        let mut out = BTreeMap::new();
        for keyid in keyids {
            let dict = self.export_pubkey(keyid)?;
            let full = dict.str_field("keyid").unwrap_or(keyid).to_owned();
            out.insert(KeyId::new(full), dict);
        }
        Ok(out)
    }

    /// [`Gpg::export_pubkey`] as a verification key, known by the master
    /// key's full keyid.
    ///
    /// # Errors
    ///
    /// See [`Gpg::export_pubkey`]; [`GpgError::Key`] if the key's algorithm
    /// or size is not supported.
    pub fn export_public_key(&self, keyid: &str) -> Result<PublicKey, GpgError> {
        let dict = self.export_pubkey(keyid)?;
        let full = KeyId::new(dict.str_field("keyid").unwrap_or(keyid));
        Ok(PublicKey::from_key_dict(full, &dict)?)
    }

    /// The keyid gpg signs with when no key is named: the keyring's default
    /// key (gpg's `default-key`, else its first usable secret key), or the
    /// signing subkey gpg picks for it. gpg has no machine-readable way to
    /// say which, so this signs an empty message with the default key and
    /// reads the signature's issuer; gpg may ask for the passphrase.
    ///
    /// # Errors
    ///
    /// [`GpgError`] if signing fails.
    pub fn default_signing_keyid(&self) -> Result<KeyId, GpgError> {
        Ok(GpgSigner::new(self.clone(), None)?
            .sign_detached(b"")?
            .keyid)
    }

    /// A signer for the key `keyid`, or for the default key.
    ///
    /// # Errors
    ///
    /// [`GpgError::InvalidKeyid`] if the keyid cannot be passed to gpg.
    pub fn signer(&self, keyid: Option<&str>) -> Result<GpgSigner, GpgError> {
        GpgSigner::new(self.clone(), keyid)
    }

    /// Runs gpg with `args`, feeding `input` on standard input, and returns
    /// what it wrote to standard output.
    pub(crate) fn run(&self, args: &[&OsStr], input: Option<&[u8]>) -> Result<Output, GpgError> {
        let program = self.program()?;
        let command = display_command(&program, args);
        tracing::debug!(%command, "running gpg");
        let out = run_with_timeout(&program, args, input, self.timeout).map_err(|e| match e {
            RunError::Spawn(source) => GpgError::Spawn {
                command: command.clone(),
                source,
            },
            RunError::Timeout => GpgError::Timeout {
                command: command.clone(),
                seconds: self.timeout.as_secs(),
            },
        })?;
        if !out.status.success() {
            return Err(GpgError::Failed {
                command,
                status: out.status.to_string(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        Ok(Output { stdout: out.stdout })
    }
}

/// Refuses keyids that gpg would take for an option or that the reference
/// would split into several arguments.
pub(crate) fn check_keyid(keyid: &str) -> Result<(), GpgError> {
    if keyid.is_empty()
        || keyid.starts_with('-')
        || keyid.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(GpgError::InvalidKeyid {
            keyid: keyid.to_owned(),
        });
    }
    Ok(())
}

fn display_command(program: &OsStr, args: &[&OsStr]) -> String {
    std::iter::once(program)
        .chain(args.iter().copied())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// securesystemslib `gpg_command`: `$GNUPG` if set, else `gpg2`, else `gpg`,
/// whichever runs `--version` successfully.
fn find_program(env: Option<&OsStr>) -> Option<OsString> {
    let candidates: Vec<&OsStr> = match env {
        Some(v) => vec![v],
        None => vec![OsStr::new("gpg2"), OsStr::new("gpg")],
    };
    candidates
        .into_iter()
        .find(|p| {
            run_with_timeout(p, &[OsStr::new("--version")], None, Gpg::DEFAULT_TIMEOUT)
                .is_ok_and(|o| o.status.success())
        })
        .map(OsStr::to_os_string)
}

struct RawOutput {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

enum RunError {
    Spawn(std::io::Error),
    Timeout,
}

fn run_with_timeout(
    program: &OsStr,
    args: &[&OsStr],
    input: Option<&[u8]>,
    timeout: Duration,
) -> Result<RawOutput, RunError> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(RunError::Spawn)?;
    let writer = match (child.stdin.take(), input) {
        (Some(mut stdin), Some(data)) => {
            let data = data.to_vec();
            Some(thread::spawn(move || {
                // gpg may exit without reading everything; that is its error
                // to report.
                let _ = stdin.write_all(&data);
            }))
        }
        _ => None,
    };
    let stdout = child.stdout.take().map(read_all);
    let stderr = child.stderr.take().map(read_all);
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                // Our own child: stop it, and leave the reader threads (a
                // daemon gpg started may hold the pipes open).
                let _ = child.kill();
                let _ = child.wait();
                return Err(RunError::Timeout);
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(RunError::Spawn(e));
            }
        }
    };
    if let Some(w) = writer {
        let _ = w.join();
    }
    let join =
        |h: Option<thread::JoinHandle<Vec<u8>>>| h.and_then(|h| h.join().ok()).unwrap_or_default();
    Ok(RawOutput {
        status,
        stdout: join(stdout),
        stderr: join(stderr),
    })
}

fn read_all(mut r: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        buf
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn keyids_that_look_like_options_are_refused() {
        for bad in ["", "-x", "--export-secret-keys", "a b", "a\nb"] {
            assert!(check_keyid(bad).is_err(), "{bad:?}");
        }
        for good in [
            "8288EF56",
            "0x8288EF56",
            "35830AA342B9FEA0178876B02B25647FF0EF59FE!",
        ] {
            assert!(check_keyid(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn a_missing_program_is_a_clear_error() {
        let gpg = Gpg::new().with_program("/nonexistent/gpg");
        let err = gpg.run(&[OsStr::new("--version")], None).unwrap_err();
        assert!(matches!(err, GpgError::Spawn { .. }), "{err}");
        assert!(find_program(Some(OsStr::new("/nonexistent/gpg"))).is_none());
    }

    #[test]
    fn slow_commands_time_out() {
        let gpg = Gpg::new()
            .with_program("sleep")
            .with_timeout(Duration::from_millis(100));
        let err = gpg.run(&[OsStr::new("5")], None).unwrap_err();
        assert!(matches!(err, GpgError::Timeout { .. }), "{err}");
    }

    #[test]
    fn input_and_output_are_passed_through() {
        let gpg = Gpg::new().with_program("cat");
        let out = gpg.run(&[], Some(b"hello")).unwrap();
        assert_eq!(out.stdout, b"hello");
        let err = Gpg::new().with_program("false").run(&[], None).unwrap_err();
        assert!(matches!(err, GpgError::Failed { .. }), "{err}");
    }
}
