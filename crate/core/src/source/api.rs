//! One conversation as returned by `GET /backend-api/conversation/<id>`.

use crate::{Error, Origin, Result, Transcript};

/// Reads one conversation object (an API response, or one element of `conversations.json`).
pub fn read_conversation(json: &str) -> Result<Transcript> {
    read_with_origin(json.to_owned(), Origin::Api)
}

/// Reads one conversation object, recording where it came from.
pub fn read_with_origin(mut json: String, origin: Origin) -> Result<Transcript> {
    if json.starts_with('\u{feff}') {
        json.drain(..'\u{feff}'.len_utf8());
    }
    let first = json.trim_start().bytes().next();
    match first {
        Some(b'{') => super::convo::read(json, origin),
        Some(b'[') => Err(Error::NotAnExport {
            found: "a list of conversations (open it as an export instead)".to_owned(),
        }),
        None => Err(Error::NotAnExport {
            found: "an empty file".to_owned(),
        }),
        Some(_) => Err(Error::NotAnExport {
            found: "text that is not JSON".to_owned(),
        }),
    }
}
