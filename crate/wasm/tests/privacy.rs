//! The boundary of redaction and encrypted saves, in a real browser: the options' `redact`
//! reaches every save, findings and strength cross as plain values, and an encrypted ZIP
//! made here is AES-256 (its bytes are opened with 7z natively by the CLI test and by the
//! e2e test).
#![cfg(target_arch = "wasm32")]

use chatkeep_wasm::{
    account_terms, convert_conversation, passphrase, password_strength, redact_text,
    redaction_findings, AesEntry, EncryptedZip,
};
use js_sys::{Array, Reflect, JSON};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const CHAT: &str = r#"{"id":"c1","title":"Mail ana@firma.de","current_node":"b","mapping":{
  "a":{"id":"a","parent":null,"children":["b"],"message":{"id":"a","author":{"role":"user"},
       "content":{"content_type":"text","parts":["I am ana@firma.de, key ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"]}}},
  "b":{"id":"b","parent":"a","children":[],"message":{"id":"b","author":{"role":"assistant"},
       "content":{"content_type":"text","parts":["Noted, ana@firma.de."]}}}}}"#;

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).expect("property read")
}

fn js(json: &str) -> JsValue {
    JSON::parse(json).expect("valid JSON in the test")
}

#[wasm_bindgen_test]
fn the_options_redact_every_format_and_the_file_name() {
    let opts = js(r#"{"formats":["markdown","json"],"redact":{"enabled":true}}"#);
    let out = convert_conversation(CHAT, opts, JsValue::UNDEFINED).expect("converts");
    assert_eq!(
        get(&out, "title").as_string().as_deref(),
        Some("Mail [email 1]")
    );
    let files = Array::from(&get(&out, "files"));
    assert_eq!(files.length(), 2);
    for f in files.iter() {
        let name = get(&f, "fileName").as_string().unwrap_or_default();
        let text = get(&f, "text").as_string().unwrap_or_default();
        assert!(
            !name.contains("ana@") && !text.contains("ana@firma.de") && !text.contains("ghp_"),
            "{name}"
        );
    }
    // The JSON leaves its verbatim source out by default, and says so.
    let json_of = |out: &JsValue| {
        Array::from(&get(out, "files"))
            .iter()
            .find(|f| get(f, "mime").as_string().as_deref() == Some("application/json"))
            .map(|f| js(&get(&f, "text").as_string().unwrap_or_default()))
            .expect("a JSON file")
    };
    let dropped = json_of(&out);
    assert!(get(&dropped, "source").is_null());
    assert_eq!(
        get(&get(&dropped, "redaction"), "source")
            .as_string()
            .as_deref(),
        Some("dropped")
    );
    // Asked to redact inside it: kept, redacted.
    let kept = convert_conversation(
        CHAT,
        js(r#"{"formats":["json"],"redact":{"enabled":true,"source":"redact"}}"#),
        JsValue::UNDEFINED,
    )
    .expect("converts");
    let kept = json_of(&kept);
    assert_eq!(
        get(&get(&kept, "redaction"), "source")
            .as_string()
            .as_deref(),
        Some("redacted")
    );
    let source = JSON::stringify(&get(&kept, "source"))
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default();
    assert!(
        source.contains("[email 1]") && !source.contains("ana@firma.de"),
        "{source}"
    );
    let off = convert_conversation(
        CHAT,
        js(r#"{"redact":{"enabled":false}}"#),
        JsValue::UNDEFINED,
    )
    .expect("converts");
    assert_eq!(get(&out, "id").as_string(), get(&off, "id").as_string());
    assert_eq!(
        get(&off, "title").as_string().as_deref(),
        Some("Mail ana@firma.de")
    );
}

#[wasm_bindgen_test]
fn findings_cross_as_plain_objects_and_the_allow_list_keeps_a_value() {
    let found = Array::from(&redaction_findings(CHAT, js(r#"{"redact":{}}"#)).expect("findings"));
    assert_eq!(found.length(), 2);
    let first = found.get(0);
    assert_eq!(get(&first, "kind").as_string().as_deref(), Some("email"));
    assert_eq!(
        get(&first, "value").as_string().as_deref(),
        Some("ana@firma.de")
    );
    assert_eq!(
        get(&first, "placeholder").as_string().as_deref(),
        Some("[email 1]")
    );
    assert_eq!(get(&first, "count").as_f64(), Some(3.0));
    let kept = redact_text(
        "ana@firma.de +44 20 7946 0958",
        js(r#"{"redact":{"allow":["ana@firma.de"]}}"#),
    )
    .expect("redacts");
    assert_eq!(
        get(&kept, "text").as_string().as_deref(),
        Some("ana@firma.de [phone 1]")
    );
    assert!(redaction_findings(CHAT, js(r#"{"redact":{"kinds":["faces"]}}"#)).is_err());
}

#[wasm_bindgen_test]
fn strength_passphrase_and_an_encrypted_zip() {
    assert_eq!(
        password_strength("abc")
            .ok()
            .and_then(|v| v.as_string())
            .as_deref(),
        Some("too_short")
    );
    assert_eq!(
        password_strength("password1")
            .ok()
            .and_then(|v| v.as_string())
            .as_deref(),
        Some("weak")
    );
    let p = passphrase(&[1, 2 << 8 | 3, 250, 77, 1000, 31]);
    assert_eq!(p.split('-').count(), 11, "{p}");
    assert_eq!(
        password_strength(&p)
            .ok()
            .and_then(|v| v.as_string())
            .as_deref(),
        Some("strong")
    );
    assert!(EncryptedZip::new("short").is_err());
    let mut z = EncryptedZip::new(&p).expect("starts");
    z.add("a.md", b"# secret text").expect("adds");
    let bytes = z.finish().expect("finishes").to_vec();
    assert_eq!(&bytes[..4], b"PK\x03\x04");
    // Method 99 (AES) in the local header, and the plain text is nowhere in the archive.
    assert_eq!(u16::from_le_bytes([bytes[8], bytes[9]]), 99);
    assert!(!bytes.windows(6).any(|w| w == b"secret"));
    assert!(z.finish().is_err(), "finished once");
}

#[wasm_bindgen_test]
fn an_aes_entry_encrypts_piece_by_piece() {
    let short = AesEntry::new("short", &[7; 16]).err().expect("refused");
    assert_eq!(
        Reflect::get(&short, &JsValue::from_str("kind"))
            .ok()
            .and_then(|k| k.as_string())
            .as_deref(),
        Some("options")
    );
    assert!(
        AesEntry::new("long enough", &[7; 15]).is_err(),
        "a salt of 15 bytes"
    );
    let whole = {
        let mut e = AesEntry::new("lemon-4-otter", &[7; 16]).expect("starts");
        let bytes = e
            .update(b"a secret, encrypted in one piece")
            .expect("encrypts");
        (e.header(), bytes, e.finish().expect("finishes"))
    };
    let mut e = AesEntry::new("lemon-4-otter", &[7; 16]).expect("starts");
    let mut pieces = e.update(b"a secret, ").expect("encrypts");
    pieces.extend(e.update(b"encrypted in one piece").expect("encrypts"));
    assert_eq!(e.header().len(), 18);
    assert_eq!(&e.header()[..16], &[7; 16]);
    assert_eq!(e.header(), whole.0, "same salt, same verifier");
    assert_eq!(pieces, whole.1, "the counter carries across pieces");
    assert!(!pieces.windows(6).any(|w| w == b"secret"));
    let code = e.finish().expect("finishes");
    assert_eq!(code.len(), 10);
    assert_eq!(code, whole.2);
    assert!(e.finish().is_err(), "finished once");
    assert!(e.update(b"more").is_err(), "nothing after finish");
}

#[wasm_bindgen_test]
fn account_terms_cross_as_an_array_of_strings() {
    let terms = Array::from(
        &account_terms(
            r#"{"id":"user-1","email":"ana@firma.de","name":"Ana Lima","chatgpt_plus_user":true}"#,
        )
        .expect("terms"),
    );
    let got: Vec<String> = terms.iter().filter_map(|v| v.as_string()).collect();
    assert_eq!(got, ["Ana Lima", "ana@firma.de"]);
    let err = account_terms("[1, 2]").expect_err("not an object");
    assert_eq!(get(&err, "kind").as_string().as_deref(), Some("bad_json"));
}
