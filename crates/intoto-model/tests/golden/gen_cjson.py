"""Generates cjson_vectors.json: JSON inputs and securesystemslib's canonical
encoding of each (base64), for the canonical JSON golden test.

Run with the reference's venv: target/pyref/bin/python gen_cjson.py
"""

import base64
import json
import random

from securesystemslib.formats import encode_canonical

random.seed(20261122)
ALPHABET = ["a", "b", "Z", " ", "\"", "\\", "\n", "\t", "\r", "\x00", "\x01", "\x1f", "\x7f",
            "é", "e\u0301", "ß", "\u2028", "\ufeff", "\uffff", "😀", "/", "!", "#", ".", "-", "_", "0"]


def rand_str():
    return "".join(random.choice(ALPHABET) for _ in range(random.randint(0, 6)))


def rand_value(depth=0):
    r = random.random()
    if depth > 3 or r < 0.35:
        return random.choice([
            None, True, False, random.randint(-2**63, 2**63 - 1), random.randint(0, 2**64 - 1),
            random.randint(-1000, 1000), rand_str(),
        ])
    if r < 0.65:
        return [rand_value(depth + 1) for _ in range(random.randint(0, 4))]
    return {rand_str(): rand_value(depth + 1) for _ in range(random.randint(0, 5))}


cases = []
for _ in range(300):
    v = rand_value()
    cases.append({
        "input": json.dumps(v),
        "canonical": base64.b64encode(encode_canonical(v).encode("utf-8")).decode(),
    })
with open("cjson_vectors.json", "w") as f:
    json.dump(cases, f, indent=1)
