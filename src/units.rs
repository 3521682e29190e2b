//! How values are written and read: sizes people type (`100M`), times (RFC 3339 UTC) and
//! hex. A leaf: it imports nothing of the pipeline.

/// `100M` → 104857600. Accepts a plain byte count or a K/M/G suffix (powers of 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, mult) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let mult = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => return Err(format!("unknown size suffix in {s:?}: use K, M or G")),
            };
            (&s[..i], mult)
        }
        _ => (s, 1),
    };
    let n: u64 = digits.parse().map_err(|_| format!("not a size: {s:?}"))?;
    n.checked_mul(mult).ok_or_else(|| format!("size too large: {s:?}"))
}

/// `1970-01-01T00:00:00Z` for a unix time (proleptic Gregorian calendar).
pub fn rfc3339_utc(time: i64) -> String {
    let days = time.div_euclid(86_400);
    let secs = time.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3_600, secs / 60 % 60, secs % 60)
}

/// Unix time of `YYYY-MM-DD` (midnight UTC), `YYYY-MM-DDTHH:MM:SS` followed by `Z` or an
/// offset `±HH:MM`, or `@SECONDS`.
pub fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(secs) = s.strip_prefix('@') {
        return secs.parse().ok();
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if s.get(4..5)? != "-" || s.get(7..8)? != "-" || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    if s.len() == 10 {
        return Some(days * 86_400);
    }
    if !matches!(s.get(10..11)?, "T" | "t" | " ") || s.get(13..14)? != ":" || s.get(16..17)? != ":" {
        return None;
    }
    let (h, m, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let offset = match s.get(19..)? {
        "Z" | "z" => 0,
        tz if tz.len() == 6 && tz.get(3..4)? == ":" => {
            let sign = match tz.get(..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            sign * (tz.get(1..3)?.parse::<i64>().ok()? * 3_600 + tz.get(4..6)?.parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    Some(days * 86_400 + h * 3_600 + m * 60 + sec - offset)
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("100M"), Ok(100 << 20));
        assert_eq!(parse_size("4k"), Ok(4096));
        assert_eq!(parse_size("12"), Ok(12));
        assert!(parse_size("1X").is_err());
    }

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn dates_round_trip() {
        for t in [0, 951_782_400, 1_700_000_000, 4_107_542_399] {
            assert_eq!(parse_date(&rfc3339_utc(t)), Some(t));
        }
        assert_eq!(parse_date("2024-03-01"), Some(1_709_251_200));
        assert_eq!(parse_date("2024-03-01T02:00:00+02:00"), Some(1_709_251_200));
        assert_eq!(parse_date("@42"), Some(42));
        for bad in ["2024-13-01", "yesterday", "2024-03-01T00:00", "2024-3-1"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
