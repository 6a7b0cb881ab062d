//! Writers. Each consumes only a [`Transcript`] and [`Options`] and writes to any
//! [`std::fmt::Write`] sink, so the same code fills a `String` in wasm and a file in the CLI.
//!
//! - [`markdown`]: CommonMark + GFM (or Obsidian), with images linked from an assets folder
//!   ([`asset_files`] lists the files to write there), embedded, or omitted.
//! - [`html`]: one self-contained page (images embedded, no script, strict CSP).
//! - [`json`]: chatkeep's versioned transcript format (`chatkeep.transcript/1`).
//!
//! All three agree on what a reader sees: which messages are shown (the `include_*`
//! options), how consecutive assistant messages form one turn, and where branches go.

use crate::{Format, Message, Options, Transcript};

mod assets;
mod cjk;
pub(crate) mod escape;
pub mod html;
mod html_text;
pub mod index;
pub mod json;
mod layout;
pub mod markdown;
mod md_text;

/// The assets folder name used by [`to_string`].
pub const DEFAULT_ASSETS_DIR: &str = "assets";

/// One written file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// The file name, with extension.
    pub file_name: String,
    /// Its MIME type.
    pub mime: &'static str,
    /// Its content.
    pub text: String,
}

/// The folder, next to the output files, where a transcript's linked assets go.
pub fn assets_dir_for(stem: &str) -> String {
    format!("assets/{stem}")
}

/// Every file of one transcript: one per format of `opts.formats` (named `stem.ext`), then
/// the assets the Markdown links to (paths relative to the output folder).
pub fn outputs<'a>(
    t: &'a Transcript,
    opts: &Options,
    stem: &str,
) -> (Vec<OutputFile>, Vec<AssetFile<'a>>) {
    let assets_dir = assets_dir_for(stem);
    let files = opts
        .formats
        .iter()
        .map(|&format| {
            let mut text = String::new();
            write(t, format, opts, &assets_dir, &mut text);
            OutputFile {
                file_name: format!("{stem}.{}", format.extension()),
                mime: format.mime(),
                text,
            }
        })
        .collect();
    let assets = if opts.formats.contains(&Format::Markdown) {
        asset_files(t, opts, &assets_dir)
    } else {
        Vec::new()
    };
    (files, assets)
}

/// Renders a transcript to a string in one format, with linked assets in the folder
/// [`DEFAULT_ASSETS_DIR`].
pub fn to_string(t: &Transcript, format: Format, opts: &Options) -> String {
    let mut out = String::new();
    write(t, format, opts, DEFAULT_ASSETS_DIR, &mut out);
    out
}

/// Renders a transcript in one format, appending to `out`. `assets_dir` is the folder,
/// relative to the output file, that Markdown links point into (see [`asset_files`]).
pub fn write(t: &Transcript, format: Format, opts: &Options, assets_dir: &str, out: &mut String) {
    // Writing to a `String` cannot fail: the results carry no information.
    let _ = match format {
        Format::Markdown => markdown::write(t, opts, assets_dir, out),
        Format::Html => html::write(t, opts, out),
        Format::Json => json::write(t, opts, assets_dir, out),
    };
}

/// A file the Markdown output links to, to be written next to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetFile<'a> {
    /// The path relative to the output file, `/`-separated, e.g. `assets/chart-1.png`.
    /// Its file name is safe on every platform and unique within the transcript.
    pub path: String,
    /// The file's bytes.
    pub data: &'a [u8],
}

/// Files the Markdown output links to: with [`crate::Images::Link`], every asset that has
/// `data` in a message the Markdown shows (same options, same `assets_dir`); empty for
/// the other image modes. Paths are exactly the ones the Markdown links use.
pub fn asset_files<'a>(t: &'a Transcript, opts: &Options, assets_dir: &str) -> Vec<AssetFile<'a>> {
    if opts.images != crate::Images::Link {
        return Vec::new();
    }
    let names = assets::AssetNames::new(t);
    let mut seen = std::collections::HashSet::new();
    let mut files = Vec::new();
    for m in layout::shown_messages(t, opts) {
        for asset in assets::assets_of(m) {
            let Some(data) = asset.data.as_deref() else {
                continue;
            };
            let name = names.name(asset);
            if seen.insert(name.clone()) {
                files.push(AssetFile {
                    path: assets::join(assets_dir, &name),
                    data,
                });
            }
        }
    }
    files
}

/// The Markdown of one message's blocks exactly as the Markdown writer shows it (without
/// the role heading or the wrapper of a hidden message). `m` should be a message of `t`:
/// asset file names are unique per transcript.
pub fn message_markdown(t: &Transcript, m: &Message, opts: &Options, assets_dir: &str) -> String {
    let names = assets::AssetNames::new(t);
    let ctx = markdown::Ctx::new(t, opts, assets_dir, &names);
    let mut out = String::new();
    // Writing to a `String` cannot fail.
    let _ = ctx.blocks(m, &mut out);
    out
}

#[cfg(test)]
pub(crate) mod test_support;
