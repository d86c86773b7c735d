//! GnuPG through the `gpg` program, as the reference (securesystemslib's
//! `_gpg` package behind in-toto's `--gpg` options) runs it: exporting
//! public keys from a keyring and signing. Keys and signatures themselves
//! (parsing, verification) are `intoto_crypto::gpg`, re-exported here,
//! which runs no program.
//!
//! | Operation | `gpg` binary? | API |
//! |---|---|---|
//! | Verifying a signature with a key dict from a layout | **no** | [`PublicKey::from_key_dict`](intoto_crypto::PublicKey::from_key_dict), [`check_signature`](intoto_crypto::check_signature) |
//! | Reading a key dict from `gpg --export` output already at hand | **no** | [`key_dict_from_export`] |
//! | Exporting a public key from a keyring | yes: `gpg [--homedir H] --export KEYID` | [`Gpg::export_pubkey`], [`Gpg::export_pubkeys`], [`Gpg::export_public_key`] |
//! | Finding the keyring's default signing key | yes: signs an empty message | [`Gpg::default_signing_keyid`] |
//! | Signing | yes: `gpg --detach-sign --digest-algo SHA256 [--local-user KEYID] [--homedir H]` | [`GpgSigner`] |
//!
//! The command lines are securesystemslib's (`_gpg/constants.py`), and so is
//! the choice of program: `$GNUPG` if set (and it runs), else `gpg2`, else
//! `gpg`; commands time out after 10 seconds. Nothing is parsed from gpg's
//! human-readable output, only the OpenPGP packets it writes.

mod command;
mod signer;

pub use command::Gpg;
pub use intoto_crypto::gpg::*;
pub use signer::GpgSigner;
