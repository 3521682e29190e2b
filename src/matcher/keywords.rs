//! Case-insensitive search for every occurrence of several hundred keywords.
//!
//! An Aho-Corasick DFA over 500 keywords has no SIMD prefilter (Teddy stops at 128
//! patterns) and its transition table outgrows the L1 cache: each byte costs a dependent
//! table load, about 540 MB/s per core on curl's sources. Here each position is instead
//! tested independently — its next four bytes, ASCII-case-folded by setting bit 5 of every
//! byte, are hashed into a 512 Kibit set of keyword anchors — so the loop carries no
//! dependency from byte to byte, and with AVX2 tests 32 positions per step (eight hashes per
//! vector, their bits fetched with a gather; with AVX-512, 64 positions and sixteen hashes). A keyword's anchor is the four of its bytes
//! least common in source code (see [`anchor`]); a three-byte keyword sets one bit per
//! value of the low five bits of the byte after it (see [`slot`]). The positions that pass (0.6% of
//! curl's sources) are confirmed with one probe of a small hash table and an eight-bytes-
//! at-a-time case-insensitive compare.
//!
//! Folding with `| 0x20` maps `A-Z` onto `a-z` and merges a few punctuation pairs (`_` with
//! DEL, `[` with `{`…); merged pairs only cost a failed compare.

use std::collections::HashMap;

use aho_corasick::AhoCorasick;

/// Bits in the anchor set: 64 KiB. Measured on curl's release trees (2 threads): 16 KiB
/// 0.80 s, 32 KiB 0.72 s, 64 KiB 0.63 s, 128 KiB 0.65 s, 512 KiB 0.66 s; fewer false
/// candidates outweigh the cache misses up to here. (Measured before three-byte keywords
/// took 16 bits instead of 128; on one release tree in memory 16 and 32 KiB now come out
/// within noise of 64 KiB.)
const SET_BITS: u32 = 19;
const SET_WORDS: usize = 1 << (SET_BITS - 6);

/// Buckets of a [`Table`]; its offsets stay in the L1 cache.
const TABLE_BITS: u32 = 12;

/// Every keyword of every rule, searched case-insensitively.
pub struct Keywords {
    /// One bit per hashed folded anchor: four bytes of each keyword of four bytes or more,
    /// and each three-byte keyword followed by any byte.
    bits: Box<[u64; SET_WORDS]>,
    /// Keywords of three bytes or more by their folded anchor.
    table: Table,
    /// Keywords of one or two bytes (none in the bundled rules; a custom rule may have
    /// them), with the automaton's pattern ids mapped to keyword indexes.
    short: Option<(AhoCorasick, Vec<u32>)>,
    /// Whether the 32-positions-at-a-time AVX2 filter may run.
    avx2: bool,
    /// Whether the 64-positions-at-a-time AVX-512 filter may run.
    avx512: bool,
}

/// The first three bytes of a folded word.
const THREE: u32 = 0x00FF_FFFF;

/// Little-endian load of four bytes with every byte's bit 5 set.
#[inline(always)]
fn folded(bytes: [u8; 4]) -> u32 {
    u32::from_le_bytes(bytes) | 0x2020_2020
}

/// Where a folded word's bit is in the set: a hash of its first three bytes, its low five
/// bits flipped by the low five bits of the fourth byte. A three-byte keyword followed by
/// any byte then takes 32 bits, not 128. (Four bits let letters 16 apart collide: every
/// `conf` passed as `conv`, every `resu` as `rese`, a fifth of all candidates.)
#[inline(always)]
fn slot(word: u32) -> usize {
    (((word << 8).wrapping_mul(HASH) >> (32 - SET_BITS)) ^ ((word >> 24) & 31)) as usize
}

const HASH: u32 = 0x9E37_79B1;

/// The 16,384 folded four-byte sequences most common in source code, most common first, as
/// little-endian `u32`s: counted by `scripts/common-grams.py` over the sources of sprawl's
/// own dependencies (Rust, C, Markdown, TOML…).
const COMMON_GRAMS: &[u8] = include_bytes!("common-grams.bin");

/// How common each of [`COMMON_GRAMS`] is: the most common scores highest, any four bytes
/// not listed 0.
fn commonness() -> HashMap<u32, usize> {
    let grams = COMMON_GRAMS.chunks_exact(4);
    let n = grams.len();
    grams
        .enumerate()
        .map(|(rank, g)| (u32::from_le_bytes(g.try_into().expect("four bytes")), n - rank))
        .collect()
}

/// How rarely a byte starts a false candidate in source code: letters by their frequency
/// in English and identifiers, anything else (digits, `_`, `-`, `.`, `:`) rarest.
fn rarity(b: u8) -> usize {
    const COMMON_FIRST: &[u8] = b"etaoinsrlhdcupmfgbywvkxjqz";
    COMMON_FIRST.iter().position(|&c| c == b.to_ascii_lowercase()).unwrap_or(COMMON_FIRST.len())
}

/// Where the four bytes of `keyword` least likely to occur elsewhere start: a keyword is
/// anchored there, not at its start, so that `client-key-data` is not confirmed at every
/// `clie`. One byte four times (`----` in `private key-----`) is a ruler or an indent, on
/// every other line of some files, and comes last. Then the four bytes least common in
/// source code win (`woocommerce` is anchored away from `comm`, `mandrill` from `mand`:
/// this halves the positions of curl's sources that pass the filter but are no keyword),
/// then those that the fewest other keywords share, then the rarest letters.
fn anchor(keyword: &[u8], sharers: &HashMap<u32, usize>, common: &HashMap<u32, usize>) -> usize {
    (0..=keyword.len() - 4)
        .rev()
        .max_by_key(|&i| {
            let four = &keyword[i..i + 4];
            let word = folded(four.try_into().expect("four bytes"));
            let shared = sharers.get(&word).copied().unwrap_or(0);
            let seen = common.get(&word).copied().unwrap_or(0);
            let ruler = four.iter().all(|&b| b == four[0]);
            (
                !ruler,
                std::cmp::Reverse(seen),
                std::cmp::Reverse(shared),
                four.iter().map(|&b| rarity(b)).sum::<usize>(),
            )
        })
        .unwrap_or(0)
}

/// For each folded 4-byte gram, how many keywords contain it.
fn sharers(keywords: &[Vec<u8>]) -> HashMap<u32, usize> {
    let mut count = HashMap::new();
    for kw in keywords {
        let grams: std::collections::HashSet<u32> =
            kw.windows(4).map(|w| folded(w.try_into().expect("four bytes"))).collect();
        for g in grams {
            *count.entry(g).or_insert(0) += 1;
        }
    }
    count
}

/// A keyword as [`Table`] keeps it: its folded anchor, where the anchor sits in it, and its
/// lower-cased bytes in the table's arena.
#[derive(Clone, Copy)]
struct Entry {
    /// The folded anchor, or the three folded bytes of a three-byte keyword.
    word: u32,
    /// The bytes of a folded word that `word` must equal: four, or the first three.
    mask: u32,
    kw: u32,
    /// Bytes of the keyword before its anchor.
    back: u32,
    /// `arena[at..at + len]` is the keyword, lower-cased.
    at: u32,
    len: u32,
}

/// Every keyword by its folded anchor, grouped by a hash of the anchor's first three bytes
/// so that one probe finds three-byte keywords too.
struct Table {
    /// Bucket `b` holds `entries[offsets[b]..offsets[b + 1]]`.
    offsets: Vec<u16>,
    entries: Vec<Entry>,
    arena: Vec<u8>,
}

impl Table {
    fn bucket(word: u32) -> usize {
        ((word << 8).wrapping_mul(0x85EB_CA6B) >> (32 - TABLE_BITS)) as usize
    }

    fn new(mut entries: Vec<Entry>, arena: Vec<u8>) -> anyhow::Result<Self> {
        if entries.len() > usize::from(u16::MAX) {
            anyhow::bail!("too many keywords: {} anchors", entries.len());
        }
        entries.sort_unstable_by_key(|e| (Self::bucket(e.word), e.kw));
        let mut offsets = vec![0u16; (1 << TABLE_BITS) + 1];
        for e in &entries {
            offsets[Self::bucket(e.word) + 1] += 1;
        }
        for b in 1..offsets.len() {
            offsets[b] += offsets[b - 1];
        }
        Ok(Self { offsets, entries, arena })
    }
}

/// `x` with every ASCII upper-case letter lower-cased, eight bytes at a time: a byte is
/// upper-case when its low seven bits are in `A..=Z` and its high bit is clear.
#[inline(always)]
fn lower8(x: u64) -> u64 {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low7 = x & !HIGH;
    let at_least_a = low7.wrapping_add(0x0101_0101_0101_0101 * u64::from(0x80 - b'A'));
    let past_z = low7.wrapping_add(0x0101_0101_0101_0101 * u64::from(0x80 - b'Z' - 1));
    x | ((at_least_a & !past_z & !x & HIGH) >> 2)
}

/// Whether `hay` equals `lower` (lower-case) ignoring ASCII case.
#[inline(always)]
fn eq_lower(hay: &[u8], lower: &[u8]) -> bool {
    debug_assert_eq!(hay.len(), lower.len());
    let word = |b: &[u8], i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("eight bytes"));
    let n = hay.len();
    if n < 8 {
        return hay.eq_ignore_ascii_case(lower);
    }
    // Eight bytes at a time, the last eight overlapping the previous ones.
    (0..n - 8).step_by(8).chain([n - 8]).all(|i| lower8(word(hay, i)) == word(lower, i))
}

impl Keywords {
    /// Empty keywords are ignored.
    pub fn new(keywords: Vec<Vec<u8>>) -> anyhow::Result<Self> {
        let mut bits = Box::new([0u64; SET_WORDS]);
        let (mut entries, mut arena, mut short) = (Vec::new(), Vec::new(), (Vec::new(), Vec::new()));
        let (sharers, common) = (sharers(&keywords), commonness());
        for (i, kw) in keywords.iter().enumerate() {
            let mut set = |word: u32| bits[slot(word) >> 6] |= 1 << (slot(word) & 63);
            let mut entry = |word: u32, mask: u32, back: usize| {
                entries.push(Entry {
                    word,
                    mask,
                    kw: i as u32,
                    back: back as u32,
                    at: arena.len() as u32,
                    len: kw.len() as u32,
                });
            };
            match kw.len() {
                0 => continue,
                1 | 2 => {
                    short.0.push(kw.as_slice());
                    short.1.push(i as u32);
                    continue;
                }
                3 => {
                    let word = folded([kw[0], kw[1], kw[2], 0]) & THREE;
                    // Any byte may follow: one bit per value of its low five bits.
                    (0..32).for_each(|low| set(word | low << 24));
                    entry(word, THREE, 0);
                }
                _ => {
                    let at = anchor(kw, &sharers, &common);
                    let word = folded(kw[at..at + 4].try_into().expect("four bytes"));
                    set(word);
                    entry(word, u32::MAX, at);
                }
            }
            arena.extend(kw.iter().map(u8::to_ascii_lowercase));
        }
        let table = Table::new(entries, arena)?;
        let short = if short.0.is_empty() {
            None
        } else {
            Some((AhoCorasick::builder().ascii_case_insensitive(true).build(&short.0)?, short.1))
        };
        #[cfg(target_arch = "x86_64")]
        let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("bmi2");
        #[cfg(not(target_arch = "x86_64"))]
        let avx2 = false;
        #[cfg(target_arch = "x86_64")]
        let avx512 = avx2 && is_x86_feature_detected!("avx512f");
        #[cfg(not(target_arch = "x86_64"))]
        let avx512 = false;
        Ok(Self { bits, table, short, avx2, avx512 })
    }

    /// Calls `found(keyword index, start)` for every occurrence of every keyword in `hay`,
    /// overlapping ones included.
    pub fn find_all(&self, hay: &[u8], mut found: impl FnMut(u32, usize)) {
        if let Some((automaton, ids)) = &self.short {
            for m in automaton.find_overlapping_iter(hay) {
                found(ids[m.pattern().as_usize()], m.start());
            }
        }
        let mut at = 0;
        #[cfg(target_arch = "x86_64")]
        if self.avx512 {
            while at + 67 <= hay.len() {
                // SAFETY: the CPU has AVX-512F and BMI2 (checked when built), and
                // `hay[at..at + 67]` is in bounds.
                let hits = unsafe { avx512::passing(hay, at, &self.bits) };
                self.confirm_all(hay, at, hits, &mut found);
                at += 64;
            }
        }
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            while at + 35 <= hay.len() {
                // SAFETY: the CPU has AVX2 and BMI2 (checked when built), and
                // `hay[at..at + 35]` is in bounds.
                let hits = unsafe { avx2::passing(hay, at, &self.bits) };
                self.confirm_all(hay, at, u64::from(hits), &mut found);
                at += 32;
            }
        }
        // Five positions per 8-byte load, their set bits gathered without a branch.
        while let Some(&eight) = hay.get(at..).and_then(|rest| rest.first_chunk::<8>()) {
            let x = u64::from_le_bytes(eight) | 0x2020_2020_2020_2020;
            let mut hits = 0u32;
            for k in 0..5 {
                let slot = slot((x >> (8 * k)) as u32);
                hits |= ((self.bits[slot >> 6] >> (slot & 63)) as u32 & 1) << k;
            }
            while hits != 0 {
                let k = hits.trailing_zeros();
                self.confirm(hay, at + k as usize, (x >> (8 * k)) as u32, &mut found);
                hits &= hits - 1;
            }
            at += 5;
        }
        // The rest one position at a time, the last three zero-padded: the compare rejects
        // what runs past the end.
        for at in at..hay.len() {
            let mut word = [0u8; 4];
            let n = (hay.len() - at).min(4);
            word[..n].copy_from_slice(&hay[at..at + n]);
            self.confirm(hay, at, folded(word), &mut found);
        }
    }

    /// Confirms each position `at + k` whose bit `k` of `hits` is set.
    #[inline(always)]
    fn confirm_all(&self, hay: &[u8], at: usize, mut hits: u64, found: &mut impl FnMut(u32, usize)) {
        while hits != 0 {
            let k = hits.trailing_zeros() as usize;
            let word = folded(hay[at + k..at + k + 4].try_into().expect("four bytes"));
            self.confirm(hay, at + k, word, found);
            hits &= hits - 1;
        }
    }

    /// The keywords that really occur with their anchor at `at`, whose folded four bytes
    /// are `word`.
    #[inline(never)]
    fn confirm(&self, hay: &[u8], at: usize, word: u32, found: &mut impl FnMut(u32, usize)) {
        let Table { offsets, entries, arena } = &self.table;
        let b = Table::bucket(word);
        for e in &entries[usize::from(offsets[b])..usize::from(offsets[b + 1])] {
            if word & e.mask != e.word {
                continue;
            }
            let Some(start) = at.checked_sub(e.back as usize) else { continue };
            let (len, lower) = (e.len as usize, e.at as usize);
            if hay.get(start..start + len).is_some_and(|h| eq_lower(h, &arena[lower..lower + len])) {
                found(e.kw, start);
            }
        }
    }
}

/// The anchor-set test of 32 consecutive positions at once: eight hashes per vector,
/// their bits fetched with a gather from the same set the scalar loop reads.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{HASH, SET_BITS, SET_WORDS};

    /// Bit `k` set when position `at + k`'s folded four bytes hash to a set bit.
    ///
    /// # Safety
    /// The CPU must support AVX2 and BMI2, and `at + 35 <= hay.len()`.
    #[target_feature(enable = "avx2,bmi2")]
    pub unsafe fn passing(hay: &[u8], at: usize, bits: &[u64; SET_WORDS]) -> u32 {
        debug_assert!(at + 35 <= hay.len());
        let fold = _mm256_set1_epi32(0x2020_2020);
        let mul = _mm256_set1_epi32(HASH as i32);
        let low5 = _mm256_set1_epi32(31);
        // The set read as 32-bit words: bit `s` is bit `s % 32` of word `s / 32` on a
        // little-endian machine, as it is bit `s % 64` of u64 word `s / 64`.
        let words = bits.as_ptr().cast::<i32>();
        let mut passing = 0u32;
        for offset in 0..4 {
            // Lane `i` holds the four bytes at `at + offset + 4 i`.
            // SAFETY: `at + offset + 32 <= at + 35 <= hay.len()`.
            let four = unsafe { _mm256_loadu_si256(hay.as_ptr().add(at + offset).cast()) };
            let four = _mm256_or_si256(four, fold);
            let three = _mm256_srli_epi32::<{ 32 - SET_BITS as i32 }>(_mm256_mullo_epi32(
                _mm256_slli_epi32::<8>(four),
                mul,
            ));
            let slot = _mm256_xor_si256(three, _mm256_and_si256(_mm256_srli_epi32::<24>(four), low5));
            // SAFETY: every slot is below 2^SET_BITS, so every word index is in the set.
            let word = unsafe { _mm256_i32gather_epi32::<4>(words, _mm256_srli_epi32::<5>(slot)) };
            let bit = _mm256_slli_epi32::<31>(_mm256_srlv_epi32(word, _mm256_and_si256(slot, low5)));
            let lanes = _mm256_movemask_ps(_mm256_castsi256_ps(bit)) as u32;
            passing |= _pdep_u32(lanes, 0x1111_1111) << offset;
        }
        passing
    }
}

/// The same test as [`avx2::passing`] for 64 consecutive positions: sixteen hashes per
/// vector, half as many gathers for the same positions.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::{HASH, SET_BITS, SET_WORDS};

    /// Bit `k` set when position `at + k`'s folded four bytes hash to a set bit.
    ///
    /// # Safety
    /// The CPU must support AVX-512F and BMI2, and `at + 67 <= hay.len()`.
    #[target_feature(enable = "avx512f,bmi2")]
    pub unsafe fn passing(hay: &[u8], at: usize, bits: &[u64; SET_WORDS]) -> u64 {
        debug_assert!(at + 67 <= hay.len());
        let fold = _mm512_set1_epi32(0x2020_2020);
        let mul = _mm512_set1_epi32(HASH as i32);
        let low5 = _mm512_set1_epi32(31);
        let one = _mm512_set1_epi32(1);
        let words = bits.as_ptr().cast::<i32>();
        let mut passing = 0u64;
        for offset in 0..4 {
            // Lane `i` holds the four bytes at `at + offset + 4 i`.
            // SAFETY: `at + offset + 64 <= at + 67 <= hay.len()`.
            let four = unsafe { _mm512_loadu_si512(hay.as_ptr().add(at + offset).cast()) };
            let four = _mm512_or_si512(four, fold);
            let three =
                _mm512_srli_epi32::<{ 32 - SET_BITS }>(_mm512_mullo_epi32(_mm512_slli_epi32::<8>(four), mul));
            let slot = _mm512_xor_si512(three, _mm512_and_si512(_mm512_srli_epi32::<24>(four), low5));
            // SAFETY: every slot is below 2^SET_BITS, so every word index is in the set.
            let word = unsafe { _mm512_i32gather_epi32::<4>(_mm512_srli_epi32::<5>(slot), words) };
            let lanes = _mm512_test_epi32_mask(_mm512_srlv_epi32(word, _mm512_and_si512(slot, low5)), one);
            passing |= _pdep_u64(u64::from(lanes), 0x1111_1111_1111_1111) << offset;
        }
        passing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(keywords: &[&str], hay: &str) -> Vec<(String, usize)> {
        let set = Keywords::new(keywords.iter().map(|k| k.as_bytes().to_vec()).collect()).expect("builds");
        let mut out = Vec::new();
        set.find_all(hay.as_bytes(), |kw, at| out.push((keywords[kw as usize].to_string(), at)));
        out.sort();
        out
    }

    #[test]
    fn finds_overlapping_keywords_in_any_case() {
        let found = all(&["secret", "client_secret", "api", "://"], "Client_SECRET=x https://API");
        assert_eq!(
            found,
            [("://".into(), 21), ("api".into(), 24), ("client_secret".into(), 0), ("secret".into(), 7)]
        );
    }

    #[test]
    fn keywords_at_the_very_end_and_punctuation_folding() {
        assert_eq!(all(&["hf_", "key_"], "x hf_"), [("hf_".into(), 2)]);
        assert_eq!(all(&["hf_"], "hf"), []);
        // `_` and DEL fold together; `{` and `[` too: neither may match the other.
        assert_eq!(all(&["key_", "[pypi]"], "key\x7f {pypi]"), []);
        assert_eq!(all(&["sg."], "SG."), [("sg.".into(), 0)]);
        assert_eq!(all(&["x", "ab"], "AB-x"), [("ab".into(), 0), ("x".into(), 3)]);
    }

    #[test]
    fn vector_and_scalar_filters_agree() {
        let keywords: Vec<&str> =
            vec!["ghp_", "password", "hf_", "begin rsa private key", "aaaaaaaaaaaaaaaaaaaa"];
        let mut hay = String::new();
        for i in 0..400 {
            hay.push_str(
                [
                    "x",
                    "GHP_",
                    "Password",
                    " hf_",
                    "-----BEGIN RSA PRIVATE KEY",
                    "AAAAAAAAAAAAAAAAAAAAAA",
                    "\n",
                ][i % 7],
            );
            hay.push_str(&"abc def "[..i % 8]);
        }
        let mut set =
            Keywords::new(keywords.iter().map(|k| k.as_bytes().to_vec()).collect()).expect("builds");
        let run = |set: &Keywords| {
            let mut out = Vec::new();
            set.find_all(hay.as_bytes(), |kw, at| out.push((kw, at)));
            out.sort();
            out
        };
        let widest = run(&set);
        set.avx512 = false;
        let avx2 = run(&set);
        set.avx2 = false;
        let scalar = run(&set);
        assert_eq!(widest, scalar);
        assert_eq!(avx2, scalar);
        assert!(scalar.len() > 250, "{}", scalar.len());
    }

    #[test]
    fn eight_byte_lowering_matches_the_standard_library() {
        for b in 0..=255u8 {
            let x = u64::from_le_bytes([b, b'Z', b'@', b'[', b'A', b'a', 0x80 | b'A', b]);
            let expected = u64::from_le_bytes([
                b.to_ascii_lowercase(),
                b'z',
                b'@',
                b'[',
                b'a',
                b'a',
                0x80 | b'A',
                b.to_ascii_lowercase(),
            ]);
            assert_eq!(lower8(x), expected, "byte {b:#x}");
        }
        assert!(eq_lower(b"Client-Key-DATA", b"client-key-data"));
        assert!(!eq_lower(b"client_key\x7fdata", b"client_key_data"));
        assert!(!eq_lower(b"CLIENT_KEY-DATA", b"client-key-data"));
    }

    #[test]
    fn anchors_avoid_four_bytes_common_in_code() {
        let set = |kw: &str| Keywords::new(vec![kw.as_bytes().to_vec()]).expect("builds");
        let anchored = |kw: &str| {
            let e = set(kw).table.entries[0];
            kw[e.back as usize..e.back as usize + 4].to_string()
        };
        for (kw, not) in [("woocommerce", "comm"), ("mandrill", "mand"), ("linkedin", "link")] {
            assert_ne!(anchored(kw), not, "{kw}");
        }
        assert_ne!(anchored("private key-----"), "----", "a ruler comes last");
        assert!(commonness().len() == COMMON_GRAMS.len() / 4 && COMMON_GRAMS.len() == 4 * 16_384);
        // The most common four bytes of code are blanks (an indent).
        assert_eq!(&COMMON_GRAMS[..4], b"    ");
    }

    #[test]
    fn agrees_with_a_naive_search() {
        let keywords = ["token", "toke", "tok", "password", "pwd", "akia", "xoxb-", "://", "begin rsa"];
        let hay = "TOKEN tokenpwd xoxb-1 AKIAx https://h -----BEGIN RSA PRIVATE tok toke";
        let mut naive = Vec::new();
        for (i, kw) in keywords.iter().enumerate() {
            for at in 0..hay.len() {
                if hay[at..].to_ascii_lowercase().starts_with(kw) {
                    naive.push((keywords[i].to_string(), at));
                }
            }
        }
        naive.sort();
        assert_eq!(all(&keywords, hay), naive);
    }
}
