#!/usr/bin/env bash
# Builds and tests chatkeep. Run `./build.sh --help` for the subcommands.
#
# Installs what it needs when missing (on Debian, as root): the wasm32 Rust target,
# rustfmt and clippy, wasm-bindgen-cli at the exact version in Cargo.lock, Node.js and the
# npm packages of package-lock.json (binaryen's wasm-opt), python3, and for `test`
# Chromium, chromedriver, Firefox ESR, g++ and cargo-fuzz.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$PWD
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
WASM_TARGET=wasm32-unknown-unknown
PKG_DIR=$ROOT/extension/pkg
DIST=$ROOT/dist
# wasm-opt comes from npm's binaryen (pinned in package.json), not from Debian: bookworm's
# binaryen 108 silently breaks wasm-bindgen's output (it re-points the exported externref
# table at the function table, so init() throws in every browser).
WASM_OPT=$ROOT/node_modules/.bin/wasm-opt
CARGO_FUZZ_VERSION=0.13.2
WASM_OPT_VERSION=$(sed -n 's/.*"binaryen": "\(.*\)".*/\1/p' "$ROOT/package.json")
# Features the wasm of current Rust uses (the wasm32 target's defaults since Rust 1.82).
WASM_OPT_FEATURES=(
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
    --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-simd
)

usage() {
    cat <<'EOF'
Usage: ./build.sh [build | test | bench [--full] | --help]

  build    (the default) Build the extension and the CLI:
             the wasm core, twice (cargo, wasm-bindgen --target web, wasm-opt) into
             extension/pkg: chatkeep_save (background, popup, options) and
             chatkeep_export (export page, backup workers),
             the native CLI (target/release/chatkeep),
             loadable extension folders dist/chromium and dist/firefox,
             and store zips dist/chatkeep-chromium.zip and dist/chatkeep-firefox.zip.
  test     Build, then run every check: rustfmt, clippy (native and wasm32), the native
           tests, the wasm boundary tests in headless Chromium, web-ext lint, and the
           end-to-end tests in Chromium and Firefox ESR, and each fuzz target for a few
           thousand runs. Ends with a summary; exits non-zero
           if any step failed.
  bench    Build, then run the benchmark (bench/bench.py): the real export and generated
           exports of 100 MB and 1 GB (add --full for 4 GB) through the CLI, against a bare
           typed parse and convoviz; prints a table and writes bench/results.md.
  --help   Show this help.

Missing tools are installed first (rustup target and components, wasm-bindgen-cli at the
version in Cargo.lock, npm packages with npm ci, and Debian packages through apt-get).
Honours CARGO_TARGET_DIR.
EOF
}

section() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------

APT_UPDATED=0
apt_install() {
    command -v apt-get >/dev/null || die "missing $*, and this is not a Debian system: install them yourself"
    if [[ $APT_UPDATED == 0 ]]; then
        apt-get update
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"
}

# The version of a package as recorded in Cargo.lock.
locked_version() {
    awk -v name="$1" '
        $0 == "name = \"" name "\"" { found = 1; next }
        found && /^version = / { gsub(/"/, "", $3); print $3; exit }
    ' "$ROOT/Cargo.lock"
}

# ensure_tools [test]: install whatever `build` (and with `test`, the test suite) needs.
ensure_tools() {
    local for_tests=${1:-}
    command -v cargo >/dev/null || die "cargo not found: install Rust with rustup (https://rustup.rs)"
    command -v rustup >/dev/null || die "rustup not found: chatkeep needs rustup to add the $WASM_TARGET target"

    local installed
    installed=$(rustup target list --installed)
    if ! grep -qx "$WASM_TARGET" <<<"$installed"; then
        section "Adding Rust target $WASM_TARGET"
        rustup target add "$WASM_TARGET"
    fi
    if [[ $for_tests == test ]]; then
        local component
        installed=$(rustup component list --installed)
        for component in rustfmt clippy; do
            if ! grep -q "^$component" <<<"$installed"; then
                section "Adding Rust component $component"
                rustup component add "$component"
            fi
        done
    fi

    local want have
    want=$(locked_version wasm-bindgen)
    [[ -n $want ]] || die "wasm-bindgen is not in Cargo.lock; run cargo generate-lockfile"
    have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
    if [[ $have != "$want" ]]; then
        section "Installing wasm-bindgen-cli $want (found: ${have:-none}; takes a few minutes)"
        cargo install wasm-bindgen-cli --version "$want" --force
    fi

    local packages=()
    command -v node >/dev/null || packages+=(nodejs)
    command -v npm >/dev/null || packages+=(npm)
    command -v python3 >/dev/null || packages+=(python3)
    command -v gzip >/dev/null || packages+=(gzip)
    if [[ $for_tests == test ]]; then
        command -v chromium >/dev/null || packages+=(chromium)
        [[ -x /usr/bin/chromedriver ]] || packages+=(chromium-driver)
        command -v firefox-esr >/dev/null || packages+=(firefox-esr)
        # libFuzzer (built by libfuzzer-sys for the fuzz step) is C++.
        command -v c++ >/dev/null || packages+=(g++)
        # 7z checks the ZIPs the extension writes (ZIP64, and AES-encrypted ones).
        command -v 7z >/dev/null || packages+=(p7zip-full)
    fi
    if (( ${#packages[@]} )); then
        section "Installing Debian packages: ${packages[*]}"
        apt_install "${packages[@]}"
    fi

    # `wasm-opt --version` prints "wasm-opt version 132 (version_132)": the major only.
    have=$("$WASM_OPT" --version 2>/dev/null | awk '{print $3}' || true)
    if [[ $have != "${WASM_OPT_VERSION%%.*}" ]]; then
        section "Installing npm packages (binaryen $WASM_OPT_VERSION; found: ${have:-none})"
        npm ci --no-audit --no-fund
    fi
}

# ---------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------

# The wasm core is built twice from crate/wasm, so that each browser context loads only
# what it uses (sizes: README, "Size of the wasm"):
#   chatkeep_save    (no default features): background worker, popup, options page;
#   chatkeep_export  (feature `export`): export page and backup workers.
# NAME:PROFILE:FEATURES; the profile `wasm` (Cargo.toml) is optimised for size, `release`
# (the CLI's) for speed: README, "Size of the wasm".
WASM_MODULES=(
    "chatkeep_save:wasm:--no-default-features"
    "chatkeep_export:wasm:--features=export"
)

build_wasm() {
    rm -rf "$PKG_DIR"
    local module name profile features
    for module in "${WASM_MODULES[@]}"; do
        IFS=: read -r name profile features <<<"$module"
        build_wasm_module "$name" "$profile" "$features"
    done

    section "Smoke test: the optimised wasm modules load and answer (node)"
    smoke_test_pkg
    # Older builds put fflate in extension/vendor (the browser deflates now): not shipped.
    rm -rf "$ROOT/extension/vendor"
}

# build_wasm_module NAME PROFILE FEATURES: cargo → wasm-bindgen → wasm-opt into
# extension/pkg/NAME.js and NAME_bg.wasm.
build_wasm_module() {
    local name=$1 profile=$2 features=$3
    section "Building the wasm core: $name (profile $profile, $features)"
    cargo build --profile "$profile" -p chatkeep-wasm --target "$WASM_TARGET" "$features"
    local wasm=$TARGET_DIR/$WASM_TARGET/$profile/chatkeep_wasm.wasm
    [[ -f $wasm ]] || die "cargo did not produce $wasm"

    section "wasm-bindgen --target web → extension/pkg/$name.js"
    # With its TypeScript declarations: the type check of the extension reads them (they are
    # not shipped: assemble_extension leaves *.d.ts out).
    wasm-bindgen --target web --out-dir "$PKG_DIR" --out-name "$name" "$wasm"

    section "wasm-opt -Os ($name)"
    local out=$PKG_DIR/${name}_bg.wasm before
    before=$(wc -c <"$out")
    # -Os (README.md, "Size of the wasm": -Oz was larger gzipped; --converge gained about 2 KB
    # gzipped for minutes of build time, --gufa and stripping less).
    "$WASM_OPT" -Os "${WASM_OPT_FEATURES[@]}" "$out" -o "$out.opt"
    mv "$out.opt" "$out"
    note "$name: $(wc -c <"$out") bytes raw ($before before wasm-opt), $(gzip -9c "$out" | wc -c) bytes gzipped"
}

# Loads each module of extension/pkg exactly as shipped (the browser tests use their own
# unoptimised build) and calls its exports: catches a wasm-opt or wasm-bindgen that breaks
# a module, or an export missing from the module a context imports it from. Needs no
# conversion to work, only the boundary.
smoke_test_pkg() {
    (cd "$PKG_DIR" && node --input-type=module -e '
        import { readFile } from "node:fs/promises";
        const load = async (name) => {
            const m = await import(`./${name}.js`);
            await m.default({ module_or_path: await readFile(`./${name}_bg.wasm`) });
            return m;
        };
        const save = await load("chatkeep_save");
        const exp = await load("chatkeep_export");
        for (const [name, m] of [["chatkeep_save", save], ["chatkeep_export", exp]]) {
            const options = m.defaultOptions();
            if (!Array.isArray(options.formats)) throw new Error(`${name}: defaultOptions() has no formats`);
            let error;
            try { m.convertConversation("{", options); } catch (e) { error = e; }
            if (!(error instanceof Error) || !error.kind || !error.message)
                throw new Error(`${name}: convertConversation("{") should throw an Error with a kind, got ${error}`);
            // The lean module ships the backup and privacy exports the background uses.
            for (const f of ["convertPage", "convertSharePage", "conversationAssets", "mergeOptions",
                             "redactText", "passwordStrength", "passphrase", "AesEntry", "Backup"])
                if (typeof m[f] !== "function") throw new Error(`${name} has no ${f}`);
            console.log(`    ${name} ${m.version()} loads; bad input throws kind "${error.kind}"`);
        }
        // What only the export page and the backup workers use.
        const exportOnly = ["JsonStream", "ZipStream", "ZipFeed", "Search", "NameSet", "indexFiles", "EncryptedZip",
                            "exportConversationIndex", "convertExportConversation"];
        for (const f of exportOnly) {
            if (typeof exp[f] !== "function") throw new Error(`chatkeep_export has no ${f}`);
            if (f in save) throw new Error(`chatkeep_save should not carry ${f}`);
        }
        const stream = new exp.JsonStream();
        if (stream.push(new TextEncoder().encode("[")).length !== 0 || stream.count !== 0)
            throw new Error("chatkeep_export: JsonStream.push(\"[\") should complete nothing");
        stream.free();
        console.log(`    chatkeep_export has the export exports; chatkeep_save has none of them`);
    ')
}

build_cli() {
    section "Building the native CLI"
    cargo build --release -p chatkeep-cli
    note "CLI: $TARGET_DIR/release/chatkeep"
}

# Copies extension/ and manifest.json into dist/<browser>, adapting the manifest:
#   chromium: background.service_worker only (Chromium warns about `scripts` in MV3 and
#             about the unknown key browser_specific_settings);
#   firefox:  background.scripts only (Firefox does not run extension service workers),
#             and no `offscreen` permission (Chromium-only; its background page has a DOM).
# Then zips each folder into dist/chatkeep-<browser>.zip.
assemble_extension() {
    section "Assembling dist/chromium and dist/firefox"
    [[ -f $PKG_DIR/chatkeep_save.js && -f $PKG_DIR/chatkeep_export.js ]] || die "extension/pkg is missing: the wasm build did not run"
    local crate_version
    crate_version=$(cargo metadata --no-deps --format-version 1 \
        | python3 -c 'import json, sys
print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "chatkeep-wasm"))')
    rm -rf "$DIST"
    mkdir -p "$DIST"
    python3 - "$ROOT" "$DIST" "$crate_version" <<'PY'
import json, pathlib, shutil, sys, zipfile

root, dist, crate_version = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
manifest = json.loads((root / "manifest.json").read_text())
if manifest["version"] != crate_version:
    sys.exit(f"manifest.json version {manifest['version']} differs from the crates' {crate_version}")
worker = manifest["background"]["service_worker"]

def for_browser(browser):
    m = json.loads(json.dumps(manifest))
    background = m["background"]
    if browser == "chromium":
        background.pop("scripts", None)
        m.pop("browser_specific_settings", None)
    else:
        background.pop("service_worker", None)
        background["scripts"] = [worker]
        # Firefox's background page makes blob URLs itself: no offscreen document.
        m["permissions"] = [p for p in m.get("permissions", []) if p != "offscreen"]
    return m

for browser in ("chromium", "firefox"):
    out = dist / browser
    shutil.copytree(root / "extension", out, ignore=shutil.ignore_patterns("*.d.ts"))
    (out / "manifest.json").write_text(json.dumps(for_browser(browser), indent=2) + "\n")
    archive = dist / f"chatkeep-{browser}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for path in sorted(p for p in out.rglob("*") if p.is_file()):
            z.write(path, path.relative_to(out).as_posix())
    print(f"    {out.relative_to(root)}/  {archive.relative_to(root)} ({archive.stat().st_size} bytes)")
PY
}

cmd_build() {
    ensure_tools "${1:-}"
    build_wasm
    # The test suite builds the CLI its own way (debug, with its tests): the optimised
    # release build is for `build` and `bench`.
    [[ ${1:-} == test ]] || build_cli
    assemble_extension
}

# ---------------------------------------------------------------------------------------
# Test
# ---------------------------------------------------------------------------------------

RESULTS=()
# step NAME COMMAND...: run a check, record its outcome and time, keep going on failure.
# The command runs in a subshell with `set -e` in force (bash ignores `set -e` inside
# functions called as an `if` condition, so `if "$@"` would not stop at the first error).
step() {
    local name=$1 start status
    shift
    section "$name"
    start=$SECONDS
    set +e
    (set -e; "$@")
    status=$?
    set -e
    if (( status == 0 )); then status=ok; else status=FAILED; fi
    RESULTS+=("$(printf '%-7s %4ss  %s' "$status" $((SECONDS - start)) "$name")")
}

# The full build (feature `export`, with the tests) and the lean one (chatkeep_save: only
# the boundary crate is checked again, the core's check is shared).
clippy_wasm() {
    cargo clippy -p chatkeep-wasm --target "$WASM_TARGET" --all-targets -- -D warnings
    cargo clippy -p chatkeep-wasm --target "$WASM_TARGET" --no-default-features --lib -- -D warnings
}

test_wasm_in_chromium() {
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    CHROMEDRIVER=/usr/bin/chromedriver \
    WASM_BINDGEN_TEST_WEBDRIVER_JSON=$ROOT/crate/wasm/webdriver.json \
        cargo test -p chatkeep-wasm --target "$WASM_TARGET" --tests
}

# Every fuzz target (fuzz/, libFuzzer through cargo-fuzz) for a short fixed number of runs
# from the seed corpus: catches a reader that panics or hangs on the seeds' neighbours. The
# long campaigns (millions of runs) are run by hand: fuzz/README.md.
test_fuzz_smoke() {
    if [[ $(cargo fuzz --version 2>/dev/null | awk '{print $2}') != "$CARGO_FUZZ_VERSION" ]]; then
        section "Installing cargo-fuzz $CARGO_FUZZ_VERSION"
        cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --force
    fi
    # Built at opt-level 1 (in its own folder, so a campaign's opt-level 3 build is kept): on
    # 2 cores it compiles in about 106 s instead of 136 and runs the 18,000 inputs in about
    # 19 s either way (opt-level 0 compiles in 58 s but runs them in 240 s).
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1 TARGET_DIR=target-smoke RUNS=${FUZZ_RUNS:-3000} LOG=/dev/null \
        "$ROOT/fuzz/campaign.sh"
}

# Mozilla's linter on the Firefox package: no errors and no warnings allowed.
test_web_ext_lint() {
    [[ -f $DIST/firefox/manifest.json ]] || die "dist/firefox is missing: run ./build.sh first"
    [[ -x $ROOT/node_modules/.bin/web-ext ]] || PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund
    "$ROOT/node_modules/.bin/web-ext" lint --source-dir "$DIST/firefox" --warnings-as-errors --no-config-discovery
}

# TypeScript's checker over the extension's plain JavaScript (tsconfig.json: JSDoc types, the
# DOM, the WebExtension API, the wasm boundary's declarations from the build); nothing is
# emitted, the shipped files are the ones checked.
test_types() {
    [[ -f $PKG_DIR/chatkeep_save.d.ts && -f $PKG_DIR/chatkeep_export.d.ts ]] \
        || die "extension/pkg has no type declarations: run ./build.sh first"
    [[ -x $ROOT/node_modules/.bin/tsc ]] || PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund
    "$ROOT/node_modules/.bin/tsc" --project "$ROOT/tsconfig.json"
}

# End-to-end tests of the built extension (tests/e2e, see its README.md): dist/chromium in
# Chromium through Playwright, dist/firefox in Firefox ESR through Puppeteer (WebDriver
# BiDi), both against a local HTTPS stand-in for chatgpt.com. Uses the system browsers
# (never downloads one) and only the loopback network.
test_e2e() {
    [[ -f $DIST/chromium/manifest.json && -f $DIST/firefox/manifest.json ]] \
        || die "dist/chromium and dist/firefox are missing: run ./build.sh first"
    if [[ ! -d $ROOT/node_modules/playwright-core || ! -d $ROOT/node_modules/puppeteer-core ]]; then
        note "installing the npm packages (playwright-core, puppeteer-core)"
        PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund
    fi
    command -v openssl >/dev/null || apt_install openssl
    # The test files run side by side (node's default is one fewer than the cores: one file
    # at a time on a 2-core machine). Most of their time is waiting (the stand-in's rate
    # limit, late turns, downloads): three at once take 224 s on 2 cores, against 469 s one
    # at a time (the backup and the export page are split into a file per browser for this).
    PUPPETEER_SKIP_DOWNLOAD=1 node --test --test-concurrency="${E2E_CONCURRENCY:-3}" \
        --test-reporter=spec tests/e2e/
}

# The benchmark (bench/bench.py): prints one table and writes bench/results.md.
cmd_bench() {
    cmd_build
    section "Benchmark (this takes a few minutes)"
    python3 "$ROOT/bench/bench.py" "$@"
}

cmd_test() {
    local start=$SECONDS
    step "Build (wasm, extension)" cmd_build test
    step "rustfmt" cargo fmt --all --check
    # The wasm boundary is linted and tested for wasm32 only (natively its tests are empty,
    # and building them would compile web-sys and wasm-bindgen-test for nothing).
    step "clippy (native: core, CLI)" \
        cargo clippy --workspace --exclude chatkeep-wasm --all-targets -- -D warnings
    step "clippy (wasm32, chatkeep-wasm)" clippy_wasm
    step "Native tests (core, CLI)" cargo test --workspace --exclude chatkeep-wasm
    step "wasm boundary tests in headless Chromium" test_wasm_in_chromium
    step "Type check of the extension's JavaScript (tsc)" test_types
    step "web-ext lint (Firefox package)" test_web_ext_lint
    step "End-to-end tests of the built extension" test_e2e
    step "Fuzz targets, a few thousand runs each" test_fuzz_smoke

    section "Summary ($((SECONDS - start))s)"
    printf '    %s\n' "${RESULTS[@]}"
    local failed
    failed=$(printf '%s\n' "${RESULTS[@]}" | grep -c '^FAILED' || true)
    printf '\nsteps: %d passed, %d failed\n' $((${#RESULTS[@]} - failed)) "$failed"
    (( failed == 0 ))
}

case ${1:-build} in
    build) [[ $# -le 1 ]] || { usage >&2; exit 2; }; cmd_build ;;
    test) [[ $# -le 1 ]] || { usage >&2; exit 2; }; cmd_test ;;
    bench) shift; cmd_bench "$@" ;;
    -h | --help | help) usage ;;
    *) printf 'build.sh: unknown command %s\n\n' "$1" >&2; usage >&2; exit 2 ;;
esac
