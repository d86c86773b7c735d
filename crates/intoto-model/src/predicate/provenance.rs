//! SLSA Provenance v1 and v0.2.

use serde_json::{Map, Value};

use super::read::{Obj, Path, each_object};
use crate::error::ModelError;
use crate::statement::ResourceDescriptor;

/// SLSA Provenance v1 (`https://slsa.dev/provenance/v1`): how an artifact
/// was built, by which builder, from what.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ProvenanceV1 {
    /// `buildDefinition.buildType`: the URI of the build's template.
    pub build_type: String,
    /// `buildDefinition.externalParameters`: the inputs the build was
    /// asked to use.
    pub external_parameters: Map<String, Value>,
    /// `buildDefinition.internalParameters`.
    pub internal_parameters: Option<Map<String, Value>>,
    /// `buildDefinition.resolvedDependencies`: the materials.
    pub resolved_dependencies: Vec<ResourceDescriptor>,
    /// `runDetails.builder.id`.
    pub builder_id: String,
    /// `runDetails.metadata.invocationId`.
    pub invocation_id: Option<String>,
    /// `runDetails.metadata.startedOn` (RFC 3339).
    pub started_on: Option<String>,
    /// `runDetails.metadata.finishedOn` (RFC 3339).
    pub finished_on: Option<String>,
    /// `runDetails.byproducts`.
    pub byproducts: Vec<ResourceDescriptor>,
}

impl ProvenanceV1 {
    /// A provenance with the two required fields.
    pub fn new(build_type: impl Into<String>, builder_id: impl Into<String>) -> Self {
        Self {
            build_type: build_type.into(),
            builder_id: builder_id.into(),
            ..Self::default()
        }
    }

    /// Reads and checks a predicate; errors name the field
    /// (`predicate.runDetails.builder.id`).
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn from_predicate(predicate: &Map<String, Value>) -> Result<Self, ModelError> {
        let root = Path::new("predicate");
        let p = Obj::new(predicate, &root);
        let def_path = Path::new(p.path("buildDefinition"));
        let def = Obj::new(p.object("buildDefinition")?, &def_path);
        let run_path = Path::new(p.path("runDetails"));
        let run = Obj::new(p.object("runDetails")?, &run_path);
        let builder_path = Path::new(run.path("builder"));
        let builder = Obj::new(run.object("builder")?, &builder_path);
        let meta_path = Path::new(run.path("metadata"));
        let empty = Map::new();
        let meta = Obj::new(run.opt_object("metadata")?.unwrap_or(&empty), &meta_path);
        Ok(Self {
            build_type: def.nonempty("buildType")?.to_owned(),
            // Required by SLSA v1, but protobuf JSON writers omit it when it
            // is empty (the attestation verifier's own data does): absent
            // reads as empty.
            external_parameters: def
                .opt_object("externalParameters")?
                .cloned()
                .unwrap_or_default(),
            internal_parameters: def.opt_object("internalParameters")?.cloned(),
            resolved_dependencies: def.descriptors("resolvedDependencies")?,
            builder_id: builder.nonempty("id")?.to_owned(),
            invocation_id: meta.opt_string("invocationId")?.map(str::to_owned),
            started_on: meta.opt_timestamp("startedOn")?.map(str::to_owned),
            finished_on: meta.opt_timestamp("finishedOn")?.map(str::to_owned),
            byproducts: run.descriptors("byproducts")?,
        })
    }

    /// The predicate's JSON object.
    pub fn to_predicate(&self) -> Map<String, Value> {
        let descriptors = |list: &[ResourceDescriptor]| {
            Value::Array(list.iter().map(ResourceDescriptor::to_value).collect())
        };
        let mut def = Map::new();
        def.insert("buildType".into(), Value::String(self.build_type.clone()));
        def.insert(
            "externalParameters".into(),
            Value::Object(self.external_parameters.clone()),
        );
        if let Some(internal) = &self.internal_parameters {
            def.insert("internalParameters".into(), Value::Object(internal.clone()));
        }
        if !self.resolved_dependencies.is_empty() {
            def.insert(
                "resolvedDependencies".into(),
                descriptors(&self.resolved_dependencies),
            );
        }
        let mut builder = Map::new();
        builder.insert("id".into(), Value::String(self.builder_id.clone()));
        let mut run = Map::new();
        run.insert("builder".into(), Value::Object(builder));
        let mut meta = Map::new();
        for (key, value) in [
            ("invocationId", &self.invocation_id),
            ("startedOn", &self.started_on),
            ("finishedOn", &self.finished_on),
        ] {
            if let Some(v) = value {
                meta.insert(key.into(), Value::String(v.clone()));
            }
        }
        if !meta.is_empty() {
            run.insert("metadata".into(), Value::Object(meta));
        }
        if !self.byproducts.is_empty() {
            run.insert("byproducts".into(), descriptors(&self.byproducts));
        }
        let mut out = Map::new();
        out.insert("buildDefinition".into(), Value::Object(def));
        out.insert("runDetails".into(), Value::Object(run));
        out
    }
}

/// SLSA Provenance v0.2 (`https://slsa.dev/provenance/v0.2`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ProvenanceV02 {
    /// `builder.id`.
    pub builder_id: String,
    /// `buildType`.
    pub build_type: String,
    /// `materials`: URIs and their digests.
    pub materials: Vec<(String, Option<crate::DigestSet>)>,
}

impl ProvenanceV02 {
    /// Reads and checks a predicate.
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn from_predicate(predicate: &Map<String, Value>) -> Result<Self, ModelError> {
        let root = Path::new("predicate");
        let p = Obj::new(predicate, &root);
        let builder_path = Path::new(p.path("builder"));
        let builder = Obj::new(p.object("builder")?, &builder_path);
        let mut materials = Vec::new();
        for item in each_object(
            p.opt_list("materials")?.unwrap_or_default(),
            &p.path("materials"),
        ) {
            let (map, path) = item?;
            let m = Obj::new(map, &path);
            materials.push((m.string("uri")?.to_owned(), m.opt_digest("digest")?));
        }
        Ok(Self {
            builder_id: builder.nonempty("id")?.to_owned(),
            build_type: p.nonempty("buildType")?.to_owned(),
            materials,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn v1_round_trips_and_names_missing_fields() {
        let mut p = ProvenanceV1::new("https://example.com/build/v1", "https://ci.example/runner");
        p.external_parameters
            .insert("command".into(), json!(["make"]));
        p.started_on = Some("2026-12-01T10:00:00Z".into());
        let back = ProvenanceV1::from_predicate(&p.to_predicate()).unwrap();
        assert_eq!(back, p);

        let err = ProvenanceV1::from_predicate(&map(json!({
            "buildDefinition": {"externalParameters": {}},
            "runDetails": {"builder": {"id": "x"}}
        })))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "required field `predicate.buildDefinition.buildType` is missing"
        );
        let err = ProvenanceV1::from_predicate(&map(json!({
            "buildDefinition": {"buildType": "t", "externalParameters": {}},
            "runDetails": {"builder": {}}
        })))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "required field `predicate.runDetails.builder.id` is missing"
        );
        let err = ProvenanceV1::from_predicate(&map(json!({
            "buildDefinition": {"buildType": "t", "externalParameters": {}},
            "runDetails": {"builder": {"id": "b"}, "metadata": {"startedOn": "yesterday"}}
        })))
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("field `predicate.runDetails.metadata.startedOn` is not an RFC 3339"),
            "{err}"
        );
    }

    #[test]
    fn v02_reads_materials() {
        let p = ProvenanceV02::from_predicate(&map(json!({
            "builder": {"id": "b"}, "buildType": "t",
            "materials": [{"uri": "git+https://x", "digest": {"sha1": "ab"}}]
        })))
        .unwrap();
        assert_eq!(p.materials.len(), 1);
        assert!(ProvenanceV02::from_predicate(&map(json!({"builder": {"id": "b"}}))).is_err());
    }
}
