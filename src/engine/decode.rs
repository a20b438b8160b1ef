//! Secrets hidden one level down: base64 values in Kubernetes Secret `data:` fields and in
//! `.env` files are decoded and scanned; findings point at the encoded value and say they
//! were decoded.
//!
//! Only these two places are decoded, on purpose: decoding every base64-looking string in
//! every file costs time and finds mostly noise (images, hashes, minified bundles).

/// A base64 value found where encoded secrets live, with its position in the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// Byte offset of the encoded value in the buffer.
    pub start: usize,
    pub end: usize,
    pub decoded: Vec<u8>,
}

/// Shortest encoded value worth decoding (12 bytes of secret).
const MIN_ENCODED: usize = 16;

/// Base64 values in a Kubernetes Secret manifest's `data:` block, or in a dotenv file's
/// `KEY=value` lines. `is_dotenv` comes from the file name.
pub fn candidates(bytes: &[u8], is_dotenv: bool) -> Vec<Encoded> {
    let k8s = memchr::memmem::find(bytes, b"kind: Secret").is_some();
    if !k8s && !is_dotenv {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut offset = 0;
    // In a manifest: inside a `data:` block, i.e. after `data:` and while indented deeper.
    let mut data_indent: Option<usize> = None;
    for line in bytes.split(|&b| b == b'\n') {
        let line_start = offset;
        offset += line.len() + 1;
        let trimmed = line.trim_ascii_start();
        let indent = line.len() - trimmed.len();
        let value = if k8s {
            if trimmed.starts_with(b"data:") && trimmed[5..].trim_ascii().is_empty() {
                data_indent = Some(indent);
                continue;
            }
            match data_indent {
                Some(d) if indent > d && !trimmed.is_empty() => yaml_value(trimmed),
                Some(_) if trimmed.is_empty() || trimmed.starts_with(b"#") => continue,
                _ => {
                    data_indent = None;
                    None
                }
            }
        } else {
            dotenv_value(trimmed)
        };
        let Some(value) = value else { continue };
        let value = value.trim_ascii();
        let value = strip_quotes(value);
        if value.len() < MIN_ENCODED || !is_base64(value) {
            continue;
        }
        let Some(decoded) = decode(value) else {
            continue;
        };
        if !mostly_text(&decoded) {
            continue;
        }
        let start = line_start + (value.as_ptr() as usize - line.as_ptr() as usize);
        out.push(Encoded {
            start,
            end: start + value.len(),
            decoded,
        });
    }
    out
}

fn yaml_value(line: &[u8]) -> Option<&[u8]> {
    let colon = line.iter().position(|&b| b == b':')?;
    let key = &line[..colon];
    if key.is_empty()
        || !key
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(b))
    {
        return None;
    }
    Some(&line[colon + 1..])
}

fn dotenv_value(line: &[u8]) -> Option<&[u8]> {
    if line.starts_with(b"#") {
        return None;
    }
    let line = line.strip_prefix(b"export ").unwrap_or(line);
    let eq = line.iter().position(|&b| b == b'=')?;
    Some(&line[eq + 1..])
}

fn strip_quotes(v: &[u8]) -> &[u8] {
    match v {
        [q @ (b'"' | b'\''), inner @ .., last] if last == q => inner,
        _ => v,
    }
}

fn is_base64(v: &[u8]) -> bool {
    let body = v
        .strip_suffix(b"==")
        .or_else(|| v.strip_suffix(b"="))
        .unwrap_or(v);
    !body.is_empty()
        && body
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"+/-_".contains(b))
}

/// Decodes standard or URL-safe base64, padding optional. `None` if it is not base64.
pub fn decode(v: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(v.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for &b in v {
        let d = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(d);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Decoded secrets are text; decoded images and keys in DER are not worth a text scan.
fn mostly_text(d: &[u8]) -> bool {
    let printable = d
        .iter()
        .filter(|&&b| b.is_ascii_graphic() || b == b' ' || b == b'\n' || b == b'\r' || b == b'\t')
        .count();
    !d.is_empty() && printable * 10 >= d.len() * 9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_standard_and_url_safe() {
        assert_eq!(decode(b"aGVsbG8gd29ybGQ=").unwrap(), b"hello world");
        assert_eq!(decode(b"aGVsbG8gd29ybGQ").unwrap(), b"hello world");
        assert_eq!(decode(b"-_-_").unwrap(), vec![0xfb, 0xff, 0xbf]);
        assert!(decode(b"a b").is_none());
    }

    #[test]
    fn finds_values_in_secret_data_blocks_only() {
        let yaml = b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\n  labels:\n    app: aGVsbG8gd29ybGQgYWdhaW4=\ndata:\n  token: aGVsbG8gd29ybGQgYWdhaW4=\n  other: \"c2Vjb25kIHZhbHVlIGhlcmU=\"\ntype: Opaque\n"; // leakguard:allow (test data)
        let c = candidates(yaml, false);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].decoded, b"hello world again");
        assert_eq!(&yaml[c[0].start..c[0].end], b"aGVsbG8gd29ybGQgYWdhaW4=");
        assert_eq!(c[1].decoded, b"second value here");
    }

    #[test]
    fn dotenv_values_and_not_other_files() {
        let env = b"# c\nA=plain\nexport B='aGVsbG8gd29ybGQgYWdhaW4='\n";
        let c = candidates(env, true);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].decoded, b"hello world again");
        assert!(candidates(env, false).is_empty());
    }
}
