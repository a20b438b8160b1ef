//! Archives read as the files they hold: zip and its relatives (jar, war, apk, whl, nupkg,
//! egg, xpi), Chrome extensions (`.crx`: a zip behind a signed header), Electron `asar`
//! archives, tar, and gzip, bzip2, xz and zstd streams (a compressed tar is read as one
//! archive).
//!
//! Recognised by their first bytes, not their names: a renamed `.jar` or a `.bin` that is a
//! zip is still opened (asar has no magic number: its header's shape is what is known).
//! Entries are never written to disk: a stored one (every asar entry) is handed over as a
//! slice of its archive, a big compressed zip entry as a reader ([`Data::Stream`]), any
//! other compressed one is read into memory. A [`Budget`] shared by an
//! archive and everything nested in it bounds the work an archive can ask for (entries,
//! bytes, compression ratio) and the memory its buffers hold at once, so a zip or tar bomb
//! costs a warning (and makes the scan incomplete), not the scan.

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
    Zstd,
    /// An Electron app's `app.asar`.
    Asar,
    /// A Chrome extension package.
    Crx,
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
    } else if bytes.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
        Some(Format::Zstd)
    } else if is_bzip2(bytes) {
        Some(Format::Bzip2)
    } else if bytes.len() >= 512 && &bytes[257..262] == b"ustar" {
        Some(Format::Tar)
    } else if bytes.starts_with(b"Cr24") && bytes.get(5..8) == Some(&[0, 0, 0]) {
        // Any version (an unknown one is then reported as unreadable); the version's zero
        // high bytes keep text that starts with "Cr24" out.
        Some(Format::Crx)
    } else if is_asar(bytes) {
        Some(Format::Asar)
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

/// An asar's size pickle (4: the length of what follows, the header's size) and, after the
/// header pickle's two lengths, the header JSON's start as `@electron/asar` writes it.
fn is_asar(b: &[u8]) -> bool {
    b.starts_with(&[4, 0, 0, 0]) && b.get(16..).is_some_and(|j| j.starts_with(b"{\"files\":"))
}

/// Bounds on what one archive, with everything nested in it, may make us read and hold.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Uncompressed bytes still allowed.
    pub bytes: u64,
    /// Entries still allowed.
    pub entries: u64,
    /// Bytes the buffers of entries being read may still hold at once: an entry is copied
    /// out only when it is compressed (a stored one is a slice of its archive), and its
    /// buffer is charged here while what is nested in it is read.
    pub memory: u64,
}

/// The least [`Budget::memory`]: a 256 MiB entry can always be held.
pub const MEMORY: u64 = 256 << 20;

impl Budget {
    /// 1 GiB and 100,000 entries: more than a large jar, wheel or npm tarball holds, and at
    /// most a few seconds of work; [`MEMORY`] of buffers.
    pub const DEFAULT: Budget = Budget {
        bytes: 1 << 30,
        entries: 100_000,
        memory: MEMORY,
    };

    /// The budget of one file's archive tree when one entry may be `max_entry` bytes: room
    /// in memory for at least one such entry.
    pub fn for_file(max_entry: u64) -> Budget {
        Budget {
            memory: max_entry.max(MEMORY),
            ..Budget::DEFAULT
        }
    }
}

/// A stream may expand to this many times its compressed size…
pub const MAX_RATIO: u64 = 100;
/// …once it has produced this much (small, very regular files compress better than 100:1).
pub const RATIO_FLOOR: u64 = 1 << 20;

/// Why an archive was not read to its end. Every stop leaves content unread, so the scan
/// is incomplete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// More entries than the budget allows.
    Entries,
    /// More uncompressed bytes than the budget allows, reached in this entry.
    Bytes(Vec<u8>),
    /// This entry expanded more than [`MAX_RATIO`] times: a decompression bomb.
    Ratio(Vec<u8>),
    /// The archive is damaged after some entries were read.
    Damaged(String),
}

impl Stop {
    /// The entry it stopped in, when known.
    pub fn entry(&self) -> Option<&[u8]> {
        match self {
            Stop::Bytes(n) | Stop::Ratio(n) if !n.is_empty() => Some(n),
            _ => None,
        }
    }

    /// The reason, for a warning (the entry is named apart: see [`Stop::entry`]).
    pub fn reason(&self) -> String {
        match self {
            Stop::Entries => format!("more than {} entries (a bomb?)", Budget::DEFAULT.entries),
            Stop::Bytes(_) => format!(
                "more than {} MiB uncompressed in all (a bomb?)",
                Budget::DEFAULT.bytes >> 20
            ),
            Stop::Ratio(_) => {
                format!("expands more than {MAX_RATIO} times its compressed size (a bomb?)")
            }
            Stop::Damaged(err) => format!("damaged: {err}"),
        }
    }

    /// The same stop, in entry `name` when it names none yet (a stream's limit is met
    /// while a tar entry in it is read).
    fn within(self, name: &[u8]) -> Stop {
        match self {
            Stop::Bytes(n) if n.is_empty() => Stop::Bytes(name.to_vec()),
            Stop::Ratio(n) if n.is_empty() => Stop::Ratio(name.to_vec()),
            other => other,
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
    /// Cannot be read (encrypted, an unsupported compression method, damaged, more than
    /// the memory budget left): the scan is incomplete.
    Skipped(String),
    /// A compressed zip entry declared bigger than a scan window, and not an archive: to be
    /// read to its end (and scanned in windows) by the visitor, with no buffer held here.
    /// A read error is the visitor's to report; a limit met is reported as a [`Stop`].
    Stream(&'a mut dyn Read),
}

/// Reads the archive in `raw` and hands each regular file in it to `visit`, together with
/// the budget (which nested archives share). `max_entry` caps one entry's size.
///
/// `Err` when `raw` cannot be opened as `format` (damaged, or not an archive after all),
/// before any entry was handed over: the caller scans the bytes as they are. `Ok(Some(stop))`
/// when a limit or damage stopped the reading part way.
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
        Format::Crx => return zip(crx_zip(raw)?, max_entry, budget, visit),
        Format::Asar => return asar(raw, max_entry, budget, visit),
        Format::Tar => {
            let r = Reader::new(raw, None);
            return tar(r, Some(raw), max_entry, budget, visit, &mut false);
        }
        Format::Gzip => Box::new(flate2::read::MultiGzDecoder::new(counted)),
        Format::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(counted)),
        // 64 MiB of dictionary: what `xz -9` uses; a header asking for more is refused.
        Format::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(counted, true, 64 << 10)),
        // The same bound: a frame whose window needs more than 64 MiB is refused.
        Format::Zstd => {
            let mut d = zstd::stream::read::Decoder::new(counted).map_err(|e| e.to_string())?;
            d.window_log_max(26).map_err(|e| e.to_string())?;
            Box::new(d)
        }
    };
    let mut r = Reader::new(stream, Some(consumed));
    let mut head = Vec::with_capacity(512);
    if let Err(e) = (&mut r).take(512).read_to_end(&mut head) {
        return match r.stop.take() {
            Some(stop) => Ok(Some(stop.within(stripped(name).as_bytes()))),
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
        return match tar(r, None, max_entry, budget, visit, &mut handed) {
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
    let room = budget.memory;
    let read = (&mut r)
        .take((limit.min(room) + 1).saturating_sub(data.len() as u64))
        .read_to_end(&mut data);
    if let Some(stop) = r.stop.take() {
        return Ok(Some(stop.within(inner.as_bytes())));
    }
    let n = data.len() as u64;
    if n > limit {
        if limit < max_entry {
            return Ok(Some(Stop::Bytes(inner.into_bytes())));
        }
        visit(entry(inner.as_bytes(), Data::TooLarge), budget);
        return Ok(None);
    }
    if n > room {
        visit(
            entry(inner.as_bytes(), Data::Skipped(no_room(room))),
            budget,
        );
        return Ok(None);
    }
    if let Err(e) = read {
        // Damaged after its first 512 bytes: what was read is not scanned, the stream is
        // reported unreadable.
        visit(
            entry(inner.as_bytes(), Data::Skipped(e.to_string())),
            budget,
        );
        return Ok(None);
    }
    budget.bytes -= n;
    hold(budget, &data, |budget| {
        visit(entry(inner.as_bytes(), Data::Bytes(&data)), budget)
    });
    Ok(None)
}

fn entry<'a>(name: &'a [u8], data: Data<'a>) -> Entry<'a> {
    Entry { name, data }
}

/// Why an entry that does not fit in the memory left was skipped.
fn no_room(room: u64) -> String {
    format!(
        "needs more than the {} MiB of memory left by the archives around it",
        room >> 20
    )
}

/// Runs `f` with `data`'s buffer charged to the budget's memory, and gives it back after:
/// what `f` reads (entries nested in `data`) must fit beside it.
fn hold(budget: &mut Budget, data: &Vec<u8>, f: impl FnOnce(&mut Budget)) {
    let held = (data.capacity() as u64).min(budget.memory);
    budget.memory -= held;
    f(budget);
    budget.memory += held;
}

/// The name of what a compressed file holds: `app.log.gz` holds `app.log`.
fn stripped(name: &str) -> String {
    let base = name.rsplit('/').next().unwrap_or(name);
    for ext in [".gz", ".bz2", ".xz", ".zst", ".zstd", ".gzip", ".z"] {
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
        // A stored entry is already in memory, in `raw`: handed over without a copy, so
        // stored archives nested in stored archives cost nothing more.
        if let Some(bytes) = stored(raw, &file) {
            let n = bytes.len() as u64;
            if n > max_entry {
                visit(entry(&name, Data::TooLarge), budget);
            } else if n > budget.bytes {
                return Ok(Some(Stop::Bytes(name)));
            } else {
                budget.bytes -= n;
                visit(entry(&name, Data::Bytes(bytes)), budget);
            }
            continue;
        }
        let limit = max_entry.min(budget.bytes);
        let room = budget.memory;
        let bomb = (file.compressed_size().max(1))
            .saturating_mul(MAX_RATIO)
            .max(RATIO_FLOOR);
        let size = file.size();
        let mut file = Tally {
            inner: (&mut file).take(limit.min(bomb) + 1),
            read: 0,
        };
        let mut data = Vec::new();
        let mut failed = None;
        // An entry declared bigger than a window is streamed to `visit` unless its first
        // bytes say archive: it needs no buffer (what it holds is read in windows).
        if size > crate::chunk::window_size() as u64 {
            if let Err(e) = (&mut file).take(512).read_to_end(&mut data) {
                failed = Some(e);
            } else if sniff(&data).is_none() {
                let mut reader = Cursor::new(std::mem::take(&mut data)).chain(&mut file);
                visit(entry(&name, Data::Stream(&mut reader)), budget);
                let n = file.read;
                if n > bomb {
                    return Ok(Some(Stop::Ratio(name)));
                }
                if n > limit {
                    return Ok(Some(match limit < max_entry {
                        true => Stop::Bytes(name),
                        false => Stop::Damaged("an entry is larger than its header says".into()),
                    }));
                }
                budget.bytes -= n;
                continue;
            }
        }
        let cap = limit.min(bomb).min(room);
        // Room for the declared size (bounded: it may lie), so that the buffer does not
        // double past it.
        let _ = data.try_reserve_exact(size.min(cap) as usize + 1);
        let read = match failed {
            Some(e) => Err(e),
            None => (&mut file)
                .take((cap + 1).saturating_sub(data.len() as u64))
                .read_to_end(&mut data),
        };
        let n = data.len() as u64;
        if n > bomb {
            return Ok(Some(Stop::Ratio(name)));
        }
        if n > limit {
            if limit < max_entry {
                return Ok(Some(Stop::Bytes(name)));
            }
            visit(entry(&name, Data::TooLarge), budget);
            continue;
        }
        if n > room {
            visit(entry(&name, Data::Skipped(no_room(room))), budget);
            continue;
        }
        if let Err(e) = read {
            visit(entry(&name, Data::Skipped(e.to_string())), budget);
            continue;
        }
        budget.bytes -= n;
        hold(budget, &data, |budget| {
            visit(entry(&name, Data::Bytes(&data)), budget)
        });
    }
    Ok(None)
}

/// The zip a Chrome extension carries after its header: CRX3's is a length and that many
/// bytes (a protobuf of keys and signatures), CRX2's two lengths, a public key and a
/// signature.
fn crx_zip(raw: &[u8]) -> Result<&[u8], String> {
    let cut = || "cut short in its header".to_string();
    let start = match u32_at(raw, 4).ok_or_else(cut)? {
        2 => {
            16 + u64::from(u32_at(raw, 8).ok_or_else(cut)?)
                + u64::from(u32_at(raw, 12).ok_or_else(cut)?)
        }
        3 => 12 + u64::from(u32_at(raw, 8).ok_or_else(cut)?),
        v => return Err(format!("Chrome extension format version {v}, not 2 or 3")),
    };
    usize::try_from(start)
        .ok()
        .and_then(|s| raw.get(s..))
        .ok_or_else(|| {
            format!(
                "its header ({start} bytes) runs past its end ({} bytes)",
                raw.len()
            )
        })
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

/// The most header JSON an asar may have: a big app's is a few MiB.
const ASAR_HEADER: usize = 16 << 20;
/// What a parsed header holds per byte of its JSON, at most (measured: 8.5 for a header of
/// only empty files, the densest there is), charged to [`Budget::memory`] while it is read.
const ASAR_HEADER_COST: u64 = 10;

/// A node of an asar's header: a directory (`files`), a link, or a file `size` bytes long
/// at `offset` (a decimal string) from the end of the header. An `unpacked` one is kept
/// beside the archive (`app.asar.unpacked/`), where the scan finds it as a file.
#[derive(serde::Deserialize)]
struct AsarNode {
    files: Option<std::collections::BTreeMap<String, AsarNode>>,
    link: Option<serde::de::IgnoredAny>,
    size: Option<u64>,
    offset: Option<String>,
    #[serde(default)]
    unpacked: bool,
}

/// Reads an asar: two pickles (the header's size, then the header JSON's length and the
/// JSON), then the files' bytes, uncompressed, each handed over as a slice. The JSON's
/// nesting is bounded by serde_json's recursion limit (128 levels: directories 62 deep).
/// Entries that overlap are each read where they say: the [`Budget`] bounds the total.
fn asar(
    raw: &[u8],
    max_entry: u64,
    budget: &mut Budget,
    visit: &mut dyn FnMut(Entry<'_>, &mut Budget),
) -> Result<Option<Stop>, String> {
    let cut = || "cut short in its header".to_string();
    let header_size = u32_at(raw, 4).ok_or_else(cut)? as usize;
    let json_len = u32_at(raw, 12).ok_or_else(cut)? as usize;
    let Some(data) = raw.get(header_size.saturating_add(8)..) else {
        return Err(format!(
            "its header claims {header_size} bytes, past its end ({} bytes)",
            raw.len()
        ));
    };
    if json_len > header_size.saturating_sub(8) {
        return Err(format!(
            "its header JSON claims {json_len} bytes, more than the header's {header_size}"
        ));
    }
    if json_len > ASAR_HEADER {
        return Err(format!("its header JSON is over {} MiB", ASAR_HEADER >> 20));
    }
    let held = json_len as u64 * ASAR_HEADER_COST;
    if held > budget.memory {
        return Err(format!("its header {}", no_room(budget.memory)));
    }
    let root: AsarNode = serde_json::from_slice(&raw[16..16 + json_len]).map_err(|e| {
        let e = e.to_string();
        match e.starts_with("recursion limit exceeded") {
            true => format!("its header nests directories too deep ({e})"),
            false => format!("its header JSON: {e}"),
        }
    })?;
    let files = root.files.unwrap_or_default();
    budget.memory -= held;
    let stop = asar_dir(&files, "", data, max_entry, budget, visit);
    budget.memory += held;
    Ok(stop)
}

/// Hands over the files under directory `dir` (whose path is `prefix`), and those nested
/// in its directories.
fn asar_dir(
    dir: &std::collections::BTreeMap<String, AsarNode>,
    prefix: &str,
    data: &[u8],
    max_entry: u64,
    budget: &mut Budget,
    visit: &mut dyn FnMut(Entry<'_>, &mut Budget),
) -> Option<Stop> {
    for (name, node) in dir {
        let path = format!("{prefix}{name}");
        if let Some(files) = &node.files {
            let stop = asar_dir(files, &format!("{path}/"), data, max_entry, budget, visit);
            if stop.is_some() {
                return stop;
            }
            continue;
        }
        // A link's target is an entry of its own; an unpacked file is read from disk.
        if node.link.is_some() || node.unpacked {
            continue;
        }
        if budget.entries == 0 {
            return Some(Stop::Entries);
        }
        budget.entries -= 1;
        let name = path.as_bytes();
        let (Some(size), Some(offset)) = (node.size, node.offset.as_deref()) else {
            let why = "its header gives no size or offset".to_string();
            visit(entry(name, Data::Skipped(why)), budget);
            continue;
        };
        let range = offset.parse::<u64>().ok().and_then(|o| {
            Some(usize::try_from(o).ok()?..usize::try_from(o.checked_add(size)?).ok()?)
        });
        let Some(bytes) = range.and_then(|r| data.get(r)) else {
            let why = format!(
                "{size} bytes at offset {offset} run past the archive's end ({} bytes of data)",
                data.len()
            );
            visit(entry(name, Data::Skipped(why)), budget);
            continue;
        };
        if size > max_entry {
            visit(entry(name, Data::TooLarge), budget);
        } else if size > budget.bytes {
            return Some(Stop::Bytes(path.into_bytes()));
        } else {
            budget.bytes -= size;
            visit(entry(name, Data::Bytes(bytes)), budget);
        }
    }
    None
}

/// A reader counting the bytes read through it.
struct Tally<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Tally<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// A stored (uncompressed, unencrypted) zip entry's bytes, as a slice of the archive.
fn stored<'a, R: Read>(raw: &'a [u8], file: &zip::read::ZipFile<'_, R>) -> Option<&'a [u8]> {
    if file.compression() != zip::CompressionMethod::Stored || file.encrypted() {
        return None;
    }
    let start = usize::try_from(file.data_start()?).ok()?;
    let len = usize::try_from(file.compressed_size()).ok()?;
    raw.get(start..start.checked_add(len)?)
}

/// Reads a tar stream's regular files. `raw` is the whole tar when it is in memory
/// uncompressed: entries are then handed over as slices of it. `handed` is set once an
/// entry was handed over.
fn tar<R: Read>(
    r: Reader<R>,
    raw: Option<&[u8]>,
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
        if let Some(bytes) = raw.and_then(|raw| in_place(raw, &e)) {
            if bytes.len() as u64 > limit {
                return Ok(Some(Stop::Bytes(name)));
            }
            budget.bytes -= bytes.len() as u64;
            visit(entry(&name, Data::Bytes(bytes)), budget);
            continue;
        }
        let room = budget.memory;
        let mut data = Vec::new();
        let _ = data.try_reserve_exact(e.size().min(limit.min(room)) as usize + 1);
        let read = (&mut e).take(limit.min(room) + 1).read_to_end(&mut data);
        if let Some(s) = stop.borrow_mut().take() {
            return Ok(Some(s.within(&name)));
        }
        let n = data.len() as u64;
        if n > limit {
            return Ok(Some(Stop::Bytes(name)));
        }
        if let Err(err) = read {
            return Ok(Some(Stop::Damaged(err.to_string())));
        }
        if n > room {
            visit(entry(&name, Data::Skipped(no_room(room))), budget);
            continue;
        }
        budget.bytes -= n;
        hold(budget, &data, |budget| {
            visit(entry(&name, Data::Bytes(&data)), budget)
        });
    }
    Ok(None)
}

/// A tar entry's bytes as a slice of the uncompressed tar holding it.
fn in_place<'a, R: Read>(raw: &'a [u8], e: &tar::Entry<'_, R>) -> Option<&'a [u8]> {
    let start = usize::try_from(e.raw_file_position()).ok()?;
    let len = usize::try_from(e.size()).ok()?;
    raw.get(start..start.checked_add(len)?)
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
                self.stop = Some(Stop::Ratio(Vec::new()));
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
        assert_eq!(sniff(&[0x28, 0xB5, 0x2F, 0xFD, 0]), Some(Format::Zstd));
        assert_eq!(sniff(b"BZh9 is a word"), None);
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(sniff(&tar), Some(Format::Tar));
        assert_eq!(sniff(b"PK is not enough"), None);
        assert_eq!(sniff(b"Cr24\x03\0\0\0"), Some(Format::Crx));
        assert_eq!(sniff(b"Cr24 is a word"), None);
        assert_eq!(sniff(&asar_of(&[("a", b"x")])), Some(Format::Asar));
        assert_eq!(sniff(b"\x04\0\0\0 then anything at all"), None);
    }

    /// An asar whose header is `header` (`{"files": ...}`), followed by `data`.
    fn asar_with(header: &serde_json::Value, data: &[u8]) -> Vec<u8> {
        let json = header.to_string();
        let padded = json.len().div_ceil(4) * 4;
        let mut out = Vec::new();
        for n in [4, padded + 8, padded + 4, json.len()] {
            out.extend((n as u32).to_le_bytes());
        }
        out.extend(json.as_bytes());
        out.resize(16 + padded, 0);
        out.extend(data);
        out
    }

    /// An asar holding `entries` (paths with `/`), stored one after the other.
    fn asar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut root = serde_json::json!({"files": {}});
        let mut data = Vec::new();
        for (path, bytes) in entries {
            let mut dir = &mut root;
            let mut parts: Vec<&str> = path.split('/').collect();
            let file = parts.pop().unwrap();
            for p in parts {
                dir = dir["files"]
                    .as_object_mut()
                    .unwrap()
                    .entry(p)
                    .or_insert_with(|| serde_json::json!({"files": {}}));
            }
            let node = serde_json::json!({"size": bytes.len(), "offset": data.len().to_string()});
            dir["files"][file] = node;
            data.extend(*bytes);
        }
        asar_with(&root, &data)
    }

    #[test]
    fn asar_entries_are_slices_named_by_their_path() {
        let raw = asar_of(&[("package.json", b"{}"), ("dist/main.js", b"let a = 1;\n")]);
        let range = raw.as_ptr_range();
        let mut got = Vec::new();
        let mut budget = Budget::DEFAULT;
        let stop = expand(
            &raw,
            Format::Asar,
            "app.asar",
            1 << 20,
            &mut budget,
            &mut |e, _| {
                let Data::Bytes(b) = e.data else { panic!() };
                assert!(range.contains(&b.as_ptr()), "a copy");
                got.push((String::from_utf8_lossy(e.name).into_owned(), b.to_vec()));
            },
        );
        assert_eq!(stop, Ok(None));
        assert_eq!(
            got,
            vec![
                ("dist/main.js".to_string(), b"let a = 1;\n".to_vec()),
                ("package.json".to_string(), b"{}".to_vec()),
            ]
        );
        assert_eq!(budget.entries, Budget::DEFAULT.entries - 2);
    }

    #[test]
    fn unpacked_asar_entries_and_links_are_left_to_the_walk() {
        let header = serde_json::json!({"files": {
            "native.node": {"size": 4, "unpacked": true},
            "lib": {"files": {"a.js": {"size": 2, "offset": "0", "executable": true}}},
            "latest": {"link": "lib"},
            "empty": {"size": 0, "offset": "2"},
        }});
        let raw = asar_with(&header, b"okzz");
        let (got, stop) = read_all(&raw, &mut Budget::for_file(0));
        assert_eq!(stop, None);
        let names: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
        assert_eq!(names, ["empty", "lib/a.js"]);
    }

    #[test]
    fn a_damaged_asar_is_refused_or_its_bad_entries_skipped() {
        let good = asar_of(&[("a.txt", b"hello")]);
        let refuse = |raw: &[u8]| {
            let mut budget = Budget::DEFAULT;
            let r = expand(raw, Format::Asar, "x", 1 << 20, &mut budget, &mut |_, _| {
                panic!("nothing handed over")
            });
            r.unwrap_err()
        };
        // Cut in its header, or a header size past the end.
        assert!(refuse(&good[..12]).contains("cut short"));
        let mut lying = good.clone();
        lying[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(
            refuse(&lying).contains("past its end"),
            "{}",
            refuse(&lying)
        );
        // The JSON's length past the header's.
        let mut long = good.clone();
        long[12..16].copy_from_slice(&1000u32.to_le_bytes());
        assert!(refuse(&long).contains("more than the header"));
        // Not JSON, and directories nested past serde_json's limit.
        let mut bad = good.clone();
        bad[24] = b'!';
        assert!(refuse(&bad).starts_with("its header JSON:"));
        let mut deep = serde_json::json!({"size": 1, "offset": "0"});
        for _ in 0..64 {
            deep = serde_json::json!({"files": {"d": deep}});
        }
        assert!(refuse(&asar_with(&deep, b"x")).contains("nests directories too deep"));
        let mut ok = serde_json::json!({"size": 1, "offset": "0"});
        // 62 directories and the file in the last one.
        for _ in 0..63 {
            ok = serde_json::json!({"files": {"d": ok}});
        }
        let (got, _) = read_all(&asar_with(&ok, b"x"), &mut Budget::for_file(0));
        assert_eq!(got[0].0.matches('/').count(), 62);

        // Entries past the end, or without an offset: skipped, each named.
        let header = serde_json::json!({"files": {
            "a": {"size": 2, "offset": "0"},
            "far": {"size": 2, "offset": "18446744073709551615"},
            "long": {"size": 99, "offset": "1"},
            "odd": {"size": 1, "offset": "-1"},
            "none": {"size": 1},
        }});
        let (got, stop) = read_all(&asar_with(&header, b"abc"), &mut Budget::for_file(0));
        assert_eq!(stop, None);
        let want = [
            ("a", Ok(b"ab".to_vec())),
            (
                "far",
                Err("2 bytes at offset 18446744073709551615 run past"),
            ),
            ("long", Err("99 bytes at offset 1 run past")),
            ("none", Err("no size or offset")),
            ("odd", Err("1 bytes at offset -1 run past")),
        ];
        assert_eq!(got.len(), want.len());
        for ((name, data), (w, wd)) in got.iter().zip(want) {
            assert_eq!(name, w);
            match (data, wd) {
                (Ok(d), Ok(wd)) => assert_eq!(d, &wd),
                (Err(e), Err(wd)) => assert!(e.contains(wd), "{e}"),
                _ => panic!("{name}: {data:?}"),
            }
        }
    }

    #[test]
    fn asar_entries_are_held_to_the_budget() {
        // Overlapping entries are each read, until the entries or bytes run out.
        let mut files = serde_json::Map::new();
        for i in 0..10 {
            files.insert(
                format!("f{i}"),
                serde_json::json!({"size": 4, "offset": "0"}),
            );
        }
        let raw = asar_with(&serde_json::json!({ "files": files }), b"data");
        let mut budget = Budget {
            entries: 3,
            ..Budget::DEFAULT
        };
        let (got, stop) = read_all(&raw, &mut budget);
        assert_eq!((got.len(), stop), (3, Some(Stop::Entries)));
        let mut budget = Budget {
            bytes: 10,
            ..Budget::DEFAULT
        };
        let (got, stop) = read_all(&raw, &mut budget);
        assert_eq!((got.len(), stop), (2, Some(Stop::Bytes(b"f2".to_vec()))));
        // The parsed header is charged to the memory budget while it is read, then given back.
        let mut budget = Budget::DEFAULT;
        let (got, _) = read_all(&raw, &mut budget);
        assert_eq!((got.len(), budget.memory), (10, MEMORY));
        let mut budget = Budget {
            memory: 1000,
            ..Budget::DEFAULT
        };
        let r = expand(
            &raw,
            Format::Asar,
            "x",
            1 << 20,
            &mut budget,
            &mut |_, _| panic!("nothing handed over"),
        );
        assert!(r.unwrap_err().contains("of memory left"));
    }

    #[test]
    fn a_crx_is_read_as_the_zip_behind_its_header() {
        let z = zip_of(
            &[("manifest.json", b"{}")],
            zip::CompressionMethod::Deflated,
        );
        let mut v3 = b"Cr24\x03\0\0\0\x05\0\0\0hello".to_vec();
        v3.extend(&z);
        let mut v2 = b"Cr24\x02\0\0\0\x03\0\0\0\x02\0\0\0keysg".to_vec();
        v2.extend(&z);
        for crx in [&v3, &v2] {
            assert_eq!(sniff(crx), Some(Format::Crx));
            let (got, stop) = read_all(crx, &mut Budget::for_file(0));
            assert_eq!(stop, None);
            assert_eq!(got, vec![("manifest.json".to_string(), Ok(b"{}".to_vec()))]);
        }
        let refuse = |raw: &[u8]| {
            let mut budget = Budget::DEFAULT;
            expand(
                raw,
                Format::Crx,
                "x",
                1 << 20,
                &mut budget,
                &mut |_, _| panic!(),
            )
            .unwrap_err()
        };
        let mut far = v3.clone();
        far[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(
            refuse(&far).contains("runs past its end"),
            "{}",
            refuse(&far)
        );
        let mut v9 = v3.clone();
        v9[4] = 9;
        assert!(refuse(&v9).contains("version 9"));
        assert!(refuse(&v2[..10]).contains("cut short"));
    }

    fn zip_of(entries: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(method);
        for (name, data) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    /// An entry's name, and its bytes or the reason it was skipped.
    type Got = (String, Result<Vec<u8>, String>);

    /// Every entry as (name, bytes, or the reason it was skipped).
    fn read_all(raw: &[u8], budget: &mut Budget) -> (Vec<Got>, Option<Stop>) {
        let mut got = Vec::new();
        let format = sniff(raw).unwrap();
        let stop = expand(raw, format, "t", 1 << 30, budget, &mut |e, _| {
            let data = match e.data {
                Data::Bytes(b) => Ok(b.to_vec()),
                Data::TooLarge => Err("too large".to_string()),
                Data::Skipped(why) => Err(why),
                Data::Stream(r) => {
                    let mut v = Vec::new();
                    r.read_to_end(&mut v).map(|_| v).map_err(|e| e.to_string())
                }
            };
            got.push((String::from_utf8_lossy(e.name).into_owned(), data));
        });
        (got, stop.unwrap())
    }

    #[test]
    fn stored_entries_are_slices_of_their_archive() {
        let inner = zip_of(&[("a.txt", b"hello")], zip::CompressionMethod::Stored);
        let outer = zip_of(&[("in.zip", &inner)], zip::CompressionMethod::Stored);
        let range = outer.as_ptr_range();
        let mut budget = Budget::DEFAULT;
        expand(
            &outer,
            Format::Zip,
            "o",
            1 << 20,
            &mut budget,
            &mut |e, _| {
                let Data::Bytes(b) = e.data else { panic!() };
                assert_eq!(b, &inner[..]);
                assert!(range.contains(&b.as_ptr()), "a copy");
            },
        )
        .unwrap();
        assert_eq!(budget.memory, MEMORY, "nothing held");
    }

    #[test]
    fn compressed_entries_share_one_memory_budget() {
        // Noise: deflate cannot shrink it, so the inner zip is as big as what it holds.
        let mut x = 1u32;
        let big: Vec<u8> = (0..300 << 10)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (x >> 24) as u8
            })
            .collect();
        let inner = zip_of(&[("big.txt", &big)], zip::CompressionMethod::Deflated);
        // The outer entry is held while the inner one is read: 2 x 300 KiB do not fit in
        // 512 KiB, one does.
        let outer = zip_of(
            &[("in.zip", &inner), ("b.txt", &big)],
            zip::CompressionMethod::Bzip2,
        );
        let mut budget = Budget {
            memory: 512 << 10,
            ..Budget::DEFAULT
        };
        let mut skipped = Vec::new();
        let format = sniff(&outer).unwrap();
        expand(
            &outer,
            format,
            "o",
            1 << 30,
            &mut budget,
            &mut |e, b| match e.data {
                Data::Bytes(bytes) if sniff(bytes).is_some() => {
                    let (got, _) = read_all(bytes, b);
                    skipped.extend(got.into_iter().filter(|g| g.1.is_err()));
                }
                Data::Bytes(bytes) => assert_eq!(bytes.len(), big.len()),
                _ => panic!("b.txt fits once in.zip is let go"),
            },
        )
        .unwrap();
        assert_eq!(skipped.len(), 1, "{skipped:?}");
        assert!(skipped[0]
            .1
            .as_ref()
            .unwrap_err()
            .contains("MiB of memory left"));
        assert_eq!(budget.memory, 512 << 10, "every buffer given back");
    }

    #[test]
    fn a_stop_names_the_entry_it_stopped_in() {
        let zeros = vec![0u8; 4 << 20];
        let z = zip_of(
            &[("ok.txt", b"fine"), ("zeros.bin", &zeros)],
            zip::CompressionMethod::Zstd,
        );
        let (got, stop) = read_all(&z, &mut Budget::for_file(0));
        assert_eq!(got.len(), 1);
        assert_eq!(stop, Some(Stop::Ratio(b"zeros.bin".to_vec())));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &zeros).unwrap();
        let gz = gz.finish().unwrap();
        let mut budget = Budget::DEFAULT;
        let stop = expand(
            &gz,
            Format::Gzip,
            "d/dump.gz",
            1 << 30,
            &mut budget,
            &mut |_, _| panic!("nothing handed over"),
        );
        assert_eq!(stop.unwrap().unwrap().entry(), Some(&b"dump"[..]));
    }

    #[test]
    fn zstd_streams_are_read() {
        let z = zstd::stream::encode_all(&b"line one\nline two\n"[..], 3).unwrap();
        assert_eq!(sniff(&z), Some(Format::Zstd));
        let (got, stop) = read_all(&z, &mut Budget::for_file(0));
        assert_eq!(stop, None);
        assert_eq!(
            got,
            vec![("t".to_string(), Ok(b"line one\nline two\n".to_vec()))]
        );
    }

    #[test]
    fn compressed_files_are_named_after_their_content() {
        assert_eq!(stripped("logs/app.log.gz"), "app.log");
        assert_eq!(stripped("dump.XZ"), "dump");
        assert_eq!(stripped("data"), "data");
    }
}
