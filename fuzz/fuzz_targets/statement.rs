//! Bytes -> metadata or envelope -> payload -> statement: no panic, and a
//! statement that parses round-trips through its JSON form; the predicate
//! summary of `intoto show` never panics either.

#![no_main]

use libfuzzer_sys::fuzz_target;

use intoto_model::bundle::statement_of;
use intoto_model::{Envelope, Metadata, Payload, Statement};

fn check(statement: &Statement) {
    let again =
        Statement::from_value(statement.to_value(), "").expect("a written statement parses");
    assert_eq!(&again, statement);
    assert_eq!(again.type_key(), statement.type_key());
    let _ = intoto::describe::predicate_summary(statement);
}

fuzz_target!(|data: &[u8]| {
    if let Ok(md) = Metadata::from_slice(data) {
        let _ = md.signed_bytes();
        if let Ok(Payload::Statement(st)) = md.payload() {
            check(&st);
        }
    }
    if let Ok(value) = serde_json::from_slice(data) {
        // Envelopes of any payload type, as bundles hold them.
        if let Ok(env) = Envelope::from_value(value) {
            if let Ok(st) = statement_of(&env) {
                check(&st);
            }
        }
    }
    // The bytes as a statement's payload.
    if let Ok(value) = serde_json::from_slice(data) {
        if let Ok(st) = Statement::from_value(value, "payload") {
            check(&st);
        }
    }
});
