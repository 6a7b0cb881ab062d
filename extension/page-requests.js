// The requests chatkeep makes to ChatGPT, as functions that run in a ChatGPT tab (MAIN
// world, with the page's own session), for `scripting.executeScript`: each must stand alone
// (no imports, no outer variables). Used by the one-chat save and the whole-account backup,
// so the session, the token and the account header are handled in one place.

/** The session's access token and account, or why there is none:
 *  `{token, account}` | `{loggedOut: true}` | `{error: "api_down", status}`. */
export function pageSession() {
  return (async () => {
    try {
      const s = await fetch("/api/auth/session", { credentials: "include" });
      if (!s.ok) return { error: "api_down", status: s.status };
      const session = await s.json().catch(() => ({}));
      if (!session?.accessToken) return { loggedOut: true };
      return { token: session.accessToken, account: session.user?.email ?? session.user?.name ?? null };
    } catch (e) {
      return { error: "api_down", status: 0, detail: e instanceof Error ? e.message : String(e) };
    }
  })();
}

/** One GET of `url` (a path on the ChatGPT origin, or a download link), with the bearer
 *  `token` and the workspace's `ChatGPT-Account-Id` when a token is given. Never throws:
 *  `{status, retryAfter, base64}` (the body), or `{status: 0, error}` without an answer.
 *  @param {string} url  @param {string | null} token  @param {number} timeoutMs
 *  @returns {Promise<{status: number, retryAfter?: string | null, base64?: string, error?: string}>} */
export function pageRequest(url, token, timeoutMs) {
  return (async () => {
    /** @type {Record<string, string>} */
    const headers = {};
    if (token) {
      headers.Authorization = `Bearer ${token}`;
      const account = document.cookie.match(/(?:^|;\s*)_account=([^;]+)/);
      if (account) headers["ChatGPT-Account-Id"] = decodeURIComponent(account[1]);
    }
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      const r = await fetch(url, { headers, credentials: "include", signal: abort.signal });
      const buf = new Uint8Array(await r.arrayBuffer());
      let bin = "";
      for (let i = 0; i < buf.length; i += 0x8000) bin += String.fromCharCode(...buf.subarray(i, i + 0x8000));
      return { status: r.status, retryAfter: r.headers.get("Retry-After"), base64: btoa(bin) };
    } catch (e) {
      return { status: 0, error: abort.signal.aborted ? "timed out" : e instanceof Error ? e.message : String(e) };
    } finally {
      clearTimeout(timer);
    }
  })();
}

/** Base64 (as pageRequest returns bodies) → bytes.
 *  @param {string | undefined} b64 */
export function fromBase64(b64) {
  const bin = atob(b64 ?? "");
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
