// Counts log lines that give away key material or a credential: a PEM block of any kind, or one of
// the run's secret values (TSIG secret, IIJ token, IIJ secret key). A line counts once, whatever it
// contains; the kinds say what was found, for the report.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const PEM = /-----BEGIN [A-Z0-9 ]+-----/;

export interface LeakCount {
  /** Lines scanned. */
  lines: number;
  /** Lines with at least one finding. */
  leakingLines: number;
  /** Findings per kind ("PEM block", or a secret's label) and the files they were in. */
  kinds: Map<string, Set<string>>;
}

/** Scans `text` (one file's content) for PEM blocks and the `secrets` (label → value). */
export function scanText(
  text: string,
  secrets: Record<string, string>,
  file: string,
  into: LeakCount = { lines: 0, leakingLines: 0, kinds: new Map() },
): LeakCount {
  const needles = Object.entries(secrets).filter(([, value]) => value.length >= 8);
  for (const line of text.split('\n')) {
    if (line === '') continue;
    into.lines++;
    const found = [
      ...(PEM.test(line) ? ['PEM block'] : []),
      ...needles.filter(([, value]) => line.includes(value)).map(([label]) => label),
    ];
    if (found.length === 0) continue;
    into.leakingLines++;
    for (const kind of found) {
      const files = into.kinds.get(kind) ?? new Set<string>();
      files.add(file);
      into.kinds.set(kind, files);
    }
  }
  return into;
}

/** Every `*.log` file under `dir`, at any depth. */
export function logFilesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    let stat;
    try {
      stat = statSync(path);
    } catch {
      continue; // removed meanwhile
    }
    if (stat.isDirectory()) found.push(...logFilesUnder(path));
    else if (entry.endsWith('.log')) found.push(path);
  }
  return found;
}

/** Scans every file in `files`. */
export function scanLogFiles(files: string[], secrets: Record<string, string>): LeakCount {
  const count: LeakCount = { lines: 0, leakingLines: 0, kinds: new Map() };
  for (const file of files) scanText(readFileSync(file, 'utf8'), secrets, file, count);
  return count;
}
