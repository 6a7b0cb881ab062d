//! The detectors: hand-written scanners over the text's bytes (no regular expressions, so
//! nothing is added to the wasm beyond this code). Every detector starts only at a token
//! boundary and checks what follows a match, so a number inside a longer number, a word
//! inside an identifier or an address inside a longer dotted run is never taken.
//!
//! One pass over the text finds everything except e-mail addresses and URL credentials
//! (found from each `@`) and the user's own terms.

use super::{Kind, Match};

/// Which detectors run, and the user's terms (lower-cased, as chars).
pub(super) struct Detectors {
    pub email: bool,
    pub phone: bool,
    pub ip: bool,
    pub card: bool,
    pub iban: bool,
    pub secret: bool,
    pub terms: Vec<Vec<char>>,
}

impl Detectors {
    /// Every match in `text`, sorted by start, without overlaps (the earlier, then the
    /// longer match wins).
    pub fn find(&self, text: &str, out: &mut Vec<Match>) {
        out.clear();
        let b = text.as_bytes();
        if self.email || self.secret {
            at_signs(self, b, out);
        }
        if self.phone || self.ip || self.card || self.iban || self.secret {
            tokens(self, b, out);
        }
        if !self.terms.is_empty() {
            terms(&self.terms, text, out);
        }
        if out.len() > 1 {
            crate::sort::sort_by(out, |x, y| x.start.cmp(&y.start).then(y.end.cmp(&x.end)));
            let mut end = 0;
            out.retain(|m| {
                let keep = m.start >= end;
                if keep {
                    end = m.end;
                }
                keep
            });
        }
    }
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

fn before(b: &[u8], i: usize) -> u8 {
    if i == 0 {
        0
    } else {
        b[i - 1]
    }
}

fn push(out: &mut Vec<Match>, kind: Kind, start: usize, end: usize, rule: &'static str) {
    out.push(Match {
        kind,
        start,
        end,
        rule,
    });
}

// ---------------------------------------------------------------------------------------
// E-mail addresses and credentials in URLs, found from each `@`.

fn is_local(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_domain(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-')
}

/// File extensions that make `icon@2x.png` a file name, not an address.
const IMAGE_EXTENSIONS: [&str; 12] = [
    "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "tif", "tiff", "avif", "heic",
];

fn at_signs(d: &Detectors, b: &[u8], out: &mut Vec<Match>) {
    let mut from = 0;
    while let Some(off) = memchr::memchr(b'@', &b[from..]) {
        let p = from + off;
        from = p + 1;
        if d.secret {
            if let Some(m) = url_credentials(b, p) {
                out.push(m);
                continue;
            }
        }
        if d.email {
            if let Some((s, e)) = email(b, p) {
                push(out, Kind::Email, s, e, "e-mail address");
                from = e;
            }
        }
    }
}

/// `scheme://user:password@host`: the password (or a token used as the user name).
fn url_credentials(b: &[u8], p: usize) -> Option<Match> {
    // The userinfo runs back from `@` to `://`, without spaces, slashes or quotes.
    let mut s = p;
    while s > 0 {
        let c = b[s - 1];
        if c.is_ascii_whitespace() || matches!(c, b'/' | b'"' | b'\'' | b'<' | b'>' | b'(' | b'`') {
            break;
        }
        s -= 1;
    }
    if s < 3 || &b[s - 3..s] != b"://" || s == p {
        return None;
    }
    let userinfo = &b[s..p];
    let (value_start, value) = match memchr::memchr(b':', userinfo) {
        Some(c) => (s + c + 1, &userinfo[c + 1..]),
        None => (s, userinfo),
    };
    let has_user = value_start != s;
    let ok = if has_user {
        value.len() >= 4 && !is_placeholder(value) && !value.iter().all(u8::is_ascii_lowercase)
    } else {
        // `https://TOKEN@github.com`: only a long random user name is a secret.
        value.len() >= 20 && looks_random(value)
    };
    ok.then_some(Match {
        kind: Kind::Secret,
        start: value_start,
        end: p,
        rule: "credentials in a URL",
    })
}

fn email(b: &[u8], p: usize) -> Option<(usize, usize)> {
    let mut s = p;
    while s > 0 && is_local(b[s - 1]) && p - s < 64 {
        s -= 1;
    }
    while s < p && matches!(b[s], b'.' | b'-' | b'+') {
        s += 1;
    }
    if s == p || (s > 0 && (b[s - 1] >= 0x80 || b[s - 1] == b'@')) {
        return None;
    }
    let local = &b[s..p];
    if local == b"git" {
        return None; // git@github.com:owner/repo — an SSH remote, not a person
    }
    let mut e = p + 1;
    while e < b.len() && is_domain(b[e]) {
        e += 1;
    }
    while e > p + 1 && matches!(b[e - 1], b'.' | b'-') {
        e -= 1;
    }
    if at(b, e) >= 0x80 || at(b, e) == b'@' {
        return None;
    }
    let mut domain = std::str::from_utf8(&b[p + 1..e]).ok()?;
    loop {
        let (rest, tld) = domain.rsplit_once('.')?;
        if rest.is_empty()
            || rest.split('.').any(str::is_empty)
            || !(2..=24).contains(&tld.len())
            || !tld.bytes().all(|c| c.is_ascii_alphabetic())
        {
            return None;
        }
        if IMAGE_EXTENSIONS.contains(&tld.to_ascii_lowercase().as_str()) {
            // `ana@x.org.png` is an address in a file name; `icon@2x.png` is not.
            domain = rest;
            continue;
        }
        return Some((s, p + 1 + domain.len()));
    }
}

// ---------------------------------------------------------------------------------------
// The token pass: numbers (phones, cards, IP addresses), IBANs, secrets and assignments.

/// Byte classes of the token pass: 0 starts nothing, 1 is a word byte (ASCII letter, digit,
/// `_`), 2 may start a phone number or a private key (`+`, `(`, `-`).
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = if b.is_ascii_alphanumeric() || b == b'_' {
            1
        } else if b == b'+' || b == b'(' || b == b'-' {
            2
        } else {
            0
        };
        c += 1;
    }
    t
};

fn tokens(d: &Detectors, b: &[u8], out: &mut Vec<Match>) {
    let n = b.len();
    let mut i = 0;
    while i < n {
        while i < n && CLASS[usize::from(b[i])] == 0 {
            i += 1;
        }
        if i >= n {
            break;
        }
        let c = b[i];
        if CLASS[usize::from(c)] == 1 {
            let prev = before(b, i);
            let mut e = i;
            let mut digit = false;
            while e < n && CLASS[usize::from(b[e])] == 1 {
                digit |= b[e].is_ascii_digit();
                e += 1;
            }
            let start_ok = !(prev >= 0x80 && is_letter_before(b, i));
            // Most words can start nothing (see `plain_word`); ids are skipped whole.
            if start_ok && (digit || !plain_word(b, i, e, prev)) {
                if digit {
                    if let Some(end) = uuid_end(b, i) {
                        i = end;
                        continue;
                    }
                }
                if let Some(m) = token_at(d, b, i) {
                    i = m.end;
                    out.push(m);
                    continue;
                }
            }
            i = e;
            continue;
        }
        if (c == b'+' || c == b'(') && d.phone && !is_word(before(b, i)) {
            if let Some(e) = phone(b, i) {
                push(out, Kind::Phone, i, e, "phone number");
                i = e;
                continue;
            }
        }
        if c == b'-' && d.secret && b[i..].starts_with(b"-----BEGIN ") {
            if let Some(e) = pem(b, i) {
                push(out, Kind::Secret, i, e, "private key");
                i = e;
                continue;
            }
        }
        i += 1;
    }
}

/// The end of a UUID (8-4-4-4-12 hex digits) at `i` that is not part of a longer token:
/// ids, never personal, and everywhere in ChatGPT's JSON.
fn uuid_end(b: &[u8], i: usize) -> Option<usize> {
    let s = b.get(i..i + 36)?;
    let ok = s.iter().enumerate().all(|(k, &c)| {
        if matches!(k, 8 | 13 | 18 | 23) {
            c == b'-'
        } else {
            c.is_ascii_hexdigit()
        }
    });
    (ok && !is_key_char(at(b, i + 36)) && at(b, i + 36) != b'.').then_some(i + 36)
}

/// Whether the non-ASCII character ending at `i` is a letter (so `i` is inside a word
/// such as `Größe2`); other non-ASCII characters (spaces, punctuation, CJK) are boundaries.
fn is_letter_before(b: &[u8], i: usize) -> bool {
    let mut s = i - 1;
    while s > 0 && (b[s] & 0xC0) == 0x80 {
        s -= 1;
    }
    std::str::from_utf8(&b[s..i])
        .ok()
        .and_then(|x| x.chars().next())
        .is_some_and(|c| c.is_alphanumeric() && !is_cjk(c))
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

fn token_at(d: &Detectors, b: &[u8], i: usize) -> Option<Match> {
    let c = b[i];
    let prev = before(b, i);
    if c.is_ascii_digit() {
        if prev == b'.' || matches!(prev, b',' | b'-') && before(b, i - 1).is_ascii_digit() {
            return None;
        }
        // Fast paths: most numbers are short and end in a space or a letter.
        let mut e = i;
        while e < b.len() && b[e].is_ascii_digit() {
            e += 1;
        }
        let next = at(b, e);
        if is_word(next) {
            // `2a02:…` (an IPv6 group) or a 40-character AWS secret.
            if d.ip && hex_then_colon(b, i) {
                if let Some(e) = ipv6(b, i) {
                    return Some(Match {
                        kind: Kind::Ip,
                        start: i,
                        end: e,
                        rule: "IPv6 address",
                    });
                }
            }
            return if d.secret { aws_secret(b, i) } else { None };
        }
        if d.secret && next == b':' {
            if let Some(m) = telegram_token(b, i, e) {
                return Some(m);
            }
        }
        let after = at(b, e + 1);
        let continues = match next {
            b'.' | b'-' | b' ' | b'/' => after.is_ascii_digit() || after == b'(',
            b':' => after.is_ascii_hexdigit() || after == b':',
            b'(' => after.is_ascii_digit(),
            _ => false,
        };
        // Nothing shorter than 9 digits without a separator is a card or a phone number.
        if !continues && e - i < 9 {
            return None;
        }
        if d.card && !in_url(b, i) {
            if let Some(e) = card(b, i) {
                return Some(Match {
                    kind: Kind::Card,
                    start: i,
                    end: e,
                    rule: "payment card number (Luhn-checked)",
                });
            }
        }
        if d.ip && next == b'.' {
            if let Some(e) = ipv4(b, i) {
                return Some(Match {
                    kind: Kind::Ip,
                    start: i,
                    end: e,
                    rule: "IPv4 address",
                });
            }
        }
        if d.ip && next == b':' {
            if let Some(e) = ipv6(b, i) {
                return Some(Match {
                    kind: Kind::Ip,
                    start: i,
                    end: e,
                    rule: "IPv6 address",
                });
            }
        }
        if d.phone {
            if let Some(e) = phone(b, i) {
                return Some(Match {
                    kind: Kind::Phone,
                    start: i,
                    end: e,
                    rule: "phone number",
                });
            }
        }
        if d.secret {
            return aws_secret(b, i);
        }
        return None;
    }
    if d.secret {
        if prev == b'?' || prev == b'&' || prev == b';' {
            if let Some(m) = query_value(b, i) {
                return Some(m);
            }
        }
        if matches!(c, b's' | b'r' | b'g' | b'x' | b'A' | b'h' | b'n' | b'e') {
            if let Some(m) = prefixed_secret(b, i) {
                return Some(m);
            }
        }
        if let Some(m) = assignment(b, i) {
            return Some(m);
        }
        if let Some(m) = bearer(b, i) {
            return Some(m);
        }
    }
    if d.iban && c.is_ascii_uppercase() {
        if let Some(e) = iban(b, i) {
            return Some(Match {
                kind: Kind::Iban,
                start: i,
                end: e,
                rule: "IBAN (mod-97-checked)",
            });
        }
    }
    if d.ip && c.is_ascii_hexdigit() && hex_then_colon(b, i) {
        if let Some(e) = ipv6(b, i) {
            return Some(Match {
                kind: Kind::Ip,
                start: i,
                end: e,
                rule: "IPv6 address",
            });
        }
    }
    if d.secret {
        return aws_secret(b, i);
    }
    None
}

/// Whether the word `i..e`, which has no digit, can start no match, so the rules need not
/// look (every key shape, IBAN and IPv6 group written as one word has a digit): it is
/// not six (`Bearer`) or 40 (an AWS secret) long, follows none of `?`, `&`, `;`, `--`
/// (query values, `--password x`), and what follows it — past spaces for `=` and `:` —
/// continues no rule (`sk-`, `eyJ….`, `key=`, `key:`, `'key'`, `[key]`, `ab/cd`, `+`).
fn plain_word(b: &[u8], i: usize, e: usize, prev: u8) -> bool {
    if matches!(prev, b'?' | b'&' | b';') || (i >= 2 && &b[i - 2..i] == b"--") {
        return false;
    }
    if matches!(e - i, 6 | 40) {
        return false;
    }
    match at(b, e) {
        b' ' | b'\t' => {
            let mut j = e + 1;
            while matches!(at(b, j), b' ' | b'\t') {
                j += 1;
            }
            !matches!(at(b, j), b'=' | b':')
        }
        next => !matches!(
            next,
            b'-' | b'.' | b'=' | b':' | b'\'' | b'"' | b'`' | b']' | b'/' | b'+'
        ),
    }
}

/// Whether a run of 1–4 hex digits at `i` is followed by `:` (an IPv6 group).
fn hex_then_colon(b: &[u8], i: usize) -> bool {
    let mut j = i;
    while j < b.len() && b[j].is_ascii_hexdigit() && j - i < 5 {
        j += 1;
    }
    (1..=4).contains(&(j - i)) && at(b, j) == b':'
}

/// Whether a number ends cleanly at `e`: not followed by a letter, a digit, or a `.`/`,`/`:`
/// and a digit (a longer number, a decimal, a time).
fn number_ends(b: &[u8], e: usize) -> bool {
    let c = at(b, e);
    if is_word(c) || c == b'@' {
        return false;
    }
    if matches!(c, b'.' | b',' | b':' | b'-' | b'/') && at(b, e + 1).is_ascii_digit() {
        return false;
    }
    true
}

// --- Payment cards

fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (k, &d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d - b'0');
        if k % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

/// Whether the number starts like a card of a known network (issuer identification number).
fn card_prefix(d: &[u8]) -> bool {
    let n = |k: usize| -> u32 {
        d[..k]
            .iter()
            .fold(0, |acc, &c| acc * 10 + u32::from(c - b'0'))
    };
    match d[0] {
        b'4' => true,                                                                 // Visa
        b'5' => (51..=55).contains(&n(2)) || n(2) == 50 || (56..=59).contains(&n(2)), // MC, Maestro
        b'2' => (2221..=2720).contains(&n(4)),                                        // Mastercard
        b'3' => matches!(n(2), 34 | 37 | 35 | 36 | 38 | 39 | 30), // Amex, JCB, Diners
        b'6' => true,                                             // Discover, UnionPay, Maestro
        _ => false,
    }
}

fn card(b: &[u8], i: usize) -> Option<usize> {
    let mut digits = Vec::with_capacity(19);
    let mut groups: Vec<usize> = Vec::new();
    let mut sep = 0u8;
    let mut j = i;
    loop {
        let s = j;
        while j < b.len() && b[j].is_ascii_digit() && digits.len() < 20 {
            digits.push(b[j]);
            j += 1;
        }
        groups.push(j - s);
        let c = at(b, j);
        if (c == b' ' || c == b'-') && (sep == 0 || sep == c) && at(b, j + 1).is_ascii_digit() {
            // Only continue while the groups look like card groups.
            if groups.len() >= 5 || digits.len() >= 19 {
                break;
            }
            sep = c;
            j += 1;
            continue;
        }
        break;
    }
    // Trim trailing groups until the layout fits (a card followed by a year, …).
    while groups.len() > 1 && digits.len() > 19 {
        let g = groups.pop().unwrap_or(0);
        digits.truncate(digits.len() - g);
        j -= g + 1;
    }
    if !(13..=19).contains(&digits.len()) || !number_ends(b, j) {
        return None;
    }
    let layout_ok = matches!(
        groups.as_slice(),
        [_] | [4, 4, 4, 4] | [4, 4, 4, 4, 3] | [4, 4, 4, 1..=4] | [4, 6, 5] | [4, 6, 4]
    );
    (layout_ok && card_prefix(&digits) && luhn(&digits)).then_some(j)
}

// --- IP addresses

fn ipv4(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    let mut octets = [0u32; 4];
    for (k, o) in octets.iter_mut().enumerate() {
        let s = j;
        while j < b.len() && b[j].is_ascii_digit() && j - s < 4 {
            *o = *o * 10 + u32::from(b[j] - b'0');
            j += 1;
        }
        let len = j - s;
        if len == 0 || len > 3 || *o > 255 || (len > 1 && b[s] == b'0') {
            return None;
        }
        if k < 3 {
            if at(b, j) != b'.' {
                return None;
            }
            j += 1;
        }
    }
    let c = at(b, j);
    if is_word(c) || (matches!(c, b'.' | b':' | b'-') && at(b, j + 1).is_ascii_alphanumeric()) {
        // A longer dotted run (an OID, a version with a suffix) — but `10.0.0.1:8080` is fine.
        if !(c == b':' && at(b, j + 1).is_ascii_digit()) {
            return None;
        }
    }
    // Not personal: unspecified, loopback, netmasks and broadcast.
    if octets == [0, 0, 0, 0] || octets[0] == 127 || octets[0] == 255 {
        return None;
    }
    // Section and version numbers (`4.2.1.3`); public resolvers like 1.1.1.1 and 8.8.8.8
    // are not personal either.
    if octets.iter().all(|&o| o < 10) {
        return None;
    }
    // `version 1.2.3.4`, `v1.2.3.4`, `§ 10.2.3.4`
    let back = &b[i.saturating_sub(10)..i];
    let back = String::from_utf8_lossy(back).to_ascii_lowercase();
    if back.contains("version")
        || back.contains("ver.")
        || back.ends_with('v')
        || back.contains('§')
    {
        return None;
    }
    Some(j)
}

fn ipv6(b: &[u8], i: usize) -> Option<usize> {
    if before(b, i) == b':' {
        return None;
    }
    let mut j = i;
    while j < b.len() && (b[j].is_ascii_hexdigit() || b[j] == b':' || b[j] == b'.') && j - i < 46 {
        j += 1;
    }
    // A sentence may end with `.` or `:` right after the address.
    while j > i && matches!(b[j - 1], b'.' | b':') && !b[i..j].ends_with(b"::") {
        j -= 1;
    }
    if is_word(at(b, j)) {
        return None;
    }
    let s = std::str::from_utf8(&b[i..j]).ok()?;
    if s.bytes().filter(|&c| c == b':').count() < 2 {
        return None;
    }
    let (head, tail, compressed) = match s.split_once("::") {
        Some((h, t)) => {
            if t.contains("::") {
                return None;
            }
            (h, t, true)
        }
        None => (s, "", false),
    };
    let mut groups = 0;
    let mut has_digit = false;
    let mut parts: Vec<&str> = Vec::new();
    if !head.is_empty() {
        parts.extend(head.split(':'));
    }
    if !tail.is_empty() {
        parts.extend(tail.split(':'));
    }
    let last = parts.len().saturating_sub(1);
    for (k, p) in parts.iter().enumerate() {
        if p.contains('.') {
            // An embedded IPv4 address, only as the last group.
            if k != last || ipv4(p.as_bytes(), 0) != Some(p.len()) {
                return None;
            }
            groups += 2;
            has_digit = true;
            continue;
        }
        if p.is_empty() || p.len() > 4 || !p.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        has_digit |= p.bytes().any(|c| c.is_ascii_digit());
        groups += 1;
    }
    let ok = if compressed {
        (2..=7).contains(&groups)
    } else {
        groups == 8
    };
    (ok && has_digit && parts.len() >= 2).then_some(j)
}

// --- Phone numbers

/// Words that announce a phone number within a few characters, in several languages.
const PHONE_WORDS: [&str; 25] = [
    "phone",
    "telephone",
    "tel",
    "call",
    "mobile",
    "cell",
    "fax",
    "whatsapp",
    "sms",
    "telefon",
    "handy",
    "téléphone",
    "portable",
    "teléfono",
    "móvil",
    "telefone",
    "celular",
    "telefono",
    "cellulare",
    "телефон",
    "电话",
    "電話",
    "携帯",
    "전화",
    "휴대폰",
];

/// Whether one of [`PHONE_WORDS`] starts a word in the 32 bytes before `i`, and the short
/// ones (`tel`, `call`, `sms`…) also end it: `Tel.`, `phone:`, `Telefonnummer` and `電話`
/// count; `TELEGRAM_CHAT_ID`, `APPEND_CALL` and `hotel` do not.
fn phone_context(b: &[u8], i: usize) -> bool {
    let mut s = i.saturating_sub(32);
    while s < i && (b[s] & 0xC0) == 0x80 {
        s += 1;
    }
    let back = String::from_utf8_lossy(&b[s..i]).to_lowercase();
    let letter = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() && !is_cjk(c) || c == '_');
    PHONE_WORDS.iter().any(|w| {
        back.match_indices(w).any(|(k, _)| {
            !letter(back[..k].chars().next_back())
                && (w.len() >= 5 || !letter(back[k + w.len()..].chars().next()))
        })
    })
}

/// Whether `i` is inside a URL: the run of non-space characters it ends has `://` or
/// starts with `www.` (a path such as `/files/1/0052/7043/` holds no phone number).
fn in_url(b: &[u8], i: usize) -> bool {
    let mut s = i;
    while s > 0
        && i - s < 2048
        && !b[s - 1].is_ascii_whitespace()
        && !matches!(b[s - 1], b'<' | b'>' | b'"' | b'\'' | b'(' | b'[' | b'`')
    {
        s -= 1;
    }
    let run = &b[s..i];
    run.starts_with(b"www.") || run.windows(3).any(|w| w == b"://")
}

fn phone(b: &[u8], i: usize) -> Option<usize> {
    // `#020817 100%` (a colour), `#123456789` (an issue), a URL's path.
    if before(b, i) == b'#' || in_url(b, i) {
        return None;
    }
    let mut j = i;
    let plus = at(b, j) == b'+';
    if plus {
        j += 1;
        if !at(b, j).is_ascii_digit() || at(b, j) == b'0' {
            return None;
        }
    }
    let mut digits = 0usize;
    let mut groups: Vec<(usize, u8)> = Vec::new(); // (length, separator before it)
    let mut first: Vec<u8> = Vec::new();
    let mut sep_before = 0u8;
    let mut parens = 0;
    loop {
        let mut paren = false;
        if at(b, j) == b'(' {
            if parens > 0 {
                break;
            }
            paren = true;
            j += 1;
        }
        let s = j;
        while j < b.len() && b[j].is_ascii_digit() {
            if first.len() < 3 {
                first.push(b[j]);
            }
            j += 1;
        }
        let len = j - s;
        if len == 0 {
            if paren {
                j -= 1; // `(` not followed by a digit: not ours
            }
            break;
        }
        if paren {
            if at(b, j) != b')' {
                return None;
            }
            j += 1;
            parens += 1;
        }
        digits += len;
        groups.push((len, sep_before));
        if digits > 15 {
            return None;
        }
        let c = at(b, j);
        let next = at(b, j + 1);
        if matches!(c, b' ' | b'-' | b'.' | b'/') && (next.is_ascii_digit() || next == b'(') {
            sep_before = c;
            j += 1;
            continue;
        }
        if c == b'(' || (c.is_ascii_digit() && paren) {
            sep_before = 0;
            continue;
        }
        if paren && c == b' ' && next == b'(' {
            j += 1;
            sep_before = b' ';
            continue;
        }
        break;
    }
    if groups.is_empty() || !number_ends(b, j) {
        return None;
    }
    // Never a date, a time, a version or a decimal.
    let seps: Vec<u8> = groups.iter().skip(1).map(|g| g.1).collect();
    let lens: Vec<usize> = groups.iter().map(|g| g.0).collect();
    let looks_like_date = matches!(
        lens.as_slice(),
        [4, 2, 2, ..] | [1..=2, 1..=2, 4, ..] | [1..=2, 1..=2, 2]
    ) && seps.first().is_some_and(|&s| s != b' ');
    if looks_like_date {
        return None;
    }
    // `100702.45` (a decimal), `0110 0011 0100` (bits, BCD).
    if seps == [b'.'] || b[i..j].iter().all(|&c| !c.is_ascii_digit() || c <= b'1') {
        return None;
    }
    let with_separators = groups.len() > 1;
    let start_digit = if plus { at(b, i + 1) } else { at(b, i) };
    let ok = if plus {
        (8..=15).contains(&digits)
    } else if b[i..].starts_with(b"00") {
        (10..=15).contains(&digits) && with_separators
    } else if nanp(&lens, &seps, &first, b, i) {
        true
    } else if start_digit == b'0' && at(b, i + 1) != b'0' {
        (9..=12).contains(&digits)
            && (with_separators || phone_context(b, i))
            && lens.len() <= 6
            && lens[0] >= 2
            && !seps.contains(&b'/') | (lens.len() == 2)
    } else {
        (8..=15).contains(&digits) && (with_separators || digits >= 9) && phone_context(b, i)
    };
    ok.then_some(j)
}

/// North American numbers: `(415) 555-0100`, `415-555-0100`, `415.555.0100`,
/// `1-415-555-0100`, `415 555 0100`.
fn nanp(lens: &[usize], seps: &[u8], first: &[u8], b: &[u8], i: usize) -> bool {
    let paren = b[i] == b'(';
    let lens = match lens {
        [1, rest @ ..] if first.first() == Some(&b'1') => rest,
        l => l,
    };
    if lens != [3, 3, 4] {
        return false;
    }
    if !paren && seps.windows(2).any(|w| w[0] != w[1]) && !seps.is_empty() {
        return false;
    }
    // The area code's first digit is 2–9.
    let mut k = i;
    while k < b.len() && !b[k].is_ascii_digit() {
        k += 1;
    }
    if at(b, k) == b'1' && lens.len() == 3 && b.get(k + 1).is_some_and(|c| !c.is_ascii_digit()) {
        k += 2;
        while k < b.len() && !b[k].is_ascii_digit() {
            k += 1;
        }
    }
    matches!(at(b, k), b'2'..=b'9')
}

// --- IBANs

/// IBAN length by country.
const IBAN_LENGTHS: [(&[u8; 2], usize); 78] = [
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"LY", 25),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NL", 18),
    (b"NO", 15),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"SA", 24),
    (b"SC", 31),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
];

fn iban(b: &[u8], i: usize) -> Option<usize> {
    if !(at(b, i + 1).is_ascii_uppercase()
        && at(b, i + 2).is_ascii_digit()
        && at(b, i + 3).is_ascii_digit())
    {
        return None;
    }
    let cc = [b[i], b[i + 1]];
    let len = IBAN_LENGTHS.iter().find(|(c, _)| **c == cc)?.1;
    let mut chars: Vec<u8> = Vec::with_capacity(len);
    let mut j = i;
    while chars.len() < len {
        let c = at(b, j);
        if c.is_ascii_digit() || c.is_ascii_uppercase() {
            chars.push(c);
            j += 1;
        } else if c == b' ' && chars.len() % 4 == 0 && at(b, j + 1).is_ascii_alphanumeric() {
            j += 1;
        } else {
            return None;
        }
    }
    if is_word(at(b, j)) {
        return None;
    }
    // Move the first four characters to the end; letters become 10–35; mod 97 must be 1.
    let mut rem = 0u32;
    for &c in chars[4..].iter().chain(&chars[..4]) {
        let v = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c - b'A') + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    (rem == 1).then_some(j)
}

// --- Secrets

fn is_key_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// Known token shapes: prefix, allowed body characters, minimum body length, exact length.
struct Shape {
    prefix: &'static [u8],
    body: fn(u8) -> bool,
    min: usize,
    exact: bool,
    rule: &'static str,
}

fn alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}
fn alnum_underscore(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}
fn upper_digit(c: u8) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}
fn slack(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

const SHAPES: [Shape; 22] = [
    Shape {
        prefix: b"sk-ant-",
        body: is_key_char,
        min: 20,
        exact: false,
        rule: "Anthropic API key",
    },
    Shape {
        prefix: b"sk-proj-",
        body: is_key_char,
        min: 20,
        exact: false,
        rule: "OpenAI project key",
    },
    Shape {
        prefix: b"sk-svcacct-",
        body: is_key_char,
        min: 20,
        exact: false,
        rule: "OpenAI service-account key",
    },
    Shape {
        prefix: b"sk-",
        body: is_key_char,
        min: 20,
        exact: false,
        rule: "OpenAI API key",
    },
    Shape {
        prefix: b"sk_live_",
        body: alnum,
        min: 16,
        exact: false,
        rule: "Stripe secret key",
    },
    Shape {
        prefix: b"sk_test_",
        body: alnum,
        min: 16,
        exact: false,
        rule: "Stripe test key",
    },
    Shape {
        prefix: b"rk_live_",
        body: alnum,
        min: 16,
        exact: false,
        rule: "Stripe restricted key",
    },
    Shape {
        prefix: b"rk_test_",
        body: alnum,
        min: 16,
        exact: false,
        rule: "Stripe restricted test key",
    },
    Shape {
        prefix: b"ghp_",
        body: alnum,
        min: 30,
        exact: false,
        rule: "GitHub token",
    },
    Shape {
        prefix: b"gho_",
        body: alnum,
        min: 30,
        exact: false,
        rule: "GitHub OAuth token",
    },
    Shape {
        prefix: b"ghu_",
        body: alnum,
        min: 30,
        exact: false,
        rule: "GitHub user token",
    },
    Shape {
        prefix: b"ghs_",
        body: alnum,
        min: 30,
        exact: false,
        rule: "GitHub app token",
    },
    Shape {
        prefix: b"ghr_",
        body: alnum,
        min: 30,
        exact: false,
        rule: "GitHub refresh token",
    },
    Shape {
        prefix: b"github_pat_",
        body: alnum_underscore,
        min: 30,
        exact: false,
        rule: "GitHub fine-grained token",
    },
    Shape {
        prefix: b"glpat-",
        body: is_key_char,
        min: 20,
        exact: false,
        rule: "GitLab token",
    },
    Shape {
        prefix: b"xox",
        body: slack,
        min: 12,
        exact: false,
        rule: "Slack token",
    },
    Shape {
        prefix: b"AKIA",
        body: upper_digit,
        min: 16,
        exact: true,
        rule: "AWS access key id",
    },
    Shape {
        prefix: b"ASIA",
        body: upper_digit,
        min: 16,
        exact: true,
        rule: "AWS temporary access key id",
    },
    Shape {
        prefix: b"AIza",
        body: is_key_char,
        min: 35,
        exact: true,
        rule: "Google API key",
    },
    Shape {
        prefix: b"hf_",
        body: alnum,
        min: 30,
        exact: false,
        rule: "Hugging Face token",
    },
    Shape {
        prefix: b"npm_",
        body: alnum,
        min: 36,
        exact: true,
        rule: "npm token",
    },
    Shape {
        prefix: b"eyJ",
        body: is_key_char,
        min: 10,
        exact: false,
        rule: "JSON Web Token",
    },
];

fn prefixed_secret(b: &[u8], i: usize) -> Option<Match> {
    let rest = &b[i..];
    for s in &SHAPES {
        if !rest.starts_with(s.prefix) {
            continue;
        }
        let body_start = i + s.prefix.len();
        let mut j = body_start;
        while j < b.len() && (s.body)(b[j]) {
            j += 1;
        }
        if s.prefix == b"xox" {
            // xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xoxe-
            if !(matches!(at(b, body_start), b'b' | b'p' | b'a' | b'r' | b's' | b'e')
                && at(b, body_start + 1) == b'-')
            {
                return None;
            }
        }
        if s.prefix == b"eyJ" {
            return jwt(b, i);
        }
        let len = j - body_start;
        if len < s.min || (s.exact && len != s.min) || is_word(at(b, j)) {
            return None;
        }
        let body = &b[body_start..j];
        // `sk-learn-…` and friends: a key has digits and letters.
        if !(body.iter().any(u8::is_ascii_digit) && body.iter().any(u8::is_ascii_alphabetic)) {
            return None;
        }
        return Some(Match {
            kind: Kind::Secret,
            start: i,
            end: j,
            rule: s.rule,
        });
    }
    None
}

/// A Telegram bot token: the bot's id (8–10 digits, `i..e`), `:`, then exactly 35 key
/// characters that look random (`1234567890:ABCDEF_your_bot_token_here`, an example's
/// placeholder, is not one).
fn telegram_token(b: &[u8], i: usize, e: usize) -> Option<Match> {
    if !(8..=10).contains(&(e - i)) || at(b, e) != b':' {
        return None;
    }
    let s = e + 1;
    let mut j = s;
    while j < b.len() && is_key_char(b[j]) {
        j += 1;
    }
    let body = &b[s..j];
    (body.len() == 35 && looks_random(body)).then_some(Match {
        kind: Kind::Secret,
        start: i,
        end: j,
        rule: "Telegram bot token",
    })
}

fn jwt(b: &[u8], i: usize) -> Option<Match> {
    let seg = |from: usize| {
        let mut j = from;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'-') {
            j += 1;
        }
        j
    };
    let e1 = seg(i);
    if e1 - i < 10 || at(b, e1) != b'.' || !b[e1 + 1..].starts_with(b"eyJ") {
        return None;
    }
    let e2 = seg(e1 + 1);
    if e2 - e1 < 10 || at(b, e2) != b'.' {
        return None;
    }
    let e3 = seg(e2 + 1);
    Some(Match {
        kind: Kind::Secret,
        start: i,
        end: e3,
        rule: "JSON Web Token",
    })
}

fn pem(b: &[u8], i: usize) -> Option<usize> {
    let line_end = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |k| i + k);
    let head = &b[i..line_end];
    if !(head.ends_with(b"PRIVATE KEY-----") || head.ends_with(b"PRIVATE KEY-----\r")) {
        return None;
    }
    if let Some(k) = memchr::memmem::find(&b[line_end..], b"-----END ") {
        let s = line_end + k;
        let e = memchr::memchr(b'\n', &b[s..]).map_or(b.len(), |k| s + k);
        let e = if before(b, e) == b'\r' { e - 1 } else { e };
        let tail = &b[s..e];
        if tail.ends_with(b"PRIVATE KEY-----") {
            return Some(e);
        }
    }
    // No end line (a truncated paste): the key's base64 lines.
    let mut e = line_end;
    loop {
        let s = e + 1;
        if s >= b.len() {
            break;
        }
        let next = memchr::memchr(b'\n', &b[s..]).map_or(b.len(), |k| s + k);
        let line = &b[s..next];
        if line.is_empty()
            || !line
                .iter()
                .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=' | b'\r'))
        {
            break;
        }
        e = next;
    }
    Some(e)
}

/// Values a person writes in place of a secret.
fn is_placeholder(v: &[u8]) -> bool {
    let lower = String::from_utf8_lossy(v).to_ascii_lowercase();
    let first = v.first().copied().unwrap_or(0);
    matches!(first, b'<' | b'{' | b'$' | b'%' | b'[' | b'*')
        || lower.contains("your")
        || lower.contains("xxx")
        || lower.contains("...")
        || lower.contains("example")
        || lower.contains("placeholder")
        || lower.contains("changeme")
        || lower.contains("redacted")
        || lower.contains("dummy")
        || lower.starts_with("env")
        || matches!(
            lower.as_str(),
            "password"
                | "pass"
                | "passwd"
                | "pwd"
                | "secret"
                | "admin"
                | "root"
                | "guest"
                | "test"
                | "user"
                | "username"
                | "postgres"
                | "none"
                | "null"
                | "true"
                | "false"
        )
}

/// Whether an assigned value looks random rather than a word, an identifier, a number or a
/// placeholder: at least 8 characters, no spaces or brackets, and at least two of lower
/// case, upper case, digits and symbols — and not a dotted or upper-case identifier.
pub(super) fn looks_random(v: &[u8]) -> bool {
    if v.len() < 8 || is_placeholder(v) {
        return false;
    }
    let (mut lower, mut upper, mut digit, mut symbol) = (false, false, false, false);
    for &c in v {
        match c {
            b'a'..=b'z' => lower = true,
            b'A'..=b'Z' => upper = true,
            b'0'..=b'9' => digit = true,
            b'_' | b'.' => {}
            b'(' | b')' | b'[' | b']' | b' ' | b'\t' | b',' | b';' | b'"' | b'\'' | b'`' => {
                return false
            }
            _ if c >= 0x80 => return false,
            _ => symbol = true,
        }
    }
    let classes = [lower, upper, digit, symbol].iter().filter(|&&x| x).count();
    if classes < 2 {
        return false;
    }
    // `settings.API_KEY`, `os.environ`, `MY_SECRET_NAME`, `camelCaseName`, `1.2.3`
    let identifier = !digit && !symbol;
    let version = !lower && !upper && !symbol;
    let upper_snake = !lower && upper && !symbol && v.contains(&b'_');
    !(identifier || version || upper_snake)
}

/// Key names (lower-cased, without `_`, `-` and `.`) whose assigned value is a secret
/// when it looks random.
const SECRET_KEYS: [&str; 15] = [
    "password",
    "passwd",
    "pwd",
    "pass",
    "passphrase",
    "secret",
    "apikey",
    "secretkey",
    "accesskey",
    "privatekey",
    "token",
    "clientsecret",
    "credentials",
    "auth",
    "signingkey",
];

fn assignment(b: &[u8], i: usize) -> Option<Match> {
    // The key: letters, digits, `_`, `-`, `.`.
    let mut j = i;
    while j < b.len() && (is_key_char(b[j]) || b[j] == b'.') && j - i < 64 {
        j += 1;
    }
    let key_end = j;
    if matches!(at(b, j), b'"' | b'\'') {
        j += 1;
    }
    if at(b, j) == b']' {
        j += 1; // `$config['db_pass'] = …`
    }
    while at(b, j) == b' ' || at(b, j) == b'\t' {
        j += 1;
    }
    // `=`, `:`, `:=`, `=>`, `->`; or `--password value` (one space).
    let dash_flag = i >= 2 && &b[i - 2..i] == b"--";
    match at(b, j) {
        b'=' => {
            j += 1;
            if at(b, j) == b'>' {
                j += 1;
            }
        }
        b':' => {
            j += 1;
            if at(b, j) == b'=' {
                j += 1;
            }
        }
        _ if dash_flag && j > key_end => {}
        _ => return None,
    }
    if j == key_end && !matches!(at(b, j - 1), b'=' | b':' | b'>') {
        return None;
    }
    let key: String = b[i..key_end]
        .iter()
        .filter(|c| !matches!(c, b'_' | b'-' | b'.'))
        .map(|c| c.to_ascii_lowercase() as char)
        .collect();
    if !SECRET_KEYS.iter().any(|k| key.ends_with(k)) {
        return None;
    }
    while at(b, j) == b' ' || at(b, j) == b'\t' {
        j += 1;
    }
    let quote = at(b, j);
    let quoted = matches!(quote, b'"' | b'\'' | b'`');
    if quoted {
        j += 1;
    }
    let vs = j;
    while j < b.len() {
        let c = b[j];
        if quoted {
            if c == quote || c == b'\n' {
                break;
            }
        } else if c.is_ascii_whitespace() || matches!(c, b',' | b';' | b'"' | b'\'' | b'&' | b'}') {
            break;
        }
        j += 1;
    }
    let value = &b[vs..j];
    // A value that is itself a known token shape is reported as that shape.
    if let Some(m) = prefixed_secret(b, vs) {
        return Some(m);
    }
    looks_random(value).then_some(Match {
        kind: Kind::Secret,
        start: vs,
        end: j,
        rule: "assigned password or key",
    })
}

/// `?token=…`, `&key=…`, `&sig=…` in a URL.
fn query_value(b: &[u8], i: usize) -> Option<Match> {
    let mut j = i;
    while j < b.len() && (is_key_char(b[j]) || b[j] == b'.') {
        j += 1;
    }
    if at(b, j) != b'=' {
        return None;
    }
    let key = String::from_utf8_lossy(&b[i..j]).to_ascii_lowercase();
    const KEYS: [&str; 16] = [
        "token",
        "access_token",
        "id_token",
        "refresh_token",
        "auth_token",
        "api_key",
        "apikey",
        "key",
        "secret",
        "client_secret",
        "password",
        "pass",
        "sig",
        "signature",
        "x-amz-signature",
        "auth",
    ];
    if !KEYS.contains(&key.as_str()) {
        return None;
    }
    let vs = j + 1;
    let mut e = vs;
    while e < b.len()
        && !b[e].is_ascii_whitespace()
        && !matches!(
            b[e],
            b'&' | b'#' | b'"' | b'\'' | b'<' | b'>' | b')' | b']' | b'`'
        )
    {
        e += 1;
    }
    let value = &b[vs..e];
    let urlish = value.iter().all(|&c| {
        c.is_ascii_alphanumeric()
            || matches!(c, b'-' | b'_' | b'.' | b'~' | b'%' | b'+' | b'/' | b'=')
    });
    (urlish && looks_random(value)).then_some(Match {
        kind: Kind::Secret,
        start: vs,
        end: e,
        rule: "token in a URL",
    })
}

/// `Authorization: Bearer …`
fn bearer(b: &[u8], i: usize) -> Option<Match> {
    if !(b[i..].starts_with(b"Bearer ") || b[i..].starts_with(b"bearer ")) {
        return None;
    }
    let vs = i + 7;
    let mut e = vs;
    while e < b.len()
        && (b[e].is_ascii_alphanumeric()
            || matches!(b[e], b'-' | b'_' | b'.' | b'~' | b'+' | b'/' | b'='))
    {
        e += 1;
    }
    let v = &b[vs..e];
    (v.len() >= 16 && looks_random(v)).then_some(Match {
        kind: Kind::Secret,
        start: vs,
        end: e,
        rule: "bearer token",
    })
}

/// A 40-character AWS secret access key, with `aws` or `secret` written shortly before.
fn aws_secret(b: &[u8], i: usize) -> Option<Match> {
    let mut j = i;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'/' || b[j] == b'+') {
        j += 1;
        if j - i > 40 {
            return None;
        }
    }
    if j - i != 40 || is_word(at(b, j)) {
        return None;
    }
    let v = &b[i..j];
    if !(v.iter().any(u8::is_ascii_lowercase)
        && v.iter().any(u8::is_ascii_uppercase)
        && v.iter().any(u8::is_ascii_digit))
    {
        return None;
    }
    let back = String::from_utf8_lossy(&b[i.saturating_sub(100)..i]).to_ascii_lowercase();
    (back.contains("aws") || back.contains("secret")).then_some(Match {
        kind: Kind::Secret,
        start: i,
        end: j,
        rule: "AWS secret access key",
    })
}

// ---------------------------------------------------------------------------------------
// The user's own terms: case-insensitive, whole words.

fn terms(terms: &[Vec<char>], text: &str, out: &mut Vec<Match>) {
    for term in terms {
        let Some(&first) = term.first() else {
            continue;
        };
        let mut it = text.char_indices().peekable();
        let mut prev: Option<char> = None;
        while let Some((s, c)) = it.next() {
            let starts = lower_eq(c, first) && !prev.is_some_and(char::is_alphanumeric);
            prev = Some(c);
            if !starts {
                continue;
            }
            let mut rest = text[s..].char_indices();
            let mut ok = true;
            let mut end = s;
            for &tc in term {
                match rest.next() {
                    Some((k, ch)) if lower_eq(ch, tc) => end = s + k + ch.len_utf8(),
                    _ => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok
                && !text[end..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphanumeric)
            {
                out.push(Match {
                    kind: Kind::Name,
                    start: s,
                    end,
                    rule: "your list of words and names",
                });
                while it.peek().is_some_and(|&(k, _)| k < end) {
                    prev = it.next().map(|x| x.1);
                }
            }
        }
    }
}

fn lower_eq(c: char, lower: char) -> bool {
    c == lower
        || (!c.is_ascii() || c.is_ascii_uppercase()) && c.to_lowercase().eq(std::iter::once(lower))
}
