// The backup page's view (extension/backup-view.js) in Chromium, without the extension:
// tests/e2e/backup-view.html renders fixed statuses from file://, and these checks read what
// it shows, and that patching a shown view keeps the focused button, an opened <details> and
// the live region's element. Also that backup.html stays CSP-clean (no inline script).
//
// BACKUP_VIEW_SHOTS=1 also writes docs/backup.png (the running state as the page shows it,
// light, 1280 wide, cropped to the content) and, in tests/e2e/out/, backup-dark.png and
// backup-view-{light,dark}.png (every status side by side).

import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import { chromium } from "playwright-core";
import { E2E, OUT, ROOT } from "./harness.mjs";

const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const SHOTS = process.env.BACKUP_VIEW_SHOTS === "1";
const HARNESS = pathToFileURL(path.join(E2E, "backup-view.html")).href;

describe("backup page view", { skip: !existsSync(CHROMIUM) && `${CHROMIUM} is missing` }, () => {
  let browser;
  let page;
  const errors = [];

  before(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      env: { ...process.env, TZ: "UTC" },
      args: ["--headless=new", "--no-sandbox", "--allow-file-access-from-files", "--no-first-run", "--disable-background-networking"],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 400 }, locale: "en-US", timezoneId: "UTC" });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  });

  after(async () => {
    await browser?.close();
  });

  async function open(query = "") {
    await page.goto(HARNESS + query);
    await page.waitForFunction(() => document.documentElement.dataset.ready === "1", null, { timeout: 10000 });
    assert.deepEqual(errors, [], "no error on the page");
  }

  /** What a panel of the harness shows. */
  function panel(name) {
    return page.evaluate((name) => {
      const el = document.querySelector(`.panel[data-name="${name}"]`);
      const text = (sel) => el.querySelector(sel)?.textContent ?? null;
      const bar = el.querySelector("progress");
      const ids = [...el.querySelectorAll("[id]")].map((e) => e.id);
      return {
        heading: text("h2"),
        line: text(".progress-line"),
        liveLine: el.querySelector(".progress-line")?.getAttribute("aria-live") ?? null,
        lineRole: el.querySelector(".progress-line")?.getAttribute("role") ?? null,
        eta: text(".eta"),
        wait: text(".wait"),
        current: text(".current"),
        details: text(".progress-details"),
        blocked: text(".alert.warning"),
        error: text(".alert.error"),
        bar: bar && { value: bar.getAttribute("value"), max: bar.getAttribute("max"), label: bar.getAttribute("aria-labelledby") },
        buttons: [...el.querySelectorAll("button")].map((b) => `${b.dataset.action}:${b.textContent}${b.getAttribute("aria-disabled") ? " (inert)" : ""}`),
        failures: [...el.querySelectorAll(".failures li")].map((li) => li.textContent),
        failuresSummary: text(".failures summary"),
        lastZip: text(".last-zip"),
        when: text(".when"),
        stats: [...el.querySelectorAll(".stat")].map((s) => s.textContent),
        data: text(".data-card p"),
        duplicateIds: ids.filter((id, i) => ids.indexOf(id) !== i),
        unnamedButtons: [...el.querySelectorAll("button")].filter((b) => !b.textContent.trim()).length,
      };
    }, name);
  }

  it("shows each state: start, listing, running, blocked, paused, done, confirm, error", async () => {
    await open();

    const first = await panel("first");
    assert.equal(first.heading, "Start your backup");
    assert.deepEqual(first.buttons, ["start:Back up everything"]);
    assert.equal(first.data, null, "no local data card before anything is kept");

    const listing = await panel("listing");
    assert.equal(listing.line, "Finding your conversations… 340 found (12 archived, 80 in 2 projects)");
    assert.equal(listing.bar.value, null, "an indeterminate bar while listing");
    assert.equal(listing.lineRole, "status");
    assert.equal(listing.liveLine, "polite");

    const running = await panel("running");
    assert.equal(running.heading, "Backing up…");
    assert.equal(running.line, "1,234 of 2,000 conversations · 56 files · 12.9 MB");
    assert.deepEqual(running.bar, { value: "1234", max: "2000", label: "running-run-title" });
    assert.equal(running.eta, "about 3 h 10 min left");
    assert.equal(running.wait, "ChatGPT is limiting requests: next request in 0:42");
    assert.match(running.current, /^Now: Планы на отпуск/);
    assert.equal(running.details, "40 already up to date · 4 conversations could not be saved");
    assert.deepEqual(running.buttons, ["pause:Pause", "cancel:Cancel", "delete:Delete local backup data (inert)"]);
    assert.equal(running.data, "1,234 conversations and their files: 14.2 MB in this browser's storage.");

    const blocked = await panel("blocked");
    assert.equal(blocked.heading, "Waiting");
    assert.equal(blocked.blocked, "Open chatgpt.com in a tab: the backup carries on when one is open.");
    assert.equal(blocked.wait, null);

    const paused = await panel("paused");
    assert.equal(paused.heading, "Paused");
    assert.deepEqual(paused.buttons, ["resume:Resume", "cancel:Cancel", "delete:Delete local backup data"]);
    assert.equal(paused.current, null);
    assert.equal(paused.eta, null);

    const done = await panel("done");
    assert.equal(done.heading, "Backup complete");
    assert.equal(done.when, "Finished Dec 3, 2026, 1:58 PM · took 5 h");
    assert.equal(done.failuresSummary, "2 conversations and 1 file could not be backed up");
    assert.equal(done.failures.length, 3);
    assert.match(done.failures[0], /^Tax return 2025: which receipts to keepChatGPT answered/);
    assert.match(done.failures[1], /^A conversation without a title \(67a1f0d2/);
    assert.match(done.failures[2], /^A file of “Garden plan, spring”/);
    assert.equal(done.lastZip, "Last download: chatgpt-backup-2026-12-03.zip");
    assert.deepEqual(done.buttons, ["download:Download backup (ZIP)", "start:Update backup", "delete:Delete local backup data"]);
    assert.equal(done.stats[0], "Conversations1,998112 archived · 48 in 2 projects");

    const confirm = await panel("done-confirm-delete");
    assert.deepEqual(confirm.buttons.slice(2), ["delete-confirm:Really delete?", "delete-keep:Keep it"]);

    const stopped = await panel("stopped-error");
    assert.equal(stopped.heading, "Backup stopped");
    assert.equal(stopped.error, "The download could not be written: the disk is full.");

    const pending = await panel("download-pending");
    assert.deepEqual(pending.buttons.slice(0, 2), ["download:Preparing the ZIP… (inert)", "start:Update backup (inert)"]);

    for (const [name] of await page.evaluate(() => window.backupView.STATUSES)) {
      const p = await panel(name);
      assert.deepEqual(p.duplicateIds, [], `${name}: ids are unique`);
      assert.equal(p.unnamedButtons, 0, `${name}: every button has a name`);
    }
  });

  it("patches in place: the focused button, an opened <details> and the live line stay", async () => {
    await open();
    const result = await page.evaluate(() => {
      const { render, patch, STATUSES, NOW } = window.backupView;
      const status = Object.fromEntries(STATUSES.map(([name, s]) => [name, s]));
      const host = document.createElement("div");
      document.body.append(host);
      const shown = render(null, NOW);
      host.append(shown);
      const out = {};

      patch(shown, render(status.running, NOW));
      const pause = shown.querySelector('[data-action="pause"]');
      const line = shown.querySelector(".progress-line");
      const bar = shown.querySelector("progress");
      pause.focus();
      // A second later: the countdown moves, the same elements stay.
      patch(shown, render(status.running, NOW + 1000));
      out.countdown = shown.querySelector(".wait").textContent;
      out.sameLine = shown.querySelector(".progress-line") === line;
      // Blocked: an alert appears above the bar, the button keeps the focus.
      patch(shown, render(status.blocked, NOW + 2000));
      out.focusAfterBlocked = document.activeElement === pause;
      out.sameBar = shown.querySelector("progress") === bar;
      // Paused: the same button now resumes, still focused.
      patch(shown, render(status.paused, NOW + 3000));
      out.resume = document.activeElement === pause && pause.dataset.action === "resume" && pause.textContent === "Resume";
      // Back to running, then listing: the bar loses its value (indeterminate).
      patch(shown, render(status.listing, NOW + 4000));
      out.indeterminate = shown.querySelector("progress").matches(":indeterminate");

      // Done: open the failures, patch again: still open. Confirm delete keeps the button.
      patch(shown, render(status.done, NOW));
      const details = shown.querySelector("details.failures");
      details.open = true;
      patch(shown, render(status.done, NOW + 500));
      out.detailsOpen = shown.querySelector("details.failures") === details && details.open;
      const del = shown.querySelector('[data-action="delete"]');
      del.focus();
      patch(shown, render(status.done, NOW + 1000, { confirmDelete: true }));
      out.confirm = document.activeElement === del && del.dataset.action === "delete-confirm" && del.textContent === "Really delete?";
      // The same result as a fresh render.
      out.sameAsFresh = shown.outerHTML.replace(/ open=""/, "") === render(status.done, NOW + 1000, { confirmDelete: true }).outerHTML;
      host.remove();
      return out;
    });
    assert.deepEqual(result, {
      countdown: "ChatGPT is limiting requests: next request in 0:41",
      sameLine: true,
      focusAfterBlocked: true,
      sameBar: true,
      resume: true,
      indeterminate: true,
      detailsOpen: true,
      confirm: true,
      sameAsFresh: true,
    });
  });

  it("backup.js: polls, starts, pauses, downloads and deletes through a stand-in background", async () => {
    // The extension API, stood in for before the page's scripts run: a background that keeps
    // one status and answers the backup messages as background.js does.
    await page.addInitScript(() => {
      const sent = [];
      let status = { state: "idle", blocked: null, message: null, progress: null, failures: [], lastRun: null, lastZip: null, storedBytes: 0 };
      const progress = (over) => ({ phase: "fetching", listed: { ordinary: 10, archived: 0, project: 0 }, projects: 0, total: 10, done: 4, fetched: 4, upToDate: 0, failed: 0, files: 1, filesFailed: 0, bytes: 5000, requests: 5, rateLimited: 0, current: "Soup", waitUntil: null, waitReason: null, etaMs: 60000, kept: 4, ...over });
      const answer = {
        "chatkeep/backup-status": () => status,
        "chatkeep/backup-start": () => (status = { ...status, state: "running", progress: progress(), lastRun: { started: Date.now(), finished: null }, storedBytes: 5000 }),
        "chatkeep/backup-pause": () => (status = { ...status, state: "paused" }),
        "chatkeep/backup-resume": () => (status = { ...status, state: "running" }),
        "chatkeep/backup-cancel": () => (status = { ...status, state: "idle" }),
        "chatkeep/backup-download": () => {
          status = { ...status, lastZip: "chatgpt-backup.zip" };
          return { fileName: "chatgpt-backup.zip" };
        },
        "chatkeep/backup-delete": () => {
          if (status.state === "running") throw Object.assign(new Error("The backup is running: pause or cancel it first."), { kind: "busy" });
          return (status = { state: "idle", blocked: null, message: null, progress: null, failures: [], lastRun: null, lastZip: null, storedBytes: 0 });
        },
      };
      globalThis.browser = {
        runtime: {
          getManifest: () => ({ version: "9.9.9" }),
          async sendMessage(message) {
            sent.push(message.type);
            await new Promise((resolve) => setTimeout(resolve, 20));
            try {
              return { ok: true, result: structuredClone(answer[message.type]()) };
            } catch (e) {
              return { ok: false, error: { kind: e.kind, message: e.message } };
            }
          },
        },
      };
      globalThis.backgroundStub = { sent, finish: () => (status = { ...status, state: "done", progress: progress({ phase: "done", done: 10, fetched: 10, kept: 10 }), lastRun: { ...status.lastRun, finished: Date.now() } }) };
    });
    await page.goto(pathToFileURL(path.join(ROOT, "extension/backup.html")).href);
    const shows = (sel, text) => page.waitForFunction(([sel, text]) => document.querySelector(sel)?.textContent === text, [sel, text], { timeout: 5000 });

    await shows("h2", "Start your backup");
    assert.equal(await page.textContent("#version"), "chatkeep 9.9.9");
    await page.click('[data-action="start"]');
    await shows("h2", "Backing up…");
    assert.equal(await page.title(), "40% backed up · chatkeep");
    assert.equal(await page.textContent(".progress-line"), "4 of 10 conversations · 1 file · 4.9 KB");

    // Polled about every 500 ms.
    const before = await page.evaluate(() => backgroundStub.sent.filter((t) => t === "chatkeep/backup-status").length);
    await page.waitForTimeout(1600);
    const polls = (await page.evaluate(() => backgroundStub.sent.filter((t) => t === "chatkeep/backup-status").length)) - before;
    assert.ok(polls >= 2 && polls <= 4, `${polls} polls in 1.6 s`);

    // Pause by keyboard: the same button, focused, now resumes.
    await page.focus('[data-action="pause"]');
    await page.keyboard.press("Enter");
    await shows("h2", "Paused");
    assert.equal(await page.evaluate(() => document.activeElement.dataset.action), "resume");
    await page.keyboard.press("Enter");
    await shows("h2", "Backing up…");

    // Delete while running: inert, and nothing sent.
    await page.click('[data-action="delete"]', { force: true });
    assert.equal(await page.evaluate(() => backgroundStub.sent.includes("chatkeep/backup-delete")), false);

    // Done: download, then delete with its confirmation (Escape steps back once).
    await page.evaluate(() => backgroundStub.finish());
    await shows("h2", "Backup complete");
    await page.click('[data-action="download"]');
    await shows(".last-zip", "Last download: chatgpt-backup.zip");
    await page.focus('[data-action="delete"]');
    await page.keyboard.press("Enter");
    await shows('[data-key="delete"]', "Really delete?");
    await page.keyboard.press("Escape");
    await shows('[data-key="delete"]', "Delete local backup data");
    assert.equal(await page.evaluate(() => document.activeElement.dataset.action), "delete");
    await page.keyboard.press("Enter");
    await page.keyboard.press("Enter");
    await shows("h2", "Start your backup");
    assert.equal(await page.evaluate(() => document.activeElement.dataset.action), "start", "the focus moves to the start button");
    assert.equal(await page.$(".data-card"), null);
    assert.deepEqual(errors, []);
  });

  it("backup.html: a module script, no inline script, the view's container", () => {
    const html = readFileSync(path.join(ROOT, "extension/backup.html"), "utf8");
    assert.match(html, /<script type="module" src="backup\.js"><\/script>/);
    assert.equal([...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].filter((m) => m[1].trim()).length, 0, "no inline script");
    assert.doesNotMatch(html, /\son[a-z]+=/i, "no inline event handler");
    assert.match(html, /<main class="main" id="main">\s*(<!--[^>]*-->\s*)?<div class="backup-view">/);
  });

  it("looks right (BACKUP_VIEW_SHOTS=1 writes docs/backup.png)", { skip: !SHOTS && "set BACKUP_VIEW_SHOTS=1" }, async () => {
    mkdirSync(OUT, { recursive: true });
    for (const scheme of ["light", "dark"]) {
      await page.emulateMedia({ colorScheme: scheme, reducedMotion: "reduce" });
      await open("?only=running");
      await page.screenshot({ path: scheme === "light" ? path.join(ROOT, "docs/backup.png") : path.join(OUT, "backup-dark.png"), fullPage: true });
      await open();
      await page.screenshot({ path: path.join(OUT, `backup-view-${scheme}.png`), fullPage: true });
    }
    await page.emulateMedia({ colorScheme: "light", reducedMotion: null });
  });
});
