// Go duration strings (`2160h`, `90m`, `1h30m`, `1.5h`), parsed exactly as Go's time.ParseDuration
// does, because the apiserver's CEL `duration()` is that function: a string the CRD accepts must mean
// the same length of time to the controller.

// A Map, not an object literal: a unit like `constructor` must not find Object.prototype's.
const NANOS_PER_UNIT: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n], // micro sign
  ['\u03bcs', 1_000n], // Greek mu
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

// Go durations are int64 nanoseconds; anything larger fails to parse there, so it must here too.
const MAX_NANOS = (1n << 63n) - 1n;

/** Parses a Go duration into nanoseconds; undefined where Go's time.ParseDuration returns an error. */
export function parseGoDurationNanos(text: string): bigint | undefined {
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s.startsWith('-');
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') return undefined;
  let total = 0n;
  while (s !== '') {
    const match = /^([0-9]*)(?:\.([0-9]*))?([^0-9.]*)/.exec(s);
    if (!match) return undefined;
    const [whole, intPart = '', fracPart, unit = ''] = match;
    // Go: at least one digit before or after the dot, and a known unit after every number.
    if (intPart === '' && (fracPart === undefined || fracPart === '')) return undefined;
    const perUnit = NANOS_PER_UNIT.get(unit);
    if (perUnit === undefined) return undefined;
    let value = BigInt(intPart === '' ? '0' : intPart) * perUnit;
    if (fracPart !== undefined && fracPart !== '') {
      // Go scales the fraction as a float and truncates; exact rational arithmetic then truncation
      // agrees for every fraction a person would write.
      value += (BigInt(fracPart) * perUnit) / 10n ** BigInt(fracPart.length);
    }
    total += value;
    if (total > MAX_NANOS + (negative ? 1n : 0n)) return undefined;
    s = s.slice(whole.length);
  }
  return negative ? -total : total;
}

/** Parses a Go duration into milliseconds (fractional below 1 ms); undefined if Go would reject it. */
export function parseGoDuration(text: string): number | undefined {
  const nanos = parseGoDurationNanos(text);
  return nanos === undefined ? undefined : Number(nanos) / 1e6;
}

/** Formats milliseconds as a Go duration string (`1h30m0s` style, as Go's Duration.String prints). */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${rest}ms`;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = rest / 1000;
  const h = hours > 0 ? `${hours}h` : '';
  const m = hours > 0 || minutes > 0 ? `${minutes}m` : '';
  return `${sign}${h}${m}${seconds}s`;
}
