// The export page's numbers, sizes, durations and dates, in the reader's locale.

export const numberFmt = new Intl.NumberFormat();
export const dateFmt = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric" });
export const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/**
 * `n` and the noun, singular or plural: "1 conversation", "2,000 conversations".
 * @param {number} n
 * @param {string} one
 * @param {string} [many]
 */
export function plural(n, one, many = `${one}s`) {
  return `${numberFmt.format(n)} ${n === 1 ? one : many}`;
}

/** @param {number} bytes */
export function megabytes(bytes) {
  const mb = bytes / (1024 * 1024);
  return mb >= 100 ? mb.toFixed(0) : mb >= 10 ? mb.toFixed(1) : mb.toFixed(2);
}

/** @param {number} bytes */
export function size(bytes) {
  if (bytes >= 1024 * 1024 * 1024) return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
  if (bytes >= 1024 * 1024) return `${megabytes(bytes)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** @param {number} seconds */
export function duration(seconds) {
  if (seconds < 1) return "less than a second";
  if (seconds < 60) return plural(Math.round(seconds), "second");
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
