//! An export ZIP: opened, every conversation streamed with its assets resolved.
#![no_main]
use chatkeep_core::source::export::ZipExport;
use libfuzzer_sys::fuzz_target;
use std::io::Cursor;
use std::ops::ControlFlow;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut z) = ZipExport::open(Cursor::new(data), Cursor::new(data)) {
        let _ = z.for_each(&mut |r, _| {
            if let Ok(mut t) = r {
                let _ = t.missing_asset_ids();
            }
            ControlFlow::Continue(())
        });
    }
});
