//! Artifact recording: artifact URIs in, `{name: {algorithm: digest}}` out,
//! equal to what the reference's `record_artifacts_as_dict` records.
//!
//! URIs are dispatched like the reference's `Resolver.for_uri`: `dir:` goes to
//! the ITE-4 directory resolver, `ostree:` to the OSTree resolver, everything
//! else (including `file:`, whose prefix is kept in the names) to the file
//! resolver. The file and directory resolvers share one walk-and-hash pass:
//! the rayon pool walks the trees (walkdir) in batches, one thread at a
//! time, and hashes the files found, each through a per-thread buffer, so
//! memory does not depend on file sizes and walking overlaps with hashing.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use intoto_model::{Artifacts, DigestSet};
use rayon::iter::{IntoParallelIterator, ParallelBridge, ParallelIterator};
use rayon::slice::ParallelSliceMut;
use walkdir::WalkDir;

use crate::error::Error;
use crate::exclude::ExcludeSet;
use crate::hash::{self, DigestAlgorithm, Scratch};
use crate::path::{join_normalized, normpath};
use crate::progress::{NoProgress, Progress};

/// How artifacts are recorded. `RecordOptions::new()` gives the settings
/// `in-toto-run` uses.
#[derive(Clone)]
pub struct RecordOptions {
    exclude_patterns: Vec<String>,
    base_path: Option<PathBuf>,
    lstrip_paths: Vec<String>,
    follow_symlink_dirs: bool,
    within_base: bool,
    normalize_line_endings: bool,
    algorithms: Vec<DigestAlgorithm>,
    progress: Arc<dyn Progress>,
    deadline: Option<Instant>,
}

impl std::fmt::Debug for RecordOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordOptions")
            .field("exclude_patterns", &self.exclude_patterns)
            .field("base_path", &self.base_path)
            .field("lstrip_paths", &self.lstrip_paths)
            .field("follow_symlink_dirs", &self.follow_symlink_dirs)
            .field("within_base", &self.within_base)
            .field("deadline", &self.deadline)
            .field("normalize_line_endings", &self.normalize_line_endings)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

impl Default for RecordOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl RecordOptions {
    /// The defaults of `in-toto-run`: the reference's default exclude
    /// patterns, the current directory as base path, no lstrip prefixes,
    /// symlinked directories followed, no line-ending normalisation, sha256.
    pub fn new() -> Self {
        Self {
            exclude_patterns: Vec::new(),
            base_path: None,
            lstrip_paths: Vec::new(),
            follow_symlink_dirs: true,
            within_base: false,
            normalize_line_endings: false,
            algorithms: vec![DigestAlgorithm::Sha256],
            progress: Arc::new(NoProgress),
            deadline: None,
        }
    }

    /// Whether to stay inside the folders being recorded (default `false`,
    /// as the reference): symlinked folders are not descended into, and a
    /// symlinked file is recorded only if its target is inside the base
    /// path (or the current folder); one pointing elsewhere is left out with
    /// a warning. For recording a tree someone else controls, such as the
    /// working folder of an inspection.
    pub fn within_base(mut self, within: bool) -> Self {
        self.within_base = within;
        if within {
            self.follow_symlink_dirs = false;
        }
        self
    }

    /// Gives up with [`Error::OutOfTime`] once `deadline` has passed
    /// (checked between files and between reads of a file).
    pub fn deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Gitignore-style patterns (pathspec semantics) of paths not to record.
    /// They replace the defaults (`*.link*`, `.git`, `*.pyc`, `*~`); as in
    /// the reference, an empty list means the defaults. Use `[""]` to
    /// exclude nothing.
    pub fn exclude_patterns<I, S>(mut self, patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.exclude_patterns = patterns.into_iter().map(Into::into).collect();
        self
    }

    /// The directory relative paths are recorded from; it is not part of
    /// the recorded names. An empty path means the current directory.
    pub fn base_path(mut self, path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        self.base_path = (!path.as_os_str().is_empty()).then_some(path);
        self
    }

    /// Prefixes to strip from recorded names: the first that the name starts
    /// with (plain string comparison) is removed. No prefix may be a left
    /// substring of another, and stripping must not make names collide.
    pub fn lstrip_paths<I, S>(mut self, prefixes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.lstrip_paths = prefixes.into_iter().map(Into::into).collect();
        self
    }

    /// Whether to descend into symlinked directories (default `true`, as
    /// `in-toto-run` and `in-toto-record` do; `in-toto-match-products` uses
    /// `false`). Symlinks to files are always recorded, under the link's
    /// name. A symlink back to a directory being walked is skipped instead of
    /// recursing.
    pub fn follow_symlink_dirs(mut self, follow: bool) -> Self {
        self.follow_symlink_dirs = follow;
        self
    }

    /// Whether to hash files with CRLF and CR turned into LF, for digests that
    /// agree across platforms.
    pub fn normalize_line_endings(mut self, normalize: bool) -> Self {
        self.normalize_line_endings = normalize;
        self
    }

    /// Digest algorithms to record (default sha256 only, like the reference).
    /// An empty list means sha256. Duplicates are ignored.
    pub fn algorithms<I>(mut self, algorithms: I) -> Self
    where
        I: IntoIterator<Item = DigestAlgorithm>,
    {
        let mut algorithms: Vec<DigestAlgorithm> = algorithms.into_iter().collect();
        algorithms.sort_unstable();
        algorithms.dedup();
        if algorithms.is_empty() {
            algorithms.push(DigestAlgorithm::Sha256);
        }
        self.algorithms = algorithms;
        self
    }

    /// Where to report progress while hashing.
    pub fn progress(mut self, progress: Arc<dyn Progress>) -> Self {
        self.progress = progress;
        self
    }

    /// Records `uris`; see [`record_artifacts`].
    ///
    /// # Errors
    ///
    /// As [`record_artifacts`].
    pub fn record<S: AsRef<str>>(&self, uris: &[S]) -> Result<Artifacts, Error> {
        record_artifacts(uris, self)
    }
}

/// The resolver a URI goes to (`Resolver.for_uri`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    File,
    Dir,
    Ostree,
}

fn scheme_of(uri: &str) -> Scheme {
    match uri.split_once(':') {
        Some(("dir", _)) => Scheme::Dir,
        Some(("ostree", _)) => Scheme::Ostree,
        _ => Scheme::File,
    }
}

/// Records the artifacts named by `uris`, as the reference's
/// `record_artifacts_as_dict` does:
///
/// - each path is `normpath`'d; directories are walked and every file in them
///   recorded; a path that does not exist, a broken symlink and anything that
///   is not a regular file (FIFO, socket, device) are skipped (a warning for
///   a named path that does not exist, a debug message otherwise);
/// - paths matching the exclude patterns are skipped, and excluded directories
///   are not entered; patterns match the path relative to the base path;
/// - names use `/` (backslashes in names become `/`), relative paths stay
///   relative to the base path and absolute paths stay absolute;
/// - `file:` URIs keep their prefix; `dir:<path>` records one ITE-4 digest
///   for the whole directory (relative to the current directory, not the base
///   path, as in the reference); `ostree:<ref>` records the commit object
///   that `<base>/refs/heads/<ref>` points to (always sha256, as OSTree does).
///
/// An empty `uris` records nothing, without looking at any option.
///
/// # Errors
///
/// - [`Error::ExcludePattern`], [`Error::OverlappingLstripPrefixes`],
///   [`Error::UnsupportedDigest`] for bad options;
/// - [`Error::BasePath`] if the base path is not a usable directory;
/// - [`Error::DuplicateArtifactName`] if lstrip makes names collide;
/// - [`Error::NotADirectory`] for a `dir:` URI that is not a directory;
/// - [`Error::ReadArtifact`], [`Error::OstreeRef`], [`Error::NonUtf8Path`] for
///   files that cannot be read or named.
pub fn record_artifacts<S: AsRef<str>>(
    uris: &[S],
    options: &RecordOptions,
) -> Result<Artifacts, Error> {
    if uris.is_empty() {
        return Ok(Artifacts::new());
    }
    options.progress.started();
    let started = std::time::Instant::now();
    let result = record_nonempty(uris, options);
    options.progress.finished();
    tracing::debug!(
        duration_ms = started.elapsed().as_millis(),
        artifacts = result.as_ref().map_or(0, Artifacts::len),
        "recorded artifacts"
    );
    result
}

fn record_nonempty<S: AsRef<str>>(uris: &[S], options: &RecordOptions) -> Result<Artifacts, Error> {
    if let Some(&algorithm) = options.algorithms.iter().find(|&&a| !hash::can_compute(a)) {
        return Err(Error::UnsupportedDigest { algorithm });
    }
    let mut artifacts = Artifacts::new();
    let excludes = if options.exclude_patterns.is_empty() {
        ExcludeSet::defaults()
    } else {
        ExcludeSet::new(&options.exclude_patterns)?
    };
    check_lstrip_prefixes(&options.lstrip_paths)?;

    // Batch the URIs per resolver, resolvers in order of first appearance.
    let mut batches: Vec<(Scheme, Vec<&str>)> = Vec::new();
    for uri in uris {
        let uri = uri.as_ref();
        let scheme = scheme_of(uri);
        match batches.iter_mut().find(|(s, _)| *s == scheme) {
            Some((_, list)) => list.push(uri),
            None => batches.push((scheme, vec![uri])),
        }
    }

    let base = options.base_path.as_deref();
    if let Some(base) = base
        && batches.iter().any(|(s, _)| *s != Scheme::Dir)
    {
        check_base_path(base)?;
    }

    // Plan the roots of the file and directory resolvers, then hash them all
    // in one parallel pass.
    let mut roots: Vec<Root> = Vec::new();
    for (scheme, list) in &batches {
        for uri in list {
            match scheme {
                Scheme::File => plan_file_root(uri, base, &excludes, &mut roots),
                Scheme::Dir => plan_dir_root(uri, &excludes, &mut roots)?,
                Scheme::Ostree => {}
            }
        }
    }
    let started = std::time::Instant::now();
    let hashed = hash_roots(&roots, &excludes, options)?;
    tracing::debug!(
        duration_ms = started.elapsed().as_millis(),
        files = hashed.len(),
        "walked and hashed"
    );
    // Only `dir:` URIs need their files apart; without them (the usual
    // case) the hashed files are used as they are.
    let any_dir = roots.iter().any(|r| matches!(r.kind, RootKind::Dir { .. }));
    let (mut file_hashed, dir_hashed): (Vec<Hashed>, Vec<Hashed>) = if any_dir {
        hashed.into_iter().partition(|h| {
            matches!(
                roots.get(h.root).map(|r| &r.kind),
                Some(RootKind::File { .. })
            )
        })
    } else {
        (hashed, Vec::new())
    };

    for (scheme, list) in &batches {
        let batch = match scheme {
            Scheme::File => assemble_files(
                &roots,
                std::mem::take(&mut file_hashed),
                &options.lstrip_paths,
            )?,
            Scheme::Dir => assemble_dirs(&roots, &dir_hashed, options)?,
            Scheme::Ostree => record_ostree(list, base, options)?,
        };
        // Later resolvers win a name given twice. Moving the first (usually
        // only, and large) batch is cheaper than re-inserting it.
        if artifacts.is_empty() {
            artifacts = batch;
        } else {
            artifacts.extend(batch);
        }
    }
    Ok(artifacts)
}

/// The reference's `PrefixError` check: no prefix may start with another.
fn check_lstrip_prefixes(prefixes: &[String]) -> Result<(), Error> {
    for (i, a) in prefixes.iter().enumerate() {
        for b in prefixes.iter().skip(i + 1) {
            if a.starts_with(b.as_str()) || b.starts_with(a.as_str()) {
                return Err(Error::OverlappingLstripPrefixes {
                    first: a.clone(),
                    second: b.clone(),
                });
            }
        }
    }
    Ok(())
}

fn check_base_path(base: &Path) -> Result<(), Error> {
    match fs::metadata(base) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Error::BasePath {
            path: base.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
        }),
        Err(source) => Err(Error::BasePath {
            path: base.to_owned(),
            source,
        }),
    }
}

/// A starting point of a walk.
#[derive(Debug)]
struct Root {
    kind: RootKind,
    /// The normalised name the walk's names are built on (`"."` for `dir:`).
    name: String,
    /// Where it is on disk.
    fs_path: PathBuf,
    /// Whether the root is a regular file (recorded itself) or a directory.
    is_file: bool,
}

#[derive(Debug)]
enum RootKind {
    /// A file-resolver path; the `file:` prefix if it had one.
    File { prefix: &'static str },
    /// A `dir:` URI: the path after `dir:`, as given.
    Dir { path: String },
}

fn plan_file_root(uri: &str, base: Option<&Path>, excludes: &ExcludeSet, roots: &mut Vec<Root>) {
    let (path, prefix) = match uri.strip_prefix("file:") {
        Some(rest) => (rest, "file:"),
        None => (uri, ""),
    };
    let name = normpath(path);
    if excludes.is_excluded(&name) {
        tracing::debug!(path = %name, "artifact excluded by pattern");
        return;
    }
    let fs_path = match base {
        Some(base) => base.join(&name),
        None => PathBuf::from(&name),
    };
    match fs::metadata(&fs_path) {
        Ok(m) if m.is_file() || m.is_dir() => roots.push(Root {
            kind: RootKind::File { prefix },
            name,
            fs_path,
            is_file: m.is_file(),
        }),
        Ok(_) => tracing::debug!(path = %name, "not a regular file or directory, skipping"),
        // The reference skips these silently; a path named on the command
        // line that is not there is worth a word.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!("{name} does not exist, not recording it");
        }
        Err(e) => tracing::warn!(error = %e, "cannot look at {name}, not recording it"),
    }
}

fn plan_dir_root(uri: &str, excludes: &ExcludeSet, roots: &mut Vec<Root>) -> Result<(), Error> {
    let path = uri.strip_prefix("dir:").unwrap_or(uri);
    let fs_path = PathBuf::from(path);
    if !fs::metadata(&fs_path).is_ok_and(|m| m.is_dir()) {
        return Err(Error::NotADirectory {
            uri: uri.to_owned(),
            path: fs_path,
        });
    }
    // The reference hashes the directory with a file resolver rooted in it,
    // which checks "." against the patterns too.
    if excludes.is_excluded(".") {
        tracing::debug!(path = %path, "directory contents excluded by pattern");
    }
    roots.push(Root {
        kind: RootKind::Dir {
            path: path.to_owned(),
        },
        name: ".".to_owned(),
        fs_path,
        is_file: false,
    });
    Ok(())
}

/// A file found by the walk, not yet checked against the patterns.
struct Found {
    root: usize,
    /// The normalised name (lossy if the path is not UTF-8).
    name: String,
    utf8: bool,
    path: PathBuf,
    /// Whether the entry is a symlink that was not followed, whose target
    /// decides whether it is recorded.
    classify: bool,
}

/// A hashed file.
struct Hashed {
    root: usize,
    /// The normalised name; for the files of a file root when no lstrip
    /// prefixes are given, already the recorded name (see [`recorded_name`]).
    name: String,
    /// [`sort_prefix`] of a recorded name, else 0.
    sort_key: u128,
    path: PathBuf,
    digests: DigestSet,
}

/// How many walked files a hashing thread takes at a time.
const WALK_BATCH: usize = 256;

fn hash_roots(
    roots: &[Root],
    excludes: &ExcludeSet,
    options: &RecordOptions,
) -> Result<Vec<Hashed>, Error> {
    if roots.is_empty() {
        return Ok(Vec::new());
    }
    let follow = options.follow_symlink_dirs;
    let deadline = options.deadline;
    let progress = options.progress.as_ref();
    let found = roots
        .iter()
        .enumerate()
        .flat_map(move |(index, root)| walk_root(index, root, excludes, follow, deadline))
        .inspect(|_| progress.add_found(1));
    let confine = if options.within_base {
        Some(confinement(options.base_path.as_deref())?)
    } else {
        None
    };
    // The walk is handed to the pool in batches: a thread that runs out of
    // files walks on for the next batch while the other hashes, and the
    // threads take turns at the walk's lock once per batch, not per file.
    // A batch is itself split between the threads (a few large files must
    // not be hashed one after the other by one thread).
    let mut found = found;
    let batches = std::iter::from_fn(move || {
        let batch: Vec<Result<Found, Error>> = found.by_ref().take(WALK_BATCH).collect();
        (!batch.is_empty()).then_some(batch)
    });
    batches
        .par_bridge()
        .flat_map(Vec::into_par_iter)
        .map_init(
            || Worker {
                scratch: Scratch::new().deadline(deadline),
                excludes: excludes.clone(),
                progress,
            },
            |w, found| {
                let found = found?;
                if let Some(base) = &confine
                    && !stays_within(&found, base)
                {
                    return Ok(None);
                }
                hash_found(found, roots, &w.excludes, options, &mut w.scratch, progress)
            },
        )
        .filter_map(|r| r.transpose())
        .collect()
}

/// The canonical folder recording must stay in: the base path, or the
/// current folder.
fn confinement(base: Option<&Path>) -> Result<PathBuf, Error> {
    let base = base.unwrap_or(Path::new("."));
    fs::canonicalize(base).map_err(|source| Error::BasePath {
        path: base.to_owned(),
        source,
    })
}

/// Whether a found file may be read when recording stays within `base`: a
/// symlink's target must be inside it.
fn stays_within(found: &Found, base: &Path) -> bool {
    if !found.classify {
        return true;
    }
    match fs::canonicalize(&found.path) {
        Ok(target) if target.starts_with(base) => true,
        Ok(target) => {
            tracing::warn!(
                "not recording {}: it is a symlink to {}, outside the folder being recorded",
                found.name,
                target.display()
            );
            false
        }
        // Broken: skipped below as any broken symlink is.
        Err(_) => true,
    }
}

/// What a hashing thread keeps between files.
struct Worker<'a> {
    scratch: Scratch,
    /// Each worker has its own copy of the patterns: a compiled regex serves
    /// one thread without locking, others through a shared pool.
    excludes: ExcludeSet,
    progress: &'a dyn Progress,
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        self.scratch.flush(self.progress);
    }
}

fn hash_found(
    found: Found,
    roots: &[Root],
    excludes: &ExcludeSet,
    options: &RecordOptions,
    scratch: &mut Scratch,
    progress: &dyn Progress,
) -> Result<Option<Hashed>, Error> {
    if excludes.is_excluded(&found.name) {
        return Ok(None);
    }
    if scratch.out_of_time() {
        return Err(Error::OutOfTime { path: found.path });
    }
    if found.classify {
        match fs::metadata(&found.path) {
            Ok(m) if m.is_file() => {}
            // A symlink to a directory that is not followed: not recorded.
            Ok(m) if m.is_dir() => return Ok(None),
            Ok(_) => {
                tracing::warn!(
                    "not recording {}: it links to something that is not a regular file",
                    found.name
                );
                return Ok(None);
            }
            Err(_) => {
                tracing::debug!(path = %found.name, "broken symlink, skipping");
                return Ok(None);
            }
        }
    }
    if !found.utf8 {
        return Err(Error::NonUtf8Path { path: found.path });
    }
    let digests = hash::hash_file(
        &found.path,
        &options.algorithms,
        options.normalize_line_endings,
        scratch,
        progress,
    )?;
    scratch.add_file(progress);
    // Without lstrip prefixes the recorded name is known now, so it is made
    // here, on the hashing threads, with the key it sorts by; the path only
    // names files in lstrip collision errors and is let go.
    let file_prefix = match roots.get(found.root).map(|r| &r.kind) {
        Some(RootKind::File { prefix }) => Some(*prefix),
        _ => None,
    };
    let (name, sort_key, path) = match file_prefix {
        Some(prefix) if options.lstrip_paths.is_empty() => {
            let name = recorded_name(prefix, found.name);
            let key = sort_prefix(&name);
            (name, key, PathBuf::new())
        }
        _ => (found.name, 0, found.path),
    };
    Ok(Some(Hashed {
        root: found.root,
        name,
        sort_key,
        path,
        digests,
    }))
}

/// The files under one root, in walk order. Runs on the walking thread, so it
/// only prunes directories; files are matched against the patterns by the
/// hashing threads.
fn walk_root<'a>(
    index: usize,
    root: &'a Root,
    excludes: &'a ExcludeSet,
    follow: bool,
    deadline: Option<Instant>,
) -> Box<dyn Iterator<Item = Result<Found, Error>> + Send + 'a> {
    if root.is_file {
        return Box::new(std::iter::once(Ok(Found {
            root: index,
            name: root.name.clone(),
            utf8: true,
            path: root.fs_path.clone(),
            classify: false,
        })));
    }
    if matches!(root.kind, RootKind::Dir { .. }) && excludes.is_excluded(&root.name) {
        return Box::new(std::iter::empty());
    }
    let root_bytes = root.fs_path.as_os_str().as_encoded_bytes();
    let name_of = move |path: &Path| -> (String, bool) {
        // Entries are the root joined with names, so cutting the root's bytes
        // off is `strip_prefix` without comparing component by component.
        let rel = path
            .as_os_str()
            .as_encoded_bytes()
            .strip_prefix(root_bytes)
            .map(|r| r.strip_prefix(b"/").unwrap_or(r));
        let (rel, utf8) = match rel.map(std::str::from_utf8) {
            Some(Ok(rel)) => (std::borrow::Cow::Borrowed(rel), true),
            _ => {
                let rel = path.strip_prefix(&root.fs_path).unwrap_or(path);
                (rel.to_string_lossy(), rel.to_str().is_some())
            }
        };
        (join_normalized(&root.name, &rel), utf8)
    };
    let walker = WalkDir::new(&root.fs_path)
        .follow_links(follow)
        .follow_root_links(true)
        .into_iter()
        .filter_entry(move |entry| {
            entry.depth() == 0
                || !entry.file_type().is_dir()
                || !excludes.is_excluded(&name_of(entry.path()).0)
        });
    let mut out_of_time = false;
    Box::new(walker.filter_map(move |entry| {
        if out_of_time {
            return None;
        }
        if deadline.is_some_and(|d| Instant::now() > d) {
            out_of_time = true;
            let path = match &entry {
                Ok(e) => e.path().to_owned(),
                Err(e) => e.path().map_or_else(|| root.fs_path.clone(), Path::to_owned),
            };
            return Some(Err(Error::OutOfTime { path }));
        }
        match entry {
            Ok(entry) => {
                let file_type = entry.file_type();
                if entry.depth() == 0 || file_type.is_dir() {
                    return None;
                }
                let (name, utf8) = name_of(entry.path());
                if !file_type.is_file() && !file_type.is_symlink() {
                    if !excludes.is_excluded(&name) {
                        tracing::warn!("not recording {name}: it is not a regular file (a FIFO, socket or device)");
                    }
                    return None;
                }
                Some(Ok(Found {
                    root: index,
                    name,
                    utf8,
                    path: entry.into_path(),
                    classify: file_type.is_symlink(),
                }))
            }
            Err(err) => walk_error(err, &name_of, excludes).map(Err),
        }
    }))
}

/// A walk error: a loop of symlinked directories is cut (the reference
/// recurses until `ELOOP`), a broken symlink skipped; anything else that
/// is not excluded (a folder that cannot be listed, a path too long) is an
/// error, where `os.walk` in the reference skips it silently.
fn walk_error(
    err: walkdir::Error,
    name_of: &dyn Fn(&Path) -> (String, bool),
    excludes: &ExcludeSet,
) -> Option<Error> {
    let path = err.path().map(Path::to_owned);
    if let Some(ancestor) = err.loop_ancestor() {
        tracing::info!(
            path = ?path.as_deref().map(Path::display).map(|p| p.to_string()),
            ancestor = %ancestor.display(),
            "symlink loop, not descending again"
        );
        return None;
    }
    let path = path?;
    if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink())
        && fs::metadata(&path).is_err()
    {
        tracing::debug!(path = %path.display(), "broken symlink, skipping");
        return None;
    }
    if excludes.is_excluded(&name_of(&path).0) {
        return None;
    }
    let source = err
        .into_io_error()
        .unwrap_or_else(|| std::io::Error::other("cannot walk here"));
    Some(Error::Unreadable { path, source })
}

/// The file resolver's `_mangle`: `/` for `\\`, lstrip, duplicate check, prefix.
fn assemble_files(
    roots: &[Root],
    hashed: Vec<Hashed>,
    lstrip: &[String],
) -> Result<Artifacts, Error> {
    if lstrip.is_empty() {
        // No names can collide by stripping, so no bookkeeping: the hashing
        // threads made the recorded names; sort them (in parallel, mostly by
        // the inline prefix, without following the strings' pointers) and
        // build the map in one go. For a name given twice the later root
        // wins, as the reference's dict update does.
        let mut hashed = hashed;
        hashed.par_sort_unstable_by(|a, b| {
            a.sort_key
                .cmp(&b.sort_key)
                .then_with(|| a.name.cmp(&b.name))
                .then(a.root.cmp(&b.root))
        });
        // `BTreeMap::from_iter` keeps the last of equal keys and builds a
        // sorted input in linear time.
        return Ok(hashed.into_iter().map(|h| (h.name, h.digests)).collect());
    }

    let prefix_of = |root: usize| match roots.get(root).map(|r| &r.kind) {
        Some(RootKind::File { prefix }) => *prefix,
        _ => "",
    };
    let mut hashed = hashed;
    hashed.par_sort_unstable_by(|a, b| (a.root, &a.name).cmp(&(b.root, &b.name)));
    let mut out = Artifacts::new();
    let mut origins: HashMap<String, PathBuf> = HashMap::new();
    for h in hashed {
        let prefix = prefix_of(h.root);
        let mut name = forward_slashes(h.name);
        if let Some(p) = lstrip.iter().find(|p| name.starts_with(p.as_str())) {
            name.drain(..p.len());
        }
        // As in the reference, the check compares the unprefixed name with
        // the (possibly prefixed) names recorded so far in this batch.
        if out.contains_key(&name) {
            return Err(Error::DuplicateArtifactName {
                first: origins.remove(&name).unwrap_or_default(),
                second: h.path,
                name,
            });
        }
        let key = format!("{prefix}{name}");
        origins.insert(key.clone(), h.path);
        out.insert(key, h.digests);
    }
    Ok(out)
}

/// The name a file of a file root is recorded under, without lstrip: `/` for
/// `\\`, and the root's `file:` prefix if it had one (the file resolver's
/// `_mangle`).
fn recorded_name(prefix: &str, name: String) -> String {
    let name = forward_slashes(name);
    if prefix.is_empty() {
        name
    } else {
        format!("{prefix}{name}")
    }
}

/// `name` with `\\` turned into `/`, as the reference records names.
fn forward_slashes(name: String) -> String {
    if name.contains('\\') {
        name.replace('\\', "/")
    } else {
        name
    }
}

/// The first 16 bytes of `name`, zero-padded, as a number that orders like
/// the names do (names hold no NUL bytes).
fn sort_prefix(name: &str) -> u128 {
    let mut bytes = [0u8; 16];
    let len = name.len().min(16);
    bytes[..len].copy_from_slice(&name.as_bytes()[..len]);
    u128::from_be_bytes(bytes)
}

/// The directory resolver: one digest per `dir:` URI over the sorted
/// `"<digest>  <name>\n"` lines of its files.
fn assemble_dirs(
    roots: &[Root],
    hashed: &[Hashed],
    options: &RecordOptions,
) -> Result<Artifacts, Error> {
    let mut files_of: BTreeMap<usize, BTreeMap<String, &DigestSet>> = BTreeMap::new();
    for (index, root) in roots.iter().enumerate() {
        if matches!(root.kind, RootKind::Dir { .. }) {
            files_of.insert(index, BTreeMap::new());
        }
    }
    for h in hashed {
        if let Some(files) = files_of.get_mut(&h.root) {
            files.insert(h.name.replace('\\', "/"), &h.digests);
        }
    }
    let mut out = Artifacts::new();
    let mut origins: HashMap<String, PathBuf> = HashMap::new();
    for (index, files) in files_of {
        let Some(Root {
            kind: RootKind::Dir { path },
            fs_path,
            ..
        }) = roots.get(index)
        else {
            continue;
        };
        if files.is_empty() {
            tracing::info!(path = %path, "directory has no files, recording it as empty");
        }
        let mut digests = DigestSet::new();
        for &algorithm in &options.algorithms {
            // BTreeMap order is code point order, which is C-locale `strcoll`.
            let mut text = String::new();
            for (name, set) in &files {
                text.push_str(set.get(algorithm.name()).unwrap_or_default());
                text.push_str("  ");
                text.push_str(name);
                text.push('\n');
            }
            let one = hash::hash_bytes(text.as_bytes(), &[algorithm]);
            if let Some(hex) = one.get(algorithm.name()) {
                digests.insert(algorithm.name(), hex);
            }
        }
        let mut name = path.replace('\\', "/");
        if let Some(p) = options
            .lstrip_paths
            .iter()
            .find(|p| name.starts_with(p.as_str()))
        {
            name.drain(..p.len());
        }
        let key = format!("dir:{name}");
        if !options.lstrip_paths.is_empty() && out.contains_key(&key) {
            return Err(Error::DuplicateArtifactName {
                first: origins.get(&key).cloned().unwrap_or_default(),
                second: fs_path.clone(),
                name: key,
            });
        }
        origins.insert(key.clone(), fs_path.clone());
        out.insert(key, digests);
    }
    Ok(out)
}

/// The OSTree resolver: the digest of the commit object a branch points to.
fn record_ostree(
    uris: &[&str],
    base: Option<&Path>,
    options: &RecordOptions,
) -> Result<Artifacts, Error> {
    let root = base.unwrap_or_else(|| Path::new(""));
    let mut out = Artifacts::new();
    let mut scratch = Scratch::new();
    for uri in uris {
        let reference = uri.strip_prefix("ostree:").unwrap_or(uri);
        let ref_path = root.join("refs").join("heads").join(reference);
        let err = |path: &Path, source| Error::OstreeRef {
            reference: reference.to_owned(),
            path: path.to_owned(),
            source,
        };
        let contents = fs::read_to_string(&ref_path).map_err(|e| err(&ref_path, e))?;
        // A text-mode read in the reference: universal newlines, then `strip("\n")`.
        let contents = contents.replace("\r\n", "\n").replace('\r', "\n");
        let commit = contents.trim_matches('\n');
        let split = commit
            .char_indices()
            .nth(2)
            .map_or(commit.len(), |(i, _)| i);
        let (dir, rest) = commit.split_at(split);
        let object = root
            .join("objects")
            .join(dir)
            .join(format!("{rest}.commit"));
        // OSTree names objects by sha256, so the reference pins it here.
        let digests = hash::hash_file(
            &object,
            &[DigestAlgorithm::Sha256],
            false,
            &mut scratch,
            options.progress.as_ref(),
        )
        .map_err(|e| match e {
            Error::ReadArtifact { path, source } => err(&path, source),
            other => other,
        })?;
        scratch.add_file(options.progress.as_ref());
        scratch.flush(options.progress.as_ref());
        out.insert(format!("ostree:{reference}"), digests);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_dispatch_like_for_uri() {
        assert_eq!(scheme_of("dir:x"), Scheme::Dir);
        assert_eq!(scheme_of("ostree:x"), Scheme::Ostree);
        assert_eq!(scheme_of("file:x"), Scheme::File);
        assert_eq!(scheme_of("http://x"), Scheme::File);
        assert_eq!(scheme_of("plain"), Scheme::File);
        assert_eq!(scheme_of("dirx:y"), Scheme::File);
    }

    #[test]
    fn overlapping_prefixes_are_rejected() {
        let err = check_lstrip_prefixes(&["a/".into(), "b/".into(), "a/b".into()]).unwrap_err();
        assert!(matches!(
            err,
            Error::OverlappingLstripPrefixes { ref first, ref second } if first == "a/" && second == "a/b"
        ));
        assert!(check_lstrip_prefixes(&["a/".into(), "b/".into()]).is_ok());
        assert!(check_lstrip_prefixes(&["x".into(), "x".into()]).is_err());
    }

    /// An instant that has already passed.
    fn in_the_past() -> Instant {
        let now = Instant::now();
        now.checked_sub(std::time::Duration::from_secs(1))
            .unwrap_or_else(|| {
                std::thread::sleep(std::time::Duration::from_millis(2));
                now
            })
    }

    #[test]
    fn a_deadline_already_past_is_out_of_time() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        fs::write(dir.path().join("sub/a.txt"), "a").unwrap();
        fs::write(dir.path().join("b.txt"), "b").unwrap();
        let options = RecordOptions::new().base_path(dir.path());
        // With time left, everything is recorded.
        let later = Instant::now() + std::time::Duration::from_secs(3600);
        let got = options.clone().deadline(later).record(&["."]).unwrap();
        assert_eq!(got.keys().collect::<Vec<_>>(), ["b.txt", "sub/a.txt"]);
        // Without, a folder and a single file are both out of time, naming
        // what was being recorded.
        let late = options.deadline(in_the_past());
        for (uri, expected) in [
            (".", dir.path().join(".")),
            ("b.txt", dir.path().join("b.txt")),
        ] {
            let err = late.record(&[uri]).unwrap_err();
            let Error::OutOfTime { path } = &err else {
                panic!("{uri}: expected Error::OutOfTime, got {err:?}");
            };
            assert_eq!(
                path.components().collect::<Vec<_>>(),
                expected.components().collect::<Vec<_>>(),
                "{uri}"
            );
            assert!(err.to_string().starts_with("ran out of time"), "{err}");
        }
    }

    #[test]
    fn empty_uris_ignore_bad_options() {
        let options = RecordOptions::new()
            .exclude_patterns(["[z-a]"])
            .lstrip_paths(["a", "ab"]);
        assert!(record_artifacts::<&str>(&[], &options).unwrap().is_empty());
    }
}
