//! File types, said once: the MIME types chatkeep knows with their usual extensions, the
//! type of a file from its first bytes, and the type of an extension. Used by the export
//! reader (to type the files it attaches), the asset writer (names and `data:` URIs) and
//! the "not an export" messages.

/// MIME types chatkeep knows, with their usual extension (the first pair of a type or an
/// extension wins).
const TYPES: &[(&str, &str)] = &[
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
    ("image/gif", "gif"),
    ("image/webp", "webp"),
    ("image/svg+xml", "svg"),
    ("image/bmp", "bmp"),
    ("image/avif", "avif"),
    ("image/heic", "heic"),
    ("image/tiff", "tiff"),
    ("audio/wav", "wav"),
    ("audio/x-wav", "wav"),
    ("audio/mpeg", "mp3"),
    ("audio/ogg", "ogg"),
    // Chats carry voice recordings, not videos: a bare `.webm` is audio.
    ("audio/webm", "webm"),
    ("audio/webm", "weba"),
    ("audio/mp4", "m4a"),
    ("video/mp4", "mp4"),
    ("video/webm", "webm"),
    ("application/pdf", "pdf"),
    ("application/json", "json"),
    ("application/zip", "zip"),
    ("application/gzip", "gz"),
    ("application/x-7z-compressed", "7z"),
    ("application/octet-stream", "bin"),
    ("text/plain", "txt"),
    ("text/markdown", "md"),
    ("text/csv", "csv"),
    ("text/html", "html"),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pptx",
    ),
];

/// First bytes → type. Every signature is the whole magic number of its format.
const SIGNATURES: &[(&[u8], &str)] = &[
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"OggS", "audio/ogg"),
    (b"PK\x03\x04", "application/zip"),
    // An archive with no entries: its end record comes first.
    (b"PK\x05\x06", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
];

/// The type of a file from its first bytes, for the formats chats and exports carry.
pub fn sniff(data: &[u8]) -> Option<&'static str> {
    if data.len() >= 12 && data.starts_with(b"RIFF") {
        return match &data[8..12] {
            b"WEBP" => Some("image/webp"),
            b"WAVE" => Some("audio/wav"),
            _ => None,
        };
    }
    SIGNATURES
        .iter()
        .find(|(magic, _)| data.starts_with(magic))
        .map(|(_, mime)| *mime)
}

/// The type of a file extension (without its dot; any case).
pub fn for_extension(ext: &str) -> Option<&'static str> {
    let ext = ext.to_ascii_lowercase();
    match ext.as_str() {
        "jpeg" | "jpe" => Some("image/jpeg"),
        "tif" => Some("image/tiff"),
        "markdown" => Some("text/markdown"),
        "htm" => Some("text/html"),
        _ => TYPES.iter().find(|(_, e)| *e == ext).map(|(m, _)| *m),
    }
}

/// The usual extension of a known type.
pub fn extension_for(mime: &str) -> Option<&'static str> {
    TYPES.iter().find(|(m, _)| *m == mime).map(|(_, e)| *e)
}

/// A known type in its usual spelling (`image/jpg` → `image/jpeg`), or `None`.
pub fn known(mime: &str) -> Option<&'static str> {
    TYPES
        .iter()
        .find(|(m, _)| *m == mime)
        .map(|(m, _)| *m)
        .or(match mime {
            "image/jpg" | "image/pjpeg" => Some("image/jpeg"),
            "audio/wave" | "audio/vnd.wave" => Some("audio/wav"),
            "audio/mp3" => Some("audio/mpeg"),
            _ => None,
        })
}

/// What a file of this type is, in a few words ("a PNG image"), for messages.
pub fn describe(mime: &str) -> Option<&'static str> {
    Some(match mime {
        "image/png" => "a PNG image",
        "image/jpeg" => "a JPEG image",
        "image/gif" => "a GIF image",
        "image/webp" => "a WebP image",
        "audio/wav" => "a WAV audio file",
        "audio/ogg" => "an Ogg audio file",
        "application/pdf" => "a PDF document",
        "application/zip" => "a ZIP archive",
        "application/gzip" => "a gzip-compressed file",
        "application/x-7z-compressed" => "a 7-Zip archive",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_whole_signatures_only() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff(b"\x89PNG"), None, "a PNG signature cut short");
        assert_eq!(sniff(b"GIF89a..."), Some("image/gif"));
        assert_eq!(sniff(b"GIF8"), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), Some("audio/wav"));
        assert_eq!(sniff(b"RIFF\0\0\0\0AVI LIST"), None);
        assert_eq!(sniff(b"OggS\0"), Some("audio/ogg"));
        assert_eq!(sniff(b"PK\x03\x04"), Some("application/zip"));
        assert_eq!(sniff(b"PK\x05\x06"), Some("application/zip"));
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn extensions_and_types_go_both_ways() {
        assert_eq!(for_extension("JPEG"), Some("image/jpeg"));
        assert_eq!(for_extension("webm"), Some("audio/webm"));
        assert_eq!(for_extension("nope"), None);
        assert_eq!(extension_for("image/jpeg"), Some("jpg"));
        assert_eq!(extension_for("video/webm"), Some("webm"));
        assert_eq!(known("image/jpg"), Some("image/jpeg"));
        assert_eq!(known("text/x-unknown"), None);
        for (mime, ext) in TYPES {
            assert!(for_extension(ext).is_some(), "{ext}");
            assert_eq!(known(mime), Some(*mime));
        }
        assert_eq!(describe("image/png"), Some("a PNG image"));
    }
}
