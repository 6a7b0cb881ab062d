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

/// Known failing: the readers keep a user's plain text as escaped Markdown (`ghp\_…`), so a
/// key with `_` (GitHub, Stripe, …) in a *user* message is not seen. Fix: scan with
/// Markdown escapes skipped (map `\x` to `x` while scanning, keep offsets).
#[test]
#[ignore = "known failing: escaped Markdown in user messages hides keys with `_`"]
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
