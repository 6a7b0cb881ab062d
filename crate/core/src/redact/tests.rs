//! Unit tests of single rules; the labelled corpus in `tests/redact/` measures the whole.

use super::*;

fn all() -> RedactOptions {
    RedactOptions {
        enabled: true,
        terms: vec!["Ana Lima".to_owned(), "Zoë".to_owned()],
        ..RedactOptions::default()
    }
}

fn red(s: &str) -> String {
    Redactor::new(&all())
        .redact_str(s)
        .unwrap_or_else(|| s.to_owned())
}

#[test]
fn placeholders_are_consistent_per_value() {
    let mut r = Redactor::new(&all());
    let a = r.redact_str("ana@x.org, bo@y.org").unwrap_or_default();
    let b = r.redact_str("again: ANA@x.org").unwrap_or_default();
    assert_eq!(a, "[email 1], [email 2]");
    assert_eq!(b, "again: [email 1]");
    assert_eq!(r.counts(), vec![(Kind::Email, 2)]);
    assert_eq!(r.findings()[0].count, 2);
}

#[test]
fn each_kind() {
    assert_eq!(red("+49 30 1234567"), "[phone 1]");
    assert_eq!(red("(415) 555-0132"), "[phone 1]");
    assert_eq!(red("host 192.168.10.7:22"), "host [ip 1]:22");
    assert_eq!(red("2001:db8::8a2e:370:7334"), "[ip 1]");
    assert_eq!(red("4111 1111 1111 1111"), "[card 1]");
    assert_eq!(red("DE89 3704 0044 0532 0130 00."), "[iban 1].");
    assert_eq!(
        red("ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"),
        "[secret 1]"
    );
    assert_eq!(red("Ask ana lima or Zoë."), "Ask [name 1] or [name 2].");
    assert_eq!(
        red("postgres://app:S3cr3t!x@db:5432/x"),
        "postgres://app:[secret 1]@db:5432/x"
    );
    assert_eq!(red("DB_PASSWORD=hU7#kq92Lm"), "DB_PASSWORD=[secret 1]");
}

#[test]
fn phone_numbers_need_a_word_of_their_own_and_no_url() {
    // Seen in a real export: a phone word inside an identifier, a decimal, a colour, bits,
    // a URL's path.
    for s in [
        "[ALERT_APPEND_CALL] level=OK dd=-0.005191 eq=100702.45 msg=OK",
        "TELEGRAM_CHAT_ID=123456789",
        "background: radial-gradient(circle at top, #111827 0, #020817 40%, #020817 100%);",
        "634의 BCD 코드는 0110 0011 0100 입니다.",
        "https://cdn.shopify.com/s/files/1/0533/2089/files/x.jpg",
        "see www.example.com/2019/0533/20891/x",
        "hotel 0612345678",
        "[fig](https://www.researchgate.net/figure/AS%3A667644814426113%401536190336188/x.png)",
    ] {
        assert_eq!(red(s), s);
    }
    assert_eq!(red("Tel. 0612345678"), "Tel. [phone 1]");
    assert_eq!(red("call me: 06 12 34 56 78"), "call me: [phone 1]");
    assert_eq!(red("電話 0312345678"), "電話 [phone 1]");
    assert_eq!(red("Telefonnummer: 0301234567"), "Telefonnummer: [phone 1]");
    assert_eq!(red("telephone 0612345678"), "telephone [phone 1]");
    assert_eq!(red("전화번호: 01012345678"), "전화번호: [phone 1]");
    assert_eq!(
        red("📞 상담 문의 : 010-1234-5678"),
        "📞 상담 문의 : [phone 1]"
    );
}

#[test]
fn telegram_bot_tokens() {
    assert_eq!(
        red("TELEGRAM_BOT_TOKEN=8014572088:AAGfLLRMnSNu61jBfeFdCNWkCrEFPF96xqY"),
        "TELEGRAM_BOT_TOKEN=[secret 1]"
    );
    assert_eq!(
        red("token 123456789:AAH-x9Kq2LmN8pQrStUvWxYz0123456789A."),
        "token [secret 1]."
    );
    // An example's placeholder stays.
    let s = "TELEGRAM_BOT_TOKEN=\"1234567890:ABCDEF_your_bot_token_here\"";
    assert_eq!(red(s), s);
}

#[test]
fn leaves_ordinary_things() {
    for s in [
        "2024-01-15 10:30:00",
        "version 1.2.3.4",
        "550e8400-e29b-41d4-a716-446655440000",
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
        "color: #ff00aa;",
        "x = 3.14159 * r ** 2",
        "https://example.com/docs?page=2&sort=asc",
        "password = os.environ['DB_PASSWORD']",
        "std::vector<int>",
        "icon@2x.png",
        "npm i react@18.2.0",
        "git@github.com:owner/repo.git",
    ] {
        assert_eq!(red(s), s);
    }
}

#[test]
fn allow_list_keeps_a_value() {
    let opts = RedactOptions {
        allow: vec!["bo@y.org".to_owned()],
        ..all()
    };
    let mut r = Redactor::new(&opts);
    assert_eq!(
        r.redact_str("ana@x.org, bo@y.org").as_deref(),
        Some("[email 1], bo@y.org")
    );
}

#[test]
fn kinds_switch_off() {
    let opts = RedactOptions {
        kinds: vec![Kind::Phone],
        ..all()
    };
    let mut r = Redactor::new(&opts);
    assert_eq!(
        r.redact_str("ana@x.org +44 20 7946 0958").as_deref(),
        Some("ana@x.org [phone 1]")
    );
}

#[test]
fn json_strings_are_redacted_and_the_rest_kept() {
    let mut r = Redactor::new(&all());
    let src = r#"{"a": "mail ana@x.org", "b":[1, 2.5, "x\"y ana@x.org \u00e9"], "c" : null}"#;
    let out = r.redact_json(src).unwrap_or_default();
    assert_eq!(
        out,
        r#"{"a": "mail [email 1]", "b":[1, 2.5, "x\"y [email 1] é"], "c" : null}"#
    );
    assert!(r.redact_json(r#"{"a": "nothing"}"#).is_none());
}

#[test]
fn assignments_in_many_shapes() {
    for (s, want) in [
        (
            "$config['db_pass'] = '!U9rKKUpgB';",
            "$config['db_pass'] = '[secret 1]';",
        ),
        (
            "export API_TOKEN=Zq81xYt0pLm2",
            "export API_TOKEN=[secret 1]",
        ),
        (
            "mysql --password=Tr0ub4dor3x db",
            "mysql --password=[secret 1] db",
        ),
        (
            "{\"client_secret\": \"a8Fq-93kd_LmQ2\"}",
            "{\"client_secret\": \"[secret 1]\"}",
        ),
    ] {
        assert_eq!(red(s), want);
    }
}

/// The readers keep a user's plain text as escaped Markdown (`ghp\_…`): a key with `_`
/// (GitHub, Stripe, …) in a *user* message was once missed.
#[test]
fn findings_of_a_conversation() {
    let json = r#"{"id":"c1","title":"Mail ana@firma.de","current_node":"a","mapping":{
  "a":{"id":"a","parent":null,"children":[],"message":{"id":"a","author":{"role":"user"},
       "content":{"content_type":"text","parts":["I am ana@firma.de, key ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"]}}}}}"#;
    let t = crate::source::api::read_conversation(json).unwrap_or_default();
    let f = findings(&t, &RedactOptions::default());
    let kinds: Vec<Kind> = f.iter().map(|x| x.kind).collect();
    assert_eq!(
        kinds,
        vec![Kind::Email, Kind::Secret],
        "{f:?} {:?}",
        t.messages
    );
}

/// Markdown escapes (`\_`, `\*`, `\[`, `\&`, `\#`, `\\`) are looked through: the whole
/// escaped form is replaced, and the finding's value is what the user typed.
#[test]
fn escaped_markdown_hides_nothing() {
    for (s, want) in [
        (
            r"key ghp\_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 here",
            "key [secret 1] here",
        ),
        (r"sk\_live\_4eC39HqLyjWDarjtT1zdp7dc.", "[secret 1]."),
        (r"mail ana\_lima@firma.de\!", r"mail [email 1]\!"),
        (r"\*ana@x.org\*", r"\*[email 1]\*"),
        (r"\[ana@x.org\](x)", r"\[[email 1]\](x)"),
        (r"DB\_PASSWORD=hU7\#kq92Lm\_x", "DB\\_PASSWORD=[secret 1]"),
        (
            r"https://x.org/cb?a=1\&token=Zq81xYt0pLm2aB9",
            r"https://x.org/cb?a=1\&token=[secret 1]",
        ),
        (
            r"\`xoxb\-1234567890\-abcdefghijABCDEFGHIJ\`",
            r"\`[secret 1]\`",
        ),
        (r"C:\\Users\\ana@x.org", r"C:\\Users\\[email 1]"),
        (r"Ask ana\ lima", r"Ask ana\ lima"),
    ] {
        assert_eq!(red(s), want, "{s}");
    }
    let mut r = Redactor::new(&all());
    r.redact_str(r"ghp\_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789");
    r.redact_str("ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789");
    assert_eq!(
        r.findings().len(),
        1,
        "escaped and plain forms share a placeholder"
    );
    assert_eq!(
        r.findings()[0].value,
        "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
    );
    assert_eq!(r.findings()[0].count, 2);
    // The allow list holds values as typed; it keeps the escaped form too.
    let opts = RedactOptions {
        allow: vec!["ana_lima@firma.de".to_owned()],
        ..all()
    };
    let mut r = Redactor::new(&opts);
    assert_eq!(
        r.redact_str(r"ana\_lima@firma.de, bo@y.org").as_deref(),
        Some(r"ana\_lima@firma.de, [email 1]")
    );
}

/// Every place a user's typed text reaches the model escaped — message text, the title, a
/// file name, an inline code span — is redacted, in the Markdown, HTML and JSON (typed
/// blocks and `source`, redacted inside: the opt-in) of a save read by the real reader.
#[test]
fn escaped_user_text_in_every_format() {
    let key = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
    let gh = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
    let mail = "ana_lima@firma.de";
    let json = serde_json::json!({
        "id": "c1", "title": format!("Key {key}"), "current_node": "b",
        "mapping": {
            "a": {"id": "a", "parent": null, "children": ["b"], "message": {"id": "a",
                "author": {"role": "user"}, "content": {"content_type": "text", "parts": [
                    format!("I am {mail} (*{mail}*), key `{gh}` and [{key}](https://x.org)\n\n> {gh}\n# {key}")
                ]}}},
            "b": {"id": "b", "parent": "a", "children": [], "message": {"id": "b",
                "author": {"role": "assistant"}, "content": {"content_type": "text",
                "parts": [format!("Noted: `{gh}`, {mail}.")]}}}
        }
    })
    .to_string();
    let mut t = crate::source::api::read_conversation(&json).unwrap_or_default();
    let user = format!("{:?}", t.messages[0].blocks);
    assert!(
        user.contains(r"ghp\\_"),
        "the reader escapes user text: {user}"
    );
    let opts = RedactOptions {
        enabled: true,
        source: SourceMode::Redact,
        ..RedactOptions::default()
    };
    apply(&mut t, &opts);
    for format in crate::Format::ALL {
        let out = crate::render::to_string(&t, format, &crate::Options::default());
        for v in [
            key,
            gh,
            mail,
            "ghp\\_",
            "sk\\_live",
            "ana\\_lima",
            "lima@",
            "4eC39Hq",
            "aBcDeFg",
        ] {
            assert!(!out.contains(v), "{format:?} still holds {v:?}:\n{out}");
        }
        assert!(
            out.contains("[secret 1]") && out.contains("[email 1]"),
            "{format:?}"
        );
    }
    let json_out = crate::render::to_string(&t, crate::Format::Json, &crate::Options::default());
    let v: serde_json::Value = serde_json::from_str(&json_out).unwrap_or_default();
    assert_eq!(v["redaction"]["counts"]["secret"], 2, "{}", v["redaction"]);
    assert_eq!(v["redaction"]["counts"]["email"], 1);
    assert!(
        v["source"]["mapping"].is_object(),
        "the source is kept, redacted inside"
    );
}

/// By default a redacted save leaves the verbatim `source` out: the JSON writes
/// `"source": null` and says `"dropped"`; the Markdown and HTML say what was replaced and
/// nothing about the `source`. Redacting inside it is asked for with [`SourceMode::Redact`].
#[test]
fn the_source_is_left_out_by_default() {
    assert_eq!(RedactOptions::default().source, SourceMode::Drop);
    assert_eq!(SourceMode::default(), SourceMode::Drop);
    let json = r#"{"id":"c1","title":"Hi","current_node":"a","mapping":{
  "a":{"id":"a","parent":null,"children":[],"message":{"id":"a","author":{"role":"user"},
       "content":{"content_type":"text","parts":["I am ana@firma.de"]},
       "metadata":{"note":"unread by chatkeep: Ana Lima, Rua Augusta 12"}}}}}"#;
    let read = crate::source::api::read_conversation(json).unwrap_or_default();
    assert!(read.source_json.is_some());
    let opts = crate::Options {
        formats: crate::Format::ALL.to_vec(),
        redact: RedactOptions {
            enabled: true,
            ..RedactOptions::default()
        },
        ..crate::Options::default()
    };
    let t = prepared(&read, &opts);
    assert_eq!(t.source_json, None);
    let out = crate::render::to_string(&t, crate::Format::Json, &opts);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
    assert_eq!(v["redaction"]["source"], "dropped", "{}", v["redaction"]);
    assert!(v["source"].is_null(), "{}", v["source"]);
    assert!(!out.contains("Rua Augusta") && !out.contains("ana@firma.de"));
    for format in [crate::Format::Markdown, crate::Format::Html] {
        let out = crate::render::to_string(&t, format, &opts);
        assert!(out.contains("Redacted by chatkeep: 1 email."), "{format:?}");
        assert!(!out.contains("dropped") && !out.contains("ana@firma.de"));
    }
    // Opted in: the source is kept, redacted inside, and the JSON says so.
    let keep = crate::Options {
        redact: RedactOptions {
            source: SourceMode::Redact,
            ..opts.redact.clone()
        },
        ..opts.clone()
    };
    let t = prepared(&read, &keep);
    let out = crate::render::to_string(&t, crate::Format::Json, &keep);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
    assert_eq!(v["redaction"]["source"], "redacted");
    assert!(v["source"]["mapping"]["a"].is_object());
    assert!(
        out.contains("Rua Augusta"),
        "a pattern-free detail stays inside"
    );
    assert!(!out.contains("ana@firma.de"));
}

#[test]
fn json_strings_decode_like_serde() {
    for lit in [
        r#""plain""#,
        r#""a\"b\\c\/d\n\t\r\b\f""#,
        r#""\u00e9 \u20AC \ud83d\ude00 x""#,
        r#""lone \ud83d here""#,
    ] {
        let mut out = String::new();
        assert!(json_unescape(&lit[1..lit.len() - 1], &mut out), "{lit}");
        let want =
            serde_json::from_str::<String>(lit).unwrap_or_else(|_| "lone \u{FFFD} here".to_owned());
        assert_eq!(out, want);
    }
    let mut out = String::new();
    assert!(!json_unescape(r"bad \x", &mut out));
    assert!(!json_unescape(r"bad \u12", &mut out));
    assert!(!json_unescape("ends \\", &mut out));
}

/// The export page offers the account's own name and e-mail from `user.json` (at the root
/// or in a wrapper folder); an export without one offers nothing; a damaged one says so.
#[test]
fn account_terms_from_an_export_zip() {
    use std::io::{Cursor, Write};
    let zip_with = |files: &[(&str, &str)]| {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, text) in files {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .expect("entry starts");
            w.write_all(text.as_bytes()).expect("entry written");
        }
        let bytes = w.finish().expect("zip finished").into_inner();
        crate::source::export::ZipExport::open(Cursor::new(bytes.clone()), Cursor::new(bytes))
            .expect("the export opens")
    };
    let user = r#"{"id":"user-x","email":"ana@firma.de","name":" Ana Lima ","phone_number":null}"#;
    let mut z = zip_with(&[("conversations.json", "[]"), ("user.json", user)]);
    assert_eq!(
        z.account_terms().ok(),
        Some(vec!["Ana Lima".to_owned(), "ana@firma.de".to_owned()])
    );
    let mut z = zip_with(&[
        ("export/conversations.json", "[]"),
        ("export/user.json", user),
    ]);
    assert_eq!(z.account_terms().map(|t| t.len()).ok(), Some(2));
    let mut z = zip_with(&[("conversations.json", "[]")]);
    assert_eq!(z.account_terms().ok(), Some(Vec::new()));
    let mut z = zip_with(&[("conversations.json", "[]"), ("user.json", "{oops")]);
    let e = z.account_terms().expect_err("damaged user.json");
    assert_eq!(e.kind(), "bad_json");
    assert!(e.to_string().contains("user.json"), "{e}");
}

/// Line ends are read as `\n` (as the readers write them into the blocks): a match next to
/// a CRLF or a lone CR is found, its offsets are those of the original text (the CRs stay),
/// and the value found across a CRLF is the one found across a `\n`.
#[test]
fn crlf_text_is_read_like_the_blocks() {
    assert_eq!(
        red("mail\r\nana@x.org\r\nkey ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\rend"),
        "mail\r\n[email 1]\r\nkey [secret 1]\rend"
    );
    assert_eq!(
        red("a\\_b\r\nana\\_lima@firma.de\r\n"),
        "a\\_b\r\n[email 1]\r\n"
    );
    let pem = |nl: &str| {
        format!(
            "-----BEGIN PRIVATE KEY-----{nl}MIIEvQIBADANBgkqhkiG9w0BAQEFAASC{nl}-----END PRIVATE KEY-----"
        )
    };
    let mut r = Redactor::new(&all());
    assert_eq!(r.redact_str(&pem("\n")).as_deref(), Some("[secret 1]"));
    assert_eq!(r.redact_str(&pem("\r\n")).as_deref(), Some("[secret 1]"));
    assert_eq!(r.findings().len(), 1, "{:?}", r.findings());
    assert_eq!(r.findings()[0].count, 2);
}

/// A text met again is not scanned again, and that changes nothing: each occurrence still
/// counts, keeps its placeholder, and an allowed value stays allowed.
#[test]
fn a_text_met_again_gets_the_same_redaction() {
    let text = "ana@x.org and bo@y.org, +49 30 1234567";
    let opts = RedactOptions {
        allow: vec!["bo@y.org".to_owned()],
        ..all()
    };
    let mut r = Redactor::new(&opts);
    let first = r.redact_str(text);
    assert_eq!(first.as_deref(), Some("[email 1] and bo@y.org, [phone 1]"));
    assert_eq!(r.redact_str(text), first);
    assert_eq!(r.redact_str("ana@x.org").as_deref(), Some("[email 1]"));
    assert_eq!(r.findings()[0].count, 3);
    assert_eq!(r.findings()[1].count, 2);
    assert_eq!(r.redact_str("nothing here"), None);
    assert_eq!(r.redact_str("nothing here"), None);
}

/// The verbatim `source` of an export keeps the user's CRLF line ends and unescaped text,
/// which the blocks hold as `\n` and escaped Markdown: redacted inside (the opt-in), the
/// secrets are replaced in both, with the same placeholders, and nothing of them is left in
/// any format.
#[test]
fn crlf_source_is_redacted_like_the_blocks() {
    let key = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
    let mail = "ana_lima@firma.de";
    let json = serde_json::json!({
        "id": "c1", "title": "CRLF", "current_node": "b",
        "mapping": {
            "a": {"id": "a", "parent": null, "children": ["b"], "message": {"id": "a",
                "author": {"role": "user"}, "content": {"content_type": "text", "parts": [
                    format!("line one\r\nmail {mail}\r\nkey {key}\r\n\r\nend")
                ]}}},
            "b": {"id": "b", "parent": "a", "children": [], "message": {"id": "b",
                "author": {"role": "assistant"}, "content": {"content_type": "text",
                "parts": [format!("Noted:\r\n{mail}\r\n")]}}}
        }
    })
    .to_string();
    let mut t = crate::source::api::read_conversation(&json).unwrap_or_default();
    assert!(t
        .source_json
        .as_deref()
        .is_some_and(|s| s.contains("\\r\\n")));
    let opts = RedactOptions {
        enabled: true,
        source: SourceMode::Redact,
        ..RedactOptions::default()
    };
    let found = apply(&mut t, &opts);
    assert_eq!(found.len(), 2, "{found:?}");
    for format in crate::Format::ALL {
        let out = crate::render::to_string(&t, format, &crate::Options::default());
        for v in [key, mail, "lima@", "4eC39Hq"] {
            assert!(!out.contains(v), "{format:?} still holds {v:?}:\n{out}");
        }
    }
    let src = t.source_json.as_deref().unwrap_or_default();
    assert!(
        src.contains("mail [email 1]\\r\\nkey [secret 1]\\r\\n"),
        "{src}"
    );
}

/// The readers end a user's lines with Markdown's hard-break spaces (`line  \n`) and trim
/// the text's end, which the verbatim `source` does not. The detectors see line ends without
/// the spaces before them and no trailing whitespace, so the `source`'s text is found in the
/// cache, and a match before a line end leaves the spaces in place.
#[test]
fn hard_breaks_are_read_like_the_source() {
    assert_eq!(
        unescaped("a  \nb\\_c  \r\nd   \ne  f\n \n"),
        "a\nb_c\nd\ne  f"
    );
    // The spaces belong to the line end only after the unit before.
    assert_eq!(unescaped("x\\_  \ny"), "x_\ny");
    let mut v = Unescaped::default();
    let s = "ana@x.org  \nkey\\_x  \r\nend \n";
    assert!(v.build(s));
    assert_eq!(v.text, "ana@x.org\nkey_x\nend");
    let back: Vec<usize> = (0..=v.text.len()).map(|i| v.original(i)).collect();
    // A rewritten byte maps to where its unit starts (the first space, the backslash).
    assert_eq!(
        back,
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 17, 18, 22, 23, 24, 25]
    );
    assert_eq!(red(s), "[email 1]  \nkey\\_x  \r\nend \n");
    assert!(v.build("trailing space "));
    assert_eq!(v.text, "trailing space");
    assert!(!v.build("nothing\nto do"));

    // A user's paragraph as the block holds it (escaped, hard breaks, the user's own
    // trailing space kept, end trimmed) and as the `source` does.
    let mut r = Redactor::new(&all());
    let block = "mail ana@x.org   \nphone +49 30 1234567  \n\\- thanks";
    let source = "mail ana@x.org \nphone +49 30 1234567\n- thanks\n\n";
    assert_eq!(
        r.redact_str(block).as_deref(),
        Some("mail [email 1]   \nphone [phone 1]  \n\\- thanks")
    );
    let cached = r.seen.by_text.len();
    assert_eq!(
        r.redact_str(source).as_deref(),
        Some("mail [email 1] \nphone [phone 1]\n- thanks\n\n")
    );
    assert_eq!(
        r.seen.by_text.len(),
        cached,
        "the source's text was scanned again"
    );
}
