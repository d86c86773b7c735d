//! Any JSON as a package's targets entry and the top-level targets: the
//! plan of what to download (`custom.in-toto`, the one root layout, its
//! keys, the links' names) never panics, and every name it keeps is safe
//! to use as a relative file name.

#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(Value::Object(doc)) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let custom: HashMap<String, Value> = match doc.get("custom") {
        Some(Value::Object(m)) => m.clone().into_iter().collect(),
        _ => HashMap::new(),
    };
    let top: HashMap<String, HashMap<String, Value>> = match doc.get("top") {
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| match v {
                Value::Object(c) => Some((k.clone(), c.clone().into_iter().collect())),
                _ => None,
            })
            .collect(),
        _ => HashMap::new(),
    };
    let Ok(listed) = intoto_tuf::plan::listed("pkg", &custom) else {
        return;
    };
    let plan = intoto_tuf::plan::plan("pkg", &listed, |name| {
        let entry = top.get(name)?;
        entry.get("in-toto")?;
        Some(intoto_tuf::plan::listed(name, entry))
    });
    if let Ok(plan) = plan {
        assert!(listed.contains(&plan.layout));
        for (target, relative) in &plan.documents {
            assert!(listed.contains(target));
            assert!(!relative.is_empty());
            for part in relative.split('/') {
                assert!(part != ".." && part != "." && !part.is_empty(), "{relative}");
            }
        }
    }
    let _ = intoto_tuf::names::file_name(&String::from_utf8_lossy(data));
});
