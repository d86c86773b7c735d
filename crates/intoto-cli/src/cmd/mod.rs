//! One module per subcommand: arguments in, library calls, an outcome out.
//! `cli.rs` dispatches to them; nothing here imports `cli.rs`.

pub(crate) mod attest;
pub(crate) mod demo;
pub(crate) mod key;
pub(crate) mod match_products;
pub(crate) mod mock;
pub(crate) mod record;
pub(crate) mod run;
pub(crate) mod serve;
pub(crate) mod show;
pub(crate) mod sign;
pub(crate) mod store;
pub(crate) mod tuf;
pub(crate) mod tuf_verify;
pub(crate) mod verify;
pub(crate) mod verify_policy;
pub(crate) mod vsa;

/// Lets go of a link that is no longer needed without freeing it piece by
/// piece: the process is about to exit, which returns the memory at once,
/// while dropping a link of 100,000 artifacts one allocation at a time takes
/// tens of milliseconds.
pub(crate) fn discard(link: intoto::model::Link) {
    std::mem::forget(link);
}
