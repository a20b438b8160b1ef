//! `archive::expand` on arbitrary bytes in every format the first bytes claim: it never
//! panics, stays within its budget, and hands over entries no larger than allowed.
#![no_main]

use leakguard::source::archive::{expand, sniff, Budget, Data, Format};
use libfuzzer_sys::fuzz_target;

const MAX_ENTRY: u64 = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let formats = [
        Format::Zip,
        Format::Tar,
        Format::Gzip,
        Format::Bzip2,
        Format::Xz,
        Format::Zstd,
        Format::Asar,
        Format::Crx,
    ];
    let guessed = sniff(data);
    for format in formats
        .into_iter()
        .filter(|f| guessed.is_none_or(|g| g == *f))
    {
        let mut budget = Budget {
            bytes: 8 << 20,
            entries: 1000,
            memory: 4 << 20,
        };
        let mut seen = 0u64;
        let mut visit = |e: leakguard::source::archive::Entry<'_>, _: &mut Budget| {
            seen += 1;
            if let Data::Bytes(b) = e.data {
                assert!(b.len() as u64 <= MAX_ENTRY);
            }
        };
        let _ = expand(data, format, "fuzz", MAX_ENTRY, &mut budget, &mut visit);
        assert!(seen <= 1000);
    }
});
