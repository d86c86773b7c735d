//! OpenPGP (GPG) keys and signatures against the reference: the committed
//! GPG-signed demo links, keys exported from the committed keyrings compared
//! with securesystemslib's `export_pubkey`, and signatures made by each side
//! checked by the other.
//!
//! Tests that run gpg need the `gpg` binary (CI: `apt-get install -y
//! gnupg`) and fail with a message saying so when it is missing. They work
//! on copies of the keyrings, since gpg writes to its home directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use intoto::crypto::{
    PublicKey, SignatureError, check_signature, check_signature_at, sign_metadata,
};
use intoto::gpg::{Gpg, GpgError, GpgSigner, key_dict_from_export};
use intoto::model::{EnvelopeKind, KeyDict, KeyId, Link, Metadata, Payload};
use intoto_test_support::gpg::GpgHome;
use intoto_test_support::{pyref_command, read_vector, require_pyref};

const DEMO: &str = "in-toto-python/demo_files_gpg";
const WRITE_CODE_KEY: &str = "8288ef560ed3795f9df2c0db56193089b285da58";
const PACKAGE_KEY: &str = "7b3abb26b97b655ab9296bd15b0bd02e1c768c43";
/// A key of the rsa keyring with two signing subkeys.
const TWO_SUBKEYS: &str = "40e692c3ae03f6b88dff95d0d2c9fe930766998d";
const SIGNING_SUBKEYS: [&str; 2] = [
    "35830aa342b9fea0178876b02b25647ff0ef59fe",
    "732d722578f71a9ec967a64bfead922c91eb7351",
];
const DSA_KEY: &str = "c242a830daaf1c2bef604a9ef033a3a3e267b3b1";

fn metadata(bytes: &[u8]) -> Metadata {
    Metadata::from_slice(bytes).unwrap()
}

fn template_keys() -> Vec<(KeyId, KeyDict)> {
    let md = metadata(&read_vector(&format!("{DEMO}/demo.layout.template")));
    let Payload::Layout(layout) = md.payload().unwrap() else {
        panic!("not a layout")
    };
    layout.keys.into_iter().collect()
}

fn template_key(keyid: &str) -> (KeyId, KeyDict) {
    template_keys()
        .into_iter()
        .find(|(id, _)| id.as_str() == keyid)
        .unwrap()
}

fn key(keyid: &str, dict: Value) -> PublicKey {
    PublicKey::from_key_dict(
        KeyId::new(keyid),
        &KeyDict::from_value(dict, "key").unwrap(),
    )
    .unwrap()
}

fn edited(md: &Metadata, edit: impl FnOnce(&mut Value)) -> Metadata {
    let mut value = md.to_value();
    edit(&mut value);
    Metadata::from_value(value).unwrap()
}

fn flip_hex(s: &str, at: usize) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    chars[at] = if chars[at] == '0' { '1' } else { '0' };
    chars.into_iter().collect()
}

#[test]
fn demo_links_verify_with_the_layout_gpg_keys() {
    for (file, keyid) in [
        ("write-code.8288ef56.link", WRITE_CODE_KEY),
        ("package.7b3abb26.link", PACKAGE_KEY),
    ] {
        let md = metadata(&read_vector(&format!("{DEMO}/{file}")));
        let (id, dict) = template_key(keyid);
        let key = PublicKey::from_key_dict(id.clone(), &dict).unwrap();
        assert_eq!(key.scheme_name(), "pgp+rsa-pkcsv1.5");
        assert_eq!(check_signature(&md, &key).unwrap(), id, "{file}");
        // The template's keys carry no expiry.
        assert_eq!(key.expires_at(&id), None);
        assert_eq!(check_signature_at(&md, &key, i64::MAX).unwrap(), id);

        let tampered = edited(&md, |v| v["signed"]["name"] = json!("evil"));
        assert!(matches!(
            check_signature(&tampered, &key),
            Err(SignatureError::Invalid { .. })
        ));
        let bad_headers = edited(&md, |v| {
            let h = v["signatures"][0]["other_headers"]
                .as_str()
                .unwrap()
                .to_owned();
            v["signatures"][0]["other_headers"] = json!(flip_hex(&h, h.len() - 1));
        });
        assert!(check_signature(&bad_headers, &key).is_err(), "{file}");
        let bad_sig = edited(&md, |v| {
            let s = v["signatures"][0]["signature"].as_str().unwrap().to_owned();
            v["signatures"][0]["signature"] = json!(flip_hex(&s, 10));
        });
        assert!(check_signature(&bad_sig, &key).is_err(), "{file}");
        // The other functionary's key did not sign it.
        let other = if keyid == WRITE_CODE_KEY {
            PACKAGE_KEY
        } else {
            WRITE_CODE_KEY
        };
        let (oid, odict) = template_key(other);
        let other = PublicKey::from_key_dict(oid, &odict).unwrap();
        assert!(matches!(
            check_signature(&md, &other),
            Err(SignatureError::NoSignature { .. })
        ));
    }
}

#[test]
fn a_gpg_signature_is_not_a_plain_signature() {
    let md = metadata(&read_vector(&format!("{DEMO}/write-code.8288ef56.link")));
    // Dropping `other_headers` makes it a plain RSA signature, which the GPG
    // key refuses as of the wrong kind.
    let plain = edited(&md, |v| {
        let sig = v["signatures"][0].clone();
        v["signatures"] = json!([{"keyid": sig["keyid"], "sig": sig["signature"]}]);
    });
    let (id, dict) = template_key(WRITE_CODE_KEY);
    let key = PublicKey::from_key_dict(id, &dict).unwrap();
    assert!(matches!(
        check_signature(&plain, &key),
        Err(SignatureError::WrongKind { .. })
    ));
}

#[test]
fn a_subkey_signature_counts_for_its_master_key() {
    // The package functionary's key, with the write-code functionary's key
    // listed as its subkey: the write-code link's signature (by that
    // "subkey") counts for the master.
    let (_, master) = template_key(PACKAGE_KEY);
    let (_, sub) = template_key(WRITE_CODE_KEY);
    let mut master = master.to_value();
    master["subkeys"] = json!({ WRITE_CODE_KEY: sub.to_value() });
    let key = key(PACKAGE_KEY, master);
    assert!(key.matches(&KeyId::new(WRITE_CODE_KEY)));
    assert!(key.keyids().contains(&KeyId::new(WRITE_CODE_KEY)));

    let write_code = metadata(&read_vector(&format!("{DEMO}/write-code.8288ef56.link")));
    let package = metadata(&read_vector(&format!("{DEMO}/package.7b3abb26.link")));
    assert_eq!(
        check_signature(&write_code, &key).unwrap().as_str(),
        WRITE_CODE_KEY
    );
    assert_eq!(
        check_signature(&package, &key).unwrap().as_str(),
        PACKAGE_KEY
    );

    // The subkey's signature is checked with the subkey, not the master key.
    let relabelled = edited(&package, |v| {
        v["signatures"][0]["keyid"] = json!(WRITE_CODE_KEY)
    });
    assert!(check_signature(&relabelled, &key).is_err());
}

#[test]
fn expired_keys_are_refused_by_check_signature_at() {
    let md = metadata(&read_vector(&format!("{DEMO}/write-code.8288ef56.link")));
    let (id, dict) = template_key(WRITE_CODE_KEY);
    let mut dict = dict.to_value();
    dict["creation_time"] = json!(1_512_000_000);
    dict["validity_period"] = json!(86_400);
    let key = key(id.as_str(), dict.clone());
    let expires = 1_512_086_400;
    assert_eq!(key.expires_at(&id), Some(expires));
    // Without a clock nothing expires.
    assert!(check_signature(&md, &key).is_ok());
    assert!(check_signature_at(&md, &key, expires - 1).is_ok());
    // Expired means `creation_time + validity_period < now`.
    assert!(check_signature_at(&md, &key, expires).is_ok());
    assert_eq!(
        check_signature_at(&md, &key, expires + 1),
        Err(SignatureError::KeyExpired {
            keyid: id.clone(),
            expired_at: expires
        })
    );
    // A validity period of zero means no expiry.
    dict["validity_period"] = json!(0);
    assert!(check_signature_at(&md, &key_of(&id, &dict), i64::MAX).is_ok());

    // A subkey's own expiry applies to its signatures; the master key's
    // does not.
    let (_, master) = template_key(PACKAGE_KEY);
    let mut master = master.to_value();
    let mut sub = template_key(WRITE_CODE_KEY).1.to_value();
    sub["creation_time"] = json!(1_512_000_000);
    sub["validity_period"] = json!(86_400);
    master["subkeys"] = json!({ WRITE_CODE_KEY: sub });
    master["creation_time"] = json!(1);
    master["validity_period"] = json!(1);
    let key = key_of(&KeyId::new(PACKAGE_KEY), &master);
    assert_eq!(key.expires_at(&KeyId::new(WRITE_CODE_KEY)), Some(expires));
    assert!(check_signature_at(&md, &key, expires).is_ok());
    assert!(matches!(
        check_signature_at(&md, &key, expires + 1),
        Err(SignatureError::KeyExpired { keyid, .. }) if keyid.as_str() == WRITE_CODE_KEY
    ));
}

fn key_of(id: &KeyId, dict: &Value) -> PublicKey {
    key(id.as_str(), dict.clone())
}

// --- Tests that run gpg -------------------------------------------------------

/// A keyring in a temporary directory (see `intoto_test_support::gpg`).
struct Home(GpgHome);

impl Home {
    fn empty() -> Self {
        Self(GpgHome::empty())
    }

    fn copy(name: &str) -> Self {
        Self(GpgHome::copy(name))
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    fn gpg(&self) -> Gpg {
        Gpg::new().with_program("gpg").with_homedir(self.path())
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("gpg")
            .args(["--batch", "--homedir"])
            .arg(self.path())
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Fingerprints of the keys and subkeys, in keyring order.
    fn fingerprints(&self) -> Vec<String> {
        self.run(&["--with-colons", "--list-keys", "--with-subkey-fingerprints"])
            .lines()
            .filter_map(|l| l.strip_prefix("fpr:::::::::"))
            .map(|f| f.trim_end_matches(':').to_lowercase())
            .collect()
    }
}

/// Runs a Python snippet in the reference's venv; `None` when the
/// interoperability tests are skipped (`INTOTO_SKIP_PYREF=1`).
fn python(script: &str, args: &[&str], stdin: &[u8]) -> Option<Value> {
    let python: PathBuf = require_pyref("python")?;
    let mut child = pyref_command(&python)
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(stdin).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

const PY_EXPORT: &str = r#"
import json, sys
from securesystemslib._gpg.functions import export_pubkey
out = {}
for keyid in sys.argv[2:]:
    try:
        out[keyid] = export_pubkey(keyid, sys.argv[1])
    except Exception as e:
        out[keyid] = {"error": type(e).__name__}
print(json.dumps(out))
"#;

const PY_VERIFY: &str = r#"
import json, sys
from securesystemslib._gpg.functions import verify_signature
key, sig = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(json.dumps(verify_signature(sig, key, sys.stdin.buffer.read())))
"#;

const PY_SIGN: &str = r#"
import json, sys
from securesystemslib._gpg.functions import create_signature
print(json.dumps(create_signature(sys.stdin.buffer.read(), sys.argv[2] or None, sys.argv[1])))
"#;

/// Our export of every keyid equals securesystemslib's, errors included.
fn assert_exports_match(home: &Home, keyids: &[String]) {
    assert_exports_match_but(home, keyids, false);
}

/// [`assert_exports_match`]; with `short_headers`, for keys whose packets
/// gpg writes with a one-octet length (Ed25519 keys): securesystemslib hashes
/// the packets as exported rather than in the RFC 4880 form (`0x99 ‖ be16
/// len ‖ body`), so none of their self-signatures verify and it drops the
/// subkeys and the validity period. We keep them; everything else must be
/// equal, and the reference must indeed lack them.
fn assert_exports_match_but(home: &Home, keyids: &[String], short_headers: bool) {
    let gpg = home.gpg();
    let ours: Vec<(String, Result<KeyDict, GpgError>)> = keyids
        .iter()
        .map(|k| (k.clone(), gpg.export_pubkey(k)))
        .collect();
    let mut args = vec![home.path().to_str().unwrap()];
    args.extend(keyids.iter().map(String::as_str));
    let Some(theirs) = python(PY_EXPORT, &args, b"") else {
        return;
    };
    for (keyid, ours) in ours {
        let theirs = &theirs[&keyid];
        match ours {
            Ok(dict) => {
                let mut ours = dict.to_value();
                if short_headers {
                    for field in ["subkeys", "validity_period"] {
                        assert!(
                            theirs.get(field).is_none(),
                            "the reference now exports {field}"
                        );
                        ours.as_object_mut().unwrap().remove(field);
                    }
                }
                assert_eq!(&ours, theirs, "export of {keyid}");
            }
            Err(e) => assert!(
                theirs.get("error").is_some(),
                "we failed to export {keyid} ({e}), the reference exported {theirs}"
            ),
        }
    }
}

#[test]
fn exports_from_the_rsa_keyring_match_securesystemslib() {
    let home = Home::copy("rsa");
    let mut keyids = home.fingerprints();
    assert!(keyids.len() >= 10, "{keyids:?}");
    keyids.extend([
        // Short ids, upper case, and keys that are not there.
        "8288EF56".to_owned(),
        "9BE9DF5131D924E9".to_owned(),
        "0000000000000000".to_owned(),
    ]);
    assert_exports_match(&home, &keyids);

    // The export of a key with two signing subkeys lists them.
    let dict = home.gpg().export_pubkey(TWO_SUBKEYS).unwrap();
    for sub in SIGNING_SUBKEYS {
        assert!(dict.as_map()["subkeys"].get(sub).is_some(), "{sub}");
    }
    // The expired key carries its validity period.
    let expired = home
        .gpg()
        .export_pubkey("E8AC80C924116DABB51D4B987CB07D6D2C199C7C")
        .unwrap();
    assert_eq!(expired.as_map()["validity_period"], json!(87901));
    assert!(matches!(
        home.gpg().export_pubkey("0000000000000000"),
        Err(GpgError::KeyNotFound { .. })
    ));
}

#[test]
fn exports_from_the_dsa_keyring_match_securesystemslib() {
    let home = Home::copy("dsa");
    let mut keyids = home.fingerprints();
    keyids.push("F033A3A3E267B3B1".into());
    assert_exports_match(&home, &keyids);
    let key = home.gpg().export_public_key(DSA_KEY).unwrap();
    assert_eq!(key.scheme_name(), "pgp+dsa-fips-180-2");
    assert_eq!(key.keyid().as_str(), DSA_KEY);
}

#[test]
fn exported_key_data_parses_without_gpg_running() {
    let home = Home::copy("rsa");
    let out = Command::new("gpg")
        .arg("--homedir")
        .arg(home.path())
        .args(["--export", WRITE_CODE_KEY])
        .output()
        .unwrap();
    let dict = key_dict_from_export(&out.stdout, WRITE_CODE_KEY).unwrap();
    assert_eq!(dict, home.gpg().export_pubkey(WRITE_CODE_KEY).unwrap());
    // The layout template's key is this key, without the newer fields.
    let (_, template) = template_key(WRITE_CODE_KEY);
    assert_eq!(dict.as_map()["keyval"], template.as_map()["keyval"]);
    // Truncated data is an error, never a panic.
    for len in [1, 5, 100, out.stdout.len() - 1] {
        assert!(
            key_dict_from_export(&out.stdout[..len], WRITE_CODE_KEY).is_err(),
            "{len}"
        );
    }
}

/// Signs link metadata with `signer` and checks the result with `key`, and
/// with securesystemslib's `verify_signature` given the same key dict.
/// Returns the signature's keyid.
fn sign_and_cross_check(signer: &GpgSigner, key: &PublicKey) -> KeyId {
    let mut md = Metadata::wrap(&Link::new("build").to_value(), EnvelopeKind::Legacy);
    let signed_by = sign_metadata(&mut md, signer).unwrap();
    assert!(md.signatures()[0].is_gpg());
    assert_eq!(check_signature(&md, key).unwrap(), signed_by);
    // The file round-trips with its GPG signature.
    let reread = metadata(md.to_file_string().as_bytes());
    assert_eq!(check_signature(&reread, key).unwrap(), signed_by);
    let tampered = edited(&md, |v| v["signed"]["name"] = json!("evil"));
    assert!(check_signature(&tampered, key).is_err());

    let sig = md.signatures()[0].to_value().to_string();
    let content = md.signed_bytes().unwrap();
    let dict = key.key_dict().to_value().to_string();
    if let Some(ok) = python(PY_VERIFY, &[dict.as_str(), sig.as_str()], &content) {
        assert_eq!(
            ok,
            json!(true),
            "securesystemslib rejects our signature by {signed_by}"
        );
    }
    signed_by
}

/// A signature made by securesystemslib's `create_signature` verifies
/// with us.
fn reference_signature_verifies(home: &Home, keyid: &str, key: &PublicKey) {
    let md = Metadata::wrap(&Link::new("package").to_value(), EnvelopeKind::Legacy);
    let content = md.signed_bytes().unwrap();
    let Some(sig) = python(PY_SIGN, &[home.path().to_str().unwrap(), keyid], &content) else {
        return;
    };
    let md = edited(&md, |v| v["signatures"] = json!([sig]));
    let signer = check_signature(&md, key)
        .unwrap_or_else(|e| panic!("the reference's signature by {keyid} does not verify: {e}"));
    assert_eq!(signer.as_str(), sig["keyid"].as_str().unwrap());
    let tampered = edited(&md, |v| v["signed"]["name"] = json!("evil"));
    assert!(check_signature(&tampered, key).is_err());
}

#[test]
fn rsa_signatures_interoperate() {
    let home = Home::copy("rsa");
    let gpg = home.gpg();
    let key = gpg.export_public_key(WRITE_CODE_KEY).unwrap();
    let signer = gpg.signer(Some(WRITE_CODE_KEY)).unwrap();
    let keyid = sign_and_cross_check(&signer, &key);
    assert_eq!(keyid.as_str(), WRITE_CODE_KEY);
    reference_signature_verifies(&home, WRITE_CODE_KEY, &key);
    // The layout template's key dict verifies what the keyring signs.
    let (id, dict) = template_key(WRITE_CODE_KEY);
    let template_key = PublicKey::from_key_dict(id, &dict).unwrap();
    let mut md = Metadata::wrap(&Link::new("x").to_value(), EnvelopeKind::Legacy);
    sign_metadata(&mut md, &signer).unwrap();
    assert!(check_signature(&md, &template_key).is_ok());
}

#[test]
fn dsa_signatures_interoperate() {
    let home = Home::copy("dsa");
    let gpg = home.gpg();
    let key = gpg.export_public_key(DSA_KEY).unwrap();
    // The keyring's default key.
    assert_eq!(gpg.default_signing_keyid().unwrap().as_str(), DSA_KEY);
    let signer = gpg.signer(None).unwrap();
    let keyid = sign_and_cross_check(&signer, &key);
    assert_eq!(keyid.as_str(), DSA_KEY);
    reference_signature_verifies(&home, "", &key);
}

#[test]
fn subkey_signatures_from_the_keyring_count_for_the_master_key() {
    let home = Home::copy("rsa");
    let gpg = home.gpg();
    let master = gpg.export_public_key(TWO_SUBKEYS).unwrap();
    // Asked for the master key, gpg signs with its newest signing subkey.
    let signer = gpg.signer(Some(TWO_SUBKEYS)).unwrap();
    let by = sign_and_cross_check(&signer, &master);
    assert!(SIGNING_SUBKEYS.contains(&by.as_str()), "{by}");
    // Each subkey, named with `!`, signs for the master.
    for sub in SIGNING_SUBKEYS {
        let signer = gpg.signer(Some(&format!("{sub}!"))).unwrap();
        let by = sign_and_cross_check(&signer, &master);
        assert_eq!(by.as_str(), sub);
        assert!(master.matches(&by));
        reference_signature_verifies(&home, &format!("{sub}!"), &master);
    }
    // Another master key does not accept them.
    let other = gpg.export_public_key(WRITE_CODE_KEY).unwrap();
    let mut md = Metadata::wrap(&Link::new("x").to_value(), EnvelopeKind::Legacy);
    sign_metadata(&mut md, &signer).unwrap();
    assert!(matches!(
        check_signature(&md, &other),
        Err(SignatureError::NoSignature { .. })
    ));
    // Exporting by a subkey's id gives the same master key.
    assert_eq!(
        gpg.export_pubkey(SIGNING_SUBKEYS[0]).unwrap(),
        gpg.export_pubkey(TWO_SUBKEYS).unwrap()
    );
}

#[test]
fn ed25519_keys_export_sign_and_expire_like_the_reference() {
    let home = Home::empty();
    home.run(&[
        "--passphrase",
        "",
        "--pinentry-mode",
        "loopback",
        "--quick-gen-key",
        "Ed <ed@example.invalid>",
        "ed25519",
        "sign",
        "never",
    ]);
    let master = home.fingerprints()[0].clone();
    // A signing subkey that expires after a day.
    home.run(&[
        "--passphrase",
        "",
        "--pinentry-mode",
        "loopback",
        "--quick-add-key",
        &master,
        "ed25519",
        "sign",
        "1d",
    ]);
    let fingerprints = home.fingerprints();
    let sub = fingerprints[1].clone();
    // Only by the master key's id: the reference, having dropped the
    // subkey, cannot find the key by the subkey's id.
    assert_exports_match_but(&home, &fingerprints[..1], true);
    assert_eq!(
        home.gpg().export_pubkey(&sub).unwrap(),
        home.gpg().export_pubkey(&master).unwrap()
    );

    let gpg = home.gpg();
    let dict = gpg.export_pubkey(&master).unwrap();
    assert_eq!(dict.str_field("method"), Some("pgp+eddsa-ed25519"));
    let subkey = &dict.as_map()["subkeys"][&sub];
    assert_eq!(subkey["validity_period"], json!(86_400));
    let key = gpg.export_public_key(&master).unwrap();

    let master_signer = gpg.signer(Some(&format!("{master}!"))).unwrap();
    assert_eq!(sign_and_cross_check(&master_signer, &key).as_str(), master);
    reference_signature_verifies(&home, &format!("{master}!"), &key);
    // The subkey's signatures verify for the master key, here and (given our
    // key dict) in the reference.
    let sub_signer = gpg.signer(Some(&format!("{sub}!"))).unwrap();
    assert_eq!(sign_and_cross_check(&sub_signer, &key).as_str(), sub);
    reference_signature_verifies(&home, &format!("{sub}!"), &key);

    let mut md = Metadata::wrap(&Link::new("x").to_value(), EnvelopeKind::Legacy);
    assert_eq!(sign_metadata(&mut md, &sub_signer).unwrap().as_str(), sub);
    let expires = key.expires_at(&KeyId::new(&sub)).unwrap();
    assert_eq!(expires, subkey["creation_time"].as_i64().unwrap() + 86_400);
    assert!(check_signature_at(&md, &key, expires).is_ok());
    assert!(matches!(
        check_signature_at(&md, &key, expires + 1),
        Err(SignatureError::KeyExpired { .. })
    ));
    // The master key's signatures do not expire with the subkey.
    let mut md = Metadata::wrap(&Link::new("x").to_value(), EnvelopeKind::Legacy);
    sign_metadata(&mut md, &master_signer).unwrap();
    assert!(check_signature_at(&md, &key, expires + 1).is_ok());
}

#[test]
fn gpg_signatures_cannot_go_into_dsse() {
    let home = Home::copy("dsa");
    let signer = home.gpg().signer(Some(DSA_KEY)).unwrap();
    let mut md = Metadata::wrap(&Link::new("x").to_value(), EnvelopeKind::Dsse);
    assert!(sign_metadata(&mut md, &signer).is_err());
}

#[test]
fn signing_errors_are_reported() {
    let home = Home::copy("dsa");
    let gpg = home.gpg();
    // No such key: gpg fails and says why.
    let err = gpg
        .signer(Some("0000000000000000"))
        .unwrap()
        .sign_detached(b"x")
        .unwrap_err();
    assert!(matches!(err, GpgError::Failed { .. }), "{err}");
    assert!(matches!(
        gpg.signer(Some("--armor")),
        Err(GpgError::InvalidKeyid { .. })
    ));
    let err = Gpg::new()
        .with_program("/nonexistent/gpg")
        .signer(None)
        .unwrap()
        .sign_detached(b"x")
        .unwrap_err();
    assert!(matches!(err, GpgError::Spawn { .. }), "{err}");
}
