//! Writers. Each consumes only a [`Transcript`] and [`Options`].

use crate::{Format, Options, Transcript};

pub mod html;
pub mod json;
pub mod markdown;

/// Renders a transcript to a string in one format, with linked assets in the folder
/// [`DEFAULT_ASSETS_DIR`].
pub fn to_string(t: &Transcript, format: Format, opts: &Options) -> String {
    let _ = (t, format, opts);
    String::new()
}

/// The assets folder name used by [`to_string`].
pub const DEFAULT_ASSETS_DIR: &str = "assets";
