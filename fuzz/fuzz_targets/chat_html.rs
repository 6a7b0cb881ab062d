//! `chat.html` (`var jsonData = [...]`), streamed in chunks of a size taken from the input.
#![no_main]
use chatkeep_core::source::export::{read_chat_html, Progress};
use libfuzzer_sys::fuzz_target;
use std::ops::ControlFlow;

#[path = "shared/chunked.rs"]
mod chunked;
use chunked::Chunked;

fuzz_target!(|data: &[u8]| {
    let _ = read_chat_html(
        Chunked::from_input(data),
        &mut Progress::default(),
        &mut |_, _| ControlFlow::Continue(()),
    );
});
