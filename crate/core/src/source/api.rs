//! One conversation as returned by `GET /backend-api/conversation/<id>`.

use crate::{Error, Result, Transcript};

/// Reads one conversation object (API response, or one element of `conversations.json`).
pub fn read_conversation(json: &str) -> Result<Transcript> {
    let _ = json;
    Err(Error::NotAnExport { found: "nothing yet".into() })
}
