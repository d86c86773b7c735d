//! The byte forms of in-toto metadata, each written once.
//!
//! Two JSON dialects matter, and every writer of either one is here, built
//! on the same primitives (string escaping per dialect, key order, number
//! rules):
//!
//! - canonical JSON, the bytes legacy signatures and keyids are over
//!   ([`cjson`]): from a [`serde_json::Value`] ([`cjson::encode`]), straight
//!   from received JSON text ([`canonical_text`], for large link files), and
//!   straight from a [`Link`](crate::Link) ([`link_text`], for recording);
//! - the text Python's `json.dumps(sort_keys=True)` writes ([`pyjson`]),
//!   which files and DSSE payloads use: from a `Value`
//!   ([`pyjson::to_string`]) and straight from a `Link` ([`link_text`]).
//!
//! Statements and DSSE envelope files are written by [`attestation_text`].
//!
//! [`hex`] is the one hexadecimal encoder and decoder of the workspace.

pub mod attestation_text;
pub mod canonical_text;
pub mod cjson;
pub mod hex;
pub mod link_text;
pub mod pyjson;

use serde_json::{Map, Value};

/// Sorts object members into the order both dialects write them: by key,
/// compared by code point as Python's `sorted` does (for UTF-8, byte
/// order). Stable, so among equal keys the last one given stays last.
pub(crate) fn sort_members<T>(members: &mut [T], key: impl Fn(&T) -> &[u8]) {
    members.sort_by(|a, b| key(a).cmp(key(b)));
}

/// The members of a map in [`sort_members`] order.
///
/// Sorted explicitly: a crate elsewhere in the graph may switch on
/// `serde_json/preserve_order`, which would change the map's own order.
pub(crate) fn sorted_members(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    sort_members(&mut members, |m| m.0.as_bytes());
    members
}
