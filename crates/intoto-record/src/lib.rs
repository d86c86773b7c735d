//! Recording for in-toto: walks and hashes artifacts, runs a step's command,
//! and produces **unsigned** [`Link`](intoto_model::Link)s, with the results
//! the Python reference (in-toto 3.1.0) produces for the same inputs.
//!
//! This is the only library crate of the workspace that touches the file
//! system and runs processes. Signing links and writing them to files happen
//! elsewhere.
//!
//! - [`artifacts`]: `record_artifacts_as_dict` — file, `dir:` (ITE-4) and
//!   `ostree:` resolvers, exclude patterns with pathspec semantics
//!   ([`exclude`]), base path, lstrip prefixes, symlinks, line-ending
//!   normalisation, sha224/sha256/sha384/sha512 (and blake3 with the
//!   `blake3` feature),
//!   hashed in parallel with a fixed amount of memory per thread.
//! - [`run`](mod@run): `execute_link` — argv, timeout, return value, streams.
//! - [`encoding`]: a link's canonical JSON and Python `json.dumps` texts,
//!   written without building a `serde_json::Value` tree.
//! - [`step`]: `in_toto_run`, `in_toto_record_start`/`_stop`,
//!   `in_toto_match_products`, `in_toto_mock`.
//!
//! ```
//! use intoto_record::{RecordOptions, RunOptions, StepOptions, Streams, run_step};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("hello.txt"), "hello\n")?;
//! let options = StepOptions::new()
//!     .materials(["."])
//!     .products(["."])
//!     .artifacts(RecordOptions::new().base_path(dir.path()))
//!     .run(RunOptions::new(["echo", "hi"]).streams(Streams::Capture));
//! let record = run_step("greet", &options)?;
//! assert_eq!(record.return_value, Some(0));
//! assert_eq!(
//!     record.link.products["hello.txt"].get("sha256"),
//!     Some("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
//! );
//! assert_eq!(record.link.stdout(), Some("hi\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Deliberate differences from the reference:
//! - a symlink that leads back to a directory being walked is not followed
//!   again (the reference recurses until the kernel's `ELOOP`, recording every
//!   file dozens of times);
//! - command output that is not valid UTF-8 is decoded with U+FFFD
//!   replacement characters (the reference raises `UnicodeDecodeError`);
//! - a file whose name is not valid UTF-8 is an error (the reference records
//!   it and then fails to sign the link);
//! - the command's output is duplicated to the terminal as raw bytes as it
//!   arrives (the reference re-encodes it after newline translation);
//! - sha512 and blake3 digests can be recorded in addition to sha256; for
//!   `dir:` artifacts each algorithm hashes its own listing;
//! - a named path that does not exist is skipped, as in the reference, but
//!   with a warning in the log.

pub mod artifacts;
pub mod encoding;
mod error;
pub mod exclude;
pub mod file;
pub mod hash;
pub mod path;
pub mod progress;
pub mod run;
pub mod step;

pub use artifacts::{RecordOptions, record_artifacts};
pub use error::{Error, PatternProblem, Phase};
pub use exclude::{DEFAULT_EXCLUDE_PATTERNS, ExcludeSet};
pub use hash::DigestAlgorithm;
pub use progress::{Counter, NoProgress, Progress};
pub use run::{DEFAULT_TIMEOUT, KillScope, RunOptions, RunOutcome, Streams, run};
pub use step::{
    ProductsComparison, StartOptions, StepOptions, StepRecord, StopOptions, match_products, mock,
    mock_file_name, record_start, record_stop, run_step,
};
