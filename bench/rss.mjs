// Resident memory of a browser's process tree, read from /proc (Linux).
import fs from "node:fs";

function parents() {
  const children = new Map();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch { /* gone */ }
  }
  return children;
}

/** Resident memory of a process and all its descendants, in bytes. */
export function treeRss(pid) {
  const children = parents();
  let total = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    try {
      const m = fs.readFileSync(`/proc/${p}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
      if (m) total += Number(m[1]) * 1024;
    } catch { /* gone */ }
    stack.push(...(children.get(p) ?? []));
  }
  return total;
}

/**
 * The pid of the browser process started with `marker` (say, its profile folder) on its
 * command line: the topmost such process, whose parent does not have it.
 */
export function browserPid(marker) {
  const has = (pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(marker);
    } catch {
      return false;
    }
  };
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d) || !has(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1];
      if (!has(ppid)) return Number(d);
    } catch { /* gone */ }
  }
  return null;
}

/** Samples `treeRss(pid)` every 50 ms; `stop()` returns the peak since `start()`. */
export function sampler(pid) {
  let peak = 0;
  let timer = null;
  return {
    start() {
      peak = treeRss(pid);
      timer = setInterval(() => { peak = Math.max(peak, treeRss(pid)); }, 50);
    },
    stop() {
      clearInterval(timer);
      return Math.max(peak, treeRss(pid));
    },
  };
}
