//! The JavaScript boundary, tested in a real browser (headless Chromium through
//! `wasm-bindgen-test-runner`; `./build.sh test` sets it up). The conversion itself is
//! tested natively in the core; these tests check only what crosses the boundary: the
//! shape of values, option handling and errors.
#![cfg(target_arch = "wasm32")]

use chatkeep_wasm::{
    changed_options, conversation_assets, convert_conversation, convert_export_conversation,
    convert_page, convert_share_page, default_options, export_conversation_index, merge_options,
    version, Backup, JsonStream, NameSet, Search, ZipStream,
};
use js_sys::{Array, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// The smallest real conversation: one prompt, one answer.
const HELLO: &str = r#"{"id":"c1","title":"Hello","current_node":"b","mapping":{
  "a":{"id":"a","parent":null,"children":["b"],"message":{"id":"a","author":{"role":"user"},
       "content":{"content_type":"text","parts":["Hi!"]}}},
  "b":{"id":"b","parent":"a","children":[],"message":{"id":"b","author":{"role":"assistant"},
       "content":{"content_type":"text","parts":["Hello **there**."]}}}}}"#;

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).expect("property read")
}

fn js(json: &str) -> JsValue {
    JSON::parse(json).expect("valid JSON in the test")
}

/// Asserts `result` is a rejected `Error` with a message and the given (or any) kind.
fn assert_error(result: Result<JsValue, JsValue>, kind: Option<&str>) {
    let err = result.expect_err("should be an error");
    let err: js_sys::Error = err.dyn_into().expect("a JavaScript Error");
    let message = String::from(err.message());
    assert!(!message.is_empty(), "error message is empty");
    let got = get(&err, "kind").as_string().expect("`kind` is a string");
    assert!(!got.is_empty(), "error kind is empty");
    if let Some(kind) = kind {
        assert_eq!(got, kind, "error kind (message: {message})");
    }
}

#[wasm_bindgen_test]
fn default_options_is_a_plain_object_with_every_option() {
    let opts = default_options().expect("defaults convert");
    assert!(opts.is_object());
    assert_eq!(
        js_sys::Object::get_prototype_of(&opts),
        js_sys::Object::get_prototype_of(&js_sys::Object::new()),
        "a plain object, not a Map"
    );
    for key in [
        "formats",
        "branches",
        "include_reasoning",
        "include_hidden",
        "include_custom_instructions",
        "timestamps",
        "utc_offset_minutes",
        "images",
        "flavor",
        "front_matter",
        "filename_template",
    ] {
        assert!(
            !get(&opts, key).is_undefined(),
            "defaultOptions() lacks `{key}`"
        );
    }
    let formats = Array::from(&get(&opts, "formats"));
    assert_eq!(formats.get(0).as_string().as_deref(), Some("markdown"));
}

#[wasm_bindgen_test]
fn default_options_round_trip_through_convert() {
    // What defaultOptions() returns is accepted back unchanged (JSON.stringify'd and
    // parsed again, as it would be after chrome.storage).
    let opts = default_options().expect("defaults convert");
    let text = JSON::stringify(&opts).expect("stringify");
    let opts = JSON::parse(&String::from(text)).expect("parse");
    // Accepted, and the same as no options at all: the same files, byte for byte.
    let with = convert_conversation(HELLO, opts, JsValue::UNDEFINED).expect("accepted back");
    let without =
        convert_conversation(HELLO, JsValue::UNDEFINED, JsValue::UNDEFINED).expect("converts");
    let files = |v: &JsValue| {
        JSON::stringify(&get(v, "files"))
            .ok()
            .and_then(|s| s.as_string())
    };
    assert!(files(&with).is_some_and(|f| f.contains("Hello")));
    assert_eq!(files(&with), files(&without));
}

#[wasm_bindgen_test]
fn version_is_the_crate_version() {
    assert_eq!(version(), env!("CARGO_PKG_VERSION"));
}

#[wasm_bindgen_test]
fn converts_to_one_file_per_requested_format() {
    let opts = js(r#"{"formats":["markdown","html","json"]}"#);
    let out = convert_conversation(HELLO, opts, JsValue::UNDEFINED).expect("converts");
    assert_eq!(get(&out, "id").as_string().as_deref(), Some("c1"));
    assert_eq!(get(&out, "title").as_string().as_deref(), Some("Hello"));
    assert!(Array::is_array(&get(&out, "warnings")));
    let files = Array::from(&get(&out, "files"));
    assert_eq!(files.length(), 3);
    for (file, (ext, mime)) in files.iter().zip([
        (".md", "text/markdown"),
        (".html", "text/html"),
        (".json", "application/json"),
    ]) {
        let name = get(&file, "fileName").as_string().expect("fileName");
        assert!(name.ends_with(ext), "{name} should end with {ext}");
        let m = get(&file, "mime").as_string().expect("mime");
        assert!(m.starts_with(mime), "{m} should start with {mime}");
        let text = get(&file, "text").as_string().expect("text");
        assert!(
            text.contains("Hello"),
            "{name} lacks the conversation: {text}"
        );
    }
}

#[wasm_bindgen_test]
fn missing_options_mean_the_defaults() {
    for opts in [JsValue::UNDEFINED, JsValue::NULL, js("{}")] {
        let out = convert_conversation(HELLO, opts, JsValue::UNDEFINED).expect("converts");
        let files = Array::from(&get(&out, "files"));
        assert_eq!(files.length(), 1, "the default is Markdown only");
        let name = get(&files.get(0), "fileName")
            .as_string()
            .expect("fileName");
        assert!(name.ends_with(".md"), "{name}");
    }
}

#[wasm_bindgen_test]
fn invalid_json_rejects_with_a_kind() {
    assert_error(
        convert_conversation("{not json", JsValue::UNDEFINED, JsValue::UNDEFINED),
        None,
    );
    assert_error(
        convert_conversation("", JsValue::UNDEFINED, JsValue::UNDEFINED),
        None,
    );
}

#[wasm_bindgen_test]
fn invalid_options_reject_with_kind_options() {
    assert_error(
        convert_conversation(HELLO, js(r#"{"formats":["pdf"]}"#), JsValue::UNDEFINED),
        Some("options"),
    );
    assert_error(
        convert_conversation(HELLO, js(r#"{"timestamps":"yes"}"#), JsValue::UNDEFINED),
        Some("options"),
    );
    assert_error(
        convert_conversation(HELLO, JsValue::from_str("markdown"), JsValue::UNDEFINED),
        Some("options"),
    );
}

/// A conversation with one uploaded image.
const WITH_IMAGE: &str = r#"{"id":"c2","title":"Pic","current_node":"a","mapping":{
  "a":{"id":"a","parent":null,"children":[],"message":{"id":"a","author":{"role":"user"},
       "content":{"content_type":"multimodal_text","parts":[{"content_type":"image_asset_pointer",
       "asset_pointer":"sediment://file_0001","width":1,"height":1},"Look"]}}}}}"#;

#[wasm_bindgen_test]
fn assets_are_listed_and_attached() {
    let ids = Array::from(&conversation_assets(WITH_IMAGE).expect("lists"));
    assert_eq!(ids.length(), 1);
    assert_eq!(ids.get(0).as_string().as_deref(), Some("file_0001"));
    // A 1x1 PNG given back as bytes is embedded in the HTML and linked from the Markdown.
    let png: &[u8] = &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0];
    let assets = js_sys::Object::new();
    let entry = js_sys::Object::new();
    Reflect::set(&entry, &"name".into(), &"pic.png".into()).expect("set");
    Reflect::set(&entry, &"bytes".into(), &js_sys::Uint8Array::from(png)).expect("set");
    Reflect::set(&assets, &"file_0001".into(), &entry).expect("set");
    let out = convert_conversation(
        WITH_IMAGE,
        js(r#"{"formats":["markdown","html"]}"#),
        assets.into(),
    )
    .expect("converts");
    let files = Array::from(&get(&out, "files"));
    let html = get(&files.get(1), "text").as_string().unwrap_or_default();
    assert!(
        html.contains("data:image/png;base64,"),
        "image embedded in HTML"
    );
    let linked = Array::from(&get(&out, "assets"));
    assert_eq!(linked.length(), 1);
    assert!(get(&linked.get(0), "bytes").is_instance_of::<js_sys::Uint8Array>());
    let path = get(&linked.get(0), "path").as_string().unwrap_or_default();
    let md = get(&files.get(0), "text").as_string().unwrap_or_default();
    assert!(
        path.starts_with("assets/") && md.contains(path.split('/').next_back().unwrap_or("?")),
        "{path} linked from {md}"
    );
}

#[wasm_bindgen_test]
fn pages_and_share_pages() {
    let tree = r#"{"t":"main","a":{},"c":[
      {"t":"div","a":{"data-message-author-role":"user","data-message-id":"u1"},"c":[{"t":"div","a":{"class":"whitespace-pre-wrap"},"c":["Hi page"]}]},
      {"t":"div","a":{"data-message-author-role":"assistant","data-message-id":"a1"},"c":[{"t":"div","a":{"class":"markdown prose"},"c":[{"t":"p","a":{},"c":["Hello ",{"t":"strong","a":{},"c":["page"]}]}]}]}]}"#;
    let out = convert_page(
        JsValue::from_str(tree),
        Some("https://chatgpt.com/c/abc".into()),
        Some("Page chat - ChatGPT".into()),
        js(r#"{"formats":["markdown"]}"#),
        JsValue::UNDEFINED,
    )
    .expect("converts");
    assert_eq!(get(&out, "id").as_string().as_deref(), Some("abc"));
    let md = get(&Array::from(&get(&out, "files")).get(0), "text")
        .as_string()
        .unwrap_or_default();
    assert!(md.contains("Hello **page**"), "{md}");
    assert!(!md.contains("Incomplete"), "{md}");
    // The page shows no dates: named by the template with the day of the save (UTC, the
    // options' default offset), and a warning says so (beside the page reader's).
    let today: String = String::from(js_sys::Date::new_0().to_iso_string())
        .chars()
        .take(10)
        .collect();
    let name = get(&Array::from(&get(&out, "files")).get(0), "fileName")
        .as_string()
        .unwrap_or_default();
    assert_eq!(name, format!("{today} Page chat.md"));
    let warnings = Array::from(&get(&out, "warnings"));
    assert_eq!(warnings.length(), 2, "{:?}", warnings.to_vec());
    let kinds: Vec<String> = warnings
        .iter()
        .filter_map(|w| get(&w, "kind").as_string())
        .collect();
    assert_eq!(kinds, ["page_read", "reader"], "{:?}", warnings.to_vec());
    assert!(
        get(&warnings.get(1), "message")
            .as_string()
            .is_some_and(|m| m.contains("the day it was saved")),
        "{:?}",
        warnings.to_vec()
    );
    // The page reader's report: a top it never reached is said in the file and the warnings.
    let out = convert_page(
        JsValue::from_str(tree),
        Some("https://chatgpt.com/c/abc".into()),
        None,
        js(r#"{"formats":["markdown"]}"#),
        js(r#"{"top_reached":false,"gaps":0}"#),
    )
    .expect("converts");
    let md = get(&Array::from(&get(&out, "files")).get(0), "text")
        .as_string()
        .unwrap_or_default();
    assert!(
        md.contains("> **Incomplete:** the start of the conversation could not be read"),
        "{md}"
    );
    let warnings = Array::from(&get(&out, "warnings"));
    assert!(
        warnings.iter().any(|w| {
            get(&w, "kind").as_string().as_deref() == Some("incomplete")
                && get(&w, "message")
                    .as_string()
                    .is_some_and(|m| m.starts_with("Incomplete: the start"))
        }),
        "{warnings:?}"
    );
    let incomplete = Array::from(&get(&out, "incomplete"));
    assert_eq!(incomplete.length(), 1, "{incomplete:?}");
    assert_error(
        convert_page(
            JsValue::from_str("{\"t\":\"main\"}"),
            None,
            None,
            JsValue::UNDEFINED,
            JsValue::UNDEFINED,
        ),
        Some("no_conversation"),
    );
    assert_error(
        convert_page(
            JsValue::from_str(tree),
            None,
            None,
            JsValue::UNDEFINED,
            js(r#"{"top_reached":"yes"}"#),
        ),
        Some("bad_json"),
    );
    assert_error(
        convert_share_page("<html></html>", JsValue::UNDEFINED),
        Some("not_an_export"),
    );
}

#[wasm_bindgen_test]
fn json_stream_splits_chunks_anywhere() {
    let array = format!("[{HELLO},{WITH_IMAGE}]");
    let mut stream = JsonStream::new();
    let mut found = Vec::new();
    for chunk in array.as_bytes().chunks(7) {
        let got = stream.push(chunk).expect("pushes");
        found.extend(got.iter().map(|v| js_sys::Uint8Array::new(&v).to_vec()));
    }
    stream.finish().expect("complete");
    assert_eq!(found.len(), 2);
    let summary = get(
        &export_conversation_index(found[1].clone(), 1, &mut Search::new(1e6, None))
            .expect("index"),
        "summary",
    );
    assert_eq!(get(&summary, "title").as_string().as_deref(), Some("Pic"));
    assert_eq!(get(&summary, "messages").as_f64(), Some(1.0));
    let mut cut = JsonStream::new();
    cut.push(&array.as_bytes()[..array.len() - 10])
        .expect("pushes");
    assert_error(cut.finish().map(|()| JsValue::NULL), Some("truncated"));
}

#[wasm_bindgen_test]
fn json_stream_indexes_without_handing_json_over() {
    let broken = r#"{"id":"c9","title":"Broken","mapping":{},"current_node":nope}"#;
    let array = format!("[ {HELLO},\n{broken} , {WITH_IMAGE}]");
    let mut stream = JsonStream::new();
    let mut entries = Vec::new();
    let mut search = Search::new(1e6, None);
    for chunk in array.as_bytes().chunks(5) {
        entries.extend(
            stream
                .push_index(chunk, &mut search)
                .expect("pushes")
                .iter(),
        );
    }
    stream.finish().expect("complete");
    assert_eq!(entries.len(), 3);
    let bytes = array.as_bytes();
    for (entry, expected) in entries.iter().zip([HELLO, broken, WITH_IMAGE]) {
        let offset = get(entry, "offset").as_f64().expect("offset") as usize;
        let length = get(entry, "length").as_f64().expect("length") as usize;
        assert_eq!(&bytes[offset..offset + length], expected.as_bytes());
    }
    let hello = get(&entries[0], "summary");
    assert_eq!(get(&hello, "title").as_string().as_deref(), Some("Hello"));
    assert_eq!(get(&hello, "messages").as_f64(), Some(2.0));
    assert!(
        get(&entries[0], "text").is_undefined(),
        "the text stays in the core"
    );
    assert!(search.complete());
    let found = search.find(r#"THERE "hi!""#);
    let indexes: Vec<f64> = Array::from(&get(&found, "indexes"))
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    assert_eq!(indexes, [0.0]);
    assert_eq!(
        Array::from(&get(&found, "snippets"))
            .get(0)
            .as_string()
            .as_deref(),
        Some("Hi! Hello there."),
        "in the chat's own case, without Markdown marks"
    );
    assert_eq!(
        Array::from(&get(&found, "terms"))
            .iter()
            .filter_map(|v| v.as_string())
            .collect::<Vec<_>>(),
        ["there", "hi!"],
        "the terms to highlight, as the core parsed them"
    );
    let look = search.find("look");
    let indexes: Vec<f64> = Array::from(&get(&look, "indexes"))
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    assert_eq!(
        indexes,
        [2.0],
        "positions in the file, the broken one counted"
    );
    assert!(search.find("  ").is_null(), "nothing to look for");
    assert!(search.hits().is_null());
    let mut scan = Search::scanning("look");
    let mut again = JsonStream::new();
    again
        .push_index(array.as_bytes(), &mut scan)
        .expect("pushes");
    assert_eq!(
        JSON::stringify(&scan.hits())
            .ok()
            .and_then(|s| s.as_string()),
        JSON::stringify(&look).ok().and_then(|s| s.as_string()),
        "a scan finds what the kept texts find"
    );
    assert!(!scan.complete());
    let mut small = Search::new(8.0, None);
    JsonStream::new()
        .push_index(array.as_bytes(), &mut small)
        .expect("pushes");
    assert!(
        !small.complete() && small.bytes() == 0.0,
        "past its budget, nothing is kept"
    );
    // Told the file's size, a search whose text cannot fit keeps nothing from the start;
    // one that can keeps it all.
    let mut told = Search::new(1e6, Some(5e6));
    assert!(!told.complete(), "nothing kept from the start");
    JsonStream::new()
        .push_index(array.as_bytes(), &mut told)
        .expect("pushes");
    assert!(!told.complete() && told.bytes() == 0.0);
    let mut fits = Search::new(1e6, Some(array.len() as f64));
    JsonStream::new()
        .push_index(array.as_bytes(), &mut fits)
        .expect("pushes");
    assert!(fits.complete() && fits.bytes() > 0.0);
    assert_error(Err(get(&entries[1], "error")), Some("conversation"));
    assert!(get(&entries[1], "summary").is_undefined());
    assert_eq!(
        get(&get(&entries[2], "summary"), "title")
            .as_string()
            .as_deref(),
        Some("Pic")
    );
}

/// The files of a save item's `converted`: `(fileName, content)`, the content read from
/// `bytes` (a `Uint8Array` of UTF-8).
fn saved_files(item: &JsValue) -> Vec<(String, String)> {
    Array::from(&get(&get(item, "converted"), "files"))
        .iter()
        .map(|f| {
            assert!(
                get(&f, "text").is_undefined(),
                "a save gets bytes, not text"
            );
            let bytes = js_sys::Uint8Array::new(&get(&f, "bytes")).to_vec();
            let name = get(&f, "fileName").as_string().unwrap_or_default();
            (name, String::from_utf8(bytes).expect("UTF-8"))
        })
        .collect()
}

#[wasm_bindgen_test]
fn json_stream_converts_for_saving_without_handing_json_over() {
    let broken = r#"{"id":"c9","title":"Broken","mapping":{},"current_node":nope}"#;
    let array = format!("[{HELLO},{broken},{WITH_IMAGE},{HELLO}]");
    let mut names = NameSet::new();
    let mut stream = JsonStream::new();
    let mut items = Vec::new();
    for chunk in array.as_bytes().chunks(9) {
        let wanted: Box<[u32]> = Box::new([0, 1, 3]);
        let got = stream
            .push_convert(
                chunk,
                js(r#"{"formats":["markdown"]}"#),
                &mut names,
                Some(wanted),
            )
            .expect("pushes");
        items.extend(got.iter());
    }
    stream.finish().expect("complete");
    let indexes: Vec<f64> = items
        .iter()
        .filter_map(|i| get(i, "index").as_f64())
        .collect();
    assert_eq!(indexes, [0.0, 1.0, 2.0, 3.0]);
    let first = saved_files(&items[0]);
    assert_eq!(first.len(), 1);
    assert!(first[0].0.ends_with("Hello.md"), "{:?}", first[0].0);
    assert!(first[0].1.contains("Hello **there**."), "{}", first[0].1);
    let err = get(&items[1], "error");
    assert_eq!(get(&err, "title").as_string().as_deref(), Some("Broken"));
    assert_error(Err(err), Some("conversation"));
    assert!(get(&items[2], "converted").is_undefined() && get(&items[2], "error").is_undefined());
    let again = saved_files(&items[3]);
    assert!(
        again[0].0.ends_with("Hello (2).md"),
        "named apart: {:?}",
        again[0].0
    );
    assert_error(
        JsonStream::new()
            .push_convert(b"[", js(r#"{"formats":["pdf"]}"#), &mut names, None)
            .map(JsValue::from),
        Some("options"),
    );
}

/// An export ZIP of HELLO and WITH_IMAGE with the image, and the function that reads it.
fn small_export_zip() -> (usize, js_sys::Function) {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file("conversations.json", o).expect("entry");
    w.write_all(format!("[{HELLO},{WITH_IMAGE}]").as_bytes())
        .expect("write");
    w.start_file("file_0001-photo.png", o).expect("entry");
    w.write_all(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a])
        .expect("write");
    let bytes = w.finish().expect("zip").into_inner();
    let data = js_sys::Uint8Array::from(bytes.as_slice());
    let read = js_sys::Function::new_with_args(
        "offset, length",
        "return this.subarray(offset, offset + length);",
    )
    .bind0(&data);
    (bytes.len(), read)
}

#[wasm_bindgen_test]
fn zip_stream_converts_for_saving_with_images() {
    let (size, read) = small_export_zip();
    let mut z = ZipStream::new(size as f64, read).expect("opens");
    let mut names = NameSet::new();
    let seen = Array::new();
    let collect = js_sys::Function::new_with_args(
        "item, progress",
        "this.push([item, progress]); return true;",
    )
    .bind0(&seen);
    let wanted: Box<[u32]> = Box::new([1]);
    z.for_each_converted(
        js(r#"{"formats":["markdown"]}"#),
        &mut names,
        Some(wanted),
        collect,
    )
    .expect("reads");
    assert_eq!(seen.length(), 2);
    let first = Array::from(&seen.get(0)).get(0);
    assert_eq!(get(&first, "index").as_f64(), Some(0.0));
    assert!(get(&first, "converted").is_undefined(), "left out");
    let second = Array::from(&seen.get(1));
    let item = second.get(0);
    assert_eq!(get(&item, "index").as_f64(), Some(1.0));
    let files = saved_files(&item);
    assert!(
        files[0].1.contains("assets/"),
        "links its image: {}",
        files[0].1
    );
    let assets = Array::from(&get(&get(&item, "converted"), "assets"));
    assert_eq!(assets.length(), 1);
    let png = js_sys::Uint8Array::new(&get(&assets.get(0), "bytes")).to_vec();
    assert_eq!(&png[..4], b"\x89PNG", "the image comes from the ZIP");
    assert_eq!(get(&second.get(1), "conversations").as_f64(), Some(2.0));
    let stop = js_sys::Function::new_with_args("item", "return false;");
    let (size, read) = small_export_zip();
    let mut z = ZipStream::new(size as f64, read).expect("opens");
    z.for_each_converted(JsValue::UNDEFINED, &mut names, None, stop)
        .expect("stops without an error");
}

#[wasm_bindgen_test]
fn zip_stream_reads_through_a_js_function() {
    let (size, read) = small_export_zip();
    let mut z = ZipStream::new(size as f64, read).expect("opens");
    let seen = Array::new();
    let collect = js_sys::Function::new_with_args(
        "item, progress",
        "this.push([item, progress]); return true;",
    )
    .bind0(&seen);
    z.for_each_json(collect).expect("reads");
    assert_eq!(seen.length(), 2);
    let second = Array::from(&seen.get(1));
    let json =
        String::from_utf8(js_sys::Uint8Array::new(&second.get(0)).to_vec()).unwrap_or_default();
    assert!(
        json.starts_with('{') && json.contains("\"mapping\""),
        "the second conversation's JSON, unparsed: {json}"
    );
    assert_eq!(get(&second.get(1), "conversations").as_f64(), Some(2.0));
    assert_error(
        ZipStream::new(
            4.0,
            js_sys::Function::new_with_args("o, l", "return new Uint8Array(l);"),
        )
        .map(|_| JsValue::NULL),
        None,
    );
}

#[wasm_bindgen_test]
fn backup_steps_cross_as_plain_objects_and_refuse_unknown_options() {
    // A misspelt option is an error, not a silent default.
    assert_error(
        Backup::new(js(r#"{"gap": 5}"#)).map(|_| JsValue::NULL),
        Some("options"),
    );
    assert_error(
        Backup::check_options(js(r#"{"gapMs": -1}"#)),
        Some("options"),
    );
    let checked = Backup::check_options(js(r#"{"gapMs": 5}"#)).expect("valid options");
    assert_eq!(get(&checked, "gapMs").as_f64(), Some(5.0));
    assert_eq!(get(&checked, "download").as_bool(), Some(true));

    let mut b = Backup::new(js(r#"{"gapMs": 5}"#)).expect("a backup");
    b.start(0.0);
    let step = b.next(0.0).expect("a step");
    assert_eq!(get(&step, "step").as_string().as_deref(), Some("request"));
    assert_eq!(get(&step, "what").as_string().as_deref(), Some("list"));
    assert_eq!(get(&step, "auth").as_bool(), Some(true));
    let url = get(&step, "url").as_string().expect("a url");
    assert!(
        url.starts_with("/backend-api/conversations?offset=0&limit=100"),
        "{url}"
    );
    let seq = get(&step, "seq").as_f64().expect("a seq");
    // An answer to another request is refused; the right one is taken.
    assert_error(
        b.record(0.0, seq + 1.0, 200, None, b"{}", None),
        Some("options"),
    );
    let page = br#"{"items":[{"id":"c1","title":"Hello","update_time":"2025-01-01T00:00:00Z"}],"total":1}"#;
    let out = b.record(1.0, seq, 200, None, page, None).expect("recorded");
    assert_eq!(get(&out, "keep").as_string().as_deref(), Some("nothing"));
    // The polite gap: a wait, with a reason.
    let wait = b.next(2.0).expect("a step");
    assert_eq!(get(&wait, "step").as_string().as_deref(), Some("wait"));
    assert_eq!(get(&wait, "until").as_f64(), Some(6.0));
    assert_eq!(get(&wait, "reason").as_string().as_deref(), Some("pace"));
    // 429 with Retry-After: a wait of that long.
    let step = b.next(6.0).expect("a step");
    let seq = get(&step, "seq").as_f64().expect("a seq");
    b.record(6.0, seq, 429, Some("2".into()), b"", None)
        .expect("recorded");
    let wait = b.next(7.0).expect("a step");
    assert_eq!(get(&wait, "until").as_f64(), Some(2006.0));
    assert_eq!(
        get(&wait, "reason").as_string().as_deref(),
        Some("rate_limited")
    );
    // The state goes to JSON and back; a damaged one is refused with a kind.
    let again = Backup::from_json(&b.to_json()).expect("the state reads back");
    assert_eq!(again.to_json(), b.to_json());
    assert_error(
        Backup::from_json("{").map(|_| JsValue::NULL),
        Some("bad_json"),
    );
    let progress = b.progress(7.0).expect("progress");
    assert_eq!(
        get(&get(&progress, "listed"), "ordinary").as_f64(),
        Some(1.0)
    );
    assert_eq!(get(&progress, "rateLimited").as_f64(), Some(1.0));
    assert_eq!(
        get(&progress, "phase").as_string().as_deref(),
        Some("listing")
    );
}

#[wasm_bindgen_test]
fn backup_seeds_from_an_export_zip_and_lays_out_its_zip() {
    let (size, read) = small_export_zip();
    let mut zip = ZipStream::new(size as f64, read).expect("the ZIP opens");
    let mut b = Backup::new(JsValue::UNDEFINED).expect("a backup");
    let items = Array::new();
    let keep = items.clone();
    let callback = wasm_bindgen::closure::Closure::<dyn FnMut(JsValue, JsValue) -> JsValue>::new(
        move |item: JsValue, _progress: JsValue| {
            keep.push(&item);
            JsValue::TRUE
        },
    );
    let stats = b
        .seed_zip(
            &mut zip,
            callback
                .as_ref()
                .unchecked_ref::<js_sys::Function>()
                .clone(),
        )
        .expect("seeded");
    let kept = get(&stats, "kept").as_f64().expect("kept");
    assert!(kept >= 1.0);
    assert_eq!(get(&stats, "read").as_f64(), Some(kept));
    assert_eq!(
        get(&stats, "files").as_f64(),
        Some(1.0),
        "the image the ZIP holds"
    );
    assert_eq!(items.length() as f64, kept + 1.0);
    let first = items.get(0);
    assert_eq!(
        get(&first, "keep").as_string().as_deref(),
        Some("conversation")
    );
    assert!(get(&first, "bytes").is_instance_of::<js_sys::Uint8Array>());
    let layout = b
        .layout(0.0, Some("me@example.com".into()), None)
        .expect("layout");
    let parts = Array::from(&get(&layout, "parts"));
    assert_eq!(parts.length(), 1);
    assert_eq!(
        get(&parts.get(0), "name").as_string().as_deref(),
        Some("conversations.json")
    );
    assert_eq!(
        Array::from(&get(&parts.get(0), "ids")).length() as f64,
        kept
    );
    assert_eq!(
        get(&layout, "manifestName").as_string().as_deref(),
        Some("chatkeep-backup.json")
    );
    assert_eq!(
        get(&layout, "zipName").as_string().as_deref(),
        Some("chatkeep-backup-1970-01-01.zip")
    );
    let manifest = JSON::parse(&get(&layout, "manifest").as_string().expect("text")).expect("JSON");
    assert_eq!(
        get(&manifest, "account").as_string().as_deref(),
        Some("me@example.com")
    );
}

#[wasm_bindgen_test]
fn json_crosses_as_bytes_so_a_conversation_that_is_not_utf8_keeps_its_warning() {
    // HELLO with one byte that is not UTF-8 in its title.
    let mut bad = HELLO.as_bytes().to_vec();
    let at = HELLO.find("Hello").expect("the fixture has a title") + 1;
    bad[at] = 0xFF;
    let mut array = b"[".to_vec();
    array.extend_from_slice(&bad);
    array.push(b']');
    let mut stream = JsonStream::new();
    let got = stream.push(&array).expect("pushes");
    stream.finish().expect("complete");
    assert_eq!(got.length(), 1);
    let json = js_sys::Uint8Array::new(&got.get(0)).to_vec();
    assert_eq!(json, bad, "handed over byte for byte, not decoded");
    let mut names = NameSet::new();
    let converted =
        convert_export_conversation(json, JsValue::UNDEFINED, &mut names).expect("converts");
    let warnings = Array::from(&get(&converted, "warnings"));
    assert!(
        warnings.iter().any(|w| {
            get(&w, "kind").as_string().as_deref() == Some("reader")
                && get(&w, "message")
                    .as_string()
                    .is_some_and(|m| m.contains("not UTF-8"))
        }),
        "the core's warning reaches the caller, with its kind"
    );
}

#[wasm_bindgen_test]
fn merge_options_drops_stale_stored_keys_and_refuses_unknown_call_keys() {
    let parse = |s: &str| JSON::parse(s).expect("JSON");
    let merged = merge_options(
        parse(r#"{"format":["json"],"timestamps":"yes","formats":["html"]}"#),
        JsValue::NULL,
    )
    .expect("old settings never stop a save");
    assert_eq!(
        JSON::stringify(&get(&merged, "formats"))
            .ok()
            .and_then(|s| s.as_string())
            .as_deref(),
        Some(r#"["html"]"#)
    );
    assert!(
        get(&merged, "format").is_undefined(),
        "the stale key is dropped"
    );
    assert_eq!(
        get(&merged, "timestamps").as_bool(),
        Some(true),
        "a broken value: the default"
    );
    assert_error(
        merge_options(JsValue::NULL, parse(r#"{"format":["json"]}"#)),
        Some("options"),
    );
}

/// What the options page stores is what differs from the defaults, the `redact` object field
/// by field: read back, a field never changed (the JSON's `source`) takes the default, left
/// out; one the user set (`"redact"`) is kept.
#[wasm_bindgen_test]
fn changed_options_store_only_what_differs() {
    let parse = |s: &str| JSON::parse(s).expect("JSON");
    let text = |v: &JsValue| {
        JSON::stringify(v)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default()
    };
    let options = merge_options(
        parse(r#"{"redact":{"enabled":true},"timestamps":false}"#),
        JsValue::NULL,
    )
    .expect("merges");
    let stored = changed_options(options).expect("compares");
    assert_eq!(
        text(&stored),
        r#"{"redact":{"enabled":true},"timestamps":false}"#
    );
    let read = merge_options(stored, JsValue::NULL).expect("reads back");
    assert_eq!(
        get(&get(&read, "redact"), "source").as_string().as_deref(),
        Some("drop")
    );
    let chosen =
        merge_options(parse(r#"{"redact":{"source":"redact"}}"#), JsValue::NULL).expect("merges");
    assert_eq!(
        text(&changed_options(chosen).expect("compares")),
        r#"{"redact":{"source":"redact"}}"#
    );
    assert_eq!(
        text(&changed_options(JsValue::NULL).expect("defaults")),
        "{}"
    );
    assert_error(
        changed_options(parse(r#"{"format":["json"]}"#)),
        Some("options"),
    );
}
