//! Encrypted saves: one ZIP whose every entry is AES-256 encrypted (WinZip AE-2, which
//! 7-Zip, WinRAR, Keka, macOS Archive Utility alternatives and most archive tools open),
//! written by the `zip` crate (no cipher code here).
//!
//! The extension writes its ZIPs itself, entry by entry and piece by piece; [`AesEntry`]
//! is the cipher of one such entry (AES-256-CTR with WinZip's little-endian counter,
//! HMAC-SHA1-80 over the ciphertext, PBKDF2-HMAC-SHA1 keys), built on RustCrypto's `aes`,
//! `ctr`, `hmac`, `sha1` and `pbkdf2`, the crates the `zip` crate's own AES uses.
//!
//! ZIP's key derivation (PBKDF2-HMAC-SHA1, 1000 rounds) is weak against short passwords:
//! [`strength`] says how long a password resists guessing, and [`passphrase`] makes a
//! strong one from random numbers the caller supplies.

use std::io::{Seek, Write};

use aes::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use zeroize::Zeroizing;

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
            return Err(too_short());
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

/// Bytes of salt at the start of an AES-256 entry's data.
pub const AES_SALT_LEN: usize = 16;
/// Bytes of the password verifier after the salt.
pub const AES_VERIFIER_LEN: usize = 2;
/// Bytes of the authentication code at the end of an entry's data.
pub const AES_AUTH_LEN: usize = 10;
/// PBKDF2 rounds, fixed by the WinZip AE format.
const PBKDF2_ROUNDS: u32 = 1000;

type Ctr = ctr::Ctr128LE<aes::Aes256>;

/// The cipher of one WinZip AE-2 entry, AES-256, fed piece by piece: the ZIP writer puts
/// [`header`](Self::header) (salt and password verifier) before the entry's compressed
/// bytes, each piece passed through [`update`](Self::update), then the code returned by
/// [`finish`](Self::finish). The entry's header says method 99 with the `0x9901` extra
/// field (AE-2, strength 3, the real method) and CRC 0.
///
/// Every entry needs a salt of its own (the caller's random numbers): keys are derived per
/// entry, with the format's 1000 rounds of PBKDF2-HMAC-SHA1.
pub struct AesEntry {
    cipher: Ctr,
    mac: Hmac<Sha1>,
    header: [u8; AES_SALT_LEN + AES_VERIFIER_LEN],
}

impl AesEntry {
    /// Derives the entry's keys from `password` and `salt` (16 random bytes, new for every
    /// entry). Refuses a password shorter than [`MIN_PASSWORD_CHARS`] and a salt of
    /// another length.
    pub fn new(password: &str, salt: &[u8]) -> Result<Self> {
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(too_short());
        }
        let salt: [u8; AES_SALT_LEN] = salt.try_into().map_err(|_| Error::Options {
            detail: format!(
                "an AES-256 entry needs a salt of {AES_SALT_LEN} random bytes, not {}: pass crypto.getRandomValues(new Uint8Array({AES_SALT_LEN}))",
                salt.len()
            ),
        })?;
        // Encryption key, authentication key, password verifier.
        let mut keys = Zeroizing::new([0u8; 32 + 32 + AES_VERIFIER_LEN]);
        pbkdf2::pbkdf2::<Hmac<Sha1>>(
            password.as_bytes(),
            &salt,
            PBKDF2_ROUNDS,
            keys.as_mut_slice(),
        )
        .map_err(|e| key_error(&e))?;
        // WinZip's counter: the whole block, little-endian, from 1.
        let mut counter = [0u8; 16];
        counter[0] = 1;
        let cipher = Ctr::new_from_slices(&keys[..32], &counter).map_err(|e| key_error(&e))?;
        let mac =
            <Hmac<Sha1> as KeyInit>::new_from_slice(&keys[32..64]).map_err(|e| key_error(&e))?;
        let mut header = [0u8; AES_SALT_LEN + AES_VERIFIER_LEN];
        header[..AES_SALT_LEN].copy_from_slice(&salt);
        header[AES_SALT_LEN..].copy_from_slice(&keys[64..]);
        Ok(AesEntry {
            cipher,
            mac,
            header,
        })
    }

    /// The salt and password verifier, written before the entry's encrypted bytes.
    pub fn header(&self) -> [u8; AES_SALT_LEN + AES_VERIFIER_LEN] {
        self.header
    }

    /// Encrypts the next piece of the entry's (compressed) bytes in place.
    pub fn update(&mut self, bytes: &mut [u8]) {
        self.cipher.apply_keystream(bytes);
        self.mac.update(bytes);
    }

    /// The authentication code (HMAC-SHA1 of the encrypted bytes, first 10 bytes), written
    /// after them.
    pub fn finish(self) -> [u8; AES_AUTH_LEN] {
        let full = self.mac.finalize().into_bytes();
        let mut code = [0u8; AES_AUTH_LEN];
        code.copy_from_slice(&full[..AES_AUTH_LEN]);
        code
    }
}

fn too_short() -> Error {
    Error::Options {
        detail: format!(
            "the password is too short: use at least {MIN_PASSWORD_CHARS} characters (a passphrase of four or more words is best)"
        ),
    }
}

fn key_error(e: &dyn std::fmt::Display) -> Error {
    Error::Io(std::io::Error::other(format!(
        "could not derive the encryption keys: {e}"
    )))
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

    /// A ZIP whose entries are framed here as the extension's zip-writer.js frames them
    /// (method 99, the 0x9901 extra field, CRC 0), with the data through [`AesEntry`]:
    /// `(name, real method, uncompressed size, compressed bytes)`.
    fn ae2_zip(password: &str, entries: &[(&str, u16, usize, Vec<u8>)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (k, (name, method, size, packed)) in entries.iter().enumerate() {
            let mut salt = [0u8; AES_SALT_LEN];
            salt.iter_mut()
                .enumerate()
                .for_each(|(i, b)| *b = (i * 31 + k * 7) as u8);
            let mut entry = AesEntry::new(password, &salt).unwrap();
            let mut data = entry.header().to_vec();
            // In uneven pieces: the counter must carry across calls.
            let mut rest = packed.clone();
            let mut at = 0;
            for len in [1, 15, 17, 33, usize::MAX] {
                let end = at + len.min(rest.len() - at);
                entry.update(&mut rest[at..end]);
                at = end;
            }
            data.extend_from_slice(&rest);
            data.extend_from_slice(&entry.finish());
            let extra = [
                &[0x01, 0x99, 7, 0, 2, 0, b'A', b'E', 3][..],
                &method.to_le_bytes(),
            ]
            .concat();
            let fixed = |sig: u32, central: bool| {
                let mut h = sig.to_le_bytes().to_vec();
                if central {
                    h.extend_from_slice(&51u16.to_le_bytes());
                }
                h.extend_from_slice(&51u16.to_le_bytes());
                h.extend_from_slice(&0x0801u16.to_le_bytes());
                h.extend_from_slice(&99u16.to_le_bytes());
                h.extend_from_slice(&[0, 0, 0x21, 0]); // 1980-01-01 00:00
                h.extend_from_slice(&0u32.to_le_bytes()); // AE-2: no CRC
                h.extend_from_slice(&(data.len() as u32).to_le_bytes());
                h.extend_from_slice(&(*size as u32).to_le_bytes());
                h.extend_from_slice(&(name.len() as u16).to_le_bytes());
                h.extend_from_slice(&(extra.len() as u16).to_le_bytes());
                h
            };
            let offset = out.len() as u32;
            out.extend(fixed(0x0403_4b50, false));
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&extra);
            out.extend_from_slice(&data);
            central.extend(fixed(0x0201_4b50, true));
            central.extend_from_slice(&[0; 6]); // comment, disk, internal attributes
            central.extend_from_slice(&0u32.to_le_bytes());
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
            central.extend_from_slice(&extra);
        }
        let cd_at = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        let n = (entries.len() as u16).to_le_bytes();
        out.extend_from_slice(&[n, n].concat());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_at.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }

    /// The raw DEFLATE bytes of `text`, from an ordinary ZIP the zip crate writes.
    fn deflated(text: &[u8]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file(
            "x",
            SimpleFileOptions::default().compression_method(CompressionMethod::Deflated),
        )
        .unwrap();
        w.write_all(text).unwrap();
        let mut archive = zip::ZipArchive::new(w.finish().unwrap()).unwrap();
        let mut raw = Vec::new();
        archive
            .by_index_raw(0)
            .unwrap()
            .read_to_end(&mut raw)
            .unwrap();
        raw
    }

    fn streamed_entries() -> Vec<(&'static str, Vec<u8>, u16, Vec<u8>)> {
        let long = "Ünïcode secret line, repeated.\n".repeat(400).into_bytes();
        let short = b"tiny".to_vec();
        let image: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
        vec![
            ("chat/long.md", long.clone(), 8, deflated(&long)),
            ("chat/short.txt", short.clone(), 0, short),
            ("chat/assets/image.png", image.clone(), 0, image),
            ("chat/empty.json", Vec::new(), 0, Vec::new()),
        ]
    }

    fn streamed_zip(password: &str) -> Vec<u8> {
        let files = streamed_entries();
        let framed: Vec<_> = files
            .iter()
            .map(|(name, plain, method, packed)| (*name, *method, plain.len(), packed.clone()))
            .collect();
        ae2_zip(password, &framed)
    }

    #[test]
    fn streamed_entries_open_with_the_zip_crate_and_the_password_only() {
        let bytes = streamed_zip("lemon-4-otter-8-quartz");
        assert!(!bytes.windows(6).any(|w| w == b"secret"));
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        for (k, (name, plain, _, _)) in streamed_entries().iter().enumerate() {
            assert!(archive
                .by_index_decrypt(k, b"lemon-4-otter-8-quartX")
                .is_err());
            let mut f = archive
                .by_index_decrypt(k, b"lemon-4-otter-8-quartz")
                .unwrap();
            assert_eq!(f.name().unwrap(), *name);
            let mut got = Vec::new();
            f.read_to_end(&mut got).unwrap();
            assert_eq!(&got, plain, "{name}");
        }
    }

    #[test]
    fn a_tampered_entry_fails_its_authentication_code() {
        let mut bytes = streamed_zip("lemon-4-otter-8-quartz");
        // A byte of the first entry's ciphertext (after its header, salt and verifier).
        let at = 30 + "chat/long.md".len() + 11 + AES_SALT_LEN + AES_VERIFIER_LEN + 5;
        bytes[at] ^= 1;
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut f = archive
            .by_index_decrypt(0, b"lemon-4-otter-8-quartz")
            .unwrap();
        assert!(f.read_to_end(&mut Vec::new()).is_err());
    }

    #[test]
    fn streamed_entries_open_with_7z_and_the_password_only() {
        let found = std::process::Command::new("7z").arg("i").output();
        assert!(
            found.is_ok(),
            "Debian's 7z is needed: apt-get install -y p7zip-full"
        );
        let dir = std::env::temp_dir().join(format!("chatkeep-aes-entry-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let zip_path = dir.join("streamed.zip");
        std::fs::write(&zip_path, streamed_zip("lemon-4-otter-8-quartz")).unwrap();
        let seven = |password: &str, out: &str| {
            std::process::Command::new("7z")
                .args([
                    "x",
                    "-y",
                    &format!("-p{password}"),
                    &format!("-o{}", dir.join(out).display()),
                ])
                .arg(&zip_path)
                .output()
                .unwrap()
        };
        let wrong = seven("not-the-password", "wrong");
        assert!(!wrong.status.success());
        for (name, _, _, _) in streamed_entries() {
            let got = std::fs::read(dir.join("wrong").join(name)).unwrap_or_default();
            assert!(got.is_empty(), "{name} came out with a wrong password");
        }
        let right = seven("lemon-4-otter-8-quartz", "right");
        assert!(
            right.status.success(),
            "{}",
            String::from_utf8_lossy(&right.stdout)
        );
        for (name, plain, _, _) in streamed_entries() {
            assert_eq!(
                std::fs::read(dir.join("right").join(name)).unwrap(),
                plain,
                "{name}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn aes_entries_refuse_short_passwords_and_bad_salts() {
        let e = AesEntry::new("1234567", &[0; 16]).err().unwrap();
        assert!(e.to_string().contains("at least 8 characters"), "{e}");
        let e = AesEntry::new("long enough", &[0; 8]).err().unwrap();
        assert!(
            e.to_string().contains("salt of 16 random bytes, not 8"),
            "{e}"
        );
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
