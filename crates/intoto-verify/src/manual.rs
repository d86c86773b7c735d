//! How verification differs from the reference (in-toto 3.1.0), and why.
//!
//! Everything not listed here behaves as `in_toto.verifylib.in_toto_verify`
//! and `in-toto-verify` do: the order of the checks, `expires <= now` as
//! expired, every given key signing the layout, links loaded by
//! `<step>.<keyid[:8]>.link` (OpenPGP subkeys included) and skipped when
//! missing or badly signed, thresholds of distinct functionaries (subkeys of
//! one key once), sublayouts verified in `<step>.<keyid[:8]>/` and reduced to
//! a summary link, `expected_command` as a warning, threshold links agreeing
//! on their artifacts, the first link of a step (in `pubkeys` order) used
//! for its rules, the rule queue and `fnmatchcase` patterns, inspections run
//! after the step rules with the default excludes and a 10 second timeout,
//! their return value checked and their links written to
//! `<inspection>.link`, and inspection rules over step and inspection
//! links. The differential test `verify_differential` (intoto-cli) checks
//! this against the reference on a few hundred random chains.
//!
//! # Deliberate differences
//!
//! Each is tested; the test is named after the difference.
//!
//! 1. **Signatures are checked over the bytes received.** The reference
//!    re-serialises its model before checking a legacy signature, which drops
//!    fields it does not know: it cannot verify in-toto-golang's layouts
//!    with `rootcas`/`intermediatecas`. Here the canonical JSON of the
//!    received `signed` value (or the received DSSE payload) is checked, so
//!    signed unknown fields verify and a field added after signing fails.
//!    Tests: `the_go_demo_chains_verify` and
//!    `the_reference_cannot_verify_the_go_layout_with_extra_fields`
//!    (intoto-cli `tests/verify.rs`), `signatures_are_over_the_received_bytes`
//!    (`tests/pipeline.rs`).
//! 2. **A link counts only for the step it names.** A link whose `name` is
//!    not the step it is presented for (copied from another step's file) is
//!    skipped with `link-name-mismatch`; the reference does not look.
//!    Test: `a_link_whose_name_is_not_its_step_does_not_count`.
//! 3. **Invalid layouts are rejected up front, with one clear message
//!    each**: a threshold below 1 (`layout-threshold-invalid`; the
//!    reference crashes or passes without evidence), a step key that is
//!    not among the layout's keys (`layout-pubkey-unknown`; the reference
//!    ignores its links), a MATCH whose `FROM` names no step or inspection
//!    (`layout-match-from-unknown`, an error: the reference lets the rule
//!    consume nothing, so a typo silently weakens the layout). Duplicate
//!    names are rejected by both. A step's MATCH naming an *inspection*
//!    consumes nothing in both, and is reported as the warning
//!    `layout-match-from-inspection`. Tests:
//!    `invalid_layouts_are_rejected_up_front`,
//!    `a_step_rule_matching_an_inspection_is_a_warning`.
//! 4. **A layout without `expires` is rejected** (`layout-expires-missing`).
//!    The reference gives it a default a month ahead when it loads it (so a
//!    DSSE layout without `expires` never expires there). Test:
//!    `expiry_is_at_the_instant_and_required`.
//! 5. **Parameters from the command line.** `--param NAME=VALUE`
//!    substitutes layout parameters with Python `str.format` semantics; the
//!    reference has this only in its library. Attribute and index access,
//!    `!r`/`!a` and format specifications are rejected
//!    (`parameter-unsupported`) instead of imitated. Tests:
//!    `parameters_come_from_the_command_line`,
//!    `parameters_are_substituted_like_python_str_format`,
//!    `params::tests::follows_python_str_format`, and the parameterised
//!    cases of `verdicts_equal_the_reference_on_random_chains` (against the
//!    reference's `substitution_parameters`).
//! 6. **Functionaries are counted by key material.** One key listed under
//!    two keyids (for example its modern and legacy keyids) is one
//!    functionary (`link-duplicate-functionary`); the reference counts the
//!    `keyid` inside each key dict. Test:
//!    `one_functionary_counts_once_towards_a_threshold`.
//! 7. **A link file that exists but cannot be read stops verification** as
//!    an input error (exit 2); the reference treats any `OSError` as a
//!    missing link. Tests: `an_unreadable_link_stops_verification_with_an_error`,
//!    `input_errors_exit_2`.
//! 8. **Exit status 2 for input errors** (an unreadable layout or key, a
//!    layout file holding a link); the reference exits 1 for every
//!    exception. Test: `input_errors_exit_2`.
//! 9. **Every finding of a stage is reported**, not only the first, as
//!    diagnostics with stable codes; a stage with an error stops the later
//!    ones (no inspection runs on a failed chain, as in the reference).
//!    Verdicts are the reference's. Tests:
//!    `invalid_layouts_are_rejected_up_front`,
//!    `a_changed_product_is_caught_by_the_next_step_rules`.
//! 10. **ITE-6 link attestations count as links**: a DSSE envelope holding
//!     a Statement with the link predicate, stored as
//!     `<step>.<keyid[:8]>.link`, is converted with
//!     [`Statement::to_link`](intoto_model::Statement::to_link); the
//!     reference rejects statements. Test: `link_attestations_count_as_links`.
//! 11. **A timed-out inspection is killed with its process group** (the
//!     reference kills only the process, leaving its children running).
//!     Test: `an_inspection_that_runs_too_long_is_killed`.
//!
//! Inherited from [`intoto_crypto`] (see ARCHITECTURE.md): a key matches
//! signatures under any of its keyid forms, so layouts and links signed by
//! in-toto-golang verify with PEM keys (`the_go_demo_chains_verify`); every
//! signature carrying the key's keyid is tried, not only the first.
//!
//! # Not implemented
//!
//! - ITE-7 certificate constraints (in-toto-golang's `cert_constraints`,
//!   `rootcas`): links are accepted only from keys in a step's `pubkeys`.
//! - Presenting a recorded inspection link instead of running the
//!   inspection (spec §4.5.3); neither does the reference.
