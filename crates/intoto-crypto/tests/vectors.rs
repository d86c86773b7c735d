//! Every signature in the committed third-party vectors verifies with its
//! key, and tampered copies do not.

// Test helpers fail the test on unexpected input, as tests should.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use serde_json::Value;

use intoto_crypto::{KeyIdForm, PrivateKey, PublicKey, check_signature};
use intoto_model::envelope::{decode_base64, encode_base64};
use intoto_model::{KeyId, Metadata, Payload};
use intoto_test_support::read_vector;

fn metadata(rel: &str) -> Metadata {
    Metadata::from_slice(&read_vector(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn pem_key(rel: &str) -> PublicKey {
    PublicKey::from_file_contents(&read_vector(rel), KeyIdForm::Modern)
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn layout_keys(rel: &str) -> BTreeMap<KeyId, PublicKey> {
    let Payload::Layout(layout) = metadata(rel).payload().unwrap() else {
        panic!("{rel} is not a layout")
    };
    layout
        .keys
        .iter()
        .map(|(id, dict)| {
            (
                id.clone(),
                PublicKey::from_key_dict(id.clone(), dict).unwrap(),
            )
        })
        .collect()
}

fn layout_key(rel: &str, prefix: &str) -> PublicKey {
    layout_keys(rel)
        .into_iter()
        .find(|(id, _)| id.as_str().starts_with(prefix))
        .map(|(_, k)| k)
        .unwrap_or_else(|| panic!("{rel} has no key {prefix}"))
}

/// Changes the payload the way an attacker would: a different artifact digest
/// or name, keeping the signatures.
fn tampered(md: &Metadata) -> Metadata {
    let mut value = md.to_value();
    match md {
        Metadata::Metablock(_) => {
            let signed = value.get_mut("signed").unwrap();
            tamper_payload(signed);
        }
        Metadata::Envelope(e) => {
            let mut payload: Value = serde_json::from_slice(&e.payload).unwrap();
            tamper_payload(&mut payload);
            value["payload"] = Value::String(encode_base64(&serde_json::to_vec(&payload).unwrap()));
        }
        other => panic!("no such wrapper in the vectors: {other:?}"),
    }
    Metadata::from_value(value).unwrap()
}

fn tamper_payload(v: &mut Value) {
    if let Some(subject) = v.get_mut("subject") {
        subject[0]["digest"]["sha256"] = Value::String("00".repeat(32));
    } else if let Some(name) = v.get_mut("name") {
        *name = Value::String(format!("{}-evil", name.as_str().unwrap_or("")));
    } else {
        v["readme"] = Value::String("tampered".into());
    }
}

/// A field added after signing (which the reference would drop before
/// checking) must break the signature.
fn with_added_field(md: &Metadata) -> Metadata {
    let mut value = md.to_value();
    match md {
        Metadata::Metablock(_) => value["signed"]["x-added"] = Value::Bool(true),
        Metadata::Envelope(e) => {
            let mut bytes = e.payload.clone();
            // Insert a field right after the opening brace of the payload.
            bytes.splice(1..1, br#""x-added": true, "#.iter().copied());
            value["payload"] = Value::String(encode_base64(&bytes));
        }
        other => panic!("no such wrapper in the vectors: {other:?}"),
    }
    Metadata::from_value(value).unwrap()
}

fn assert_signed(rel: &str, key: &PublicKey) {
    let md = metadata(rel);
    let keyid = check_signature(&md, key).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert!(key.matches(&keyid));
    assert!(
        check_signature(&tampered(&md), key).is_err(),
        "{rel}: tampered copy verified"
    );
    assert!(
        check_signature(&with_added_field(&md), key).is_err(),
        "{rel}: added field verified"
    );
}

#[test]
fn python_demo_links_verify_with_pem_keys() {
    for dir in [
        "in-toto-python/demo_files",
        "in-toto-python/demo_dsse_files",
    ] {
        // The demo's functionaries are bob (write-code) and carl (package);
        // the file names carry their legacy keyids.
        assert_signed(
            &format!("{dir}/write-code.776a00e2.link"),
            &pem_key("in-toto-python/demo_files/bob.pub"),
        );
        assert_signed(
            &format!("{dir}/package.2f89b927.link"),
            &pem_key("in-toto-python/demo_files/carl.pub"),
        );
    }
}

#[test]
fn python_demo_keyids_match_the_file_names() {
    // The reference (in-toto 3.1) computes the modern keyid of a PEM key.
    assert_eq!(
        pem_key("in-toto-python/demo_files/alice.pub")
            .keyid()
            .short(),
        "c8ef46bd"
    );
    // The demo files were made with the legacy form, which also matches.
    let bob = pem_key("in-toto-python/demo_files/bob.pub");
    assert!(bob.keyids().iter().any(|k| k.short() == "776a00e2"));
    let carl = pem_key("in-toto-python/demo_files/carl.pub");
    assert!(carl.keyids().iter().any(|k| k.short() == "2f89b927"));
    // The legacy JSON key carries its own keyid.
    assert_eq!(
        pem_key("in-toto-python/demo_files/danny.pub")
            .keyid()
            .as_str(),
        "36a5529f72cf3b1cc096a28887350969212f9d6c46529658ab186fc0cb781699"
    );
}

#[test]
fn go_layouts_verify_with_the_legacy_keyid_of_the_pem_key() {
    let alice = pem_key("in-toto-golang/alice.pub");
    assert!(
        alice.matches(&KeyId::new(
            "70ca5750c0eb6b4fbb2b2b1fa86b7a8e4d85c6a8ea5fa8df4f05e6b3f0bc7f8d"[..8].to_owned()
        )) || alice.keyids().iter().any(|k| k.short() == "70ca5750")
    );
    for rel in [
        "in-toto-golang/demo.layout",
        "in-toto-golang/demo.dsse.layout",
        "in-toto-golang/dsse-only.root.layout",
        "in-toto-golang/sub_layout.70ca5750.link",
    ] {
        assert_signed(rel, &alice);
    }
}

#[test]
fn go_links_verify_with_the_layout_keys() {
    let layout = "in-toto-golang/demo.layout";
    for (rel, prefix) in [
        ("in-toto-golang/write-code.b7d643de.link", "b7d643de"),
        ("in-toto-golang/foo.b7d643de.link", "b7d643de"),
        ("in-toto-golang/package.d3ffd108.link", "d3ffd108"),
        ("in-toto-golang/foo.d3ffd108.link", "d3ffd108"),
    ] {
        assert_signed(rel, &layout_key(layout, prefix));
    }
    let dsse_layout = "in-toto-golang/dsse-only.root.layout";
    for (rel, prefix) in [
        ("in-toto-golang/clone-dsse.776a00e2.link", "776a00e2"),
        (
            "in-toto-golang/update-version-dsse.776a00e2.link",
            "776a00e2",
        ),
        ("in-toto-golang/package-dsse.2f89b927.link", "2f89b927"),
    ] {
        assert_signed(rel, &layout_key(dsse_layout, prefix));
    }
}

/// The specification's examples are historical (signed by tools that
/// predate canonical JSON as it is now, and long expired): they must parse,
/// and their keys must load, but their signatures are not expected to verify.
#[test]
fn spec_examples_parse_and_their_keys_load() {
    for (dir, files) in [
        (
            "debian",
            &[
                "root.layout",
                "build.12c55e46.link",
                "extract.12c55e46.link",
                "fetch.12c55e46.link",
                "modify.12c55e46.link",
            ][..],
        ),
        (
            "polypasswordhasher",
            &[
                "root.layout",
                "build-sdist.xxx.link",
                "tag-release.xxx.link",
                "test.xxx.link",
            ][..],
        ),
        (
            "seattle",
            &[
                "root.layout",
                "build-base-installers.d66d18.link",
                "build-runnable.d66d18.link",
                "clone-dependencies.d66d18.link",
                "dummy-untar-linux-base-installer.d66d18.link",
                "pre-build-file-edit.d66d18.link",
            ][..],
        ),
    ] {
        for file in files {
            let rel = format!("in-toto-spec-examples/{dir}/{file}");
            metadata(&rel)
                .payload()
                .unwrap_or_else(|e| panic!("{rel}: {e}"));
        }
        assert!(!layout_keys(&format!("in-toto-spec-examples/{dir}/root.layout")).is_empty());
    }
}

#[test]
fn a_signature_by_another_key_does_not_count() {
    let carl = pem_key("in-toto-python/demo_files/carl.pub");
    let md = metadata("in-toto-python/demo_files/write-code.776a00e2.link");
    assert!(check_signature(&md, &carl).is_err());
    // Relabelling bob's signature with carl's keyid does not help.
    let mut value = md.to_value();
    value["signatures"][0]["keyid"] = Value::String(carl.keyid().to_string());
    let relabelled = Metadata::from_value(value).unwrap();
    assert!(check_signature(&relabelled, &carl).is_err());
}

#[test]
fn pem_private_keys_load_plain_and_encrypted_and_sign() {
    for (name, public) in [
        ("ed25519", "ed25519_public.pem"),
        ("rsa", "rsa_public.pem"),
        ("ecdsa", "ecdsa_public.pem"),
    ] {
        let public = pem_key(&format!("in-toto-python/pems/{public}"));
        let plain = read_vector(&format!(
            "in-toto-python/pems/{name}_private_unencrypted.pem"
        ));
        let encrypted = read_vector(&format!("in-toto-python/pems/{name}_private_encrypted.pem"));
        let k1 = PrivateKey::from_pem(&plain, None, KeyIdForm::Modern).unwrap();
        let k2 = PrivateKey::from_pem(&encrypted, Some(b"hunter2"), KeyIdForm::Modern).unwrap();
        assert_eq!(k1.keyid(), public.keyid(), "{name}");
        assert_eq!(k2.keyid(), public.keyid(), "{name}");
        assert!(matches!(
            PrivateKey::from_pem(&encrypted, None, KeyIdForm::Modern),
            Err(intoto_crypto::KeyError::PasswordRequired)
        ));
        assert!(matches!(
            PrivateKey::from_pem(&encrypted, Some(b"wrong"), KeyIdForm::Modern),
            Err(intoto_crypto::KeyError::WrongPassword)
        ));
    }
    // PKCS#1 RSA keys of the Python demo, and PKCS#8 keys of the Go test data.
    for rel in [
        "in-toto-python/demo_files/alice",
        "in-toto-golang/alice",
        "in-toto-golang/carol",
    ] {
        PrivateKey::from_pem(&read_vector(rel), None, KeyIdForm::Modern)
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
    }
}

#[test]
fn dsse_signatures_accept_url_safe_base64() {
    let key = pem_key("in-toto-python/demo_files/bob.pub");
    let md = metadata("in-toto-python/demo_dsse_files/write-code.776a00e2.link");
    let mut value = md.to_value();
    let sig = value["signatures"][0]["sig"].as_str().unwrap().to_owned();
    let url_safe = intoto_model::envelope::encode_base64_url(&decode_base64(&sig).unwrap());
    value["signatures"][0]["sig"] = Value::String(url_safe.trim_end_matches('=').to_owned());
    assert!(check_signature(&Metadata::from_value(value).unwrap(), &key).is_ok());
}

#[test]
fn attestation_verifier_statements_verify_with_their_key() {
    let key = pem_key("attestation-verifier/test-data-raw/key.pub");
    assert!(key.matches(&KeyId::new(
        "fe1c6281c5ff13e35286cc67e5a1fb3e6575b840a6c39ca4267d3805eb17288a"
    )));
    for rel in [
        "attestation-verifier/test-data/clone.fe1c6281.json",
        "attestation-verifier/test-data/build.fe1c6281.json",
        "attestation-verifier/test-data/test.fe1c6281.json",
        "attestation-verifier/test-data-npm/build.fe1c6281.json",
        "attestation-verifier/test-data-npm/publish.fe1c6281.json",
    ] {
        assert_signed(rel, &key);
        let Payload::Statement(st) = metadata(rel).payload().unwrap() else {
            panic!("{rel} is not a statement")
        };
        assert!(!st.subject.is_empty(), "{rel}");
    }
}
