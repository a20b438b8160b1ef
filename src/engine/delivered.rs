//! Delivered artefacts: files that ship to browsers and devices (a web build's output, a
//! source map, an app package, an Electron archive, a browser extension). A key in one is
//! public as soon as it ships, so its finding carries `exposure: client` and a remediation
//! that says so. What counts is data, `delivered.yaml`, read once.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::finding::{Exposure, Finding};

/// `delivered.yaml`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Data {
    packages: Vec<Package>,
    outputs: Vec<Output>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Package {
    ext: String,
    what: String,
    #[allow(dead_code)] // for readers of the data; README links it
    docs: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Output {
    glob: String,
    what: String,
    #[allow(dead_code)]
    docs: String,
}

/// The compiled data.
struct Delivered {
    /// Lowercase extensions (no dot), with what they are.
    packages: Vec<(String, String)>,
    outputs: GlobSet,
    /// What each of `outputs` is, by index.
    what: Vec<String>,
}

fn compile(text: &str) -> Result<Delivered, String> {
    let data: Data = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
    let mut b = GlobSetBuilder::new();
    for o in &data.outputs {
        let glob = GlobBuilder::new(&o.glob)
            .case_insensitive(true)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("invalid glob `{}`: {}", o.glob, e.kind()))?;
        b.add(glob);
    }
    Ok(Delivered {
        packages: data
            .packages
            .into_iter()
            .map(|p| (p.ext.to_ascii_lowercase(), p.what))
            .collect(),
        outputs: b.build().map_err(|e| e.to_string())?,
        what: data.outputs.into_iter().map(|o| o.what).collect(),
    })
}

fn delivered() -> &'static Delivered {
    static DATA: OnceLock<Delivered> = OnceLock::new();
    // The data is part of the binary; a unit test compiles it, so this cannot fail in a
    // build that passed its tests.
    DATA.get_or_init(|| compile(include_str!("delivered.yaml")).expect("delivered.yaml"))
}

/// What delivered artefact `path` (an origin's `/`-separated path; `!/` enters an archive)
/// is in, if any: a package it sits inside (`app.apk!/assets/config.json`), or a build
/// output one of its levels matches (`dist/assets/index.js`, `site.zip!/dist/app.js`).
pub(crate) fn artefact(path: &str) -> Option<&'static str> {
    let d = delivered();
    let mut levels = path.split("!/").peekable();
    while let Some(level) = levels.next() {
        let inside = levels.peek().is_some();
        if inside {
            if let Some(what) = package(d, level) {
                return Some(what);
            }
        }
        if let Some(&i) = d.outputs.matches(level).first() {
            return Some(&d.what[i]);
        }
    }
    None
}

/// The package `name` (an archive's path) is, by its extension.
fn package<'d>(d: &'d Delivered, name: &str) -> Option<&'d str> {
    let (_, ext) = name.rsplit_once('.')?;
    d.packages
        .iter()
        .find(|(e, _)| e.eq_ignore_ascii_case(ext))
        .map(|(_, what)| what.as_str())
}

/// Marks `f` as shipped in `what`: its exposure, and a remediation that starts from it.
/// A finding that already carries an exposure (a browser-exposed name) keeps it.
pub(crate) fn mark(f: &mut Finding, what: &str) {
    if f.exposure.is_some() {
        return;
    }
    f.exposure = Some(Exposure::Client);
    f.remediation = format!(
        "This file ships to browsers or devices ({what}): the key in it is public now, readable by anyone who loads or installs it. Revoke it at its issuer, and move the call that needs it behind a server. {}",
        f.remediation
    );
}

/// Whether `dir` is an unpacked browser extension: it holds a `manifest.json` with a
/// `manifest_version` (Chrome, Firefox, Edge and Safari web extensions all have one).
fn is_extension(dir: &Path) -> bool {
    let Ok(text) = std::fs::read(dir.join("manifest.json")) else {
        return false;
    };
    serde_json::from_slice::<serde_json::Value>(&text)
        .ok()
        .is_some_and(|v| v.get("manifest_version").is_some())
}

/// Marks the findings in an unpacked browser extension on disk (a worktree's or a staged
/// scan's): every file of an extension's folder ships with it. A finding's path is relative
/// to one of `scanned` (the folders scanned), or as given for a file scanned by itself
/// (`-`, standard input, is on no disk). Only folders holding findings are looked at, each
/// once.
pub fn mark_extensions(scanned: &[PathBuf], findings: &mut [Finding]) {
    let roots: Vec<&Path> = (scanned.iter())
        .filter(|p| p.as_os_str() != "-")
        .map(|p| match p.is_dir() {
            true => p.as_path(),
            false => Path::new(""),
        })
        .collect();
    let mut seen: std::collections::HashMap<PathBuf, bool> = Default::default();
    for f in findings.iter_mut().filter(|f| f.exposure.is_none()) {
        let file = f.physical.map_or(f.path.as_str(), |n| &f.path[..n]);
        let shipped = Path::new(file).ancestors().skip(1).any(|d| {
            *seen
                .entry(d.to_path_buf())
                .or_insert_with(|| roots.iter().any(|r| is_extension(&r.join(d))))
        });
        if shipped {
            mark(f, "browser extension");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_compiles() {
        let d = compile(include_str!("delivered.yaml")).unwrap();
        assert_eq!(d.what.len(), d.outputs.len());
        assert!(d.packages.iter().any(|(e, _)| e == "apk"));
        assert!(compile("packages: []\noutputs: [{glob: 'a/{', what: x, docs: y}]").is_err());
    }

    #[test]
    fn delivered_artefacts_are_known_by_their_paths() {
        let cases = [
            ("dist/assets/index-3f9a1c.js", Some("web build output")),
            ("web/build/static/js/main.js", Some("web build output")),
            ("out/index.html", Some("web build output")),
            (
                "app/.next/static/chunks/pages/index.js",
                Some("Next.js client assets"),
            ),
            ("public/config.json", Some("folder served as it is")),
            ("public/.env", Some("folder served as it is")),
            (
                "mobile/www/js/app.js",
                Some("web root of a Cordova or Ionic app"),
            ),
            ("assets/vendor.bundle.js", Some("JavaScript bundle")),
            ("lib/app.min.js", Some("JavaScript bundle")),
            ("src/app.js.map", Some("source map")),
            (
                "release/app.APK!/assets/config.json",
                Some("Android app package"),
            ),
            (
                "app.ipa!/Payload/App.app/Info.plist",
                Some("iOS app archive"),
            ),
            ("resources/app.asar!/main.js", Some("Electron app archive")),
            ("ext.crx!/background.js", Some("Chrome extension package")),
            ("site.zip!/dist/app.js", Some("web build output")),
            (
                "android/app/src/main/assets/index.android.bundle",
                Some("React Native bundle"),
            ),
            ("ios/main.jsbundle", Some("React Native bundle")),
            (
                "resources/app.asar.unpacked/node_modules/x/config.json",
                Some("Electron app files"),
            ),
            // not shipped to browsers
            ("dist/pkg-1.0-py3-none-any.whl!/pkg/config.py", None),
            ("build/classes/App.class", None),
            ("dist/pkg.tar.gz", None),
            ("src/app.js", None),
            ("distribution/app.js", None),
            ("app.apk", None),
            ("lib.jar!/config.properties", None),
            (".env", None),
        ];
        for (path, want) in cases {
            assert_eq!(artefact(path), want, "{path}");
        }
    }
}
