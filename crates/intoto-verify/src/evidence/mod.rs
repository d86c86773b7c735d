//! Verified evidence: what the rule engine consumes, whatever it came from.
//!
//! A piece of [`Evidence`] says what a functionary attests about a step or
//! a predicate: the artifacts before and after (as resource descriptors:
//! a name and its digests), the command and byproducts of a link, and the
//! predicate of an ITE-6 statement. It is only ever handed out as
//! `Verified<Evidence>`, which only a signature check (an
//! [`Authority`]) can produce.
//!
//! An [`EvidenceSource`] finds evidence for a step. [`LinkFolder`] is the
//! classic one: `<step>.<keyid[:8]>.link` files (legacy, DSSE, or ITE-6
//! link statements) read through a [`LinkSource`]. Attestation folders,
//! bundles and a store are further sources.

mod link_folder;

use std::sync::Arc;

use intoto_crypto::{SignatureError, Verified};
use intoto_model::{Artifacts, KeyId, Metadata, ModelError, Statement, Step};
use serde_json::{Map, Value};

use crate::artifacts::ArtifactMap;
use crate::chain::ChainLink;
use crate::functionary::{Authority, Candidate, Functionary};
use crate::linkfile::Document;
use crate::verifier::Error;

pub use link_folder::{LinkFolder, LinkSource, SourceError};

/// What a piece of evidence speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// A step (or inspection) of a layout, by name: a link.
    Step(String),
    /// An ITE-6 predicate other than a link, by its type URI.
    Predicate(String),
}

/// An ITE-6 predicate as received.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Predicate {
    /// The predicate type URI.
    pub predicate_type: String,
    /// The predicate, opaque at this layer.
    pub value: Map<String, Value>,
}

/// What a functionary attests, and who that functionary is.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Evidence {
    /// The step or predicate it speaks for.
    pub claim: Claim,
    /// The link form: command, byproducts, and the materials and products
    /// (for a statement, its subjects are the products).
    pub link: ChainLink,
    /// The predicate, for evidence that came as a statement.
    pub predicate: Option<Predicate>,
    /// The functionary that signed it.
    pub functionary: Functionary,
    /// Where it came from.
    pub origin: Origin,
}

/// Where a piece of evidence was found, and under which functionary's name.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Origin {
    /// The file or record, as the source names it in messages.
    pub file: String,
    /// The authorised functionary it was looked up for.
    pub candidate: Candidate,
}

impl Origin {
    /// The keyid the evidence is filed under.
    pub fn keyid(&self) -> &KeyId {
        &self.candidate.keyid
    }
}

/// A layout signed by a functionary in place of a step's link: verified
/// recursively, it stands for the step as its summary link.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Sublayout {
    /// The sublayout as received.
    pub metadata: Metadata,
    /// The functionary that signed it.
    pub functionary: Functionary,
    /// Where it came from.
    pub origin: Origin,
}

impl Evidence {
    /// The evidence `functionary` gave as a link, found at `origin`.
    pub fn from_link(
        functionary: Verified<Functionary>,
        link: ChainLink,
        origin: Origin,
    ) -> Verified<Evidence> {
        functionary.map(|functionary| Evidence {
            claim: Claim::Step(link.name.clone()),
            link,
            predicate: None,
            functionary,
            origin,
        })
    }

    /// The evidence `functionary` gave as an ITE-6 statement of any
    /// predicate, found at `origin`: a link statement speaks for its step,
    /// any other for its predicate type, with its subjects as products.
    ///
    /// # Errors
    ///
    /// A link predicate whose fields are malformed.
    pub fn from_statement(
        functionary: Verified<Functionary>,
        statement: Statement,
        origin: Origin,
    ) -> Result<Verified<Evidence>, ModelError> {
        let is_link = statement.is_link();
        let link = if is_link {
            ChainLink::from_link(&statement.to_link()?)
        } else {
            subjects_as_products(&statement)
        };
        let claim = if is_link {
            Claim::Step(link.name.clone())
        } else {
            Claim::Predicate(statement.predicate_type.clone())
        };
        let predicate = Predicate {
            predicate_type: statement.predicate_type,
            value: statement.predicate,
        };
        Ok(functionary.map(|functionary| Evidence {
            claim,
            link,
            predicate: Some(predicate),
            functionary,
            origin,
        }))
    }
}

impl Sublayout {
    /// The sublayout `functionary` signed, found at `origin`.
    pub fn new(
        functionary: Verified<Functionary>,
        metadata: Metadata,
        origin: Origin,
    ) -> Verified<Sublayout> {
        functionary.map(|functionary| Sublayout {
            metadata,
            functionary,
            origin,
        })
    }
}

impl Origin {
    /// Evidence found at `file` for `candidate`.
    pub fn new(file: impl Into<String>, candidate: Candidate) -> Self {
        Self {
            file: file.into(),
            candidate,
        }
    }
}

/// The verified form of what `document` says, signed by `functionary`
/// and found at `origin`.
///
/// # Errors
///
/// A statement whose link predicate is malformed.
pub(crate) fn attribute(
    document: Document,
    functionary: Verified<Functionary>,
    origin: Origin,
) -> Result<Found, ModelError> {
    Ok(match document {
        Document::Layout(metadata) => {
            Found::Sublayout(Sublayout::new(functionary, metadata, origin))
        }
        Document::Link(link) => Found::Evidence(Evidence::from_link(functionary, link, origin)),
        Document::Statement(statement) => {
            Found::Evidence(Evidence::from_statement(functionary, statement, origin)?)
        }
    })
}

/// A statement of any predicate in link form: no command or materials, its
/// subjects (by name) as the products.
fn subjects_as_products(statement: &Statement) -> ChainLink {
    let products: Artifacts = statement
        .subject
        .iter()
        .filter_map(|s| Some((s.name.clone()?, s.digest.clone().unwrap_or_default())))
        .collect();
    let mut link = ChainLink::empty("");
    link.products = Arc::new(ArtifactMap::from(&products));
    link
}

/// Why a file found for a functionary is not evidence.
#[derive(Debug)]
#[non_exhaustive]
pub enum Rejection {
    /// It is not signed metadata the verifier can read.
    Malformed(String),
    /// Its signature by the functionary is missing, invalid or expired.
    Signature(SignatureError),
}

/// What a source found for one authorised functionary.
#[derive(Debug)]
#[non_exhaustive]
pub enum Found {
    /// Nothing under that functionary's name.
    Missing {
        /// Where it was looked for.
        file: String,
    },
    /// Something that is not evidence.
    Rejected {
        /// Where it was found.
        origin: Origin,
        /// Why it does not count.
        rejection: Rejection,
    },
    /// Signed evidence.
    Evidence(Verified<Evidence>),
    /// A signed sublayout, to verify in turn.
    Sublayout(Verified<Sublayout>),
}

/// What an evidence source is asked for.
#[non_exhaustive]
pub struct Request<'r> {
    /// Sublayout folder names, outermost first; empty for the root layout.
    pub folder: &'r [String],
    /// The step evidence is wanted for.
    pub step: &'r Step,
    /// Who may speak for it.
    pub authority: &'r dyn Authority,
    /// The verification time, in seconds since the Unix epoch.
    pub now_unix: i64,
}

/// Finds the evidence for a step.
///
/// `Sync`: the evidence of a layout's steps is collected in parallel.
pub trait EvidenceSource: Sync {
    /// What there is for each functionary `request.authority` authorises
    /// for `request.step`, in the authority's order.
    ///
    /// # Errors
    ///
    /// When evidence exists but cannot be read: verification then cannot
    /// be carried out ([`Error::LinkSource`]).
    fn collect(&self, request: &Request<'_>) -> Result<Vec<Found>, Error>;
}
