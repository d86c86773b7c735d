"""Checks intoto's attestations with the in-toto attestation framework's
Python package and securesystemslib, and signs statements for intoto to
verify. Run with the interpreter of target/pyref (scripts/pyref-venv.sh).

  attestation.py validate ENVELOPE          Statement (and predicate) validation
  attestation.py verify ENVELOPE PUB...     DSSE Envelope.verify, every key must sign
  attestation.py sign PRIV STATEMENT OUT    sign a statement's bytes into OUT

Exit status 0 on success; a failure prints its reason and exits 1.
"""

import json
import sys

from cryptography.hazmat.primitives.serialization import (
    load_pem_private_key,
    load_pem_public_key,
)
from google.protobuf import json_format
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement
from securesystemslib.dsse import Envelope
from securesystemslib.signer import CryptoSigner, SSlibKey

# Predicates the package has message types for: parsing rejects unknown
# fields and wrong types.
PREDICATES = {
    "https://slsa.dev/provenance/v1": (
        "in_toto_attestation.predicates.provenance.v1.provenance_pb2",
        "Provenance",
    ),
    "https://in-toto.io/attestation/test-result/v0.1": (
        "in_toto_attestation.predicates.test_result.v0.test_result_pb2",
        "TestResult",
    ),
    "https://in-toto.io/attestation/link/v0.3": (
        "in_toto_attestation.predicates.link.v0.link_pb2",
        "Link",
    ),
    "https://slsa.dev/verification_summary/v1": (
        "in_toto_attestation.predicates.vsa.v1.vsa_pb2",
        "VerificationSummary",
    ),
}


def load_envelope(path):
    with open(path, "rb") as f:
        lines = [line for line in f.read().splitlines() if line.strip()]
    # A bundle: the last line is the envelope appended last.
    return Envelope.from_dict(json.loads(lines[-1]))


def validate(path):
    env = load_envelope(path)
    assert env.payload_type == "application/vnd.in-toto+json", env.payload_type
    pb = json_format.Parse(env.payload, statement_pb2.Statement())
    Statement.copy_from_pb(pb).validate()
    statement = json.loads(env.payload)
    known = PREDICATES.get(statement["predicateType"])
    if known:
        module, name = known
        mod = __import__(module, fromlist=[name])
        json_format.Parse(json.dumps(statement["predicate"]), getattr(mod, name)())
    print("valid", statement["predicateType"], "known" if known else "statement only")


def verify(path, pubs):
    env = load_envelope(path)
    keys = []
    for pub in pubs:
        with open(pub, "rb") as f:
            keys.append(SSlibKey.from_crypto(load_pem_public_key(f.read())))
    accepted = env.verify(keys, len(keys))
    print("verified by", " ".join(sorted(accepted)))


def sign(priv, statement, out):
    with open(priv, "rb") as f:
        signer = CryptoSigner(load_pem_private_key(f.read(), None))
    with open(statement, "rb") as f:
        payload = f.read()
    env = Envelope(payload, "application/vnd.in-toto+json", {})
    env.sign(signer)
    with open(out, "w") as f:
        json.dump(env.to_dict(), f)
    print(signer.public_key.keyid)


def main():
    command, args = sys.argv[1], sys.argv[2:]
    try:
        if command == "validate":
            validate(args[0])
        elif command == "verify":
            verify(args[0], args[1:])
        elif command == "sign":
            sign(*args)
        else:
            raise SystemExit(f"unknown command {command}")
    except Exception as e:  # noqa: BLE001 - the reason is the output
        print(f"{type(e).__name__}: {e}")
        sys.exit(1)


if __name__ == "__main__":
    main()
