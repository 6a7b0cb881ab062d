//! Every writer fed an arbitrary transcript (chatkeep's JSON transcript model, deserialised
//! from the input) and arbitrary options (from the input's first bytes).
#![no_main]
use chatkeep_core::{render, Branches, Flavor, Format, Images, Options, Transcript};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&bits, json)) = data.split_first() else {
        return;
    };
    let Ok(t) = serde_json::from_slice::<Transcript>(json) else {
        return;
    };
    let opts = Options {
        branches: if bits & 1 != 0 {
            Branches::All
        } else {
            Branches::Current
        },
        include_reasoning: bits & 2 != 0,
        include_hidden: bits & 4 != 0,
        include_custom_instructions: bits & 8 != 0,
        timestamps: bits & 16 != 0,
        images: [Images::Link, Images::Embed, Images::Omit][usize::from(bits >> 5) % 3],
        flavor: if bits & 128 != 0 {
            Flavor::Obsidian
        } else {
            Flavor::Plain
        },
        utc_offset_minutes: i32::from(bits) * 7 - 900,
        ..Options::default()
    };
    for f in Format::ALL {
        let _ = render::to_string(&t, f, &opts);
    }
    let _ = render::outputs(&t, &opts, "stem");
    let _ = chatkeep_core::naming::stem(&t, &opts);
});
