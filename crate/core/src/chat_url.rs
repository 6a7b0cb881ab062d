//! Where a URL points on ChatGPT: a conversation (`/c/<id>`, also inside a GPT's or
//! project's path), a share page (`/share/<id>`, `/share/e/<id>`), another ChatGPT page, or
//! somewhere else. The one rule the extension (which tab can be saved, which link) and the
//! page reader (the id of a saved page) use.

use serde::Serialize;

/// The hosts that serve ChatGPT.
const HOSTS: [&str; 2] = ["chatgpt.com", "chat.openai.com"];

/// What a URL is on ChatGPT (as JSON: `{"kind": "conversation", "id": …}`, `{"kind":
/// "share", "id": …}`, `{"kind": "chatgpt", "temporary": …}` or `{"kind": "other"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChatPlace {
    /// A conversation, by its id.
    Conversation {
        /// The conversation id.
        id: String,
    },
    /// A shared conversation's page, by its share id.
    Share {
        /// The share id.
        id: String,
    },
    /// Another ChatGPT page (the home page, a GPT's page).
    Chatgpt {
        /// Whether it is a temporary chat (`?temporary-chat=true`), which has no id.
        temporary: bool,
    },
    /// Not ChatGPT (or not over HTTPS).
    Other,
}

/// Where `url` points: only `https://` URLs of ChatGPT's hosts are ChatGPT.
pub fn classify(url: &str) -> ChatPlace {
    let Some(rest) = url
        .get(..8)
        .filter(|s| s.eq_ignore_ascii_case("https://"))
        .map(|_| &url[8..])
    else {
        return ChatPlace::Other;
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let host = host.split(':').next().unwrap_or(host);
    if !HOSTS.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        return ChatPlace::Other;
    }
    let rest = &rest[authority_end..];
    match path_id(rest) {
        Some((false, id)) => ChatPlace::Conversation { id },
        Some((true, id)) => ChatPlace::Share { id },
        None => {
            let query = rest.split('#').next().unwrap_or("");
            let query = query.split_once('?').map_or("", |(_, q)| q);
            ChatPlace::Chatgpt {
                temporary: query.split('&').any(|p| p == "temporary-chat=true"),
            }
        }
    }
}

/// The id in a chat URL's path (of any host), and whether it is a share id: the part after
/// the first `c` or `share` (`share/e/<id>` too).
pub fn path_id(url: &str) -> Option<(bool, String)> {
    let path = url.split(['?', '#']).next()?;
    let mut parts = path.split('/').filter(|s| !s.is_empty());
    while let Some(p) = parts.next() {
        if p == "c" || p == "share" {
            let id = parts.next()?;
            let id = if p == "share" && id == "e" {
                parts.next()?
            } else {
                id
            };
            return Some((p == "share", id.to_owned()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation(id: &str) -> ChatPlace {
        ChatPlace::Conversation { id: id.to_owned() }
    }

    #[test]
    fn conversations_shares_and_the_rest() {
        assert_eq!(
            classify("https://chatgpt.com/c/abc-1"),
            conversation("abc-1")
        );
        assert_eq!(
            classify("https://chatgpt.com/g/g-p-67/project/c/abc-2?model=x#end"),
            conversation("abc-2")
        );
        assert_eq!(
            classify("https://chat.openai.com/c/abc-3"),
            conversation("abc-3")
        );
        assert_eq!(classify("HTTPS://ChatGPT.com:443/c/x"), conversation("x"));
        let share = |id: &str| ChatPlace::Share { id: id.to_owned() };
        assert_eq!(classify("https://chatgpt.com/share/s-1"), share("s-1"));
        assert_eq!(classify("https://chatgpt.com/share/e/s-2"), share("s-2"));
        assert_eq!(
            classify("https://chatgpt.com/?temporary-chat=true"),
            ChatPlace::Chatgpt { temporary: true }
        );
        assert_eq!(
            classify("https://chatgpt.com/c/"),
            ChatPlace::Chatgpt { temporary: false },
            "no id"
        );
        for other in [
            "http://chatgpt.com/c/abc",
            "https://evil.example/c/abc",
            "https://chatgpt.com.evil.example/c/abc",
            "not a url",
            "",
        ] {
            assert_eq!(classify(other), ChatPlace::Other, "{other}");
        }
        let json = serde_json::to_string(&conversation("a")).unwrap_or_default();
        assert_eq!(json, r#"{"kind":"conversation","id":"a"}"#);
    }

    #[test]
    fn path_ids_of_any_host() {
        assert_eq!(
            path_id("file:///saved/c/abc-123"),
            Some((false, "abc-123".to_owned()))
        );
        assert_eq!(path_id("/share/e/x"), Some((true, "x".to_owned())));
        assert_eq!(path_id("/c"), None);
    }
}
