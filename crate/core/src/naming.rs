//! File names from the template.

use crate::{Format, Options, Transcript};

/// The file name (with extension) for a transcript in a format, from the options' template.
pub fn file_name(t: &Transcript, format: Format, opts: &Options) -> String {
    let _ = opts;
    format!("{}.{}", t.id, format.extension())
}
