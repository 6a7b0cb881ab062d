//! `conversations.json` streamed in chunks of a size taken from the input: every element
//! parsed, every transcript written in all formats.
#![no_main]
use chatkeep_core::source::export::{read_json, Progress};
use chatkeep_core::{render, Format, Options};
use libfuzzer_sys::fuzz_target;
use std::ops::ControlFlow;

/// Hands out at most `chunk` bytes per read, so chunk boundaries fall everywhere.
struct Chunked<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl std::io::Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.chunk.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let (chunk, data) = match data.split_first() {
        Some((c, rest)) => (usize::from(*c).max(1), rest),
        None => (1, data),
    };
    let opts = Options::default();
    let _ = read_json(Chunked { data, chunk }, &mut Progress::default(), &mut |r, _| {
        if let Ok(t) = r {
            for f in Format::ALL {
                let _ = render::to_string(&t, f, &opts);
            }
        }
        ControlFlow::Continue(())
    });
});
