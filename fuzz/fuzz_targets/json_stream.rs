//! `conversations.json` streamed in chunks of a size taken from the input: every element
//! parsed, every transcript written in all formats.
#![no_main]
use chatkeep_core::source::export::{read_json, Progress};
use chatkeep_core::{render, Format, Options};
use libfuzzer_sys::fuzz_target;
use std::ops::ControlFlow;

#[path = "shared/chunked.rs"]
mod chunked;
use chunked::Chunked;

fuzz_target!(|data: &[u8]| {
    let opts = Options::default();
    let _ = read_json(
        Chunked::from_input(data),
        &mut Progress::default(),
        &mut |r, _| {
            if let Ok(t) = r {
                for f in Format::ALL {
                    let _ = render::to_string(&t, f, &opts);
                }
            }
            ControlFlow::Continue(())
        },
    );
});
