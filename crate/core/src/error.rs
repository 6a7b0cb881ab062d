//! The one error type of the core. Its `Display` says what happened and what to do;
//! [`Error::kind`] is a stable identifier JavaScript maps to its own sentence.

use std::fmt;

/// Everything that can go wrong reading or writing.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The input is not something chatkeep can read.
    NotAnExport {
        /// What was found instead (e.g. "a PNG image", "a ZIP without conversations.json").
        found: String,
    },
    /// The input is JSON but broken at some point.
    BadJson {
        /// Where (e.g. "conversation 250", "byte 1048576").
        at: String,
        /// What serde_json said.
        detail: String,
    },
    /// The file ends before the JSON does.
    Truncated {
        /// Conversations read completely before the end.
        complete: usize,
    },
    /// One conversation could not be read (the others still are).
    Conversation {
        /// Its id, if known.
        id: Option<String>,
        /// Its title, if known.
        title: Option<String>,
        /// Why.
        detail: String,
    },
    /// The ZIP archive is damaged or not a ZIP.
    Zip {
        /// What the ZIP reader said.
        detail: String,
    },
    /// The ZIP expands far beyond its size (a zip bomb or a damaged archive).
    TooLarge {
        /// The entry's name.
        entry: String,
        /// Its declared uncompressed size.
        size: u64,
    },
    /// A page (live or saved) shows no conversation.
    NoConversation {
        /// What the page holds instead.
        detail: String,
    },
    /// Reading a file failed.
    Io(std::io::Error),
    /// Options given by the caller are invalid.
    Options {
        /// What is wrong.
        detail: String,
    },
}

impl Error {
    /// A stable machine-readable identifier: `not_an_export`, `bad_json`, `truncated`,
    /// `conversation`, `zip`, `too_large`, `no_conversation`, `io`, `options`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::NotAnExport { .. } => "not_an_export",
            Error::BadJson { .. } => "bad_json",
            Error::Truncated { .. } => "truncated",
            Error::Conversation { .. } => "conversation",
            Error::Zip { .. } => "zip",
            Error::TooLarge { .. } => "too_large",
            Error::NoConversation { .. } => "no_conversation",
            Error::Io(_) => "io",
            Error::Options { .. } => "options",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotAnExport { found } => write!(
                f,
                "This is not a ChatGPT export: expected the export ZIP, conversations.json, \
                 chat.html or one conversation's JSON, but found {found}. \
                 Choose the ZIP file from ChatGPT's \"Export data\" e-mail."
            ),
            Error::BadJson { at, detail } => write!(
                f,
                "The JSON is damaged at {at} ({detail}). Download the export again; \
                 everything before that point was read."
            ),
            Error::Truncated { complete } => write!(
                f,
                "The file ends early: it was cut off after {complete} complete conversation(s), \
                 which were read. Download the export again to get the rest."
            ),
            Error::Conversation { id, title, detail } => {
                write!(f, "Could not read conversation")?;
                if let Some(t) = title {
                    write!(f, " \"{t}\"")?;
                }
                if let Some(i) = id {
                    write!(f, " ({i})")?;
                }
                write!(f, ": {detail}. The other conversations are not affected.")
            }
            Error::Zip { detail } => write!(
                f,
                "The ZIP file is damaged or incomplete ({detail}). Download the export again."
            ),
            Error::TooLarge { entry, size } => write!(
                f,
                "The ZIP entry {entry} claims to expand to {size} bytes, far more than a ChatGPT \
                 export holds; it was not opened. If this really is your export, unzip it and \
                 open conversations.json instead."
            ),
            Error::NoConversation { detail } => write!(
                f,
                "No conversation found on this page ({detail}). Open the conversation in ChatGPT and try again."
            ),
            Error::Io(e) => write!(f, "Could not read the file: {e}."),
            Error::Options { detail } => write!(f, "Invalid option: {detail}."),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<zip::result::ZipError> for Error {
    fn from(e: zip::result::ZipError) -> Self {
        match e {
            zip::result::ZipError::Io(e) => Error::Io(e),
            other => Error::Zip {
                detail: other.to_string(),
            },
        }
    }
}

/// Shorthand for results of the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
