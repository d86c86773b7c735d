//! The Workload API client against a Workload API served by the test: the
//! SVID, its key and bundle come through and sign; a silent agent times
//! out; a missing socket says so.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use intoto_crypto::Signer as _;
use intoto_spiffe::{SpiffeError, fetch_x509_svid};
use intoto_test_support::pki::{self, Names};
use intoto_test_support::workload_api::WorkloadApi;

#[test]
fn the_default_svid_its_key_and_bundle_are_fetched() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("agent.sock");
    let root = pki::root("example.org");
    let ca = root.intermediate("example.org agent");
    let leaf = ca.leaf(&Names::spiffe("spiffe://example.org/build"));
    let _api = WorkloadApi::start(
        &socket,
        "spiffe://example.org/build",
        &[leaf.cert_der.clone(), ca.cert_der.clone()],
        &leaf.key_der,
        std::slice::from_ref(&root.cert_der),
    );
    let svid = fetch_x509_svid(&socket, Duration::from_secs(10)).unwrap();
    assert_eq!(svid.spiffe_id, "spiffe://example.org/build");
    assert_eq!(svid.chain.len(), 2);
    assert_eq!(svid.chain[0].der(), leaf.cert_der.as_slice());
    assert_eq!(svid.bundle[0].der(), root.cert_der.as_slice());
    let signer = svid.signer().unwrap();
    let raw = signer.sign(b"message").unwrap();
    let (cert, intermediates) = raw.certificate.unwrap();
    assert!(cert.contains("BEGIN CERTIFICATE"));
    assert_eq!(intermediates.len(), 1);
}

#[test]
fn an_svid_whose_key_is_not_its_certificates_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("agent.sock");
    let root = pki::root("example.org");
    let leaf = root.leaf(&Names::spiffe("spiffe://example.org/build"));
    let other = root.leaf(&Names::spiffe("spiffe://example.org/build"));
    let _api = WorkloadApi::start(
        &socket,
        "spiffe://example.org/build",
        std::slice::from_ref(&leaf.cert_der),
        &other.key_der,
        std::slice::from_ref(&root.cert_der),
    );
    let svid = fetch_x509_svid(&socket, Duration::from_secs(10)).unwrap();
    let e = svid.signer().unwrap_err();
    assert!(e.to_string().contains("is not for the signing key"), "{e}");
}

#[test]
fn a_silent_agent_times_out_and_a_missing_socket_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("silent.sock");
    let _listener = WorkloadApi::silent(&socket);
    let started = Instant::now();
    let e = fetch_x509_svid(&socket, Duration::from_millis(500)).unwrap_err();
    assert!(matches!(e, SpiffeError::Timeout(_)), "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));

    let e = fetch_x509_svid(&dir.path().join("none.sock"), Duration::from_secs(5)).unwrap_err();
    assert!(matches!(e, SpiffeError::WorkloadApi(_)), "{e}");
    assert!(e.to_string().contains("No such file"), "{e}");
}
