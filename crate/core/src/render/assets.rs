//! Asset file names, MIME types and `data:` URIs, shared by every writer so Markdown links
//! and [`super::asset_files`] always agree.

use std::collections::{HashMap, HashSet};

use base64::Engine as _;

use crate::{mime, Asset, Block, Message, Transcript};

/// Unique, safe file names for the assets of one transcript.
///
/// Names are assigned once, in transcript order (main line, then branches), to every
/// asset that has bytes. Assets with the same pointer share a name (they are the same file).
pub(crate) struct AssetNames {
    by_key: HashMap<Key, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Pointer(String),
    Address(usize),
}

fn key(asset: &Asset) -> Key {
    match &asset.pointer {
        Some(p) => Key::Pointer(p.clone()),
        None => Key::Address(asset as *const Asset as usize),
    }
}

impl AssetNames {
    /// Names every asset with bytes in `t`.
    pub(crate) fn new(t: &Transcript) -> Self {
        let mut by_key = HashMap::new();
        let mut taken = HashSet::new();
        let all = t
            .messages
            .iter()
            .chain(t.branches.iter().flat_map(|b| b.messages.iter()));
        for m in all {
            for asset in assets_of(m) {
                let Some(data) = asset.data.as_deref() else {
                    continue;
                };
                let k = key(asset);
                if by_key.contains_key(&k) {
                    continue;
                }
                let name = dedupe(&base_name(asset, data), &mut taken);
                by_key.insert(k, name);
            }
        }
        AssetNames { by_key }
    }

    /// The file name of an asset (not unique if the asset is not part of the transcript).
    pub(crate) fn name(&self, asset: &Asset) -> String {
        match self.by_key.get(&key(asset)) {
            Some(n) => n.clone(),
            None => base_name(asset, asset.data.as_deref().unwrap_or_default()),
        }
    }
}

/// The assets (image, attachment, audio) of a message, in block order.
pub(crate) fn assets_of(m: &Message) -> impl Iterator<Item = &Asset> {
    m.blocks.iter().filter_map(|b| match b {
        Block::Image { asset, .. } | Block::Attachment { asset } | Block::Audio { asset } => {
            Some(asset)
        }
        _ => None,
    })
}

/// `dir/name`, or `name` when `dir` is empty.
pub(crate) fn join(dir: &str, name: &str) -> String {
    let dir = dir.trim_end_matches(['/', '\\']);
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// The name to show for an asset: its file name, else its file id, else `fallback`.
pub(crate) fn display_name<'a>(asset: &'a Asset, fallback: &'a str) -> &'a str {
    asset
        .name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .or_else(|| asset.file_id())
        .unwrap_or(fallback)
}

const WINDOWS_RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// A safe file name: letters, digits, `.`, `-`, `_`; no leading dot; at most ~100 characters;
/// never a Windows device name; always with an extension when one can be told.
fn base_name(asset: &Asset, data: &[u8]) -> String {
    let from_name = asset
        .name
        .as_deref()
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n))
        .map(sanitize)
        .filter(|s| !s.is_empty());
    let from_id = || asset.file_id().map(sanitize).filter(|s| !s.is_empty());
    let mut name = from_name
        .or_else(from_id)
        .unwrap_or_else(|| "file".to_owned());
    let (stem, ext) = split_ext(&name);
    let mut stem: String = stem.chars().take(80).collect();
    let mut ext: String = ext.chars().take(10).collect();
    if ext.is_empty() {
        ext = mime_of(asset, data)
            .and_then(mime::extension_for)
            .unwrap_or("")
            .to_owned();
    }
    let upper = stem.to_ascii_uppercase();
    if WINDOWS_RESERVED.contains(&upper.as_str()) {
        stem.insert(0, '_');
    }
    name = stem;
    if !ext.is_empty() {
        name.push('.');
        name.push_str(&ext);
    }
    name
}

fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
            c
        } else {
            '-'
        };
        if c == '-' && out.ends_with('-') {
            continue;
        }
        out.push(c);
    }
    out.trim_matches(['.', '-']).to_owned()
}

/// Splits `name.ext` (extension: 1–10 ASCII alphanumerics); no extension otherwise.
fn split_ext(name: &str) -> (&str, &str) {
    match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && !ext.is_empty()
                && ext.len() <= 10
                && ext.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            (stem.trim_end_matches(['.', '-']), ext)
        }
        _ => (name, ""),
    }
}

fn dedupe(name: &str, taken: &mut HashSet<String>) -> String {
    if taken.insert(name.to_lowercase()) {
        return name.to_owned();
    }
    let (stem, ext) = split_ext(name);
    let mut n = 2usize;
    loop {
        let candidate = if ext.is_empty() {
            format!("{stem}-{n}")
        } else {
            format!("{stem}-{n}.{ext}")
        };
        if taken.insert(candidate.to_lowercase()) {
            return candidate;
        }
        n += 1;
    }
}

/// Whether a string is a plain MIME type (`type/subtype`, token characters only).
fn valid_mime(m: &str) -> bool {
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    match m.split_once('/') {
        Some((a, b)) => token(a) && token(b),
        None => false,
    }
}

/// The MIME type of an asset: its declared type when well-formed, else sniffed from the
/// bytes, else guessed from the file name's extension.
pub(crate) fn mime_of(asset: &Asset, data: &[u8]) -> Option<&'static str> {
    asset
        .mime
        .as_deref()
        .map(|m| m.split(';').next().unwrap_or(m).trim().to_ascii_lowercase())
        .filter(|m| valid_mime(m))
        .and_then(|m| mime::known(&m))
        .or_else(|| mime::sniff(data))
        .or_else(|| {
            let name = asset.name.as_deref()?;
            let (_, ext) = split_ext(name);
            mime::for_extension(ext)
        })
}

/// Whether a MIME type is an image a browser shows in `<img>`.
pub(crate) fn is_image_mime(m: &str) -> bool {
    matches!(
        m,
        "image/png"
            | "image/jpeg"
            | "image/gif"
            | "image/webp"
            | "image/svg+xml"
            | "image/bmp"
            | "image/avif"
    )
}

/// A `data:` URI for an asset's bytes.
pub(crate) fn data_uri(asset: &Asset, data: &[u8]) -> String {
    let mime = mime_of(asset, data).unwrap_or("application/octet-stream");
    let b64 = base64::engine::general_purpose::STANDARD.encode(data);
    format!("data:{mime};base64,{b64}")
}

/// A human file size (`17 KB`).
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} bytes");
    }
    let mut v = bytes as f64 / 1000.0;
    let mut unit = UNITS[0];
    for u in &UNITS[1..] {
        if v < 1000.0 {
            break;
        }
        v /= 1000.0;
        unit = u;
    }
    if v < 10.0 {
        format!("{v:.1} {unit}")
    } else {
        format!("{v:.0} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Message, Role};

    fn asset(pointer: Option<&str>, name: Option<&str>, mime: Option<&str>) -> Asset {
        Asset {
            pointer: pointer.map(str::to_owned),
            name: name.map(str::to_owned),
            mime: mime.map(str::to_owned),
            data: Some(b"\x89PNG\r\n\x1a\nrest".to_vec()),
            ..Asset::default()
        }
    }

    fn transcript(assets: Vec<Asset>) -> Transcript {
        Transcript {
            messages: vec![Message {
                role: Role::User,
                blocks: assets
                    .into_iter()
                    .map(|asset| Block::Attachment { asset })
                    .collect(),
                ..Message::default()
            }],
            ..Transcript::default()
        }
    }

    #[test]
    fn names_are_safe_and_unique() {
        let t = transcript(vec![
            asset(Some("sediment://file_1"), Some("../../etc/passwd"), None),
            asset(
                Some("sediment://file_2"),
                Some("My Chart (final).PNG"),
                None,
            ),
            asset(Some("sediment://file_3"), Some("my chart final.png"), None),
            asset(Some("sediment://file_4"), None, Some("image/png")),
            asset(Some("sediment://file_5"), Some("CON.txt"), None),
            asset(Some("sediment://file_6"), Some(".hidden"), None),
            asset(Some("sediment://file_1"), Some("same pointer"), None),
            asset(None, Some("日本語 ファイル.png"), None),
        ]);
        let names = AssetNames::new(&t);
        let got: Vec<String> = t.messages[0]
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Attachment { asset } => Some(names.name(asset)),
                _ => None,
            })
            .collect();
        assert_eq!(
            got,
            [
                "passwd.png",
                "My-Chart-final.PNG",
                "my-chart-final-2.png",
                "file_4.png",
                "_CON.txt",
                "hidden.png",
                "passwd.png",
                "日本語-ファイル.png",
            ]
        );
    }

    #[test]
    fn mime_and_sizes() {
        let a = asset(None, Some("x"), Some("text/html\"><script>"));
        assert_eq!(mime_of(&a, b"\x89PNG\r\n\x1a\n"), Some("image/png"));
        assert!(data_uri(&a, b"\x89PNG\r\n\x1a\n").starts_with("data:image/png;base64,"));
        let b = asset(None, Some("a.pdf"), None);
        assert_eq!(mime_of(&b, b""), Some("application/pdf"));
        assert_eq!(human_size(17046), "17 KB");
        assert_eq!(human_size(999), "999 bytes");
        assert_eq!(human_size(1_500_000), "1.5 MB");
        assert_eq!(join("assets/", "a.png"), "assets/a.png");
        assert_eq!(join("", "a.png"), "a.png");
    }
}
