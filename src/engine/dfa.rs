//! The keyword DFA: Aho-Corasick over the keywords' own bytes, with 16-bit states.
//!
//! aho-corasick's DFA stores a 32-bit state per (state, byte class), and with ASCII case
//! folding it gives `a` and `A` separate classes. With the ~2,000 built-in keywords that is
//! 11,600 states x 128 classes x 4 bytes = 6 MB: the states a scan keeps visiting no longer
//! fit the caches, and its walk ran about 40% slower than with the 358 keywords of before
//! (one lane, kernel sources), while its build took 26 ms. Here a byte is first mapped to
//! its class with case folded (the keywords use 57 distinct bytes, so 64 classes), and a
//! state is 16 bits when there are fewer than 65,536: 1.5 MB for the same keywords, a walk
//! faster than the old 1 MB DFA, and a build of about a millisecond. More states than that
//! take 32-bit states. The construction is the textbook one (trie, then failure
//! transitions breadth first); the tests check every hit against aho-corasick's own search.

use std::borrow::Cow;

/// A state: `u16` or `u32`, stored little-endian in a table of bytes (so that a table built
/// into the binary is used in place, without a copy or a cast).
pub trait State: Copy + Eq {
    /// Bytes per state, as a shift.
    const WIDTH_SHIFT: u32;
    fn index(self) -> usize;
    fn from_index(i: usize) -> Self;
    fn load(bytes: &[u8], at: usize) -> Self;
    fn store(self, bytes: &mut [u8], at: usize);
}

impl State for u16 {
    const WIDTH_SHIFT: u32 = 1;
    #[inline(always)]
    fn index(self) -> usize {
        self as usize
    }
    fn from_index(i: usize) -> Self {
        i as u16
    }
    #[inline(always)]
    fn load(bytes: &[u8], at: usize) -> Self {
        u16::from_le_bytes(
            *bytes[at..]
                .first_chunk()
                .expect("a state lies in the table"),
        )
    }
    fn store(self, bytes: &mut [u8], at: usize) {
        bytes[at..at + 2].copy_from_slice(&self.to_le_bytes());
    }
}

impl State for u32 {
    const WIDTH_SHIFT: u32 = 2;
    #[inline(always)]
    fn index(self) -> usize {
        self as usize
    }
    fn from_index(i: usize) -> Self {
        i as u32
    }
    #[inline(always)]
    fn load(bytes: &[u8], at: usize) -> Self {
        u32::from_le_bytes(
            *bytes[at..]
                .first_chunk()
                .expect("a state lies in the table"),
        )
    }
    fn store(self, bytes: &mut [u8], at: usize) {
        bytes[at..at + 4].copy_from_slice(&self.to_le_bytes());
    }
}

/// Past this many table cells (states x stride) the keywords get no DFA: 16 M cells is
/// 64 MB of 32-bit states, for a config of tens of thousands of keywords.
const MAX_CELLS: usize = 1 << 24;

/// A complete Aho-Corasick DFA. States at or past `first_match` end at least one keyword.
pub struct Table<S> {
    /// Byte to the offset of its class in a row: class 0 for every byte no keyword holds,
    /// ASCII letters folded.
    pub classes: [u16; 256],
    /// log2 of a row's length in bytes.
    pub shift: u32,
    /// The next state of state `s` on a byte: at `(s << shift) + classes[byte]`.
    pub trans: Cow<'static, [u8]>,
    pub first_match: usize,
    /// The keywords ending in match state `first_match + k`: `ids[ends[k]..ends[k + 1]]`.
    pub ends: Cow<'static, [u32]>,
    pub ids: Cow<'static, [u32]>,
    pub start: S,
}

/// The DFA in the narrowest state width that holds it.
pub enum Dfa {
    Narrow(Table<u16>),
    Wide(Table<u32>),
}

impl Dfa {
    /// The DFA of the `patterns`, matched ASCII case-insensitively; `None` when it would be
    /// too large.
    pub fn new<P: AsRef<str>>(patterns: &[P]) -> Option<Dfa> {
        let (classes, n) = classes(patterns);
        let trie = Trie::new(patterns, &classes, n.next_power_of_two())?;
        let order = trie.by_depth();
        let fail = trie.failures(&order);
        Some(if trie.states() <= u16::MAX as usize + 1 {
            Dfa::Narrow(pack(&trie, classes, &order, &fail))
        } else {
            Dfa::Wide(pack(&trie, classes, &order, &fail))
        })
    }

    /// Bytes of the table, for the record.
    #[cfg(test)]
    pub fn memory(&self) -> usize {
        let (Dfa::Narrow(Table { trans, .. }) | Dfa::Wide(Table { trans, .. })) = self;
        trans.len()
    }
}

impl<S: State> Table<S> {
    #[inline(always)]
    pub fn next(&self, s: S, byte: u8) -> S {
        S::load(
            &self.trans,
            (s.index() << self.shift) + self.classes[byte as usize] as usize,
        )
    }

    #[inline(always)]
    pub fn is_match(&self, s: S) -> bool {
        s.index() >= self.first_match
    }

    /// The keywords ending in match state `s`.
    pub fn matches(&self, s: S) -> &[u32] {
        let k = s.index() - self.first_match;
        &self.ids[self.ends[k] as usize..self.ends[k + 1] as usize]
    }
}

/// Byte classes: 0 for every byte no keyword holds, one class per other byte, ASCII
/// letters folded. Returns the table and the number of classes.
fn classes<P: AsRef<str>>(patterns: &[P]) -> ([u8; 256], usize) {
    let mut used = [false; 256];
    for p in patterns {
        for b in p.as_ref().bytes() {
            used[b.to_ascii_lowercase() as usize] = true;
        }
    }
    let mut classes = [0u8; 256];
    let mut n = 1usize;
    for b in 0..=255u8 {
        if used[b as usize] {
            classes[b as usize] = n as u8;
            classes[b.to_ascii_uppercase() as usize] = n as u8;
            n += 1;
        }
    }
    (classes, n)
}

/// No keyword, no state on a chain.
const NONE: u32 = u32::MAX;

/// No child in the trie: the root, which is nobody's child (and zeroed memory is cheap).
const NO_CHILD: u32 = 0;

/// The keyword trie: states by creation, each with the edge that made it.
struct Trie {
    shift: u32,
    /// Child of state s per class (`(s << shift) | class`), or NO_CHILD.
    goto: Vec<u32>,
    parent: Vec<u32>,
    class: Vec<u8>,
    depth: Vec<u32>,
    /// The first keyword ending at each state (or NONE); `same[k]`: the next one.
    first: Vec<u32>,
    same: Vec<u32>,
}

impl Trie {
    fn new<P: AsRef<str>>(patterns: &[P], classes: &[u8; 256], stride: usize) -> Option<Trie> {
        let shift = stride.trailing_zeros();
        // Room for the most states the keywords can make, reserved (not touched) up front.
        let most = patterns.iter().map(|p| p.as_ref().len()).sum::<usize>() + 1;
        let mut goto = Vec::with_capacity(most.saturating_mul(stride).min(MAX_CELLS));
        goto.resize(stride, NO_CHILD);
        let mut t = Trie {
            shift,
            goto,
            parent: vec![0],
            class: vec![0],
            depth: vec![0],
            first: vec![NONE],
            same: vec![NONE; patterns.len()],
        };
        for (id, p) in patterns.iter().enumerate() {
            let mut s = 0usize;
            for b in p.as_ref().bytes() {
                let c = classes[b as usize];
                let cell = (s << shift) | c as usize;
                s = match t.goto[cell] {
                    NO_CHILD => {
                        let new = t.parent.len();
                        if (new + 1) * stride > MAX_CELLS {
                            return None;
                        }
                        t.goto[cell] = new as u32;
                        t.goto.resize(t.goto.len() + stride, NO_CHILD);
                        t.parent.push(s as u32);
                        t.class.push(c);
                        t.depth.push(t.depth[s] + 1);
                        t.first.push(NONE);
                        new
                    }
                    child => child as usize,
                };
            }
            t.same[id] = t.first[s];
            t.first[s] = id as u32;
        }
        Some(t)
    }

    fn states(&self) -> usize {
        self.parent.len()
    }

    /// The states shallowest first (a state's failure state comes before it).
    fn by_depth(&self) -> Vec<u32> {
        counting_sort(&self.depth)
    }

    /// Each state's failure state: the longest proper suffix of its path that is a state.
    fn failures(&self, order: &[u32]) -> Vec<u32> {
        let mut fail = vec![0u32; self.states()];
        for &s in &order[1..] {
            let (p, c) = (
                self.parent[s as usize] as usize,
                self.class[s as usize] as usize,
            );
            if p == 0 {
                continue;
            }
            let mut f = fail[p] as usize;
            fail[s as usize] = loop {
                match self.goto[(f << self.shift) | c] {
                    NO_CHILD if f == 0 => break 0,
                    NO_CHILD => f = fail[f] as usize,
                    next => break next,
                }
            };
        }
        fail
    }
}

/// Indexes of `keys` in increasing order of key, stable.
fn counting_sort(keys: &[u32]) -> Vec<u32> {
    let max = keys.iter().copied().max().unwrap_or(0) as usize;
    let mut at = vec![0u32; max + 2];
    for &k in keys {
        at[k as usize + 1] += 1;
    }
    for k in 0..=max {
        at[k + 1] += at[k];
    }
    let mut order = vec![0u32; keys.len()];
    for (i, &k) in keys.iter().enumerate() {
        order[at[k as usize] as usize] = i as u32;
        at[k as usize] += 1;
    }
    order
}

/// The trie's states and failures made into a DFA whose match states come last.
///
/// In depth order, a state's row is its failure state's row (complete, being shallower)
/// with the state's own children written over it: a copy per state and a write per edge,
/// where filling cell by cell cost 20 M instructions for the built-in keywords.
fn pack<S: State>(trie: &Trie, classes: [u8; 256], order: &[u32], fail: &[u32]) -> Table<S> {
    let n = trie.states();
    let stride = 1usize << trie.shift;
    // The nearest state on each failure chain where a keyword ends (NONE: none).
    let mut dict = vec![NONE; n];
    for &s in &order[1..] {
        let f = fail[s as usize] as usize;
        dict[s as usize] = if trie.first[f] != NONE {
            f as u32
        } else {
            dict[f]
        };
    }
    let ends_here = |s: usize| trie.first[s] != NONE || dict[s] != NONE;
    let mut new = vec![0u32; n];
    let mut next = 0u32;
    let mut first_match = 0;
    for pass_matches in [false, true] {
        first_match = next as usize;
        for &s in order {
            if ends_here(s as usize) == pass_matches {
                new[s as usize] = next;
                next += 1;
            }
        }
    }
    // Children of each state, by parent, to write over the copied rows.
    let kids = counting_sort(&trie.parent);
    let mut kid_at = vec![0usize; n + 1];
    for &p in &trie.parent[1..] {
        kid_at[p as usize + 1] += 1;
    }
    for s in 0..n {
        kid_at[s + 1] += kid_at[s];
    }
    let kids = &kids[1..]; // the root is its own parent in `parent`; drop it
    let root = new[0] as usize;
    let width = 1usize << S::WIDTH_SHIFT;
    let row_bytes = stride * width;
    let mut trans = vec![0u8; n * row_bytes];
    if root != 0 {
        for cell in 0..stride {
            S::from_index(root).store(&mut trans, cell * width);
        }
    }
    for &s in order {
        let (s, row) = (s as usize, new[s as usize] as usize * row_bytes);
        if s != 0 {
            let from = new[fail[s] as usize] as usize * row_bytes;
            trans.copy_within(from..from + row_bytes, row);
        } else if row != 0 {
            trans.copy_within(0..row_bytes, row);
        }
        for &k in &kids[kid_at[s]..kid_at[s + 1]] {
            let at = row + trie.class[k as usize] as usize * width;
            S::from_index(new[k as usize] as usize).store(&mut trans, at);
        }
    }
    let (mut ends, mut ids) = (vec![0u32], Vec::new());
    let mut by_new = vec![0u32; n];
    for s in 0..n {
        by_new[new[s] as usize] = s as u32;
    }
    for &s in &by_new[first_match..] {
        let mut at = s;
        while at != NONE {
            let mut k = trie.first[at as usize];
            while k != NONE {
                ids.push(k);
                k = trie.same[k as usize];
            }
            at = dict[at as usize];
        }
        ends.push(ids.len() as u32);
    }
    Table {
        classes: classes.map(|c| (c as u16) << S::WIDTH_SHIFT),
        shift: trie.shift + S::WIDTH_SHIFT,
        trans: Cow::Owned(trans),
        first_match,
        ends: Cow::Owned(ends),
        ids: Cow::Owned(ids),
        start: S::from_index(root),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Every hit of a plain walk, as `(start, pattern)`, sorted.
    fn walk(d: &Dfa, pats: &[String], text: &[u8]) -> Vec<(usize, u32)> {
        fn go<S: State>(t: &Table<S>, pats: &[String], text: &[u8]) -> Vec<(usize, u32)> {
            let mut s = t.start;
            let mut out = Vec::new();
            if t.is_match(s) {
                out.extend(t.matches(s).iter().map(|&p| (0, p)));
            }
            for (i, &b) in text.iter().enumerate() {
                s = t.next(s, b);
                if t.is_match(s) {
                    out.extend(
                        t.matches(s)
                            .iter()
                            .map(|&p| (i + 1 - pats[p as usize].len(), p)),
                    );
                }
            }
            out.sort();
            out
        }
        match d {
            Dfa::Narrow(t) => go(t, pats, text),
            Dfa::Wide(t) => go(t, pats, text),
        }
    }

    /// What aho-corasick's own overlapping search finds, sorted: the oracle of the
    /// keyword stage's tests.
    pub(in crate::engine) fn oracle(pats: &[String], text: &[u8]) -> Vec<(usize, u32)> {
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(pats)
            .unwrap();
        let mut want: Vec<(usize, u32)> = ac
            .find_overlapping_iter(text)
            .map(|m| (m.start(), m.pattern().as_u32()))
            .collect();
        want.sort();
        want
    }

    /// A xorshift stream: the same pseudo-random keywords and texts on every run.
    fn stream(mut x: u64) -> impl FnMut() -> u64 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    #[test]
    fn agrees_with_aho_corasick_on_overlaps_case_and_non_ascii() {
        let pats: Vec<String> = [
            "sk_live_",
            "sk_",
            "live",
            "e",
            "ive_",
            "mon_test_",
            "é",
            "ß_key",
            "://",
            "key",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let d = Dfa::new(&pats).unwrap();
        assert!(matches!(d, Dfa::Narrow(_)));
        let text = "x SK_LIVE_key É é ß_KEY ss_key mon_TEST_ http://h Sk_Live_\n".as_bytes();
        assert_eq!(walk(&d, &pats, text), oracle(&pats, text));
    }

    /// Random keywords over a small alphabet (so that they overlap and share prefixes and
    /// suffixes) against random text over the same alphabet in both cases.
    #[test]
    fn agrees_with_aho_corasick_on_random_keywords() {
        let mut next = stream(0x9e37_79b9_7f4a_7c15);
        let alphabet = b"abcAB_-0";
        for round in 0..40 {
            let pats: Vec<String> = (0..1 + next() % 60)
                .map(|_| {
                    (0..1 + next() % 6)
                        .map(|_| alphabet[(next() % 6) as usize].to_ascii_lowercase() as char)
                        .collect()
                })
                .collect();
            let text: Vec<u8> = (0..500)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let d = Dfa::new(&pats).unwrap();
            assert_eq!(
                walk(&d, &pats, &text),
                oracle(&pats, &text),
                "round {round}"
            );
        }
    }

    /// Past 65,536 states the table takes 32-bit states and finds the same.
    #[test]
    fn many_states_take_wide_states() {
        let mut next = stream(42);
        let pats: Vec<String> = (0..8000)
            .map(|_| {
                (0..12)
                    .map(|_| (b'a' + (next() % 26) as u8) as char)
                    .collect()
            })
            .collect();
        let d = Dfa::new(&pats).unwrap();
        assert!(matches!(d, Dfa::Wide(_)), "{} bytes", d.memory());
        let mut text: Vec<u8> = (0..20_000).map(|_| b'a' + (next() % 26) as u8).collect();
        for p in pats.iter().step_by(97) {
            text.extend_from_slice(p.to_ascii_uppercase().as_bytes());
        }
        let hits = walk(&d, &pats, &text);
        assert!(hits.len() >= 8000 / 97);
        assert_eq!(hits, oracle(&pats, &text));
    }

    /// The built-in keywords fit 16-bit states in at most 2 MB.
    #[test]
    fn builtin_keywords_make_a_narrow_table() {
        let rules = crate::rules::RuleSet::load_builtin(None).unwrap();
        let mut all: Vec<String> = rules
            .rules
            .iter()
            .flat_map(|r| r.keywords.iter().map(|k| k.to_ascii_lowercase()))
            .collect();
        all.sort();
        all.dedup();
        let d = Dfa::new(&all).unwrap();
        assert!(matches!(d, Dfa::Narrow(_)));
        assert!(d.memory() <= 2 << 20, "{} bytes", d.memory());
    }
}
