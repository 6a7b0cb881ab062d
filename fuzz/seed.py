#!/usr/bin/env python3
"""Builds the seed corpora of every fuzz target from the test fixtures, in fuzz/corpus/
(not committed). Small on purpose: libFuzzer grows them. Run from anywhere."""
import glob, io, json, os, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIX = os.path.join(ROOT, "tests", "fixtures")
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "fixtures")
MAX = 256 * 1024  # libFuzzer's -max_len default would cut larger seeds anyway


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data[:MAX] if target not in ("zip",) else data)


def read(p):
    with open(p, "rb") as f:
        return f.read()


conversations = []
for p in sorted(glob.glob(os.path.join(FIX, "api", "*", "input.json"))):
    case = os.path.basename(os.path.dirname(p))
    conversations.append((case, read(p)))

# json_stream: one chunk-size byte, then a conversations.json array.
for case, c in conversations:
    put("json_stream", case, b"\x07[" + c + b"]")
put("json_stream", "array-with-broken", b"\x40" + read(os.path.join(FIX, "export", "array-with-broken", "input.json")))
put("json_stream", "all", b"\x01[" + b",".join(c for _, c in conversations[:3]) + b"]")

# zip: small export ZIPs (conversations.json, split files, an image).
def make_zip(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buf.getvalue()

for case, c in conversations[:4]:
    put("zip", case, make_zip([("conversations.json", b"[" + c + b"]")]))
split = os.path.join(FIX, "export", "zip-split", "input")
if os.path.isdir(split):
    entries = []
    for p in sorted(glob.glob(os.path.join(split, "**", "*"), recursive=True)):
        if os.path.isfile(p):
            entries.append((os.path.relpath(p, split), read(p)))
    put("zip", "zip-split", make_zip(entries))

# chat_html: chunk-size byte, then chat.html.
put("chat_html", "chat-html", b"\x05" + read(os.path.join(FIX, "export", "chat-html", "input.html")))

# share_page: the saved share page (cut to MAX; the payload script is kept whole when small).
for p in glob.glob(os.path.join(SHARED, "share", "*.html")):
    put("share_page", os.path.basename(p), read(p))

# page_tree: saved chat pages (HTML, parsed natively) and one element tree as JSON.
for p in glob.glob(os.path.join(SHARED, "page", "*.html")):
    put("page_tree", os.path.basename(p), read(p))
put("page_tree", "tree.json", json.dumps({"t": "main", "c": [{"t": "article", "a": {"data-testid": "conversation-turn-1"}, "c": [{"t": "div", "a": {"data-message-author-role": "user", "data-message-id": "u1"}, "c": ["Hello <b>"]}]}]}))

# writers: options byte, then a transcript (chatkeep's JSON output of the golden cases).
for i, p in enumerate(sorted(glob.glob(os.path.join(FIX, "*", "*", "expected", "*.json")))):
    put("writers", f"{i:02d}-{os.path.basename(os.path.dirname(os.path.dirname(p)))}", bytes([0xFF if i % 2 else 0x1F]) + read(p))

for t in sorted(os.listdir(os.path.join(HERE, "corpus"))):
    print(t, len(os.listdir(os.path.join(HERE, "corpus", t))), "seeds")
