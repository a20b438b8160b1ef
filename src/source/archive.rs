//! Archives read as the files they hold: zip and its relatives (jar, war, apk, whl, nupkg,
//! egg), tar, and gzip, bzip2 and xz streams (a compressed tar is read as one archive).
//!
//! Recognised by their first bytes, not their names: a renamed `.jar` or a `.bin` that is a
//! zip is still opened. Entries are streamed into memory one at a time and never written to
//! disk. A [`Budget`] shared by an archive and everything nested in it bounds the work an
//! archive can ask for (entries, bytes, compression ratio), so a zip or tar bomb costs a
//! warning and not the scan.

use std::cell::Cell;
use std::io::{self, Cursor, Read};
use std::rc::Rc;

/// What a buffer's first bytes say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Zip,
    Tar,
    Gzip,
    Bzip2,
    Xz,
}

/// The archive format `bytes` starts with, if any.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    const XZ: &[u8] = &[0xFD, b'7', b'z', b'X', b'Z', 0];
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Some(Format::Zip)
    } else if bytes.starts_with(&[0x1F, 0x8B, 0x08]) {
        Some(Format::Gzip)
    } else if bytes.starts_with(XZ) {
        Some(Format::Xz)
    } else if is_bzip2(bytes) {
        Some(Format::Bzip2)
    } else if bytes.len() >= 512 && &bytes[257..262] == b"ustar" {
        Some(Format::Tar)
    } else {
        None
    }
}

/// `BZh1`..`BZh9` followed by a block's or the end of stream's magic number (the digits of
/// pi or of its square root), so that text starting with "BZh" is not taken for bzip2.
fn is_bzip2(b: &[u8]) -> bool {
    const BLOCK: &[u8] = &[0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
    const END: &[u8] = &[0x17, 0x72, 0x45, 0x38, 0x50, 0x90];
    b.len() >= 10
        && b.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&b[3])
        && (&b[4..10] == BLOCK || &b[4..10] == END)
}

/// Bounds on what one archive, with everything nested in it, may make us read.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Uncompressed bytes still allowed.
    pub bytes: u64,
    /// Entries still allowed.
    pub entries: u64,
}

impl Budget {
    /// 1 GiB and 100,000 entries: more than a large jar, wheel or npm tarball holds, and at
    /// most a few seconds of work.
    pub const DEFAULT: Budget = Budget {
        bytes: 1 << 30,
        entries: 100_000,
    };
}

/// A stream may expand to this many times its compressed size…
pub const MAX_RATIO: u64 = 100;
/// …once it has produced this much (small, very regular files compress better than 100:1).
const RATIO_FLOOR: u64 = 1 << 20;

/// Why an archive was not read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// More entries than the budget allows.
    Entries,
    /// More uncompressed bytes than the budget allows.
    Bytes,
    /// An entry (named) expanded more than [`MAX_RATIO`] times: a decompression bomb.
    Ratio(String),
    /// The archive is damaged after some entries were read.
    Damaged(String),
}

impl Stop {
    /// The reason, for a warning.
    pub fn reason(&self) -> String {
        match self {
            Stop::Entries => format!("more than {} entries (a bomb?)", Budget::DEFAULT.entries),
            Stop::Bytes => format!(
                "more than {} MiB uncompressed (a bomb?)",
                Budget::DEFAULT.bytes >> 20
            ),
            Stop::Ratio(name) => {
                format!("{name} expands more than {MAX_RATIO} times its size (a bomb?)")
            }
            Stop::Damaged(err) => format!("damaged: {err}"),
        }
    }
}

/// One file inside an archive.
pub struct Entry<'a> {
    /// Its path inside the archive, as stored (`/`-separated).
    pub name: &'a [u8],
    pub data: Data<'a>,
}

/// An entry's content, or why there is none.
pub enum Data<'a> {
    Bytes(&'a [u8]),
    /// Over the size limit for one file.
    TooLarge,
    /// Cannot be read (encrypted, an unsupported compression method, damaged).
    Skipped(String),
}

/// Reads the archive in `raw` and hands each regular file in it to `visit`, together with
/// the budget (which nested archives share). `max_entry` caps one entry's size.
///
/// `Err` when `raw` is not an archive after all, before any entry was handed over: the
/// caller scans the bytes as they are. `Ok(Some(stop))` when a limit or damage stopped the
/// reading part way.
pub fn expand(
    raw: &[u8],
    format: Format,
    name: &str,
    max_entry: u64,
    budget: &mut Budget,
    visit: &mut dyn FnMut(Entry<'_>, &mut Budget),
) -> Result<Option<Stop>, String> {
    let consumed = Rc::new(Cell::new(0u64));
    let counted = Counted {
        inner: raw,
        consumed: consumed.clone(),
    };
    let stream: Box<dyn Read + '_> = match format {
        Format::Zip => return zip(raw, max_entry, budget, visit),
        Format::Tar => {
            let r = Reader::new(raw, None);
            return tar(r, max_entry, budget, visit, &mut false);
        }
        Format::Gzip => Box::new(flate2::read::MultiGzDecoder::new(counted)),
        Format::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(counted)),
        // 64 MiB of dictionary: what `xz -9` uses; a header asking for more is refused.
        Format::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(counted, true, 64 << 10)),
    };
    let mut r = Reader::new(stream, Some(consumed));
    let mut head = Vec::with_capacity(512);
    if let Err(e) = (&mut r).take(512).read_to_end(&mut head) {
        return match r.stop.take() {
            Some(stop) => Ok(Some(stop)),
            None => Err(e.to_string()),
        };
    }
    if sniff(&head) == Some(Format::Tar) {
        let mut handed = false;
        let r = Reader {
            inner: Cursor::new(head).chain(r.inner),
            produced: r.produced,
            consumed: r.consumed,
            stop: None,
        };
        return match tar(r, max_entry, budget, visit, &mut handed) {
            Err(e) if handed => Ok(Some(Stop::Damaged(e))),
            other => other,
        };
    }
    // One compressed file: it is its own single entry, named after the stream.
    if budget.entries == 0 {
        return Ok(Some(Stop::Entries));
    }
    budget.entries -= 1;
    let inner = stripped(name);
    let mut data = head;
    let limit = max_entry.min(budget.bytes);
    let read = (&mut r)
        .take((limit + 1).saturating_sub(data.len() as u64))
        .read_to_end(&mut data);
    if let Some(stop) = r.stop.take() {
        return Ok(Some(stop));
    }
    if let Err(e) = read {
        return Err(e.to_string());
    }
    if data.len() as u64 > limit {
        if limit < max_entry {
            return Ok(Some(Stop::Bytes));
        }
        visit(entry(inner.as_bytes(), Data::TooLarge), budget);
        return Ok(None);
    }
    budget.bytes -= data.len() as u64;
    visit(entry(inner.as_bytes(), Data::Bytes(&data)), budget);
    Ok(None)
}

fn entry<'a>(name: &'a [u8], data: Data<'a>) -> Entry<'a> {
    Entry { name, data }
}

/// The name of what a compressed file holds: `app.log.gz` holds `app.log`.
fn stripped(name: &str) -> String {
    let base = name.rsplit('/').next().unwrap_or(name);
    for ext in [".gz", ".bz2", ".xz", ".gzip", ".z"] {
        if base.len() > ext.len() && base.to_ascii_lowercase().ends_with(ext) {
            // The last `ext.len()` bytes matched ASCII `ext` (ASCII lowercasing keeps every
            // byte where it is, and only ASCII bytes equal ASCII): a char boundary.
            return base[..base.len() - ext.len()].to_string();
        }
    }
    base.to_string()
}

fn zip(
    raw: &[u8],
    max_entry: u64,
    budget: &mut Budget,
    visit: &mut dyn FnMut(Entry<'_>, &mut Budget),
) -> Result<Option<Stop>, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(raw)).map_err(|e| e.to_string())?;
    let mut data = Vec::new();
    for i in 0..archive.len() {
        if budget.entries == 0 {
            return Ok(Some(Stop::Entries));
        }
        let name = match archive.name_for_index(i) {
            Some(Ok(n)) => n.into_owned(),
            _ => format!("entry {i}"),
        };
        let mut file = match archive.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                budget.entries -= 1;
                visit(entry(name.as_bytes(), Data::Skipped(e.to_string())), budget);
                continue;
            }
        };
        if !file.is_file() {
            continue;
        }
        budget.entries -= 1;
        let name = file.name_raw().to_vec();
        if file.size() > max_entry {
            visit(entry(&name, Data::TooLarge), budget);
            continue;
        }
        let limit = max_entry.min(budget.bytes);
        let bomb = (file.compressed_size().max(1))
            .saturating_mul(MAX_RATIO)
            .max(RATIO_FLOOR);
        data.clear();
        let read = (&mut file).take(limit.min(bomb) + 1).read_to_end(&mut data);
        let n = data.len() as u64;
        if n > bomb {
            return Ok(Some(Stop::Ratio(
                String::from_utf8_lossy(&name).into_owned(),
            )));
        }
        if n > limit {
            if limit < max_entry {
                return Ok(Some(Stop::Bytes));
            }
            visit(entry(&name, Data::TooLarge), budget);
            continue;
        }
        if let Err(e) = read {
            visit(entry(&name, Data::Skipped(e.to_string())), budget);
            continue;
        }
        budget.bytes -= n;
        visit(entry(&name, Data::Bytes(&data)), budget);
    }
    Ok(None)
}

/// Reads a tar stream's regular files. `handed` is set once an entry was handed over.
fn tar<R: Read>(
    r: Reader<R>,
    max_entry: u64,
    budget: &mut Budget,
    visit: &mut dyn FnMut(Entry<'_>, &mut Budget),
    handed: &mut bool,
) -> Result<Option<Stop>, String> {
    let stop = Rc::new(std::cell::RefCell::new(None));
    let shared = Shared {
        reader: r,
        stop: stop.clone(),
    };
    let mut archive = tar::Archive::new(shared);
    let entries = archive.entries().map_err(|e| e.to_string())?;
    let mut data = Vec::new();
    for e in entries {
        let mut e = match e {
            Ok(e) => e,
            Err(err) => {
                if let Some(s) = stop.borrow_mut().take() {
                    return Ok(Some(s));
                }
                return match *handed {
                    true => Ok(Some(Stop::Damaged(err.to_string()))),
                    false => Err(err.to_string()),
                };
            }
        };
        if budget.entries == 0 {
            return Ok(Some(Stop::Entries));
        }
        budget.entries -= 1;
        let kind = e.header().entry_type();
        if !(kind.is_file() || kind == tar::EntryType::Continuous) {
            continue;
        }
        let name = e.path_bytes().into_owned();
        *handed = true;
        if e.size() > max_entry {
            visit(entry(&name, Data::TooLarge), budget);
            continue;
        }
        let limit = max_entry.min(budget.bytes);
        data.clear();
        let read = (&mut e).take(limit + 1).read_to_end(&mut data);
        if let Some(s) = stop.borrow_mut().take() {
            return Ok(Some(s));
        }
        if data.len() as u64 > limit {
            return Ok(Some(Stop::Bytes));
        }
        if let Err(err) = read {
            return Ok(Some(Stop::Damaged(err.to_string())));
        }
        budget.bytes -= data.len() as u64;
        visit(entry(&name, Data::Bytes(&data)), budget);
    }
    Ok(None)
}

/// The compressed input, counting what the decompressor has consumed.
struct Counted<'a> {
    inner: &'a [u8],
    consumed: Rc<Cell<u64>>,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.set(self.consumed.get() + n as u64);
        Ok(n)
    }
}

/// Decompressed output that fails once it outgrows [`MAX_RATIO`] times the input consumed.
struct Reader<R> {
    inner: R,
    produced: u64,
    /// The compressed input's counter (none for an uncompressed tar).
    consumed: Option<Rc<Cell<u64>>>,
    stop: Option<Stop>,
}

impl<R: Read> Reader<R> {
    fn new(inner: R, consumed: Option<Rc<Cell<u64>>>) -> Reader<R> {
        Reader {
            inner,
            produced: 0,
            consumed,
            stop: None,
        }
    }
}

impl<R: Read> Read for Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        if let Some(c) = &self.consumed {
            let allowed = c.get().max(1).saturating_mul(MAX_RATIO).max(RATIO_FLOOR);
            if self.produced > allowed {
                self.stop = Some(Stop::Ratio("the stream".to_string()));
                return Err(io::Error::other("decompression bomb"));
            }
        }
        Ok(n)
    }
}

/// A [`Reader`] whose stop reason outlives the tar reader that owns it.
struct Shared<R> {
    reader: Reader<R>,
    stop: Rc<std::cell::RefCell<Option<Stop>>>,
}

impl<R: Read> Read for Shared<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let r = self.reader.read(buf);
        if let Some(s) = self.reader.stop.take() {
            *self.stop.borrow_mut() = Some(s);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_known_by_their_first_bytes() {
        assert_eq!(sniff(b"PK\x03\x04rest"), Some(Format::Zip));
        assert_eq!(sniff(&[0x1F, 0x8B, 0x08, 0]), Some(Format::Gzip));
        assert_eq!(sniff(b"\xFD7zXZ\0.."), Some(Format::Xz));
        assert_eq!(sniff(b"BZh91AY&SYxxxx"), Some(Format::Bzip2));
        assert_eq!(sniff(b"BZh9 is a word"), None);
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(sniff(&tar), Some(Format::Tar));
        assert_eq!(sniff(b"PK is not enough"), None);
    }

    #[test]
    fn compressed_files_are_named_after_their_content() {
        assert_eq!(stripped("logs/app.log.gz"), "app.log");
        assert_eq!(stripped("dump.XZ"), "dump");
        assert_eq!(stripped("data"), "data");
    }
}
