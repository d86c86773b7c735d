//! in-toto over TUF (ITE-2, ITE-3): compromise-resilient delivery of
//! layouts, layout keys and links.
//!
//! A TUF repository carries each package as a target whose
//! `custom.in-toto` lists the in-toto metadata it was made with: its root
//! layout and its links. The root layout is a target of the top-level
//! targets role (offline keys) whose own `custom.in-toto` lists the public
//! keys that must have signed it. Packages and links are targets of one
//! delegated role, [`names::PACKAGES_ROLE`] (online keys).
//!
//! - [`client`]: the ITE-2 client workflow. TUF metadata is updated (root
//!   rotation, timestamp, snapshot, delegations, consistent snapshots; by
//!   `tough`), the package and its in-toto metadata are downloaded and
//!   checked against their targets metadata, and the caller runs in-toto
//!   verification over them with the package as the final product before
//!   placing it.
//! - [`publish`]: lays a repository out as ITE-2 describes: `init`,
//!   `add_target`, key rotation.
//! - [`plan`]: which listed target is the root layout, which are its keys
//!   and links; pure, so the rules are tested without a repository.

pub mod client;
mod copy;
mod error;
pub mod keys;
mod links;
pub mod names;
pub mod plan;
pub mod publish;
mod repo;
mod rotate;
mod transport;

pub use error::TufError;
pub use links::TufLinks;
