//! A [`Statement`]'s JSON text as `json.dumps(sort_keys=True)` writes it
//! (the DSSE payloads of attestations), and a DSSE envelope's file text,
//! written without building a `serde_json::Value` of the subjects or
//! copying the base64 payload: for a statement about 100,000 files the
//! `Value` tree costs more than signing it.
//!
//! Byte for byte what [`pyjson::to_string`] writes for
//! [`Statement::to_value`] and [`Envelope::to_value`] (tested below).

use serde_json::Value;

use super::pyjson::{self, Style};
use super::sort_members;
use crate::envelope::Envelope;
use crate::signature::Signature;
use crate::statement::{ResourceDescriptor, Statement};

/// The statement on one line, keys sorted.
pub fn python(statement: &Statement) -> String {
    let whole = statement.to_value_without_subjects();
    let Value::Object(map) = whole else {
        return pyjson::to_string(&statement.to_value(), Style::Line);
    };
    let mut members: Vec<(&str, Option<&Value>)> =
        map.iter().map(|(k, v)| (k.as_str(), Some(v))).collect();
    // `None` stands for the subjects, written straight from the structs.
    members.push(("subject", None));
    sort_members(&mut members, |m| m.0.as_bytes());
    let mut out = String::with_capacity(256 + statement.subject.len() * 128);
    out.push('{');
    for (i, (key, value)) in members.into_iter().enumerate() {
        pyjson::separator(Style::Line, 1, i == 0, &mut out);
        pyjson::write_string(key, &mut out);
        out.push_str(pyjson::colon(Style::Line));
        match value {
            Some(v) => pyjson::write(v, Style::Line, 1, &mut out),
            None => subjects(&statement.subject, &mut out),
        }
    }
    pyjson::close(Style::Line, 0, &mut out);
    out.push('}');
    out
}

fn subjects(subjects: &[ResourceDescriptor], out: &mut String) {
    if subjects.is_empty() {
        out.push_str("[]");
        return;
    }
    out.push('[');
    for (i, rd) in subjects.iter().enumerate() {
        pyjson::separator(Style::Line, 2, i == 0, out);
        descriptor(rd, out);
    }
    pyjson::close(Style::Line, 1, out);
    out.push(']');
}

/// A descriptor of only a name and digests (a hashed file) is written
/// directly: `{"digest": {...}, "name": "..."}`; any other through its value.
fn descriptor(rd: &ResourceDescriptor, out: &mut String) {
    let plain = rd.uri.is_none()
        && rd.content.is_none()
        && rd.download_location.is_none()
        && rd.media_type.is_none()
        && rd.annotations.is_none()
        && rd.extra.is_empty();
    let (Some(name), Some(digest), true) = (&rd.name, &rd.digest, plain) else {
        pyjson::write(&rd.to_value(), Style::Line, 2, out);
        return;
    };
    let mut algorithms: Vec<(&str, &str)> = digest.iter().collect();
    sort_members(&mut algorithms, |m| m.0.as_bytes());
    out.push_str("{\"digest\": {");
    for (i, (alg, hex)) in algorithms.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        pyjson::write_string(alg, out);
        out.push_str(": ");
        pyjson::write_string(hex, out);
    }
    out.push_str("}, \"name\": ");
    pyjson::write_string(name, out);
    out.push('}');
}

/// A DSSE envelope's file text on one line, keys sorted: the payload is
/// base64-encoded straight into the text.
pub fn envelope(envelope: &Envelope) -> String {
    if !envelope.extra.is_empty() {
        return pyjson::to_string(&envelope.to_value(), Style::Line);
    }
    let mut out = String::with_capacity(envelope.payload.len() * 4 / 3 + 512);
    out.push_str("{\"payload\": \"");
    crate::envelope::encode_base64_into(&envelope.payload, &mut out);
    out.push_str("\", \"payloadType\": ");
    pyjson::write_string(&envelope.payload_type, &mut out);
    out.push_str(", \"signatures\": ");
    let signatures = Value::Array(
        envelope
            .signatures
            .iter()
            .map(Signature::to_value)
            .collect(),
    );
    pyjson::write(&signatures, Style::Line, 1, &mut out);
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::DigestSet;
    use crate::keyid::KeyId;

    fn statement() -> Statement {
        let mut subjects = Vec::new();
        for (i, name) in ["b", "a\"é\n", "Z", "ü"].iter().enumerate() {
            let mut d = DigestSet::new();
            d.insert("sha512", format!("{i:04x}"));
            d.insert("sha256", format!("{i:02x}"));
            subjects.push(ResourceDescriptor::named(*name, d));
        }
        let mut other = ResourceDescriptor::named("x", DigestSet::new());
        other.uri = Some("https://example.com/x".into());
        other.digest = None;
        other.annotations = Some(
            json!({"k": [1, 2.5]})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        subjects.push(other);
        let mut st = Statement::new(
            subjects,
            "https://example.com/p/v1",
            json!({"z": 1, "a": {"nested": ["x", null]}, "é": true})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        st.extra.insert("aExtra".into(), json!("kept"));
        st.extra.insert("zz".into(), json!({"b": 1, "a": 2}));
        st
    }

    #[test]
    fn statements_are_written_as_their_value_is() {
        let st = statement();
        assert_eq!(python(&st), pyjson::to_string(&st.to_value(), Style::Line));
        let empty = Statement::new(Vec::new(), "t", serde_json::Map::new());
        assert_eq!(
            python(&empty),
            pyjson::to_string(&empty.to_value(), Style::Line)
        );
    }

    #[test]
    fn envelopes_are_written_as_their_value_is() {
        let mut env = Envelope::new(
            "application/vnd.in-toto+json",
            python(&statement()).into_bytes(),
        );
        env.signatures
            .push(Signature::new(KeyId::new("ab".to_owned()), "c2ln".into()));
        assert_eq!(
            envelope(&env),
            pyjson::to_string(&env.to_value(), Style::Line)
        );
        env.extra.insert("x".into(), json!(1));
        assert_eq!(
            envelope(&env),
            pyjson::to_string(&env.to_value(), Style::Line)
        );
    }
}
