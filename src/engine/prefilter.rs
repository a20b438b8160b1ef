//! The keyword stage: every occurrence of every rule keyword, case-insensitively.
//!
//! The default is an Aho-Corasick DFA. Past about 64 keywords aho-corasick can no longer use
//! its SIMD (Teddy) prefilter, and its DFA loop runs at roughly 500 MB/s per thread, which is
//! most of the CPU time of a large scan. That loop is bound by the latency of one transition
//! lookup per byte, so we walk the DFA ourselves over three slices of the buffer at once:
//! three independent lookup chains keep the core busy, about 1.3x faster on the same DFA
//! (`benches/kernel.sh`). The optional `vectorscan` feature adds
//! Vectorscan's many-literal matcher (about 2.6 GB/s on the same keywords) for bulk scans
//! (`scan`, `history`). The hook keeps Aho-Corasick: Vectorscan's ~20 ms compile would cost
//! more than it saves on a few staged blobs.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{dfa::DFA, Anchored, MatchKind};

/// Slices walked at once. Three measured best on two cores (two: 1.25x, four: 1.24x).
const LANES: usize = 3;

/// Every keyword, compiled for search.
pub struct Keywords {
    dfa: DFA,
    start: StateID,
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
    /// Compiles the lowercase `patterns` for case-insensitive search.
    pub fn new(patterns: &[String]) -> Result<Keywords, aho_corasick::BuildError> {
        // A DFA: with hundreds of keywords an NFA search is 5x slower on the kernel tree; the
        // DFA costs about 1 MB and 2 ms, built once.
        let dfa = aho_corasick::dfa::Builder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(patterns)?;
        // Standard match semantics always support unanchored search.
        let start = dfa
            .start_state(Anchored::No)
            .expect("an unanchored Aho-Corasick DFA has an unanchored start state");
        let warm = patterns
            .iter()
            .map(String::len)
            .max()
            .unwrap_or(1)
            .saturating_sub(1);
        Ok(Keywords {
            dfa,
            start,
            warm,
            #[cfg(feature = "vectorscan")]
            vs: None,
            #[cfg(feature = "vectorscan")]
            lens: patterns.iter().map(String::len).collect(),
        })
    }

    /// Adds the bulk matcher when the `vectorscan` feature is built in; otherwise a no-op.
    /// A Vectorscan compile failure keeps Aho-Corasick (same results, slower).
    pub fn enable_bulk(&mut self, patterns: &[String]) {
        #[cfg(feature = "vectorscan")]
        {
            use vectorscan_rs::{BlockDatabase, Flag, Pattern};
            let pats = patterns
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
        #[cfg(not(feature = "vectorscan"))]
        let _ = patterns;
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
        let n = bytes.len();
        if n < LANES * (self.warm + 1) * 4 {
            self.walk(self.start, bytes, 0, 0, &mut scratch.hits);
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
        let mut sid = [self.start; LANES];
        // Index loops on purpose: byte i of every lane per step is what makes the chains overlap.
        #[allow(clippy::needless_range_loop)]
        for i in 0..seg {
            for j in 0..LANES {
                let s = self.dfa.next_state(Anchored::No, sid[j], slices[j][i]);
                sid[j] = s;
                if self.dfa.is_special(s) && self.dfa.is_match(s) {
                    self.record(s, base[j] + i + 1, own[j], &mut scratch.lanes[j]);
                }
            }
        }
        for j in 0..LANES {
            let end = if j + 1 == LANES { n } else { own[j + 1] };
            self.walk(
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

    /// One DFA walk over `bytes[from..]` from state `sid`.
    fn walk(
        &self,
        mut sid: StateID,
        bytes: &[u8],
        from: usize,
        own: usize,
        out: &mut Vec<(usize, u32)>,
    ) {
        for (i, &b) in bytes.iter().enumerate().skip(from) {
            sid = self.dfa.next_state(Anchored::No, sid, b);
            if self.dfa.is_special(sid) && self.dfa.is_match(sid) {
                self.record(sid, i + 1, own, out);
            }
        }
    }

    /// Every keyword ending at `end` in match state `sid`, if `end` lies past `own`.
    #[inline]
    fn record(&self, sid: StateID, end: usize, own: usize, out: &mut Vec<(usize, u32)>) {
        if end <= own {
            return;
        }
        for k in 0..self.dfa.match_len(sid) {
            let p = self.dfa.match_pattern(sid, k);
            out.push((end - self.dfa.pattern_len(p), p.as_u32()));
        }
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
        let k = Keywords::new(&pats).unwrap();
        assert_eq!(hits(&k, b"x SK_LIVE_y"), vec![(2, 0), (2, 1), (5, 2)]);
    }

    /// The lane walk finds exactly what aho-corasick's own overlapping search finds, at every
    /// buffer length around the lane borders, with keywords planted across them.
    #[test]
    fn lanes_agree_with_aho_corasick() {
        let pats: Vec<String> = ["sk_live_", "sk_", "live", "mon_test_", "token", "://", "e"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let oracle = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&pats)
            .unwrap();
        let k = Keywords::new(&pats).unwrap();
        let unit = b"xx SK_LIVE_ mon_TEST_token://q ";
        let mut text = Vec::new();
        while text.len() < 2000 {
            text.extend_from_slice(unit);
            text.push(b'a' + (text.len() % 23) as u8);
        }
        for len in (0..text.len())
            .step_by(7)
            .chain(text.len() - 40..text.len())
        {
            let t = &text[..len];
            let mut want: Vec<(usize, u32)> = oracle
                .find_overlapping_iter(t)
                .map(|m| (m.start(), m.pattern().as_u32()))
                .collect();
            want.sort();
            assert_eq!(hits(&k, t), want, "length {len}");
        }
    }

    /// The bulk matcher (when built in) reports exactly what Aho-Corasick reports.
    #[test]
    fn bulk_matcher_agrees_with_aho_corasick() {
        let pats: Vec<String> = ["mon_", "ghp_", "token", "api_key", "://", "q~", "a"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let text = b"MON_x ghp_ Token=1 API_KEY http://h q~ aaa\nmon_token://".repeat(50);
        let plain = Keywords::new(&pats).unwrap();
        let mut bulk = Keywords::new(&pats).unwrap();
        bulk.enable_bulk(&pats);
        assert_eq!(hits(&plain, &text), hits(&bulk, &text));
        if cfg!(feature = "vectorscan") {
            assert_eq!(bulk.engine_name(), "vectorscan");
        }
    }
}
