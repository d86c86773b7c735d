//! OpenPGP signature checks without an OpenPGP library: the v4 trailer is
//! rebuilt around the signed content, hashed, and the raw RSA PKCS#1 v1.5,
//! DSA or Ed25519 signature is checked over that digest
//! (securesystemslib `_gpg/util.py::hash_object`, `_gpg/rsa.py`, `dsa.py`,
//! `eddsa.py`).

use pkcs8::EncodePublicKey;
use rsa::BoxedUint;
use sha2::{Digest, Sha256, Sha512};
use signature::hazmat::PrehashVerifier;

use super::packet::{HashAlgo, PublicParams};

/// RSA moduli accepted, in bits. OpenSSL (behind the reference) verifies
/// up to 16384 bits; below 1024 bits the `rsa` crate refuses.
const RSA_BITS: std::ops::RangeInclusive<usize> = 1024..=16384;

/// The digest an OpenPGP v4 signature signs: `H(content ‖ other_headers ‖
/// 0x04 0xFF ‖ be32(len(other_headers)))` (RFC 4880 §5.2.4). `None` if the
/// headers are longer than a 32-bit length can say.
pub(crate) fn trailer_digest(
    hash: HashAlgo,
    content: &[u8],
    other_headers: &[u8],
) -> Option<Vec<u8>> {
    let len = u32::try_from(other_headers.len()).ok()?.to_be_bytes();
    let parts: [&[u8]; 4] = [content, other_headers, &[0x04, 0xFF], &len];
    Some(match hash {
        HashAlgo::Sha1 => digest::<sha1::Sha1>(&parts),
        HashAlgo::Sha256 => digest::<Sha256>(&parts),
        HashAlgo::Sha512 => digest::<Sha512>(&parts),
    })
}

fn digest<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
    let mut h = D::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().to_vec()
}

/// A usable OpenPGP public key.
#[derive(Debug, Clone)]
pub(crate) enum Material {
    Rsa(Box<rsa::RsaPublicKey>),
    Dsa(Box<dsa::VerifyingKey>),
    Eddsa(ed25519_dalek::VerifyingKey),
}

impl Material {
    /// Builds the key from its parameters. The error says what is wrong.
    pub(crate) fn from_params(params: &PublicParams) -> Result<Self, &'static str> {
        match params {
            PublicParams::Rsa { n, e } => {
                let n = uint(n);
                let e = uint(e);
                rsa::RsaPublicKey::new_with_size_limits(n, e, RSA_BITS)
                    .map(|k| Self::Rsa(Box::new(k)))
                    .map_err(|_| "is not an RSA public key of 1024 to 16384 bits")
            }
            PublicParams::Dsa { p, q, g, y } => dsa_key(p, q, g, y).map(|k| Self::Dsa(Box::new(k))),
            PublicParams::Eddsa { q } => <[u8; 32]>::try_from(q.as_slice())
                .ok()
                .and_then(|b| ed25519_dalek::VerifyingKey::from_bytes(&b).ok())
                .map(Self::Eddsa)
                .ok_or("is not an Ed25519 public key"),
        }
    }

    /// Checks a signature (in securesystemslib's form: raw RSA value, DER
    /// DSA signature, 64-octet Ed25519 signature) over a digest made with
    /// `hash`. `false` on any mismatch.
    pub(crate) fn verify_digest(&self, hash: HashAlgo, digest: &[u8], sig: &[u8]) -> bool {
        match self {
            Self::Rsa(key) => {
                // gpg drops leading zero octets of the signature value; pad
                // it back to the modulus length as the reference does.
                let size = rsa::traits::PublicKeyParts::size(key.as_ref());
                let sig = strip(sig);
                let Some(pad) = size.checked_sub(sig.len()) else {
                    return false;
                };
                let mut padded = vec![0u8; pad];
                padded.extend_from_slice(sig);
                let scheme = match hash {
                    HashAlgo::Sha1 => rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
                    HashAlgo::Sha256 => rsa::Pkcs1v15Sign::new::<Sha256>(),
                    HashAlgo::Sha512 => rsa::Pkcs1v15Sign::new::<Sha512>(),
                };
                key.verify(scheme, digest, &padded).is_ok()
            }
            Self::Dsa(key) => {
                dsa::Signature::try_from(sig).is_ok_and(|s| key.verify_prehash(digest, &s).is_ok())
            }
            Self::Eddsa(key) => ed25519_dalek::Signature::from_slice(sig)
                .is_ok_and(|s| key.verify_strict(digest, &s).is_ok()),
        }
    }

    /// The SubjectPublicKeyInfo DER of the key, the same as a PEM file of
    /// the same key would give.
    pub(crate) fn spki_der(&self) -> Option<Vec<u8>> {
        let doc = match self {
            Self::Rsa(k) => k.to_public_key_der(),
            Self::Dsa(k) => k.to_public_key_der(),
            Self::Eddsa(k) => k.to_public_key_der(),
        };
        doc.ok().map(|d| d.as_bytes().to_vec())
    }
}

fn strip(mut b: &[u8]) -> &[u8] {
    while let [0, rest @ ..] = b {
        b = rest;
    }
    b
}

/// A big-endian magnitude as an integer of the least precision holding it
/// (at least one limb).
fn uint(b: &[u8]) -> BoxedUint {
    match strip(b) {
        [] => BoxedUint::from_be_slice_vartime(&[0]),
        b => BoxedUint::from_be_slice_vartime(b),
    }
}

/// A DSA key with FIPS 186 sizes (L, N) of (1024, 160), (2048, 224),
/// (2048, 256) or (3072, 256), checked so that the arithmetic below cannot
/// fail: `p` and `q` odd, `1 < g < p`, `1 < y < p`, `y^q = 1 mod p`.
fn dsa_key(p: &[u8], q: &[u8], g: &[u8], y: &[u8]) -> Result<dsa::VerifyingKey, &'static str> {
    const BAD: &str = "is not a DSA public key with FIPS 186 sizes (L, N) of (1024, 160), (2048, 224), (2048, 256) or (3072, 256)";
    let (p, q, g, y) = (strip(p), strip(q), strip(g), strip(y));
    let odd = |b: &[u8]| b.last().is_some_and(|l| l & 1 == 1);
    if !odd(p) || !odd(q) {
        return Err(BAD);
    }
    let p_bits = p.len().checked_mul(8).ok_or(BAD)?;
    // `p` decides the precision; `g` and `y` must share it for Montgomery
    // arithmetic modulo `p`.
    let p = uint(p);
    let precision = p.bits_precision();
    if p_bits > 3072 || g.len() > p_bits / 8 || y.len() > p_bits / 8 || q.len() > 32 {
        return Err(BAD);
    }
    let g = BoxedUint::from_be_slice(g, precision).map_err(|_| BAD)?;
    let y = BoxedUint::from_be_slice(y, precision).map_err(|_| BAD)?;
    let q = uint(q);
    let one = BoxedUint::one();
    if g <= one || g >= p || y <= one || y >= p {
        return Err(BAD);
    }
    let components = dsa::Components::from_components(p, q, g).map_err(|_| BAD)?;
    dsa::VerifyingKey::from_components(components, y).map_err(|_| BAD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailer_is_content_headers_and_length() {
        let d = trailer_digest(HashAlgo::Sha256, b"abc", &[4, 0, 1, 8, 0, 0]).unwrap();
        let mut expected = b"abc".to_vec();
        expected.extend([4, 0, 1, 8, 0, 0, 0x04, 0xFF, 0, 0, 0, 6]);
        assert_eq!(d, Sha256::digest(&expected).to_vec());
    }

    #[test]
    fn bad_parameters_are_refused_without_panicking() {
        let cases = [
            PublicParams::Rsa {
                n: vec![],
                e: vec![],
            },
            PublicParams::Rsa {
                n: vec![0xFF; 128],
                e: vec![],
            },
            PublicParams::Rsa {
                n: vec![0xFE; 256],
                e: vec![1, 0, 1],
            },
            PublicParams::Rsa {
                n: vec![0xFF; 4000],
                e: vec![1, 0, 1],
            },
            PublicParams::Dsa {
                p: vec![],
                q: vec![],
                g: vec![],
                y: vec![],
            },
            PublicParams::Dsa {
                p: vec![0xFF; 256],
                q: vec![0xFF; 32],
                g: vec![2],
                y: vec![0xFF; 300],
            },
            PublicParams::Dsa {
                p: vec![0xFF; 256],
                q: vec![0xFE; 32],
                g: vec![2],
                y: vec![3],
            },
            PublicParams::Dsa {
                p: vec![0xFF; 256],
                q: vec![0xFF; 32],
                g: vec![2],
                y: vec![3],
            },
            PublicParams::Dsa {
                p: vec![0xFF; 200],
                q: vec![0xFF; 32],
                g: vec![2],
                y: vec![3],
            },
            PublicParams::Eddsa { q: vec![1; 31] },
        ];
        for params in &cases {
            assert!(Material::from_params(params).is_err(), "{params:?}");
        }
    }
}
