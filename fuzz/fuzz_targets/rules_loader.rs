//! Arbitrary text loaded as a user config on top of the built-in rules: loading may fail
//! with an error, never panic; a config that loads must build an engine that can scan.
#![no_main]

use leakguard::chunk::{Chunk, Origin, OriginKind};
use leakguard::engine::{Engine, Options};
use leakguard::rules::{builtin, RuleSet, Source};
use libfuzzer_sys::fuzz_target;

/// A few lines any rule set may be run on: a keyword-rich config file and a dotenv line.
const SAMPLE: &[u8] = b"api_key = \"a1B2c3D4e5F6g7H8i9J0\"\npassword: hunter2hunter2\n\
token=dG9rZW5fYWJjZGVmZ2hpamtsbW5vcA==\n-----BEGIN PRIVATE KEY-----\nsecret";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let config = Source {
        name: "fuzz.yaml".into(),
        text: &text,
    };
    let Ok(set) = RuleSet::load(&builtin::sources(), Some(&config)) else {
        return;
    };
    let engine = Engine::new(set, Options::default());
    let mut out = Vec::new();
    let mut scanner = engine.scanner();
    let blob = OriginKind::Blob {
        commit: "0123456789ab".into(),
    };
    for (path, kind) in [
        (".env", OriginKind::File),
        ("src/app.py", OriginKind::File),
        ("h.py", blob),
    ] {
        let origins = [Origin::new(path.into(), path.into(), kind)];
        let chunk = Chunk {
            bytes: SAMPLE,
            binary: false,
            origins: &origins,
        };
        scanner.scan(&chunk, &mut out);
    }
    for (_, f) in &out {
        assert!(f.line >= 1 && f.column >= 1);
    }
});
