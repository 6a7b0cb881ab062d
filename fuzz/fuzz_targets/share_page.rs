//! A saved share page (turbo-stream, `__remixContext`, `__NEXT_DATA__` payloads).
#![no_main]
use chatkeep_core::source::share::read_share_page;
use chatkeep_core::{render, Format, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    if let Ok(t) = read_share_page(&html) {
        let _ = render::to_string(&t, Format::Markdown, &Options::default());
    }
});
