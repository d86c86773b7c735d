//! The stages of a verification (spec §5), one module each, in the order
//! [`crate::session`] runs them:
//!
//! - [`layout`]: stages 1 to 3, the layout's signatures, expiry and
//!   checks ([`parameters`]: its placeholders substituted);
//! - [`evidence`]: stage 4, each step's evidence and threshold;
//! - [`sublayout`]: stage 5, sublayouts verified recursively;
//! - [`agreement`]: stages 6 and 7, reported commands, and agreement of a
//!   step's functionaries;
//! - [`rules`]: stages 8 and 10, artifact rules;
//! - [`inspection`]: stage 9, inspections.

pub(crate) mod agreement;
pub(crate) mod evidence;
pub(crate) mod inspection;
pub(crate) mod layout;
pub(crate) mod parameters;
pub(crate) mod rules;
pub(crate) mod sublayout;

use intoto_model::SupplyChainItem;

use crate::rules::ItemKind;

pub(crate) fn kind_of(item: SupplyChainItem<'_>) -> ItemKind {
    match item {
        SupplyChainItem::Step(_) => ItemKind::Step,
        SupplyChainItem::Inspection(_) => ItemKind::Inspection,
    }
}
