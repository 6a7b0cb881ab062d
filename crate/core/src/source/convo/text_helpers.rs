//! Small text repairs of the conversation reader: code-marker blocks, line ends of
//! every block, and the lenient reading of JSON the model wrote for a tool.

use crate::model::*;
use crate::source::text::normalize_newlines_in;

/// `\u{E200}code\u{E202}<language>\u{E202}<code>\u{E201}` as a fenced code block.
pub(super) fn marker_code_block(m: &str) -> String {
    let body = m.strip_prefix("\u{E200}code\u{E202}").unwrap_or(m);
    let body = body.strip_suffix('\u{E201}').unwrap_or(body);
    let (lang, code) = body.split_once('\u{E202}').unwrap_or(("", body));
    let code = code.trim_matches('\n');
    if code.trim().is_empty() {
        return String::new();
    }
    let lang = crate::render::escape::fence_lang(Some(lang));
    format!("\n{}\n", crate::render::escape::fenced(code, &lang))
}

/// Every text of a block with `\n` line ends (the raw JSON of unknown content stays verbatim).
pub(crate) fn block_newlines(b: &mut Block) {
    let opt = |o: &mut Option<String>| {
        if let Some(s) = o {
            normalize_newlines_in(s);
        }
    };
    match b {
        Block::Text { markdown: s }
        | Block::Code { code: s, .. }
        | Block::ExecutionOutput { text: s }
        | Block::ReasoningRecap { text: s }
        | Block::Memory { text: s }
        | Block::ToolOutput { text: s } => normalize_newlines_in(s),
        Block::Transcription { text, .. } | Block::SystemError { text, .. } => {
            normalize_newlines_in(text)
        }
        Block::Quote { text, title, .. } => {
            normalize_newlines_in(text);
            opt(title);
        }
        Block::Canvas { content, title, .. } => {
            normalize_newlines_in(content);
            opt(title);
        }
        Block::CanvasEdit { diff, title, .. } => {
            normalize_newlines_in(diff);
            opt(title);
        }
        Block::Image { prompt, .. } => opt(prompt),
        Block::Reasoning { thoughts } => {
            for th in thoughts {
                normalize_newlines_in(&mut th.content);
                opt(&mut th.summary);
            }
        }
        Block::CustomInstructions {
            about_user,
            instructions,
        } => {
            opt(about_user);
            opt(instructions);
        }
        Block::Attachment { .. } | Block::Audio { .. } | Block::Unsupported { .. } => {}
    }
}

/// Repairs JSON the model wrote for a tool: raw control characters inside strings are
/// escaped, and a cut-off object is closed. Valid JSON comes back unchanged.
pub(super) fn lenient_json(s: &str) -> std::borrow::Cow<'_, str> {
    if serde_json::from_str::<serde::de::IgnoredAny>(s).is_ok() {
        return s.into();
    }
    let mut out = String::with_capacity(s.len() + 8);
    let (mut in_str, mut esc) = (false, false);
    let mut closers: Vec<char> = Vec::new();
    for c in s.chars() {
        if in_str {
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            } else if (c as u32) < 0x20 {
                out.push_str(&format!("\\u{:04x}", c as u32));
                continue;
            }
        } else {
            match c {
                '"' => in_str = true,
                '{' => closers.push('}'),
                '[' => closers.push(']'),
                '}' | ']' => {
                    closers.pop();
                }
                _ => {}
            }
        }
        out.push(c);
    }
    if esc {
        out.pop();
    }
    if in_str {
        out.push('"');
    }
    while let Some(c) = closers.pop() {
        out.push(c);
    }
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_tool_json() {
        assert_eq!(lenient_json(r#"{"a":"b"}"#), r#"{"a":"b"}"#);
        let fixed = lenient_json("{\"content\": \"line\nnext");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&fixed)
                .ok()
                .and_then(|v| v["content"].as_str().map(str::to_owned))
                .as_deref(),
            Some("line\nnext")
        );
    }
}
