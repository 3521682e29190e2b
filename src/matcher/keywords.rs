//! Case-insensitive search for every occurrence of several hundred keywords.
//!
//! An Aho-Corasick DFA over 500 keywords has no SIMD prefilter (Teddy stops at 128
//! patterns) and its transition table outgrows the L1 cache: each byte costs a dependent
//! table load, about 540 MB/s per core on curl's sources. Here each position is instead
//! tested independently — its next four bytes, ASCII-case-folded by setting bit 5 of every
//! byte, are hashed into a 512 Kibit set of keyword anchors — so the loop carries no
//! dependency from byte to byte, and with AVX2 tests 32 positions per step (eight hashes per
//! vector, their bits fetched with a gather). A keyword's anchor is the four of its bytes
//! least likely to occur in code (see [`anchor`]). The few positions that pass are
//! confirmed in a small hash table and by a case-insensitive compare.
//!
//! Folding with `| 0x20` maps `A-Z` onto `a-z` and merges a few punctuation pairs (`_` with
//! DEL, `[` with `{`…); merged pairs only cost a failed compare.

use std::collections::HashMap;

use aho_corasick::AhoCorasick;

/// Bits in the anchor set: 64 KiB. Measured on curl's release trees (2 threads): 16 KiB
/// 0.80 s, 32 KiB 0.72 s, 64 KiB 0.63 s, 128 KiB 0.65 s, 512 KiB 0.66 s; fewer false
/// candidates outweigh the cache misses up to here.
const SET_BITS: u32 = 19;
const SET_WORDS: usize = 1 << (SET_BITS - 6);

/// Buckets of a [`Table`]; its offsets stay in the L1 cache.
const TABLE_BITS: u32 = 12;

/// The low three bytes of a folded word.
const THREE: u32 = 0x00FF_FFFF;

/// Every keyword of every rule, searched case-insensitively.
pub struct Keywords {
    keywords: Vec<Vec<u8>>,
    /// Per keyword, where its anchor starts in it.
    anchor_at: Vec<usize>,
    /// One bit per hashed folded anchor: four bytes of each keyword of four bytes or more,
    /// and each three-byte keyword followed by any byte.
    bits: Box<[u64; SET_WORDS]>,
    /// Keywords of four bytes or more by their folded anchor.
    four: Table,
    /// Keywords of three bytes by their folded bytes.
    three: Table,
    /// Keywords of one or two bytes (none in the bundled rules; a custom rule may have
    /// them), with the automaton's pattern ids mapped to keyword indexes.
    short: Option<(AhoCorasick, Vec<u32>)>,
    /// Whether the 32-positions-at-a-time AVX2 filter may run.
    avx2: bool,
}

/// Little-endian load of four bytes with every byte's bit 5 set.
#[inline(always)]
fn folded(bytes: [u8; 4]) -> u32 {
    u32::from_le_bytes(bytes) | 0x2020_2020
}

#[inline(always)]
fn slot(word: u32) -> usize {
    (word.wrapping_mul(0x9E37_79B1) >> (32 - SET_BITS)) as usize
}

/// How rarely a byte starts a false candidate in source code: letters by their frequency
/// in English and identifiers, anything else (digits, `_`, `-`, `.`, `:`) rarest.
fn rarity(b: u8) -> usize {
    const COMMON_FIRST: &[u8] = b"etaoinsrlhdcupmfgbywvkxjqz";
    COMMON_FIRST.iter().position(|&c| c == b.to_ascii_lowercase()).unwrap_or(COMMON_FIRST.len())
}

/// Where the four bytes of `keyword` least likely to occur elsewhere start: a keyword is
/// anchored there, not at its start, so that `client-key-data` is not confirmed at every
/// `clie`. Four bytes that many keywords share (`_key`, `word`, `oken`) are common in code
/// too, so the fewest sharers win first, then the rarest letters.
fn anchor(keyword: &[u8], sharers: &HashMap<u32, usize>) -> usize {
    (0..=keyword.len() - 4)
        .rev()
        .max_by_key(|&i| {
            let four = &keyword[i..i + 4];
            let shared = sharers.get(&folded(four.try_into().expect("four bytes"))).copied().unwrap_or(0);
            (std::cmp::Reverse(shared), four.iter().map(|&b| rarity(b)).sum::<usize>())
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

/// `(folded anchor, keyword index)` pairs grouped by a hash of the anchor.
struct Table {
    /// Bucket `b` holds `entries[offsets[b]..offsets[b + 1]]`.
    offsets: Vec<u16>,
    entries: Vec<(u32, u32)>,
}

impl Table {
    fn bucket(word: u32) -> usize {
        (word.wrapping_mul(0x85EB_CA6B) >> (32 - TABLE_BITS)) as usize
    }

    fn new(mut entries: Vec<(u32, u32)>) -> Self {
        entries.sort_unstable_by_key(|&(word, kw)| (Self::bucket(word), kw));
        let mut offsets = vec![0u16; (1 << TABLE_BITS) + 1];
        for &(word, _) in &entries {
            offsets[Self::bucket(word) + 1] += 1;
        }
        for b in 1..offsets.len() {
            offsets[b] += offsets[b - 1];
        }
        Self { offsets, entries }
    }

    #[inline(always)]
    fn get(&self, word: u32) -> impl Iterator<Item = u32> + '_ {
        let b = Self::bucket(word);
        self.entries[usize::from(self.offsets[b])..usize::from(self.offsets[b + 1])]
            .iter()
            .filter(move |&&(w, _)| w == word)
            .map(|&(_, kw)| kw)
    }
}

impl Keywords {
    /// Empty keywords are ignored.
    pub fn new(keywords: Vec<Vec<u8>>) -> anyhow::Result<Self> {
        let mut bits = Box::new([0u64; SET_WORDS]);
        let mut set = |word: u32| bits[slot(word) >> 6] |= 1 << (slot(word) & 63);
        let (mut four, mut three, mut short) = (Vec::new(), Vec::new(), (Vec::new(), Vec::new()));
        let mut anchor_at = vec![0; keywords.len()];
        let sharers = sharers(&keywords);
        for (i, kw) in keywords.iter().enumerate() {
            match kw.len() {
                0 => {}
                1 | 2 => {
                    short.0.push(kw.as_slice());
                    short.1.push(i as u32);
                }
                3 => {
                    let word = folded([kw[0], kw[1], kw[2], 0]) & THREE;
                    three.push((word, i as u32));
                    for next in 0..=255u32 {
                        set(word | (next << 24) | 0x2000_0000);
                    }
                }
                _ => {
                    let at = anchor(kw, &sharers);
                    anchor_at[i] = at;
                    let word = folded(kw[at..at + 4].try_into().expect("four bytes"));
                    four.push((word, i as u32));
                    set(word);
                }
            }
        }
        if four.len() + three.len() > usize::from(u16::MAX) {
            anyhow::bail!("too many keywords: {}", four.len() + three.len());
        }
        let (four, three) = (Table::new(four), Table::new(three));
        let short = if short.0.is_empty() {
            None
        } else {
            Some((AhoCorasick::builder().ascii_case_insensitive(true).build(&short.0)?, short.1))
        };
        #[cfg(target_arch = "x86_64")]
        let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("bmi2");
        #[cfg(not(target_arch = "x86_64"))]
        let avx2 = false;
        Ok(Self { keywords, anchor_at, bits, four, three, short, avx2 })
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
        if self.avx2 {
            while at + 35 <= hay.len() {
                // SAFETY: the CPU has AVX2 and BMI2 (checked when built), and
                // `hay[at..at + 35]` is in bounds.
                let mut hits = unsafe { avx2::passing(hay, at, &self.bits) };
                while hits != 0 {
                    let k = hits.trailing_zeros() as usize;
                    let word = folded(hay[at + k..at + k + 4].try_into().expect("four bytes"));
                    self.confirm(hay, at + k, word, &mut found);
                    hits &= hits - 1;
                }
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

    /// The keywords that really occur with their anchor at `at`, whose folded four bytes
    /// are `word`.
    #[inline(never)]
    fn confirm(&self, hay: &[u8], at: usize, word: u32, found: &mut impl FnMut(u32, usize)) {
        for kw in self.four.get(word).chain(self.three.get(word & THREE)) {
            let keyword = &self.keywords[kw as usize];
            let Some(start) = at.checked_sub(self.anchor_at[kw as usize]) else { continue };
            if hay.get(start..start + keyword.len()).is_some_and(|h| h.eq_ignore_ascii_case(keyword)) {
                found(kw, start);
            }
        }
    }
}

/// The anchor-set test of 32 consecutive positions at once: eight hashes per vector,
/// their bits fetched with a gather from the same set the scalar loop reads.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{SET_BITS, SET_WORDS};

    /// Bit `k` set when position `at + k`'s folded four bytes hash to a set bit.
    ///
    /// # Safety
    /// The CPU must support AVX2 and BMI2, and `at + 35 <= hay.len()`.
    #[target_feature(enable = "avx2,bmi2")]
    pub unsafe fn passing(hay: &[u8], at: usize, bits: &[u64; SET_WORDS]) -> u32 {
        debug_assert!(at + 35 <= hay.len());
        let fold = _mm256_set1_epi32(0x2020_2020);
        let mul = _mm256_set1_epi32(0x9E37_79B1_u32 as i32);
        let low5 = _mm256_set1_epi32(31);
        // The set read as 32-bit words: bit `s` is bit `s % 32` of word `s / 32` on a
        // little-endian machine, as it is bit `s % 64` of u64 word `s / 64`.
        let words = bits.as_ptr().cast::<i32>();
        let mut passing = 0u32;
        for offset in 0..4 {
            // Lane `i` holds the four bytes at `at + offset + 4 i`.
            // SAFETY: `at + offset + 32 <= at + 35 <= hay.len()`.
            let four = unsafe { _mm256_loadu_si256(hay.as_ptr().add(at + offset).cast()) };
            let slot = _mm256_srli_epi32::<{ 32 - SET_BITS as i32 }>(_mm256_mullo_epi32(
                _mm256_or_si256(four, fold),
                mul,
            ));
            // SAFETY: every slot is below 2^SET_BITS, so every word index is in the set.
            let word = unsafe { _mm256_i32gather_epi32::<4>(words, _mm256_srli_epi32::<5>(slot)) };
            let bit = _mm256_slli_epi32::<31>(_mm256_srlv_epi32(word, _mm256_and_si256(slot, low5)));
            let lanes = _mm256_movemask_ps(_mm256_castsi256_ps(bit)) as u32;
            passing |= _pdep_u32(lanes, 0x1111_1111) << offset;
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
        let fast = run(&set);
        set.avx2 = false;
        let scalar = run(&set);
        assert_eq!(fast, scalar);
        assert!(scalar.len() > 250, "{}", scalar.len());
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
