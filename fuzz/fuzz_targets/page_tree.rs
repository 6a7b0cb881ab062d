//! The rendered page: the element tree as the extension sends it (JSON), and saved HTML
//! parsed natively, both read by the page reader.
#![no_main]
use chatkeep_core::source::page::{html, read_page, DomElement};
use chatkeep_core::{render, Format, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = Options::default();
    let tree = match serde_json::from_slice::<DomElement>(data) {
        Ok(root) => Some((root, None, None)),
        Err(_) => Some(html::parse(&String::from_utf8_lossy(data))),
    };
    if let Some((root, title, url)) = tree {
        if let Ok(t) = read_page(&root, url.as_deref(), title.as_deref()) {
            let _ = render::to_string(&t, Format::Html, &opts);
        }
    }
});
