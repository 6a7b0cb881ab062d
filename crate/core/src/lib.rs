//! chatkeep's core: reads ChatGPT data into a faithful [`Transcript`] and writes it as
//! Markdown, HTML or JSON.
//!
//! Parse → model → render: every reader in [`source`] produces the same [`Transcript`];
//! every writer in [`render`] consumes only a transcript and [`Options`]. Nothing here
//! touches the browser: the wasm crate and the CLI are thin shells around this crate.
//!
//! ```
//! use chatkeep_core::{source, render, Format, Options};
//! let json = r#"{"id":"c1","title":"Hello","current_node":"b","mapping":{
//!   "a":{"id":"a","parent":null,"children":["b"],"message":{"id":"a","author":{"role":"user"},
//!        "content":{"content_type":"text","parts":["Hi!"]}}},
//!   "b":{"id":"b","parent":"a","children":[],"message":{"id":"b","author":{"role":"assistant"},
//!        "content":{"content_type":"text","parts":["Hello **there**."]}}}}}"#;
//! let transcript = source::api::read_conversation(json).unwrap();
//! let md = render::to_string(&transcript, Format::Markdown, &Options::default());
//! assert!(md.contains("Hello **there**."));
//! ```
#![deny(missing_docs)]

pub mod backup;
pub mod chat_url;
pub mod encrypt;
pub mod error;
pub mod mime;
pub mod model;
pub mod naming;
pub mod options;
pub mod redact;
pub mod render;
pub mod search;
mod sort;
pub mod source;
pub mod time_fmt;

pub use error::{Error, Result};
pub use model::*;
pub use options::*;
