// Times as a person reads them next to each other in a terminal: RFC 3339 plus "in 3d 4h" / "5m ago".

/** A duration as its two largest units ("3d 4h", "12m 5s", "40s"). */
export function formatSpan(ms: number): string {
  const seconds = Math.floor(Math.abs(ms) / 1000);
  const units: [string, number][] = [
    ['d', Math.floor(seconds / 86_400)],
    ['h', Math.floor(seconds / 3600) % 24],
    ['m', Math.floor(seconds / 60) % 60],
    ['s', seconds % 60],
  ];
  const first = units.findIndex(([, n]) => n > 0);
  if (first < 0) return '0s';
  return units
    .slice(first, first + 2)
    .filter(([, n]) => n > 0)
    .map(([unit, n]) => `${n}${unit}`)
    .join(' ');
}

/** "in 3d 4h" for the future, "5m ago" for the past. */
export function relative(at: Date, now: Date): string {
  const ms = at.getTime() - now.getTime();
  return ms >= 0 ? `in ${formatSpan(ms)}` : `${formatSpan(ms)} ago`;
}

/** RFC 3339 to the second, with the relative time: "2026-11-25T12:00:00Z (in 3d 4h)". */
export function when(at: Date | string | undefined, now: Date): string {
  if (at === undefined) return '-';
  const date = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(date.getTime())) return String(at);
  return `${date.toISOString().replace(/\.\d{3}Z$/, 'Z')} (${relative(date, now)})`;
}
