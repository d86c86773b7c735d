-- Attestations, stored byte for byte, and their subjects and materials by
-- digest. `seq` orders uploads and pages results.
CREATE TABLE attestations (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    gitoid TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    envelope TEXT NOT NULL,
    payload_type TEXT,
    predicate_type TEXT,
    step TEXT,
    signers TEXT NOT NULL,
    size BIGINT NOT NULL,
    stored_at BIGINT NOT NULL,
    bytes BYTEA NOT NULL
);

-- role: 0 subject (a link's products), 1 material.
CREATE TABLE artifacts (
    seq BIGINT NOT NULL REFERENCES attestations (seq),
    role SMALLINT NOT NULL,
    algorithm TEXT NOT NULL,
    digest TEXT NOT NULL,
    name TEXT,
    PRIMARY KEY (role, algorithm, digest, seq)
);

CREATE INDEX attestations_predicate_type ON attestations (predicate_type, seq);
CREATE INDEX attestations_step ON attestations (step, seq);
