//! The keyword stage: every occurrence of every rule keyword, case-insensitively.
//!
//! The default is an Aho-Corasick DFA ([`super::dfa`]). Past about 64 keywords no SIMD
//! prefilter (Teddy) applies, and a DFA loop runs at roughly 500 MB/s per thread, which is
//! most of the CPU time of a large scan. That loop is bound by the latency of one transition
//! lookup per byte, so we walk the DFA ourselves over three slices of the buffer at once:
//! three independent lookup chains keep the core busy, about 1.3x faster on the same DFA
//! (`benches/kernel.sh`). The optional `vectorscan` feature adds
//! Vectorscan's many-literal matcher (about 2.6 GB/s on the same keywords) for bulk scans
//! (`scan`, `history`). The hook keeps Aho-Corasick: Vectorscan's ~20 ms compile would cost
//! more than it saves on a few staged blobs.
//!
//! The built-in rules' DFA is built by build.rs and used in place from the binary, for
//! every buffer: a run with the built-in rules builds nothing. Other keyword sets (a config
//! with its own rules) build nothing up front either: building a DFA costs about a
//! millisecond per 2,000 keywords, most of the pre-commit hook's startup in a small
//! repository, where the hook searches a few kilobytes. Small buffers are searched through
//! a table of the keywords by their first three bytes ([`Heads`], built in microseconds);
//! the DFA is built the first time a buffer of [`DFA_AFTER`] bytes or more comes, or up
//! front for bulk scans.

use std::sync::OnceLock;

use std::borrow::Cow;

use super::dfa::{Dfa, State, Table};
use crate::rules::syntax::Text;

// `BUILTIN_KEYWORDS` and `builtin_dfa()`: the DFA of the built-in rules' keywords, built by
// build.rs.
include!(concat!(env!("OUT_DIR"), "/keyword_dfa.rs"));

/// Slices walked at once. Three measured best on two cores (two: 1.25x, four: 1.24x).
const LANES: usize = 3;

/// Buffers this large are searched with the DFA (built on first use): past this size its
/// faster walk repays its build time.
const DFA_AFTER: usize = 256 * 1024;

/// Buckets of [`Heads`]: a power of two, small enough to stay in the L1 cache.
const BUCKETS: usize = 4096;

/// Past this many keywords in one [`Heads`] bucket (or of one byte), the table would compare
/// too many keywords at an offset: every buffer goes to the DFA. The built-in rules have at
/// most a handful per bucket; a config listing thousands of keywords with one start does not.
const CROWDED: usize = 32;

/// Every keyword, compiled for search.
pub struct Keywords {
    heads: Heads,
    /// `None` when the keywords make too many states for a DFA: [`Heads`] then searches
    /// every buffer (slower, same hits).
    dfa: OnceLock<Option<Dfa>>,
    /// The lowercase keywords, to build the DFA from.
    patterns: Vec<Text>,
    /// Bytes a lane reads before its own slice, so that a keyword straddling the border is
    /// seen whole: the longest keyword minus one.
    warm: usize,
    #[cfg(feature = "vectorscan")]
    vs: Option<vectorscan_rs::BlockDatabase>,
    /// Keyword lengths: Vectorscan reports where a match ends.
    #[cfg(feature = "vectorscan")]
    lens: Vec<usize>,
}

/// Per-thread search state.
#[derive(Default)]
pub struct Scratch<'k> {
    #[cfg(feature = "vectorscan")]
    vs: Option<vectorscan_rs::BlockScanner<'k>>,
    hits: Vec<(usize, u32)>,
    lanes: [Vec<(usize, u32)>; LANES],
    #[cfg(not(feature = "vectorscan"))]
    _k: std::marker::PhantomData<&'k ()>,
}

impl Keywords {
    /// Prepares the lowercase `patterns` for case-insensitive search.
    pub fn new<P: Clone + Into<Text>>(patterns: &[P]) -> Keywords {
        let patterns: Vec<Text> = patterns.iter().cloned().map(Into::into).collect();
        let warm = patterns
            .iter()
            .map(|p| p.len())
            .max()
            .unwrap_or(1)
            .saturating_sub(1);
        let dfa = OnceLock::new();
        let mut heads = &patterns[..];
        if patterns.iter().eq(BUILTIN_KEYWORDS) {
            if let Some(built) = builtin_dfa() {
                let _ = dfa.set(Some(built));
                // Every buffer takes the DFA: no table for small ones.
                heads = &[];
            }
        }
        Keywords {
            heads: Heads::new(heads),
            dfa,
            #[cfg(feature = "vectorscan")]
            lens: patterns.iter().map(|p| p.len()).collect(),
            patterns,
            warm,
            #[cfg(feature = "vectorscan")]
            vs: None,
        }
    }

    /// The DFA, built on first use. A DFA: with hundreds of keywords an NFA search is 5x
    /// slower on the kernel tree; ours costs about 1.5 MB and a millisecond, built once.
    fn dfa(&self) -> Option<&Dfa> {
        self.dfa.get_or_init(|| Dfa::new(&self.patterns)).as_ref()
    }

    /// For bulk scans: builds the DFA now, and adds the bulk matcher when the `vectorscan`
    /// feature is built in. A Vectorscan compile failure keeps Aho-Corasick (same results,
    /// slower).
    pub fn enable_bulk(&mut self) {
        self.dfa();
        #[cfg(feature = "vectorscan")]
        {
            use vectorscan_rs::{BlockDatabase, Flag, Pattern};
            let pats = self
                .patterns
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    // Every byte escaped: keywords are literals, never expressions.
                    let expr: String = p.bytes().map(|b| format!("\\x{b:02x}")).collect();
                    Pattern::new(expr.into_bytes(), Flag::CASELESS, Some(i as u32))
                })
                .collect();
            self.vs = BlockDatabase::new(pats).ok();
        }
    }

    #[cfg(test)]
    pub fn patterns(&self) -> &[Text] {
        &self.patterns
    }

    /// Is the DFA the one build.rs made, used in place?
    #[cfg(test)]
    pub fn is_prebuilt(&self) -> bool {
        matches!(self.dfa.get(), Some(Some(Dfa::Narrow(t))) if matches!(t.trans, Cow::Borrowed(_)))
    }

    /// Which matcher runs (`aho-corasick` or `vectorscan`), for the record.
    #[cfg(test)]
    pub fn engine_name(&self) -> &'static str {
        #[cfg(feature = "vectorscan")]
        if self.vs.is_some() {
            return "vectorscan";
        }
        "aho-corasick"
    }

    /// Fresh per-thread state.
    pub fn scratch(&self) -> Scratch<'_> {
        Scratch {
            #[cfg(feature = "vectorscan")]
            vs: self.vs.as_ref().and_then(|db| db.create_scanner().ok()),
            hits: Vec::new(),
            lanes: Default::default(),
            #[cfg(not(feature = "vectorscan"))]
            _k: std::marker::PhantomData,
        }
    }

    /// Calls `f(start, pattern)` for every keyword occurrence, in order of end offset.
    // Kept out of its caller: inlined, the byte loop was compiled with the caller's per-hit
    // work around it and cost 3% more instructions (callgrind, 110 MB of crate sources).
    #[inline(never)]
    pub fn for_each(&self, scratch: &mut Scratch<'_>, bytes: &[u8], mut f: impl FnMut(usize, u32)) {
        #[cfg(feature = "vectorscan")]
        if let Some(scanner) = scratch.vs.as_mut() {
            // Vectorscan takes a u32 length; larger buffers go to Aho-Corasick.
            if u32::try_from(bytes.len()).is_ok() {
                let hits = &mut scratch.hits;
                hits.clear();
                let lens = &self.lens;
                let ok = scanner
                    .scan(bytes, |id, _from, to, _flags| {
                        hits.push((to as usize - lens[id as usize], id));
                        vectorscan_rs::Scan::Continue
                    })
                    .is_ok();
                if ok {
                    for &(start, id) in hits.iter() {
                        f(start, id);
                    }
                    return;
                }
            }
        }
        let dfa = match self.dfa.get() {
            Some(built) => built.as_ref(),
            None if bytes.len() >= DFA_AFTER || self.heads.crowded => self.dfa(),
            None => None,
        };
        match dfa {
            Some(Dfa::Narrow(t)) => self.search(t, scratch, bytes, &mut f),
            Some(Dfa::Wide(t)) => self.search(t, scratch, bytes, &mut f),
            None => {
                self.heads.search(&self.patterns, bytes, &mut scratch.hits);
                for &(start, id) in &scratch.hits {
                    f(start, id);
                }
                scratch.hits.clear();
            }
        }
    }

    /// [`Keywords::for_each`] with DFA `a`.
    fn search<S: State>(
        &self,
        a: &Table<S>,
        scratch: &mut Scratch<'_>,
        bytes: &[u8],
        mut f: impl FnMut(usize, u32),
    ) {
        let start = a.start;
        let n = bytes.len();
        if n < LANES * (self.warm + 1) * 4 {
            walk(self, a, start, bytes, 0, 0, &mut scratch.hits);
            for &(start, id) in &scratch.hits {
                f(start, id);
            }
            scratch.hits.clear();
            return;
        }
        // Lane j owns bytes [j*seg, (j+1)*seg) (the last lane owns the rest) and starts
        // reading `warm` bytes early; it reports only keywords ending inside its own bytes.
        let seg = n / LANES;
        let base: [usize; LANES] = std::array::from_fn(|j| (j * seg).saturating_sub(self.warm));
        let own: [usize; LANES] = std::array::from_fn(|j| j * seg);
        let slices: [&[u8]; LANES] = std::array::from_fn(|j| &bytes[base[j]..base[j] + seg]);
        let mut sid = [start; LANES];
        // Index loops on purpose: byte i of every lane per step is what makes the chains overlap.
        #[allow(clippy::needless_range_loop)]
        for i in 0..seg {
            for j in 0..LANES {
                let s = a.next(sid[j], slices[j][i]);
                sid[j] = s;
                if a.is_match(s) {
                    record(self, a, s, base[j] + i + 1, own[j], &mut scratch.lanes[j]);
                }
            }
        }
        for j in 0..LANES {
            let end = if j + 1 == LANES { n } else { own[j + 1] };
            walk(
                self,
                a,
                sid[j],
                &bytes[..end],
                base[j] + seg,
                own[j],
                &mut scratch.lanes[j],
            );
            for &(start, id) in &scratch.lanes[j] {
                f(start, id);
            }
            scratch.lanes[j].clear();
        }
    }
}

/// The keywords by their first three bytes, lowercased: a buffer is searched by looking up
/// the three bytes at each offset and comparing the few keywords in their bucket. A few
/// nanoseconds a byte, like an NFA walk, but built from a thousand keywords in microseconds.
/// Three bytes, not two: with a thousand keywords many share their first two (`co`, `se`),
/// and a two-byte bucket would compare dozens at every `co` of a buffer.
struct Heads {
    /// Keywords of three bytes or more: bucket `b` holds `ids[starts[b]..starts[b + 1]]`.
    starts: Vec<u32>,
    ids: Vec<u32>,
    /// Keywords of two bytes, by those two bytes (the same layout; usually empty).
    starts2: Vec<u32>,
    ids2: Vec<u32>,
    /// Keywords of a single byte, checked at every offset.
    single: Vec<u32>,
    /// Would a search compare too many keywords at some offset?
    crowded: bool,
}

/// `(starts, ids)` of the keywords `key` puts in a bucket.
fn table(patterns: &[Text], key: impl Fn(&[u8]) -> Option<usize>) -> (Vec<u32>, Vec<u32>) {
    let mut starts = vec![0u32; BUCKETS + 1];
    for p in patterns {
        if let Some(b) = key(p.as_bytes()) {
            starts[b + 1] += 1;
        }
    }
    for b in 0..BUCKETS {
        starts[b + 1] += starts[b];
    }
    let mut next = starts.clone();
    let mut ids = vec![0u32; starts[BUCKETS] as usize];
    for (i, p) in patterns.iter().enumerate() {
        if let Some(b) = key(p.as_bytes()) {
            ids[next[b] as usize] = i as u32;
            next[b] += 1;
        }
    }
    (starts, ids)
}

impl Heads {
    fn new(patterns: &[Text]) -> Heads {
        let (starts, ids) = table(patterns, |p| {
            (p.len() >= 3).then(|| bucket3(p[0], p[1], p[2]))
        });
        let (starts2, ids2) = table(patterns, |p| (p.len() == 2).then(|| bucket(p[0], p[1])));
        let single: Vec<u32> = (0..patterns.len() as u32)
            .filter(|&i| patterns[i as usize].len() < 2)
            .collect();
        let crowded_in = |s: &[u32]| s.windows(2).any(|w| w[1] - w[0] > CROWDED as u32);
        let crowded = single.len() > CROWDED || crowded_in(&starts) || crowded_in(&starts2);
        Heads {
            starts,
            ids,
            starts2,
            ids2,
            single,
            crowded,
        }
    }

    /// Every occurrence of every keyword in `bytes` into `out` (empty on entry), as
    /// `(start, pattern)` in order of end offset, like an automaton reports them.
    fn search(&self, patterns: &[Text], bytes: &[u8], out: &mut Vec<(usize, u32)>) {
        let at = |i: usize, id: u32, out: &mut Vec<(usize, u32)>| {
            let p = patterns[id as usize].as_bytes();
            if bytes[i..].len() >= p.len() && bytes[i..i + p.len()].eq_ignore_ascii_case(p) {
                out.push((i, id));
            }
        };
        for (i, three) in bytes.windows(3).enumerate() {
            let b = bucket3(three[0], three[1], three[2]);
            let (from, to) = (self.starts[b] as usize, self.starts[b + 1] as usize);
            for &id in &self.ids[from..to] {
                at(i, id, out);
            }
        }
        if !self.ids2.is_empty() {
            for (i, pair) in bytes.windows(2).enumerate() {
                let b = bucket(pair[0], pair[1]);
                let (from, to) = (self.starts2[b] as usize, self.starts2[b + 1] as usize);
                for &id in &self.ids2[from..to] {
                    at(i, id, out);
                }
            }
        }
        for &id in &self.single {
            for i in 0..bytes.len() {
                at(i, id, out);
            }
        }
        out.sort_unstable_by_key(|&(start, id)| (start + patterns[id as usize].len(), id));
    }
}

/// The [`Heads`] bucket of a two-byte keyword or a buffer offset starting with `a`, `b`.
#[inline]
fn bucket(a: u8, b: u8) -> usize {
    let (a, b) = (
        a.to_ascii_lowercase() as usize,
        b.to_ascii_lowercase() as usize,
    );
    (a.wrapping_mul(31) ^ b.wrapping_mul(131)) % BUCKETS
}

/// The [`Heads`] bucket of a keyword or a buffer offset starting with `a`, `b`, `c`.
#[inline]
fn bucket3(a: u8, b: u8, c: u8) -> usize {
    let (a, b, c) = (
        a.to_ascii_lowercase() as usize,
        b.to_ascii_lowercase() as usize,
        c.to_ascii_lowercase() as usize,
    );
    (a.wrapping_mul(31) ^ b.wrapping_mul(131) ^ c.wrapping_mul(1031)) % BUCKETS
}

/// One walk of DFA `a` over `bytes[from..]` from state `sid`.
fn walk<S: State>(
    k: &Keywords,
    a: &Table<S>,
    mut sid: S,
    bytes: &[u8],
    from: usize,
    own: usize,
    out: &mut Vec<(usize, u32)>,
) {
    for (i, &b) in bytes.iter().enumerate().skip(from) {
        sid = a.next(sid, b);
        if a.is_match(sid) {
            record(k, a, sid, i + 1, own, out);
        }
    }
}

/// Every keyword ending at `end` in match state `sid`, if `end` lies past `own`.
#[inline]
fn record<S: State>(
    k: &Keywords,
    a: &Table<S>,
    sid: S,
    end: usize,
    own: usize,
    out: &mut Vec<(usize, u32)>,
) {
    if end <= own {
        return;
    }
    for &p in a.matches(sid) {
        out.push((end - k.patterns[p as usize].len(), p));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(k: &Keywords, text: &[u8]) -> Vec<(usize, u32)> {
        let mut s = k.scratch();
        let mut out = Vec::new();
        k.for_each(&mut s, text, |p, id| out.push((p, id)));
        out.sort();
        out
    }

    #[test]
    fn overlapping_and_case_insensitive() {
        let pats = vec![
            "sk_".to_string(),
            "sk_live_".to_string(),
            "live".to_string(),
        ];
        let k = Keywords::new(&pats);
        assert_eq!(hits(&k, b"x SK_LIVE_y"), vec![(2, 0), (2, 1), (5, 2)]);
    }

    use crate::engine::dfa::tests::oracle;

    /// A text with the keywords of [`lanes_agree_with_aho_corasick`] planted across it.
    fn planted() -> Vec<u8> {
        let unit = b"xx SK_LIVE_ mon_TEST_token://q ";
        let mut text = Vec::new();
        while text.len() < 2000 {
            text.extend_from_slice(unit);
            text.push(b'a' + (text.len() % 23) as u8);
        }
        text
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    /// The lane walk over the DFA finds exactly what aho-corasick's own overlapping search
    /// finds, at every buffer length around the lane borders, with keywords planted across
    /// them.
    #[test]
    fn lanes_agree_with_aho_corasick() {
        let pats = strings(&["sk_live_", "sk_", "live", "mon_test_", "token", "://", "e"]);
        let k = Keywords::new(&pats);
        assert!(k.dfa().is_some());
        let text = planted();
        for len in (0..text.len())
            .step_by(7)
            .chain(text.len() - 40..text.len())
        {
            let t = &text[..len];
            assert_eq!(hits(&k, t), oracle(&pats, t), "length {len}");
        }
    }

    /// The table a small buffer is searched with finds the same: one-byte keywords,
    /// keywords sharing a bucket, mixed case, a keyword cut off by the buffer's end, and
    /// bytes past ASCII (compared exactly, as aho-corasick's ASCII folding does).
    #[test]
    fn heads_agree_with_aho_corasick() {
        let pats = strings(&[
            "sk_live_",
            "sk_",
            "live",
            "mon_test_",
            "token",
            "://",
            "e",
            "q",
            "é",
            "ß_key",
            "sK",
            "ke",
        ]);
        let k = Keywords::new(&pats);
        let mut text = planted();
        text.extend_from_slice("É é ß_KEY ss_key Sk".as_bytes());
        for len in (0..text.len())
            .step_by(5)
            .chain(text.len() - 40..=text.len())
        {
            let t = &text[..len];
            assert_eq!(hits(&k, t), oracle(&pats, t), "length {len}");
        }
        assert!(k.dfa.get().is_none(), "small buffers build no DFA");
    }

    /// Keywords crowding one bucket send even a small buffer to the DFA, with the same hits.
    #[test]
    fn a_crowded_table_gives_way_to_the_dfa() {
        let pats: Vec<String> = (0..CROWDED + 1).map(|i| format!("abc{i:03}")).collect();
        let k = Keywords::new(&pats);
        assert!(k.heads.crowded);
        let text = b"x ABc007 abc031 abc0".to_vec();
        assert_eq!(hits(&k, &text), oracle(&pats, &text));
        assert!(k.dfa.get().is_some());
        let few = Keywords::new(&pats[..CROWDED]);
        assert!(!few.heads.crowded);
        // The built-in keywords keep the table: the hook's small buffers need no DFA.
        let rules = crate::rules::RuleSet::load_builtin(None).unwrap();
        let mut all: Vec<String> = rules
            .rules
            .iter()
            .flat_map(|r| r.keywords.iter().map(|k| k.to_ascii_lowercase()))
            .collect();
        all.sort();
        all.dedup();
        assert!(all.len() > 1000);
        assert!(!Keywords::new(&all).heads.crowded);
    }

    /// The DFA build.rs made for the built-in keywords is the one this build makes of them,
    /// byte for byte, and it finds what aho-corasick finds.
    #[test]
    fn the_prebuilt_dfa_is_the_built_one() {
        let pats: Vec<String> = BUILTIN_KEYWORDS.iter().map(|s| s.to_string()).collect();
        let k = Keywords::new(&pats);
        assert!(k.is_prebuilt());
        let (Some(Dfa::Narrow(pre)), Some(Dfa::Narrow(built))) = (builtin_dfa(), Dfa::new(&pats))
        else {
            panic!("the built-in keywords make a 16-bit DFA");
        };
        assert_eq!(pre.trans, built.trans);
        assert_eq!(pre.classes, built.classes);
        assert_eq!(
            (pre.shift, pre.first_match, pre.start),
            (built.shift, built.first_match, built.start)
        );
        assert_eq!((&pre.ends, &pre.ids), (&built.ends, &built.ids));
        let mut text = b"x ".repeat(50);
        for p in pats.iter().step_by(3) {
            text.extend_from_slice(p.to_ascii_uppercase().as_bytes());
            text.extend_from_slice(b" = v\n");
        }
        let found = hits(&k, &text);
        assert!(found.len() > pats.len() / 3);
        assert_eq!(found, oracle(&pats, &text));
    }

    /// Hits come in order of end offset, as an automaton reports them: the windows that
    /// consume them rely on positions that do not go back past a line.
    #[test]
    fn heads_report_in_order_of_end() {
        let pats = strings(&["sk_live_", "live", "_l"]);
        let k = Keywords::new(&pats);
        let mut s = k.scratch();
        let mut ends = Vec::new();
        k.for_each(&mut s, b"sk_live_x\nlive", |p, id| {
            ends.push(p + pats[id as usize].len())
        });
        assert_eq!(ends, vec![4, 7, 8, 14]);
    }

    /// A buffer past `DFA_AFTER` is searched with the DFA, built then; both walks find the
    /// same keywords.
    #[test]
    fn dfa_is_built_for_a_large_buffer_and_agrees() {
        let pats: Vec<String> = ["sk_live_", "token", "://"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let k = Keywords::new(&pats);
        let small = b"x sk_LIVE_a token http://h\n".repeat(100);
        let by_heads = hits(&k, &small);
        assert!(k.dfa.get().is_none(), "a small buffer needs no DFA");
        let large = small.repeat(DFA_AFTER / small.len() + 1);
        assert_eq!(
            hits(&k, &large).len(),
            by_heads.len() * (DFA_AFTER / small.len() + 1)
        );
        assert!(k.dfa.get().is_some());
        assert_eq!(hits(&k, &small), by_heads);
    }

    /// The bulk matcher (when built in) reports exactly what Aho-Corasick reports.
    #[test]
    fn bulk_matcher_agrees_with_aho_corasick() {
        let pats: Vec<String> = ["mon_", "ghp_", "token", "api_key", "://", "q~", "a"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let text = b"MON_x ghp_ Token=1 API_KEY http://h q~ aaa\nmon_token://".repeat(50);
        let plain = Keywords::new(&pats);
        let mut bulk = Keywords::new(&pats);
        bulk.enable_bulk();
        assert_eq!(hits(&plain, &text), hits(&bulk, &text));
        if cfg!(feature = "vectorscan") {
            assert_eq!(bulk.engine_name(), "vectorscan");
        }
    }
}
