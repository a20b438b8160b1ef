//! The keyword stage: every occurrence of every rule keyword, case-insensitively.
//!
//! Aho-Corasick is the default. With a few dozen keywords it runs behind its SIMD (Teddy)
//! prefilter; past about 64 keywords it falls back to a DFA at roughly 500 MB/s per thread,
//! which is most of the CPU time of a large scan. The optional `vectorscan` feature adds
//! Vectorscan's many-literal matcher (about 2.6 GB/s on the same keywords) for bulk scans
//! (`scan`, `history`). The hook keeps Aho-Corasick: Vectorscan's ~20 ms compile would cost
//! more than it saves on a few staged blobs.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

/// Every keyword, compiled for search.
pub struct Keywords {
    ac: AhoCorasick,
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
    #[cfg(not(feature = "vectorscan"))]
    _k: std::marker::PhantomData<&'k ()>,
}

impl Keywords {
    /// Compiles the lowercase `patterns` for case-insensitive search.
    pub fn new(patterns: &[String]) -> Result<Keywords, aho_corasick::BuildError> {
        // A DFA: hundreds of keywords make the NFA's overlapping search the hot loop (5x
        // slower on the kernel tree); the DFA costs a few MB, built once.
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(patterns)?;
        Ok(Keywords {
            ac,
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
        let _ = &mut scratch.hits;
        for m in self.ac.find_overlapping_iter(bytes) {
            f(m.start(), m.pattern().as_u32());
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
