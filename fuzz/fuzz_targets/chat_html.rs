//! `chat.html` (`var jsonData = [...]`), streamed in chunks of a size taken from the input.
#![no_main]
use chatkeep_core::source::export::{read_chat_html, Progress};
use libfuzzer_sys::fuzz_target;
use std::ops::ControlFlow;

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
    let _ = read_chat_html(Chunked { data, chunk }, &mut Progress::default(), &mut |_, _| {
        ControlFlow::Continue(())
    });
});
