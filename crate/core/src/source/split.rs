//! A push-based splitter for a JSON array of any size: bytes go in in chunks of any size
//! (split anywhere, even inside a string, an escape or a UTF-8 sequence), and each complete
//! top-level element comes out as its own buffer. Memory is bounded by the largest element.
//!
//! It only tracks strings and nesting; each element is validated when it is parsed.

use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the opening `[` (a UTF-8 BOM and whitespace are skipped).
    Start,
    /// After `[` or `,`: expecting an element (or `]` right after `[`).
    Value,
    /// Inside an element.
    Element,
    /// After an element: expecting `,` or `]`.
    AfterValue,
    /// After the closing `]`.
    Done,
}

/// Splits a JSON array into its elements.
#[derive(Debug)]
pub struct ArraySplitter {
    state: State,
    depth: u32,
    in_string: bool,
    escape: bool,
    /// A scalar element (number, `true`, …): ends at a delimiter rather than a bracket.
    scalar: bool,
    buf: Vec<u8>,
    offset: u64,
    /// Where the current element started.
    start: u64,
    count: usize,
    bom: u8,
}

impl Default for ArraySplitter {
    fn default() -> Self {
        Self::new()
    }
}

impl ArraySplitter {
    /// A splitter waiting for the opening `[`.
    pub fn new() -> Self {
        ArraySplitter {
            state: State::Start,
            depth: 0,
            in_string: false,
            escape: false,
            scalar: false,
            buf: Vec::new(),
            offset: 0,
            start: 0,
            count: 0,
            bom: 0,
        }
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Elements completed so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Whether the closing `]` has been seen.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Feeds a chunk; calls `emit` with each completed element's bytes. Returns the number of
    /// bytes of `chunk` consumed: all of it, unless the array ended inside the chunk (the rest
    /// is left for the caller, e.g. the JavaScript after `jsonData` in `chat.html`).
    pub fn push(&mut self, chunk: &[u8], mut emit: impl FnMut(Vec<u8>)) -> Result<usize> {
        self.push_located(chunk, |_, el| emit(el))
    }

    /// [`ArraySplitter::push`], also giving where each element starts in the input (its
    /// offset in bytes from the first byte pushed; it is as long as its bytes).
    pub fn push_located(
        &mut self,
        chunk: &[u8],
        mut emit: impl FnMut(u64, Vec<u8>),
    ) -> Result<usize> {
        let mut i = 0;
        while i < chunk.len() {
            match self.state {
                State::Done => return Ok(i),
                State::Start => {
                    let b = chunk[i];
                    const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];
                    if self.offset + (i as u64) < 3
                        && (self.bom as usize) < 3
                        && b == BOM[self.bom as usize]
                    {
                        self.bom += 1;
                    } else if b == b'[' {
                        self.state = State::Value;
                    } else if !b.is_ascii_whitespace() {
                        self.offset += i as u64;
                        return Err(Error::NotAnExport {
                            found: describe_start(&chunk[i..]),
                        });
                    }
                    i += 1;
                }
                State::Value | State::AfterValue => {
                    let b = chunk[i];
                    match (self.state, b) {
                        (_, b' ' | b'\n' | b'\r' | b'\t') => {}
                        (State::AfterValue, b',') => self.state = State::Value,
                        (_, b']') => {
                            // `[]`, `[a]`, and leniently a trailing comma `[a,]`.
                            self.state = State::Done;
                            i += 1;
                            self.offset += i as u64;
                            return Ok(i);
                        }
                        (State::Value, _) => {
                            self.state = State::Element;
                            self.start = self.offset + i as u64;
                            self.depth = 0;
                            self.in_string = false;
                            self.escape = false;
                            self.scalar = !matches!(b, b'{' | b'[' | b'"');
                            continue;
                        }
                        _ => {
                            return Err(Error::BadJson {
                                at: format!(
                                    "byte {} (after conversation {})",
                                    self.offset + i as u64,
                                    self.count
                                ),
                                detail: format!("expected ',' or ']' but found {:?}", b as char),
                            })
                        }
                    }
                    i += 1;
                }
                State::Element => {
                    let start = i;
                    let end = self.scan(chunk, i);
                    match end {
                        Some(e) => {
                            self.buf.extend_from_slice(&chunk[start..e]);
                            self.count += 1;
                            self.state = State::AfterValue;
                            emit(self.start, std::mem::take(&mut self.buf));
                            i = e;
                        }
                        None => {
                            self.buf.extend_from_slice(&chunk[start..]);
                            i = chunk.len();
                        }
                    }
                }
            }
        }
        self.offset += chunk.len() as u64;
        Ok(chunk.len())
    }

    /// Scans inside an element from `i`; returns the index just past its end, if in `chunk`.
    fn scan(&mut self, chunk: &[u8], mut i: usize) -> Option<usize> {
        while i < chunk.len() {
            if self.in_string {
                if self.escape {
                    self.escape = false;
                    i += 1;
                    continue;
                }
                match memchr::memchr2(b'"', b'\\', &chunk[i..]) {
                    None => return None,
                    Some(k) => {
                        i += k;
                        if chunk[i] == b'\\' {
                            self.escape = true;
                        } else {
                            self.in_string = false;
                            if self.depth == 0 && !self.scalar {
                                return Some(i + 1);
                            }
                        }
                        i += 1;
                    }
                }
                continue;
            }
            let b = chunk[i];
            if self.scalar {
                if matches!(b, b',' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                    return Some(i);
                }
                i += 1;
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// Call at the end of input: an error if the array is incomplete.
    pub fn finish(&self) -> Result<()> {
        match self.state {
            State::Done => Ok(()),
            State::Start => Err(Error::NotAnExport {
                found: "an empty file".to_owned(),
            }),
            _ => Err(Error::Truncated {
                complete: self.count,
            }),
        }
    }
}

/// A short description of what a file starts with, for "not an export" messages.
pub fn describe_start(b: &[u8]) -> String {
    let b = b.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(b);
    let trimmed: &[u8] = {
        let k = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
        &b[k..]
    };
    if trimmed.is_empty() {
        return "an empty file".to_owned();
    }
    if let Some(what) = crate::mime::sniff(b).and_then(crate::mime::describe) {
        return what.to_owned();
    }
    if b.starts_with(b"RIFF") {
        return "a RIFF media file".to_owned();
    }
    match trimmed[0] {
        b'{' => "a single JSON object".to_owned(),
        b'<' => "an HTML or XML document".to_owned(),
        _ if std::str::from_utf8(&trimmed[..trimmed.len().min(64)]).is_err()
            && trimmed.len() >= 64 =>
        {
            "a binary file".to_owned()
        }
        _ => "text that is not a JSON array".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_all(input: &[u8], chunk: usize) -> (Vec<String>, Result<()>) {
        let mut s = ArraySplitter::new();
        let mut out = Vec::new();
        for c in input.chunks(chunk.max(1)) {
            if let Err(e) = s.push(c, |v| out.push(String::from_utf8_lossy(&v).into_owned())) {
                return (out, Err(e));
            }
        }
        let r = s.finish();
        (out, r)
    }

    #[test]
    fn splits_at_any_chunk_size() {
        let input = "\u{feff} [ {\"a\":\"x]}\\\"{\",\"b\":[1,{\"c\":\"é\u{1F600}\"}]} ,\n{\"d\":\"\\\\\"}, [1,2], \"s\\\"\", 42, true ]";
        let expected = vec![
            "{\"a\":\"x]}\\\"{\",\"b\":[1,{\"c\":\"é\u{1F600}\"}]}",
            "{\"d\":\"\\\\\"}",
            "[1,2]",
            "\"s\\\"\"",
            "42",
            "true",
        ];
        for n in 1..=input.len() {
            let (out, r) = split_all(input.as_bytes(), n);
            assert!(r.is_ok(), "chunk {n}: {r:?}");
            assert_eq!(out, expected, "chunk size {n}");
        }
    }

    #[test]
    fn offsets_locate_each_element_at_any_chunk_size() {
        let input = "\u{feff} [ {\"a\":\"é]\"} ,\n[1,{}],\"s\\\"\",7 ]";
        for n in 1..=input.len() {
            let mut s = ArraySplitter::new();
            let mut located = Vec::new();
            for c in input.as_bytes().chunks(n) {
                let pushed = s.push_located(c, |at, el| located.push((at, el)));
                assert!(pushed.is_ok(), "chunk {n}: {pushed:?}");
            }
            assert_eq!(located.len(), 4, "chunk size {n}");
            for (at, el) in located {
                let at = usize::try_from(at).unwrap_or(usize::MAX);
                assert_eq!(
                    input.as_bytes().get(at..at + el.len()),
                    Some(&el[..]),
                    "chunk size {n}"
                );
            }
        }
    }

    #[test]
    fn empty_array_and_errors() {
        assert_eq!(split_all(b"[]", 1).0.len(), 0);
        assert!(split_all(b"[ ]", 2).1.is_ok());
        match split_all(b"[{\"a\":1},{\"b\":", 3).1 {
            Err(Error::Truncated { complete: 1 }) => {}
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            split_all(b"", 3).1,
            Err(Error::NotAnExport { .. })
        ));
        assert!(matches!(
            split_all(b"\x89PNG....", 3).1,
            Err(Error::NotAnExport { .. })
        ));
        assert!(matches!(
            split_all(b"[{} {}]", 3).1,
            Err(Error::BadJson { .. })
        ));
    }

    #[test]
    fn leaves_trailing_bytes() {
        let mut s = ArraySplitter::new();
        let mut n = 0;
        let used = s.push(b"[{}];\nvar x = 1;", |_| n += 1).unwrap_or(0);
        assert_eq!((used, n, s.is_done()), (4, 1, true));
    }
}
