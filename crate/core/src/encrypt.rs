//! Encrypted saves: one ZIP whose every entry is AES-256 encrypted (WinZip AE-2, which
//! 7-Zip, WinRAR, Keka, macOS Archive Utility alternatives and most archive tools open),
//! written by the `zip` crate (no cipher code here).
//!
//! ZIP's key derivation (PBKDF2-HMAC-SHA1, 1000 rounds) is weak against short passwords:
//! [`strength`] says how long a password resists guessing, and [`passphrase`] makes a
//! strong one from random numbers the caller supplies.

use std::io::{Seek, Write};

use zip::write::SimpleFileOptions;
use zip::{AesMode, CompressionMethod, ZipWriter};

use crate::{Error, Result};

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// A ZIP being written with every entry encrypted under one password.
pub struct EncryptedZip<W: Write + Seek> {
    zip: ZipWriter<W>,
    password: String,
}

impl<W: Write + Seek> EncryptedZip<W> {
    /// Starts an archive. Refuses a password shorter than [`MIN_PASSWORD_CHARS`].
    pub fn new(sink: W, password: &str) -> Result<Self> {
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(Error::Options {
                detail: format!(
                    "the password is too short: use at least {MIN_PASSWORD_CHARS} characters (a passphrase of four or more words is best)"
                ),
            });
        }
        Ok(EncryptedZip {
            zip: ZipWriter::new(sink),
            password: password.to_owned(),
        })
    }

    /// Adds one file (`/`-separated path), compressed, then encrypted.
    pub fn add(&mut self, path: &str, data: &[u8]) -> Result<()> {
        let opts = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .large_file(data.len() as u64 >= 0xFFFF_FFFF)
            .with_aes_encryption(AesMode::Aes256, &self.password);
        self.zip
            .start_file(path, opts)
            .and_then(|()| self.zip.write_all(data).map_err(Into::into))
            .map_err(|e| zip_error(path, e))
    }

    /// Writes the central directory; returns the sink.
    pub fn finish(self) -> Result<W> {
        self.zip
            .finish()
            .map_err(|e| zip_error("the archive's index", e))
    }
}

fn zip_error(what: &str, e: zip::result::ZipError) -> Error {
    Error::Io(std::io::Error::other(format!(
        "could not write {what} into the encrypted ZIP: {e}"
    )))
}

/// How well a password resists guessing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// Shorter than [`MIN_PASSWORD_CHARS`]: refused.
    TooShort,
    /// Guessable in hours to days by a motivated attacker.
    Weak,
    /// Months to years.
    Fair,
    /// Out of reach (about 70 bits or more).
    Strong,
}

/// A rough estimate: the character classes used times the length, minus repeats and
/// sequences. Four random words from [`passphrase`] are `Strong`.
pub fn strength(password: &str) -> Strength {
    let chars: Vec<char> = password.chars().collect();
    if chars.len() < MIN_PASSWORD_CHARS {
        return Strength::TooShort;
    }
    // One word with a capital and a number or mark at the end (`Summer2024!`) is the first
    // thing guessed, whatever its length.
    let letters_end = chars
        .iter()
        .position(|c| !c.is_alphabetic())
        .unwrap_or(chars.len());
    let word_then_suffix = (1..=12).contains(&letters_end)
        && chars[1..letters_end].iter().all(|c| c.is_lowercase())
        && chars[letters_end..]
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_punctuation());
    if word_then_suffix {
        return Strength::Weak;
    }
    let mut pool = 0u32;
    if chars.iter().any(char::is_ascii_lowercase) {
        pool += 26;
    }
    if chars.iter().any(char::is_ascii_uppercase) {
        pool += 26;
    }
    if chars.iter().any(char::is_ascii_digit) {
        pool += 10;
    }
    if chars.iter().any(|c| c.is_ascii_punctuation() || *c == ' ') {
        pool += 33;
    }
    if chars.iter().any(|c| !c.is_ascii()) {
        pool += 100;
    }
    // Count a character that repeats or continues a sequence as a quarter.
    let mut effective = 0.0f64;
    for (k, c) in chars.iter().enumerate() {
        let predictable = k > 0 && {
            let p = chars[k - 1] as i64;
            let d = *c as i64 - p;
            d == 0 || d == 1 || d == -1
        };
        effective += if predictable { 0.25 } else { 1.0 };
    }
    let bits = effective * f64::from(pool.max(1)).log2();
    if bits >= 70.0 {
        Strength::Strong
    } else if bits >= 50.0 {
        Strength::Fair
    } else {
        Strength::Weak
    }
}

/// Words for [`passphrase`]: 256 short, common, unambiguous English words (8 bits each).
const WORDS: [&str; 256] = [
    "acid", "acorn", "actor", "adobe", "agent", "album", "alpha", "amber", "angle", "ankle",
    "apple", "april", "apron", "arena", "armor", "arrow", "atlas", "attic", "audio", "award",
    "bacon", "badge", "bagel", "baker", "banjo", "barn", "basil", "beach", "beard", "berry",
    "bison", "blade", "blimp", "bloom", "board", "bonus", "boots", "brass", "bread", "brick",
    "brook", "brush", "cabin", "cable", "camel", "candy", "canoe", "cargo", "cedar", "chalk",
    "charm", "chess", "chili", "cider", "cliff", "clock", "cloud", "clown", "coast", "cobra",
    "comet", "coral", "couch", "crane", "crate", "crown", "cubic", "curry", "daisy", "dance",
    "delta", "denim", "depot", "diary", "dingo", "disco", "dizzy", "dough", "draft", "dream",
    "drift", "drum", "eagle", "easel", "ebony", "elbow", "elder", "elm", "ember", "emoji", "epic",
    "fable", "fairy", "fancy", "feast", "fence", "ferry", "fiber", "field", "flame", "flask",
    "fleet", "flint", "flute", "focus", "forge", "fossil", "fox", "frost", "fudge", "gecko",
    "ghost", "giant", "ginger", "glade", "globe", "glove", "goose", "grape", "gravy", "grove",
    "guava", "guide", "habit", "harbor", "hazel", "heron", "hiker", "honey", "hotel", "house",
    "husky", "igloo", "inlet", "iris", "ivory", "jelly", "jewel", "joker", "judge", "juice",
    "jumbo", "kayak", "kebab", "kettle", "kiosk", "kite", "koala", "label", "ladle", "lemon",
    "lever", "lilac", "linen", "llama", "lobby", "lodge", "lotus", "lunar", "lyric", "magic",
    "mango", "maple", "marsh", "medal", "melon", "metro", "mint", "mocha", "molar", "moose",
    "motor", "mural", "nacho", "navy", "nectar", "noble", "north", "novel", "nutmeg", "oasis",
    "ocean", "olive", "omega", "onion", "opera", "orbit", "otter", "oven", "owl", "paddle",
    "panda", "paper", "pasta", "peach", "pearl", "pecan", "penny", "piano", "pilot", "pixel",
    "pizza", "plaza", "plum", "polar", "pony", "prism", "pulse", "quail", "quartz", "quest",
    "quilt", "radar", "radio", "raven", "relay", "rhino", "ridge", "river", "robin", "rocket",
    "rodeo", "royal", "ruby", "saddle", "salad", "salsa", "sauna", "scarf", "scout", "shelf",
    "shrub", "silk", "skate", "slate", "sloth", "solar", "sonic", "spice", "spoon", "squid",
    "stamp", "steam", "stone", "straw", "sugar", "swan", "syrup", "table", "tango", "tiger",
    "toast", "topaz", "torch", "tulip", "tundra",
];

/// A passphrase of `random.len()` words (at least 6 recommended: 48 bits of word choice plus
/// a separator digit each), one word per random number, separated by `-` and a digit.
/// The caller supplies the randomness (`crypto.getRandomValues` in the browser).
pub fn passphrase(random: &[u32]) -> String {
    let mut out = String::new();
    for (k, r) in random.iter().enumerate() {
        if k > 0 {
            out.push('-');
            out.push(char::from(b'0' + ((r >> 8) % 10) as u8));
            out.push('-');
        }
        out.push_str(WORDS[(*r & 0xFF) as usize]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Read};

    #[test]
    fn entries_are_aes_256_and_open_with_the_password_only() {
        let mut z = EncryptedZip::new(Cursor::new(Vec::new()), "lemon-4-otter-8-quartz").unwrap();
        z.add("a/b.md", b"# hello secret").unwrap();
        let bytes = z.finish().unwrap().into_inner();
        assert!(!bytes.windows(6).any(|w| w == b"secret"));
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        assert!(archive.by_index_decrypt(0, b"wrong password").is_err());
        let mut f = archive
            .by_index_decrypt(0, b"lemon-4-otter-8-quartz")
            .unwrap();
        assert_eq!(f.name().unwrap(), "a/b.md");
        let mut text = String::new();
        f.read_to_string(&mut text).unwrap();
        assert_eq!(text, "# hello secret");
    }

    #[test]
    fn short_passwords_are_refused() {
        let e = EncryptedZip::new(Cursor::new(Vec::new()), "1234567")
            .err()
            .unwrap();
        assert!(e.to_string().contains("at least 8 characters"), "{e}");
    }

    #[test]
    fn strength_and_passphrases() {
        assert_eq!(strength("abc"), Strength::TooShort);
        assert_eq!(strength("abcdefgh"), Strength::Weak);
        assert_eq!(strength("password1"), Strength::Weak);
        assert_eq!(strength("Summer2024!"), Strength::Weak);
        assert_eq!(strength("Tr0ub4dor&3x"), Strength::Strong);
        assert_eq!(strength("kT9#vq2L"), Strength::Fair);
        let p = passphrase(&[0, 0x1FF, 77, 1000, 31, 4242]);
        assert_eq!(p, "acid-1-tundra-0-dough-3-silk-0-blade-6-kite");
        assert_eq!(strength(&p), Strength::Strong);
    }
}
