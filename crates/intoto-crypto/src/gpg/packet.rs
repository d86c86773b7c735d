//! OpenPGP packet parsing (RFC 4880), limited to what in-toto's GPG support
//! needs: packet headers, v4 public key packets (RSA, DSA, EdDSA), v4
//! signature packets and their subpackets.
//!
//! This ports securesystemslib's `_gpg/common.py` and `_gpg/util.py`. The
//! input is untrusted: every read is bounds-checked and malformed data is an
//! error, never a panic.

use std::collections::BTreeMap;

use intoto_model::encoding::hex;
use sha1::{Digest, Sha1};

use super::GpgError;

/// Packet tags (RFC 4880 §4.3).
pub(crate) const TAG_SIGNATURE: u8 = 2;
pub(crate) const TAG_PRIMARY_KEY: u8 = 6;
pub(crate) const TAG_USER_ID: u8 = 13;
pub(crate) const TAG_SUB_KEY: u8 = 14;
pub(crate) const TAG_USER_ATTR: u8 = 17;

/// Signature types (RFC 4880 §5.2.1).
pub(crate) const SIG_BINARY: u8 = 0x00;
pub(crate) const SIG_SUB_KEY_BINDING: u8 = 0x18;
pub(crate) const SIG_CERTIFICATIONS: [u8; 4] = [0x10, 0x11, 0x12, 0x13];

/// Signature subpacket types (RFC 4880 §5.2.3.1, rfc4880bis §5.2.3.28).
const SUB_CREATION_TIME: u8 = 2;
pub(crate) const SUB_KEY_EXPIRATION: u8 = 9;
const SUB_ISSUER: u8 = 16;
pub(crate) const SUB_PRIMARY_USER_ID: u8 = 25;
const SUB_ISSUER_FINGERPRINT: u8 = 33;

/// Public-key algorithms (RFC 4880 §9.1, rfc4880bis).
const ALGO_RSA: u8 = 1;
const ALGO_DSA: u8 = 17;
const ALGO_EDDSA: u8 = 22;

/// The curve OID of Ed25519 in OpenPGP (rfc4880bis §9.2).
const ED25519_OID: [u8; 9] = [0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01];

/// Hash algorithms (RFC 4880 §9.4) that self-signatures may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashAlgo {
    Sha1,
    Sha256,
    Sha512,
}

impl HashAlgo {
    pub(crate) fn from_id(id: u8) -> Option<Self> {
        match id {
            2 => Some(Self::Sha1),
            8 => Some(Self::Sha256),
            10 => Some(Self::Sha512),
            _ => None,
        }
    }
}

/// The signature algorithms in-toto supports, by OpenPGP name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Algorithm {
    Rsa,
    Dsa,
    Eddsa,
}

impl Algorithm {
    fn from_id(id: u8) -> Result<Self, GpgError> {
        match id {
            ALGO_RSA => Ok(Self::Rsa),
            ALGO_DSA => Ok(Self::Dsa),
            ALGO_EDDSA => Ok(Self::Eddsa),
            other => Err(GpgError::UnsupportedAlgorithm { id: other }),
        }
    }

    /// The key dict's `type`.
    pub(crate) fn type_name(self) -> &'static str {
        match self {
            Self::Rsa => "rsa",
            Self::Dsa => "dsa",
            Self::Eddsa => "eddsa",
        }
    }

    /// The key dict's `method`.
    pub(crate) fn method(self) -> &'static str {
        match self {
            Self::Rsa => "pgp+rsa-pkcsv1.5",
            Self::Dsa => "pgp+dsa-fips-180-2",
            Self::Eddsa => "pgp+eddsa-ed25519",
        }
    }

    pub(crate) fn from_type_name(name: &str) -> Option<Self> {
        match name {
            "rsa" => Some(Self::Rsa),
            "dsa" => Some(Self::Dsa),
            "eddsa" => Some(Self::Eddsa),
            _ => None,
        }
    }
}

fn malformed(reason: impl Into<String>) -> GpgError {
    GpgError::Malformed {
        reason: reason.into(),
    }
}

/// A cursor over untrusted bytes.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], GpgError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.data.len())
            .ok_or_else(|| malformed(format!("{what} is truncated")))?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn u8(&mut self, what: &str) -> Result<u8, GpgError> {
        Ok(self.take(1, what)?[0])
    }

    fn be16(&mut self, what: &str) -> Result<usize, GpgError> {
        let b = self.take(2, what)?;
        Ok(usize::from(u16::from_be_bytes([b[0], b[1]])))
    }

    fn be32(&mut self, what: &str) -> Result<u32, GpgError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A multiprecision integer (RFC 4880 §3.2): a two-octet bit count and
    /// the big-endian magnitude.
    fn mpi(&mut self, what: &str) -> Result<&'a [u8], GpgError> {
        let bits = self.be16(what)?;
        self.take(bits.div_ceil(8), what)
    }

    fn rest(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }
}

fn usize_from(n: u32) -> Result<usize, GpgError> {
    usize::try_from(n).map_err(|_| malformed("length does not fit in memory"))
}

/// One packet of a packet sequence.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Packet<'a> {
    /// The packet tag.
    pub(crate) tag: u8,
    /// The whole packet, header included.
    pub(crate) raw: &'a [u8],
    /// The packet body.
    pub(crate) body: &'a [u8],
}

/// Reads the packet at the start of `data` (RFC 4880 §4.2). Partial and
/// indeterminate lengths are not supported, as in securesystemslib.
pub(crate) fn read_packet(data: &[u8]) -> Result<Packet<'_>, GpgError> {
    let mut r = Reader::new(data);
    let first = r.u8("packet header")?;
    if first & 0x80 == 0 {
        return Err(malformed(format!(
            "invalid packet header octet {first:#04x}"
        )));
    }
    let (tag, body_len) = if first & 0x40 != 0 {
        let tag = first & 0x3F;
        let len = match r.u8("packet length")? {
            b @ 0..=191 => usize::from(b),
            b @ 192..=223 => {
                let second = r.u8("packet length")?;
                (usize::from(b - 192) << 8) + usize::from(second) + 192
            }
            224..=254 => {
                return Err(malformed(
                    "new format packets of partial body length are not supported",
                ));
            }
            255 => usize_from(r.be32("packet length")?)?,
        };
        (tag, len)
    } else {
        let tag = (first & 0x3C) >> 2;
        let len = match first & 0x03 {
            0 => usize::from(r.u8("packet length")?),
            1 => r.be16("packet length")?,
            2 => usize_from(r.be32("packet length")?)?,
            _ => {
                return Err(malformed(
                    "old format packets of indeterminate length are not supported",
                ));
            }
        };
        (tag, len)
    };
    let header_len = r.pos;
    let body = r.take(body_len, "packet body")?;
    Ok(Packet {
        tag,
        raw: &data[..header_len + body.len()],
        body,
    })
}

/// Splits a packet sequence (such as `gpg --export` output) into packets.
pub(crate) fn read_packets(mut data: &[u8]) -> Result<Vec<Packet<'_>>, GpgError> {
    let mut packets = Vec::new();
    let mut offset = 0usize;
    while !data.is_empty() {
        let packet = read_packet(data).map_err(|e| match e {
            GpgError::Malformed { reason } => malformed(format!("at offset {offset}: {reason}")),
            other => other,
        })?;
        offset += packet.raw.len();
        data = &data[packet.raw.len()..];
        packets.push(packet);
    }
    Ok(packets)
}

/// Signature subpackets (RFC 4880 §5.2.3.1) as `(type, data)`, the critical
/// bit masked off.
fn read_subpackets(data: &[u8]) -> Result<Vec<(u8, &[u8])>, GpgError> {
    let mut r = Reader::new(data);
    let mut out = Vec::new();
    while !r.rest().is_empty() {
        let len = match r.u8("subpacket length")? {
            b @ 0..=191 => usize::from(b),
            b @ 192..=254 => {
                let second = r.u8("subpacket length")?;
                (usize::from(b - 192) << 8) + usize::from(second) + 192
            }
            255 => usize_from(r.be32("subpacket length")?)?,
        };
        // The length counts the type octet, so it is at least one.
        let Some(payload_len) = len.checked_sub(1) else {
            return Err(malformed("signature subpacket of length zero"));
        };
        let kind = r.u8("subpacket type")? & 0x7F;
        let payload = r.take(payload_len, "signature subpacket")?;
        out.push((kind, payload));
    }
    Ok(out)
}

/// A parsed v4 signature packet.
#[derive(Debug, Clone)]
pub(crate) struct ParsedSignature {
    /// The issuer's full keyid (fingerprint) in lowercase hex, empty if the
    /// signature has no Issuer Fingerprint subpacket.
    pub(crate) keyid: String,
    /// The issuer's 64-bit keyid in lowercase hex, empty if absent.
    pub(crate) short_keyid: String,
    /// The hash algorithm the signature was made with.
    pub(crate) hash: HashAlgo,
    /// The signature type.
    #[allow(dead_code)] // Kept for diagnostics.
    pub(crate) signature_type: u8,
    /// The signature creation time.
    pub(crate) creation_time: u32,
    /// The hashed part of the packet (`other_headers`): version, type,
    /// algorithms and the hashed subpackets with their length.
    pub(crate) other_headers: Vec<u8>,
    /// The signature value as securesystemslib stores it: the raw RSA value,
    /// the DER `SEQUENCE { r, s }` for DSA, `R ‖ S` (64 bytes) for EdDSA.
    pub(crate) signature: Vec<u8>,
    /// The subpackets by type, unhashed first and then hashed, the last of a
    /// type winning (so hashed ones take precedence).
    pub(crate) subpackets: BTreeMap<u8, Vec<u8>>,
}

impl ParsedSignature {
    /// The full keyid if known, else the short one.
    pub(crate) fn any_keyid(&self) -> &str {
        if self.keyid.is_empty() {
            &self.short_keyid
        } else {
            &self.keyid
        }
    }
}

/// Parses a signature packet (securesystemslib `parse_signature_packet`):
/// v4 only, of one of `types`, made with one of `hashes`, by RSA, DSA or
/// EdDSA, with a creation time and an issuer.
pub(crate) fn parse_signature_packet(
    data: &[u8],
    types: &[u8],
    hashes: &[HashAlgo],
) -> Result<ParsedSignature, GpgError> {
    let packet = read_packet(data)?;
    if packet.tag != TAG_SIGNATURE {
        return Err(malformed(format!(
            "expected a signature packet, got packet type {}",
            packet.tag
        )));
    }
    let body = packet.body;
    let mut r = Reader::new(body);
    let version = r.u8("signature version")?;
    if version != 4 {
        return Err(GpgError::Unsupported {
            what: "signature packet version",
            value: u32::from(version),
        });
    }
    let signature_type = r.u8("signature type")?;
    if !types.contains(&signature_type) {
        return Err(GpgError::Unsupported {
            what: "signature type",
            value: u32::from(signature_type),
        });
    }
    let algorithm = Algorithm::from_id(r.u8("signature algorithm")?)?;
    let hash_id = r.u8("hash algorithm")?;
    let hash = HashAlgo::from_id(hash_id)
        .filter(|h| hashes.contains(h))
        .ok_or(GpgError::Unsupported {
            what: "hash algorithm",
            value: u32::from(hash_id),
        })?;
    let hashed_len = r.be16("hashed subpackets")?;
    let hashed = read_subpackets(r.take(hashed_len, "hashed subpackets")?)?;
    let other_headers = body[..r.pos].to_vec();
    let unhashed_len = r.be16("unhashed subpackets")?;
    let unhashed = read_subpackets(r.take(unhashed_len, "unhashed subpackets")?)?;

    let mut keyid = String::new();
    let mut short_keyid = String::new();
    let mut creation_time = None;
    let mut subpackets = BTreeMap::new();
    let n_unhashed = unhashed.len();
    for (i, (kind, payload)) in unhashed.into_iter().chain(hashed).enumerate() {
        match kind {
            SUB_KEY_EXPIRATION if i < n_unhashed => {
                tracing::warn!(
                    "key expiration subpacket not hashed; gpg possibly exported a weakly configured key"
                );
            }
            SUB_ISSUER_FINGERPRINT => {
                // The first octet is the key version.
                keyid = hex::encode(payload.get(1..).unwrap_or_default());
            }
            SUB_ISSUER => short_keyid = hex::encode(payload),
            SUB_CREATION_TIME => {
                let bytes: [u8; 4] = payload
                    .try_into()
                    .map_err(|_| malformed("signature creation time is not four octets"))?;
                creation_time = Some(u32::from_be_bytes(bytes));
            }
            _ => {}
        }
        subpackets.insert(kind, payload.to_vec());
    }
    if keyid.is_empty() && short_keyid.is_empty() {
        return Err(malformed(
            "the signature has neither an issuer nor an issuer fingerprint subpacket",
        ));
    }
    if !keyid.is_empty() && !keyid.ends_with(&short_keyid) {
        return Err(malformed(format!(
            "the issuer keyid {short_keyid} is not the end of the issuer fingerprint {keyid}"
        )));
    }
    let creation_time = creation_time
        .filter(|t| *t != 0)
        .ok_or_else(|| malformed("the signature has no creation time subpacket"))?;
    // The left 16 bits of the signed hash.
    r.take(2, "signature")?;
    let signature = match algorithm {
        Algorithm::Rsa => r.mpi("RSA signature")?.to_vec(),
        Algorithm::Dsa => {
            let rr = r.mpi("DSA signature r")?;
            let ss = r.mpi("DSA signature s")?;
            der_signature(rr, ss)
        }
        Algorithm::Eddsa => {
            let rr = r.mpi("EdDSA signature R")?;
            let ss = r.mpi("EdDSA signature S")?;
            eddsa_signature(rr, ss)?
        }
    };
    Ok(ParsedSignature {
        keyid,
        short_keyid,
        hash,
        signature_type,
        creation_time,
        other_headers,
        signature,
        subpackets,
    })
}

/// `R ‖ S`, each left-padded to 32 octets (OpenPGP MPIs drop leading zeros).
fn eddsa_signature(r: &[u8], s: &[u8]) -> Result<Vec<u8>, GpgError> {
    let mut out = vec![0u8; 64];
    for (value, slot) in [(r, 0usize), (s, 32usize)] {
        let value = strip_zeros(value);
        let pad = 32usize
            .checked_sub(value.len())
            .ok_or_else(|| malformed("EdDSA signature value longer than 32 octets"))?;
        out[slot + pad..slot + 32].copy_from_slice(value);
    }
    Ok(out)
}

fn strip_zeros(mut b: &[u8]) -> &[u8] {
    while let [0, rest @ ..] = b {
        b = rest;
    }
    b
}

/// The DER `SEQUENCE { INTEGER r, INTEGER s }` of a DSA signature, as
/// pyca/cryptography's `encode_dss_signature` writes it.
pub(crate) fn der_signature(r: &[u8], s: &[u8]) -> Vec<u8> {
    let mut content = der_unsigned_integer(r);
    content.extend(der_unsigned_integer(s));
    let mut out = vec![0x30];
    out.extend(der_length(content.len()));
    out.extend(content);
    out
}

fn der_unsigned_integer(value: &[u8]) -> Vec<u8> {
    let value = strip_zeros(value);
    let mut body = Vec::with_capacity(value.len() + 1);
    if value.first().is_none_or(|b| b & 0x80 != 0) {
        body.push(0);
    }
    body.extend_from_slice(value);
    let mut out = vec![0x02];
    out.extend(der_length(body.len()));
    out.extend(body);
    out
}

fn der_length(len: usize) -> Vec<u8> {
    if len < 0x80 {
        // invariant: checked < 0x80 just above.
        return vec![u8::try_from(len).unwrap_or(0)];
    }
    let bytes = len.to_be_bytes();
    let significant = strip_zeros(&bytes);
    let mut out = Vec::with_capacity(significant.len() + 1);
    // At most size_of::<usize>() octets, so the count fits the low 7 bits.
    out.push(0x80 | u8::try_from(significant.len()).unwrap_or(0));
    out.extend_from_slice(significant);
    out
}

/// The public parameters of a key, as big-endian magnitudes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PublicParams {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Dsa {
        p: Vec<u8>,
        q: Vec<u8>,
        g: Vec<u8>,
        y: Vec<u8>,
    },
    Eddsa {
        q: Vec<u8>,
    },
}

impl PublicParams {
    pub(crate) fn algorithm(&self) -> Algorithm {
        match self {
            Self::Rsa { .. } => Algorithm::Rsa,
            Self::Dsa { .. } => Algorithm::Dsa,
            Self::Eddsa { .. } => Algorithm::Eddsa,
        }
    }

    /// The key dict's `keyval.public`.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Rsa { n, e } => serde_json::json!({"e": hex::encode(e), "n": hex::encode(n)}),
            Self::Dsa { p, q, g, y } => serde_json::json!({
                "y": hex::encode(y), "p": hex::encode(p), "g": hex::encode(g), "q": hex::encode(q),
            }),
            Self::Eddsa { q } => serde_json::json!({"q": hex::encode(q)}),
        }
    }
}

/// A parsed v4 public key or subkey packet body.
#[derive(Debug, Clone)]
pub(crate) struct ParsedPublicKey {
    /// The v4 fingerprint in lowercase hex (securesystemslib's keyid).
    pub(crate) keyid: String,
    /// When the key was created.
    pub(crate) creation_time: u32,
    /// The key material.
    pub(crate) params: PublicParams,
}

/// Parses a public key packet body (securesystemslib `parse_pubkey_payload`).
pub(crate) fn parse_public_key(body: &[u8]) -> Result<ParsedPublicKey, GpgError> {
    let mut r = Reader::new(body);
    let version = r.u8("public key version")?;
    if version != 4 {
        return Err(GpgError::Unsupported {
            what: "public key packet version",
            value: u32::from(version),
        });
    }
    let creation_time = r.be32("key creation time")?;
    let algorithm = Algorithm::from_id(r.u8("public key algorithm")?)?;
    let params = match algorithm {
        Algorithm::Rsa => {
            let n = r.mpi("RSA modulus")?.to_vec();
            let e = r.mpi("RSA exponent")?.to_vec();
            PublicParams::Rsa { n, e }
        }
        Algorithm::Dsa => {
            let p = r.mpi("DSA p")?.to_vec();
            let q = r.mpi("DSA q")?.to_vec();
            let g = r.mpi("DSA g")?.to_vec();
            let y = r.mpi("DSA y")?.to_vec();
            PublicParams::Dsa { p, q, g, y }
        }
        Algorithm::Eddsa => {
            let oid_len = usize::from(r.u8("curve OID length")?);
            let oid = r.take(oid_len, "curve OID")?;
            if oid != ED25519_OID {
                return Err(GpgError::Unsupported {
                    what: "EdDSA curve (only Ed25519 is supported)",
                    value: 0,
                });
            }
            let point = r.mpi("EdDSA point")?;
            match point {
                [0x40, q @ ..] if q.len() == 32 => PublicParams::Eddsa { q: q.to_vec() },
                _ => return Err(malformed("EdDSA point is not 0x40 followed by 32 octets")),
            }
        }
    };
    Ok(ParsedPublicKey {
        keyid: fingerprint_v4(body)?,
        creation_time,
        params,
    })
}

/// What a v4 key contributes to hashes: `0x99 ‖ be16(len) ‖ body`
/// (RFC 4880 §5.2.4, §12.2).
pub(crate) fn key_hash_prefix(body: &[u8]) -> Result<Vec<u8>, GpgError> {
    let len = u16::try_from(body.len()).map_err(|_| malformed("public key packet is too long"))?;
    let mut out = Vec::with_capacity(body.len() + 3);
    out.push(0x99);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(body);
    Ok(out)
}

/// The v4 fingerprint: SHA-1 over [`key_hash_prefix`].
fn fingerprint_v4(body: &[u8]) -> Result<String, GpgError> {
    Ok(hex::encode(Sha1::digest(key_hash_prefix(body)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_headers_of_both_formats() {
        // Old format, one-octet length.
        let p = read_packet(&[0x88, 0x02, 0xAA, 0xBB]).unwrap();
        assert_eq!((p.tag, p.body), (2, &[0xAA, 0xBB][..]));
        // Old format, two-octet length.
        let p = read_packet(&[0x99, 0x00, 0x01, 0xCC]).unwrap();
        assert_eq!((p.tag, p.body), (6, &[0xCC][..]));
        // New format, two-octet length: 192 octets.
        let mut data = vec![0xC2, 0xC0, 0x00];
        data.extend(vec![7u8; 192]);
        let p = read_packet(&data).unwrap();
        assert_eq!((p.tag, p.body.len()), (2, 192));
        // New format, five-octet length.
        let p = read_packet(&[0xC2, 0xFF, 0, 0, 0, 1, 9]).unwrap();
        assert_eq!((p.tag, p.body), (2, &[9][..]));
    }

    #[test]
    fn malformed_packets_are_errors() {
        for data in [
            &[][..],
            &[0x08, 0x00],             // bit 7 clear
            &[0x88],                   // no length
            &[0x88, 0x05, 0x00],       // truncated body
            &[0x8B, 0x00],             // indeterminate length
            &[0xC2, 0xE0, 0x00],       // partial length
            &[0xC2, 0xFF, 0xFF, 0xFF], // truncated five-octet length
        ] {
            assert!(read_packet(data).is_err(), "{data:?}");
        }
    }

    #[test]
    fn der_integers_are_minimal() {
        assert_eq!(
            der_signature(&[0x01], &[0x80]),
            [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80]
        );
        assert_eq!(
            der_signature(&[], &[0, 0, 5]),
            [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x05]
        );
        let long = der_signature(&[0x7F; 100], &[0x7F; 100]);
        assert_eq!(&long[..3], &[0x30, 0x81, 0xCC]);
    }

    #[test]
    fn eddsa_values_are_padded_and_bounded() {
        let sig = eddsa_signature(&[1], &[2; 32]).unwrap();
        assert_eq!(sig[31], 1);
        assert_eq!(sig[..31], [0; 31]);
        assert!(eddsa_signature(&[1; 33], &[2]).is_err());
    }

    #[test]
    fn subpackets_need_a_type_octet() {
        assert!(read_subpackets(&[0x00]).is_err());
        assert!(read_subpackets(&[0x05, 0x02, 0x00]).is_err());
        let parsed = read_subpackets(&[0x02, 0x82, 0x07, 0x01, 0x10]).unwrap();
        assert_eq!(parsed, vec![(2, &[7][..]), (16, &[][..])]);
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for len in 0..400usize {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state >> 24) as u8
                })
                .collect();
            let _ = read_packets(&data);
            let _ = parse_public_key(&data);
            let _ = parse_signature_packet(&data, &[0], &[HashAlgo::Sha256]);
            let mut sig = vec![0x88, u8::try_from(len.min(255)).unwrap_or(0), 4, 0];
            sig.extend(&data);
            let _ = parse_signature_packet(&sig, &[0], &[HashAlgo::Sha256]);
        }
    }
}
