//! A [`FileDescription`] as the text lines `intoto show` prints.

use super::{Content, Document, FileDescription, FileFormat, Wrapper};

impl FileDescription {
    /// The description as text lines (not escaped: callers printing to a
    /// terminal escape control characters).
    pub fn text(&self) -> Vec<String> {
        let mut out = Vec::new();
        let file = self.file.display();
        match self.format {
            FileFormat::Metadata => {
                for doc in &self.documents {
                    out.push(format!("{file}: {}", doc.heading()));
                    doc.body(&mut out, self.keys_given);
                }
            }
            FileFormat::Bundle => {
                let envelopes = self
                    .documents
                    .iter()
                    .filter(|d| d.wrapper.is_some())
                    .count();
                out.push(format!(
                    "{file}: bundle of {} line(s), {envelopes} DSSE envelope(s)",
                    self.documents.len()
                ));
                for doc in &self.documents {
                    let line = doc.line.unwrap_or_default();
                    match doc.wrapper {
                        None => out.push(format!(
                            "{file}:{line}: skipped: {}",
                            doc.note.as_ref().map_or("", |n| n.message.as_str())
                        )),
                        Some(_) => {
                            out.push(format!("{file}:{line}: {}", doc.heading()));
                            doc.body(&mut out, self.keys_given);
                        }
                    }
                }
            }
        }
        out
    }
}

impl Document {
    fn heading(&self) -> String {
        let wrapper = match self.wrapper {
            Some(Wrapper::Legacy) => "legacy metablock",
            Some(Wrapper::Dsse) => "DSSE envelope",
            None => "no envelope",
        };
        match &self.content {
            Some(Content::Link(_)) => format!("{wrapper}, link"),
            Some(Content::Layout(_)) => format!("{wrapper}, layout"),
            Some(Content::Statement(s)) => format!("{wrapper}, statement {}", s.version),
            None => wrapper.to_owned(),
        }
    }

    fn body(&self, out: &mut Vec<String>, keys_given: bool) {
        if let Some(t) = &self.payload_type {
            out.push(format!("  payloadType: {t}"));
        }
        if let Some(note) = &self.note {
            out.push(format!("  note: {}", note.message));
        }
        match &self.content {
            Some(Content::Link(l)) => {
                out.push(format!("  step: {}", l.name));
                out.push(format!("  command: {}", shell_words(&l.command)));
                out.push(format!(
                    "  materials: {}, products: {}",
                    l.materials, l.products
                ));
                if let Some(rv) = l.return_value {
                    out.push(format!("  return value: {rv}"));
                }
            }
            Some(Content::Layout(l)) => {
                out.push(format!(
                    "  expires: {}",
                    l.expires.as_deref().unwrap_or("(not set)")
                ));
                out.push(format!("  keys: {}", list(&l.keys)));
                out.push(format!("  steps: {}", list(&l.steps)));
                out.push(format!("  inspections: {}", list(&l.inspections)));
            }
            Some(Content::Statement(s)) => {
                out.push(format!(
                    "  statement type: {} (under `{}`)",
                    s.statement_type, s.type_key
                ));
                for subject in &s.subjects {
                    let name = subject
                        .name
                        .as_deref()
                        .or(subject.uri.as_deref())
                        .unwrap_or("(unnamed)");
                    let digests: Vec<String> = subject
                        .digest
                        .iter()
                        .map(|(alg, value)| format!("{alg}:{value}"))
                        .collect();
                    out.push(format!("  subject: {name} {}", digests.join(" ")));
                }
                out.push(format!("  predicateType: {}", s.predicate_type));
                out.push(format!("  predicate: {}", s.predicate_summary));
            }
            None => {}
        }
        if self.signatures.is_empty() {
            out.push("  signatures: none".to_owned());
        }
        for (i, sig) in self.signatures.iter().enumerate() {
            let keyid = if sig.keyid.is_empty() {
                "no keyid".to_owned()
            } else {
                format!("keyid {}", sig.keyid)
            };
            let fields = if sig.fields.is_empty() {
                String::new()
            } else {
                format!(" [{}]", sig.fields.join(", "))
            };
            out.push(format!("  signature {}: {keyid}{fields}", i + 1));
            if let Some(identity) = &sig.identity {
                out.push(format!("    identity: {identity}"));
            }
            for v in &sig.verified_by {
                let how = if v.keyid_matches {
                    ""
                } else {
                    " (the signature names another keyid)"
                };
                out.push(format!("    verified by {}{how}", v.key));
            }
            for key in &sig.failed {
                out.push(format!(
                    "    does not verify with {key}, whose keyid it names"
                ));
            }
        }
        if keys_given {
            match self.verified {
                Some(true) => out.push("  verified: yes".to_owned()),
                Some(false) => {
                    out.push("  verified: no (no signature verified by a given key)".to_owned());
                }
                None => {}
            }
        }
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(", ")
    }
}

fn shell_words(words: &[String]) -> String {
    if words.is_empty() {
        return "(none)".to_owned();
    }
    words
        .iter()
        .map(|w| {
            if !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
            {
                w.clone()
            } else {
                format!("{w:?}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
