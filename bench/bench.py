#!/usr/bin/env python3
"""chatkeep's benchmark: `./build.sh bench` (add `--full` for the 4 GB export;
`python3 bench/bench.py --redaction` prints only the redaction rows, in a few minutes).

Prints one table, every baseline measured in the same run on the same input, and writes it
to bench/results.md. Wall time is the best of several runs for the real export (one run for
the generated sizes); peak memory is the process's maximum resident set (`wait4`'s ru_maxrss).
The browser rows are medians of several runs after a warm-up, chatkeep interleaved with the
JavaScript baseline, with the spread (bench/browser.mjs, bench/export-page.mjs): a single
browser run swings by 2× on a shared machine.
"""

import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "..", "shared", "fixtures", "export", "chatgpt-export-2026-01.zip")
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
CLI = os.path.join(TARGET, "release", "chatkeep")
BENCH = os.path.join(TARGET, "release", "examples", "bench")
FULL = "--full" in sys.argv
REPEAT = 3


def run(cmd, cwd=None, env=None):
    """Runs a command; returns (seconds, peak RSS in bytes, stdout)."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({code}): {err.decode(errors='replace')[-2000:]}")
    return seconds, usage.ru_maxrss * 1024, out.decode(errors="replace")


def best(cmd, times=REPEAT, before=None):
    results = []
    for _ in range(times):
        if before:
            before()
        results.append(run(cmd))
    return min(results, key=lambda r: r[0])


def mb(n):
    return n / (1024 * 1024)


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.system()} {platform.release()}"


def main():
    if not os.path.exists(FIXTURE):
        sys.exit(f"the real export is missing: {FIXTURE}")
    print("building (release)…", flush=True)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "chatkeep-cli", "--bin", "chatkeep", "--example", "bench"], cwd=ROOT, check=True)

    rows = []  # (section, what, input MB, seconds, MB/s, peak MB, note)
    work = tempfile.mkdtemp(prefix="chatkeep-bench-")
    try:
        json_path = os.path.join(work, "conversations.json")
        with zipfile.ZipFile(FIXTURE) as z, z.open("conversations.json") as src, open(json_path, "wb") as dst:
            shutil.copyfileobj(src, dst)
        size = os.path.getsize(json_path)
        out_dir = os.path.join(work, "out")

        def clean():
            shutil.rmtree(out_dir, ignore_errors=True)

        print("real export…", flush=True)
        s, rss, _ = best([BENCH, "parse", json_path])
        rows.append(("Real export (491 conversations)", "baseline: typed serde_json parse of conversations.json (in memory, no output)", size, s, rss, ""))
        base = s
        for fmt in ("md", "html", "json"):
            s, rss, _ = best([CLI, "convert", FIXTURE, "--format", fmt, "--out", out_dir, "--quiet"], before=clean)
            note = f"{s / base:.2f}× the baseline's time" if fmt == "md" else ""
            rows.append(("Real export (491 conversations)", f"chatkeep CLI: export ZIP → {fmt} files", size, s, rss, note))
        s, rss, _ = best([CLI, "convert", FIXTURE, "--format", "all", "--out", out_dir, "--quiet"], before=clean)
        rows.append(("Real export (491 conversations)", "chatkeep CLI: export ZIP → all three formats", size, s, rss, ""))

        rows += redaction_cost_rows(size)
        s, rss, _ = best([CLI, "convert", FIXTURE, "--format", "all", "--redact", "--password-file", PASSWORD_FILE, "--out", out_dir + ".zip", "--quiet"])
        rows.append(("Real export (491 conversations)", "chatkeep CLI: export ZIP → all three formats, redacted, into one AES-256 ZIP", size, s, rss, ""))

        convoviz = try_convoviz(work)
        if isinstance(convoviz, str):
            rows.append(("Real export (491 conversations)", "convoviz (Markdown)", size, None, None, convoviz))
        else:
            s, rss = convoviz
            rows.append(("Real export (491 conversations)", "convoviz (Markdown)", size, s, rss, ""))

        print("real export in the browser…", flush=True)
        rows += browser_rows("Real export (491 conversations)", json_path, size)
        rows += export_page_rows("Real export (491 conversations)", FIXTURE, size, "the export ZIP")

        sizes = [100, 1024] + ([4096] if FULL else [])
        for megabytes in sizes:
            gen = os.path.join(work, f"gen-{megabytes}.json")
            print(f"generated {megabytes} MB…", flush=True)
            run([BENCH, "generate", gen, str(megabytes), FIXTURE])
            gsize = os.path.getsize(gen)
            label = f"Generated {megabytes // 1024} GB" if megabytes >= 1024 else f"Generated {megabytes} MB"
            s, rss, _ = run([BENCH, "parse", gen])
            rows.append((label, "baseline: typed serde_json parse (in memory)", gsize, s, rss, ""))
            s, rss, _ = run([BENCH, "convert", gen, "md"])
            rows.append((label, "chatkeep streaming read + Markdown (in process, no disk)", gsize, s, rss, ""))
            clean()
            s, rss, _ = run([CLI, "convert", gen, "--format", "md", "--out", out_dir, "--quiet"])
            rows.append((label, "chatkeep CLI → Markdown files", gsize, s, rss, ""))
            clean()
            print(f"generated {megabytes} MB in the browser…", flush=True)
            rows += browser_rows(label, gen, gsize)
            rows += export_page_rows(label, gen, gsize, "conversations.json")
            os.remove(gen)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("whole-account backup (10,000 conversations)…", flush=True)
    rows += backup_rows()

    print("redaction corpus…", flush=True)
    corpus_rows = redaction_rows()

    print("one click…", flush=True)
    click = one_click_rows()
    sizes_rows = wasm_sizes() + [(a, f"{b}: {c}") for a, b, c in click]
    table = render(rows, sizes_rows) + "\n\n" + corpus_rows
    print()
    print(table)
    with open(os.path.join(ROOT, "bench", "results.md"), "w") as f:
        f.write(table + "\n")


CONVOVIZ = """
from convoviz.models import ConversationSet
from pathlib import Path
import sys
ConversationSet.from_zip(sys.argv[1]).save(Path(sys.argv[2]), progress_bar=False)
"""


BROWSER_WHAT = {
    "baseline": "browser baseline: JSON.parse of the file's text + a JavaScript walk of each current branch",
    "list": "chatkeep wasm in a Worker: listing ingest (stream, parse, current branch, list metadata, search text)",
    "markdown": "chatkeep wasm in a Worker: every conversation to Markdown",
}


def browser_rows(label, path, size):
    """The browser half (bench/browser.mjs) on one file: rows for the table."""
    rows = []
    r = subprocess.run(["node", os.path.join(ROOT, "bench", "browser.mjs"), path], cwd=ROOT, capture_output=True, text=True, timeout=3600)
    results = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    if r.returncode != 0 or not results:
        return [(label, "browser (Chromium)", size, None, None, "not measured: " + (r.stderr.strip().splitlines() or ["?"])[-1][:140])]
    base = next((x for x in results if x["mode"] == "baseline" and x.get("ok")), None)
    for x in results:
        extra = x["peakBytes"] - x["idleBytes"]
        if not x.get("ok"):
            rows.append((label, BROWSER_WHAT[x["mode"]], size, None, None, "fails: " + x.get("error", "?")[:120]))
            continue
        note = "peak memory: growth of the browser's processes over idle"
        if x.get("runsMs") and len(x["runsMs"]) > 1:
            note += f"; median of {len(x['runsMs'])} runs, {x['minMs'] / 1000:.2f}–{x['maxMs'] / 1000:.2f} s"
        if base and x["mode"] != "baseline" and x.get("ratio"):
            q = x["ratio"]
            note = (f"{q['median']:.2f}× the baseline's throughput (median of {q['rounds']} interleaved rounds, "
                    f"{q['min']:.2f}–{q['max']:.2f}×); {extra / max(1, base['peakBytes'] - base['idleBytes']):.2f}× its memory")
        rows.append((label, BROWSER_WHAT[x["mode"]], size, x["ms"] / 1000, extra, note))
    return rows


def export_page_rows(label, path, size, what):
    """The extension's export page (bench/export-page.mjs) on one file: open, then save all."""
    r = subprocess.run(["node", os.path.join(ROOT, "bench", "export-page.mjs"), path], cwd=ROOT, capture_output=True, text=True, timeout=4 * 3600)
    results = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    if r.returncode != 0 or not results:
        return [(label, "chatkeep export page (extension, Chromium)", size, None, None, "not measured: " + (r.stderr.strip().splitlines() or ["?"])[-1][:140])]
    rows = []
    for x in results:
        what_row = {
            "open": f"chatkeep export page (extension, Chromium): open {what}, list, index for search",
            "save": "chatkeep export page: save every conversation as Markdown (one deflated ZIP)",
        }[x["step"]]
        if not x.get("ok"):
            rows.append((label, what_row, size, None, None, "fails: " + str(x.get("error", "?"))[:120]))
            continue
        note = "peak memory: growth of the browser's processes over idle"
        if x.get("runsMs") and len(x["runsMs"]) > 1:
            note += f" (median); time: median of {len(x['runsMs'])} runs after a warm-up, {x['minMs'] / 1000:.2f}–{x['maxMs'] / 1000:.2f} s"
        if x["step"] == "save" and x.get("zipBytes"):
            note += f"; ZIP of {x['zipBytes'] / 2**20:.0f} MB"
        rows.append((label, what_row, size, x["ms"] / 1000, x["peakBytes"] - x["idleBytes"], note))
    return rows


def backup_rows(conversations=10000):
    """The extension's whole-account backup (bench/backup.mjs) of a generated account from the
    ChatGPT stand-in, no quota, no gap: fetching, then writing the ZIP. Skipped, with a
    note, when node, Chromium or the built extension is missing."""
    chromium = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
    missing = [what for what, ok in (
        ("node", shutil.which("node")),
        (chromium, os.path.exists(chromium)),
        ("dist/chromium (./build.sh)", os.path.exists(os.path.join(ROOT, "dist", "chromium", "manifest.json"))),
    ) if not ok]
    if missing:
        print(f"whole-account backup: skipped ({', '.join(missing)} missing)", flush=True)
        return []
    label = f"Generated account ({conversations:,} conversations)"
    r = subprocess.run(["node", os.path.join(ROOT, "bench", "backup.mjs"), "--conversations", str(conversations)], cwd=ROOT, capture_output=True, text=True, timeout=3 * 3600)
    lines = [line for line in r.stdout.splitlines() if line.startswith("BACKUP_BENCH ")]
    if r.returncode != 0 or not lines:
        return [(label, "chatkeep whole-account backup (extension, Chromium)", 0, None, None, "not measured: " + (r.stderr.strip().splitlines() or ["?"])[-1][:140])]
    x = json.loads(lines[-1][len("BACKUP_BENCH "):])
    q = x["requests"]
    m = x["memory"]
    st = x["state"]
    n = x["conversations"]
    size = x["bytesFetched"]
    fetch_note = (
        f"{x['conversationsPerSecond']:.0f} conversations/s (the page round trip per request; ChatGPT's quota allows ~1/minute after a burst); "
        f"{q['perConversation']:.3f} requests per conversation (goal {q['goalPerConversation']:.3f}): lists {q['lists'] / n:.3f}, "
        f"conversations {q['conversations'] / n:.3f}, files {(q['fileLinks'] + q['fileBytes']) / n:.3f} (link + bytes, two per file); "
        f"input MB: bytes fetched; state JSON {st['finalBytes'] / 2**20:.1f} MB, written at most every 5 s (~{st['writtenBytesEstimate'] / 2**20:.0f} MB written); "
        "peak memory: growth of the browser's processes over idle"
    )
    rows = [(label, "chatkeep whole-account backup (extension, Chromium, stand-in, no quota, gap 0): list and fetch every conversation and image", size, x["fetchMs"] / 1000, m["fetchPeakBytes"] - m["baselineBytes"], fetch_note)]
    if x.get("zipMs") is not None:
        zip_peak = (m["zipPeakBytes"] or m["fetchPeakBytes"]) - m["baselineBytes"]
        rows.append((label, "chatkeep whole-account backup: write and download the backup ZIP", size, x["zipMs"] / 1000, zip_peak,
                     f"peak memory: growth of the browser's processes over idle; ZIP of {x['zipBytes'] / 2**20:.1f} MB"))
    return rows


def one_click_rows():
    r = subprocess.run(["node", os.path.join(ROOT, "bench", "browser.mjs"), "--one-click"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    lines = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    if not lines or not lines[0].get("ok"):
        return [("One click", "not measured", (r.stderr.strip().splitlines() or ["?"])[-1][:140])]
    return [("One click (wasm, Chromium)", name, f"{ms:.1f} ms") for name, ms in lines[0]["times"].items()]


def try_convoviz(work):
    """convoviz (a Python exporter) writing Markdown from the same export, through its
    library API (its command line only asks questions). Returns (seconds, peak RSS) or a
    sentence saying why it could not be measured."""
    venv = os.path.join(work, "venv")
    try:
        subprocess.run([sys.executable, "-m", "venv", venv], check=True, capture_output=True)
        py = os.path.join(venv, "bin", "python")
        r = subprocess.run([py, "-m", "pip", "install", "-q", "convoviz"], capture_output=True, text=True, timeout=900)
        if r.returncode != 0:
            return "not measured: `pip install convoviz` failed here"
        version = subprocess.run([py, "-c", "import importlib.metadata as m; print(m.version('convoviz'))"], capture_output=True, text=True).stdout.strip()
        # convoviz looks for a ZIP in ~/Downloads when imported: give it a home with one.
        home = os.path.join(work, "home")
        os.makedirs(os.path.join(home, "Downloads"), exist_ok=True)
        shutil.copy(FIXTURE, os.path.join(home, "Downloads", "export.zip"))
        out = os.path.join(work, "convoviz-out")
        env = dict(os.environ, HOME=home)
        try:
            seconds, rss, _ = run([py, "-c", CONVOVIZ, FIXTURE, out], env=env)
        except RuntimeError as e:
            lines = [line.strip() for line in str(e).splitlines() if line.strip()]
            last = [line for line in lines if "Error" in line][-1:] or lines[-1:] or ["?"]
            return f"not measured: convoviz {version} (the newest this registry serves for Python {platform.python_version()}) fails on this export: {last[0].strip()[:140]}"
        return seconds, rss
    except Exception as e:  # noqa: BLE001 - any failure is reported in the table
        return f"not measured: {e}"


PASSWORD_FILE = os.path.join(tempfile.gettempdir(), "chatkeep-bench-password.txt")
with open(PASSWORD_FILE, "w") as _f:
    _f.write("bench-only-passphrase-quartz-lemon\n")


def cpu_once(cmd):
    """One run of a command: its CPU time (user + system), wall time and peak memory."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {err.decode(errors='replace')[-2000:]}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss * 1024


def redaction_cost_rows(size, runs=11):
    """Redaction's cost: the same in-process conversion of the real export with and without
    it (goal: at most +25%), compared by CPU time: the median of `runs` runs of each,
    interleaved (plain, redacted, plain, …) so a change in the machine's load hits all.
    One run's ratio can be off by a third on a shared machine (0.89–1.72 in 21 rounds on
    2026-12-07), hence 11 runs, not 5.
    JSON is measured twice: as redacted by default (its verbatim `source` left out) and with
    `--redact-keep-source` (the `source` redacted inside, which repeats the conversation)."""
    variants = {
        "md": [("redact", "Markdown")],
        "html": [("redact", "HTML")],
        "json": [("redact", "JSON (its source left out: the default)"),
                 ("redact-keep-source", "JSON with --redact-keep-source (its source redacted inside)")],
    }
    rows = []
    for fmt, kinds in variants.items():
        plain, red = [], {mode: [] for mode, _ in kinds}
        for _ in range(runs):
            plain.append(cpu_once([BENCH, "convert", FIXTURE, fmt]))
            for mode, _ in kinds:
                red[mode].append(cpu_once([BENCH, "convert", FIXTURE, fmt, mode]))
        p = sorted(x[0] for x in plain)[runs // 2]
        for mode, what in kinds:
            cpu, wall, rss = sorted(red[mode])[runs // 2]
            # Each round's redacted run against the plain run next to it, then the median:
            # steadier than the ratio of the two medians when the machine's speed drifts.
            ratios = sorted(r[0] / q[0] for r, q in zip(red[mode], plain))
            rows.append(("Real export (491 conversations)", f"chatkeep in process: export ZIP → {what}, redacted (every kind)", size, wall, rss,
                         f"+{(ratios[runs // 2] - 1) * 100:.0f}% CPU time over the same without redaction (median of {runs} interleaved rounds, {(ratios[0] - 1) * 100:+.0f}% to {(ratios[-1] - 1) * 100:+.0f}%; medians {cpu:.2f} s against {p:.2f} s; load average {os.getloadavg()[0]:.1f})"))
    return rows


def redaction_only():
    """`bench.py --redaction`: only the redaction rows (corpus and cost), printed, not saved."""
    print("building (release)…", flush=True)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "chatkeep-cli", "--example", "bench"], cwd=ROOT, check=True)
    json_path_size = 0
    with zipfile.ZipFile(FIXTURE) as z:
        json_path_size = z.getinfo("conversations.json").file_size
    print()
    print(render(redaction_cost_rows(json_path_size), []))
    print()
    print(redaction_rows())


def redaction_rows():
    """Precision and recall per kind on tests/redact/ (goal: ≥ 0.99 and ≥ 0.97)."""
    _, _, out = run([BENCH, "redact", os.path.join(ROOT, "tests", "redact")])
    x = json.loads(out.strip().splitlines()[-1])
    lines = [
        f"Redaction corpus (tests/redact/): {x['to_change']} texts to change, {x['to_leave']} to leave, scanned in {x['micros'] / 1000:.1f} ms.",
        "",
        "| kind | precision | recall | found right | found wrongly | missed |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for k in x["kinds"]:
        lines.append(f"| {k['kind']} | {k['precision']:.3f} | {k['recall']:.3f} | {k['tp']} | {k['fp']} | {k['fn']} |")
    return "\n".join(lines)


def wasm_sizes():
    rows = []
    for name, what in (("chatkeep_save", "background, popup, options"), ("chatkeep_export", "export page, backup workers")):
        pkg = os.path.join(ROOT, "extension", "pkg", f"{name}_bg.wasm")
        if os.path.exists(pkg):
            raw = open(pkg, "rb").read()
            rows.append((f"wasm {name} ({what})", f"{len(raw) / 1024:.0f} KB raw, {len(gzip.compress(raw, 9)) / 1024:.0f} KB gzipped"))
    for b in ("chromium", "firefox"):
        z = os.path.join(ROOT, "dist", f"chatkeep-{b}.zip")
        if os.path.exists(z):
            rows.append((f"extension zip ({b})", f"{os.path.getsize(z) / 1024:.0f} KB"))
    if not rows:
        rows.append(("wasm core", "not built: run ./build.sh first"))
    return rows


def render(rows, sizes_rows):
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}.",
        "",
        "| input | what | input MB | time (s) | MB/s | peak memory (MB) | note |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for section, what, size, s, rss, note in rows:
        if s is None:
            lines.append(f"| {section} | {what} | {mb(size):.0f} | – | – | – | {note} |")
        else:
            lines.append(f"| {section} | {what} | {mb(size):.0f} | {s:.2f} | {mb(size) / s:.0f} | {mb(rss):.0f} | {note} |")
    if sizes_rows:
        lines += ["", "| size | |", "|---|---|"]
        lines += [f"| {a} | {b} |" for a, b in sizes_rows]
    return "\n".join(lines)


if __name__ == "__main__":
    if "--redaction" in sys.argv:
        redaction_only()
    else:
        main()
