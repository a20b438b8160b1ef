//! The developer's own secrets: values from local, untracked `.env*` files, found again in
//! staged content. This catches the low-entropy passwords no regex or entropy check can.
//!
//! Values are never kept in clear: each is held as a keyed SipHash (random key per run)
//! plus a rolling hash for the search, and a match is reported by variable name and file.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::path::PathBuf;

use super::filters;

/// Values shorter than this are too common to block a commit on.
pub const MIN_LEN: usize = 8;

/// Template files whose values are placeholders by design.
const TEMPLATE_SUFFIXES: &[&str] = &[
    "example", "sample", "template", "tpl", "dist", "defaults", "default", "schema", "vault",
];

/// Name fragments that make a variable's value worth protecting whatever its entropy.
const SECRET_NAMES: &[&str] = &[
    "PASS",
    "PWD",
    "SECRET",
    "TOKEN",
    "KEY",
    "AUTH",
    "CREDENTIAL",
    "PRIVATE",
    "DSN",
    "DATABASE_URL",
    "CONN",
];

/// One protected value, hashed.
struct Known {
    keyed: u64,
    var: String,
    file: String,
}

/// Hashes of local secret values, grouped by length for the rolling search.
pub struct LocalSecrets {
    hasher: RandomState,
    by_len: HashMap<usize, HashMap<u64, Vec<Known>>>,
}

/// A staged occurrence of a local value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub start: usize,
    pub end: usize,
    pub var: String,
    pub file: String,
}

const BASE: u64 = 1_099_511_628_211;

impl LocalSecrets {
    /// Reads `.env*` files (not templates) in `dirs` whose repository-relative names
    /// `is_tracked` rejects. `dirs` are `(absolute dir, repo-relative prefix)`.
    pub fn load(
        dirs: impl IntoIterator<Item = (PathBuf, String)>,
        is_tracked: impl Fn(&str) -> bool,
    ) -> LocalSecrets {
        let mut me = LocalSecrets {
            hasher: RandomState::new(),
            by_len: HashMap::new(),
        };
        let mut seen = HashSet::new();
        for (dir, prefix) in dirs {
            let Ok(read) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut names: Vec<String> = read
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| is_local_env_name(n))
                .collect();
            names.sort();
            for name in names {
                let rel = format!("{prefix}{name}");
                if is_tracked(&rel) || !seen.insert(rel.clone()) {
                    continue;
                }
                // Opened without blocking and checked again: it may have become a FIFO.
                let path = dir.join(&name);
                if let Ok(text) = crate::fsguard::read_regular(&path, crate::fsguard::MAX_TEXT, "")
                {
                    me.add_file(&rel, &text);
                }
            }
        }
        me
    }

    /// Nothing to look for.
    pub fn is_empty(&self) -> bool {
        self.by_len.is_empty()
    }

    fn add_file(&mut self, file: &str, text: &[u8]) {
        for (var, value) in parse_env(text) {
            for v in protected_values(&var, &value) {
                let keyed = self.hasher.hash_one(v);
                let list = self
                    .by_len
                    .entry(v.len())
                    .or_default()
                    .entry(rolling(v))
                    .or_default();
                if !list.iter().any(|k| k.keyed == keyed) {
                    list.push(Known {
                        keyed,
                        var: var.clone(),
                        file: file.to_string(),
                    });
                }
            }
        }
    }

    /// Every occurrence of a protected value in `bytes`.
    pub fn find(&self, bytes: &[u8]) -> Vec<Hit> {
        let mut hits = Vec::new();
        for (&len, table) in &self.by_len {
            if bytes.len() < len {
                continue;
            }
            let top = BASE.wrapping_pow(len as u32 - 1);
            let mut h = rolling(&bytes[..len]);
            let mut start = 0;
            loop {
                if let Some(list) = table.get(&h) {
                    let window = &bytes[start..start + len];
                    let keyed = self.hasher.hash_one(window);
                    if let Some(k) = list.iter().find(|k| k.keyed == keyed) {
                        hits.push(Hit {
                            start,
                            end: start + len,
                            var: k.var.clone(),
                            file: k.file.clone(),
                        });
                    }
                }
                if start + len >= bytes.len() {
                    break;
                }
                h = h
                    .wrapping_sub(u64::from(bytes[start]).wrapping_mul(top))
                    .wrapping_mul(BASE)
                    .wrapping_add(u64::from(bytes[start + len]));
                start += 1;
            }
        }
        hits.sort_by_key(|h| (h.start, h.end));
        hits
    }
}

fn rolling(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |h, &b| {
        h.wrapping_mul(BASE).wrapping_add(u64::from(b))
    })
}

/// `.env`, `.env.local`, `.env.production`… but not `.env.example`-style templates.
pub fn is_local_env_name(name: &str) -> bool {
    if name == ".env" {
        return true;
    }
    let Some(rest) = name.strip_prefix(".env.") else {
        return false;
    };
    !rest
        .split('.')
        .any(|part| TEMPLATE_SUFFIXES.contains(&part.to_ascii_lowercase().as_str()))
}

/// `KEY=value` pairs of a dotenv file (`export`, quotes and comments handled).
fn parse_env(text: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line).trim_ascii();
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        let line = line.strip_prefix(b"export ").unwrap_or(line);
        let Some(eq) = line.iter().position(|&b| b == b'=') else {
            continue;
        };
        let name = String::from_utf8_lossy(line[..eq].trim_ascii()).into_owned();
        let mut value = line[eq + 1..].trim_ascii();
        if value.len() >= 2
            && (value[0] == b'"' || value[0] == b'\'')
            && value.last() == Some(&value[0])
        {
            value = &value[1..value.len() - 1];
        } else if let Some(hash) = value.windows(2).position(|w| w == b" #") {
            value = value[..hash].trim_ascii();
        }
        out.push((name, value.to_vec()));
    }
    out
}

/// The parts of a value worth protecting: the value itself when it looks secret (by name
/// or entropy), and the password inside a URL with credentials.
fn protected_values<'v>(var: &str, value: &'v [u8]) -> Vec<&'v [u8]> {
    let mut out = Vec::new();
    if let Some(pw) = url_password(value) {
        if pw.len() >= MIN_LEN && !filters::is_placeholder(pw) {
            out.push(pw);
        }
    }
    if value.len() < MIN_LEN || filters::is_placeholder(value) {
        return out;
    }
    let upper = var.to_ascii_uppercase();
    let secret_name = SECRET_NAMES.iter().any(|n| upper.contains(n));
    let random = crate::engine::entropy::shannon(value) >= 3.5;
    // Settings, not secrets. (No identifier heuristics here: `winter-garden-42` under a
    // password name is exactly the weak password this check exists for.)
    let plain = value.iter().all(|b| b.is_ascii_digit())
        || matches!(value.to_ascii_lowercase().as_slice(), b"true" | b"false")
        || filters::is_path(value)
        || filters::is_url_without_credentials(&value.to_ascii_lowercase());
    if (secret_name || random) && !plain {
        out.push(value);
    }
    out
}

/// `scheme://user:PASSWORD@host…` → `PASSWORD`.
fn url_password(value: &[u8]) -> Option<&[u8]> {
    let start = memchr::memmem::find(value, b"://")? + 3;
    let rest = &value[start..];
    let at = rest.iter().position(|&b| b == b'@')?;
    let userinfo = &rest[..at];
    if userinfo.contains(&b'/') {
        return None;
    }
    let colon = userinfo.iter().position(|&b| b == b':')?;
    Some(&userinfo[colon + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names() {
        assert!(is_local_env_name(".env"));
        assert!(is_local_env_name(".env.local"));
        assert!(is_local_env_name(".env.production"));
        assert!(!is_local_env_name(".env.example"));
        assert!(!is_local_env_name(".env.local.sample"));
        assert!(!is_local_env_name("env"));
        assert!(!is_local_env_name(".envrc"));
    }

    #[test]
    fn finds_weak_password_by_name_not_plain_settings() {
        let mut s = LocalSecrets {
            hasher: RandomState::new(),
            by_len: HashMap::new(),
        };
        s.add_file(
            ".env.local",
            b"# local\nexport DB_PASSWORD=\"summer2024\"\nADMIN_PASS=winter-garden-42\nNODE_ENV=development\nPORT=12345678\nDATABASE_URL=postgres://app:hunter2hunter@db/app\n", // leakguard:allow (test data)
        );
        let text =
            b"conn = connect(password='summer2024')\nmode = 'development'\npw: hunter2hunter\n";
        let hits = s.find(text);
        let vars: Vec<&str> = hits.iter().map(|h| h.var.as_str()).collect();
        assert_eq!(vars, vec!["DB_PASSWORD", "DATABASE_URL"]);
        assert_eq!(&text[hits[0].start..hits[0].end], b"summer2024");
        assert_eq!(hits[0].file, ".env.local");
    }

    #[test]
    fn short_and_placeholder_values_are_ignored() {
        let mut s = LocalSecrets {
            hasher: RandomState::new(),
            by_len: HashMap::new(),
        };
        s.add_file(
            ".env",
            b"API_KEY=short\nAPI_TOKEN=your_token_here\nSECRET=\n",
        );
        assert!(s.is_empty());
    }
}
