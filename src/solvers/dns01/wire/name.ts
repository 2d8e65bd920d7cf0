// Domain names between presentation form ("_acme-challenge.example.test.") and wire form
// (length-prefixed labels, RFC 1035 section 3.1), with \. and \DDD escapes (RFC 4343 section 2.1).

const MAX_LABEL = 63;
const MAX_NAME = 255;

/** Adds the trailing dot that makes a name fully qualified; "" and "." are the root. */
export function fqdn(name: string): string {
  if (name === '' || name === '.') return '.';
  return name.endsWith('.') && !name.endsWith('\\.') ? name : `${name}.`;
}

/** Compares names the DNS way: ASCII case-insensitive, trailing dot optional. */
export function sameName(a: string, b: string): boolean {
  return fqdn(a).toLowerCase() === fqdn(b).toLowerCase();
}

/** Whether `name` is `zone` or below it. */
export function isInZone(name: string, zone: string): boolean {
  const n = fqdn(name).toLowerCase();
  const z = fqdn(zone).toLowerCase();
  return z === '.' || n === z || n.endsWith(`.${z}`);
}

/** The labels of a presentation-form name, each as raw bytes (escapes resolved). */
export function nameToLabels(name: string): Buffer[] {
  const text = fqdn(name);
  if (text === '.') return [];
  const labels: Buffer[] = [];
  let current: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '.') {
      if (current.length === 0) throw new Error(`invalid domain name ${JSON.stringify(name)}: empty label`);
      labels.push(Buffer.from(current));
      current = [];
    } else if (ch === '\\') {
      const digits = /^\d{3}/.exec(text.slice(i + 1))?.[0];
      if (digits !== undefined && Number(digits) <= 255) {
        current.push(Number(digits));
        i += 3;
      } else if (i + 1 < text.length) {
        current.push(...Buffer.from(text[++i]!));
      } else {
        throw new Error(`invalid domain name ${JSON.stringify(name)}: dangling escape`);
      }
    } else {
      current.push(...Buffer.from(ch));
    }
    if (current.length > MAX_LABEL) {
      throw new Error(
        `invalid domain name ${JSON.stringify(name)}: a label is longer than ${MAX_LABEL} bytes`,
      );
    }
  }
  return labels;
}

/** Presentation form of one wire label: printable ASCII as is, "." and "\" escaped, others as \DDD. */
function labelToText(label: Buffer): string {
  let out = '';
  for (const byte of label) {
    if (byte === 0x2e || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte > 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${String(byte).padStart(3, '0')}`;
  }
  return out;
}

/** Encodes a name in uncompressed wire form; throws on names DNS cannot carry. */
export function encodeName(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of nameToLabels(name)) parts.push(Buffer.from([label.length]), label);
  parts.push(Buffer.from([0]));
  const wire = Buffer.concat(parts);
  if (wire.length > MAX_NAME) {
    throw new Error(`invalid domain name ${JSON.stringify(name)}: longer than ${MAX_NAME} bytes`);
  }
  return wire;
}

/** Canonical wire form (RFC 4034 section 6.2: uncompressed, ASCII lower case), as TSIG MACs need. */
export function encodeCanonicalName(name: string): Buffer {
  const wire = encodeName(name);
  for (let i = 0; i < wire.length; i++) {
    const byte = wire[i]!;
    if (byte >= 0x41 && byte <= 0x5a) wire[i] = byte + 0x20;
  }
  // Lower-casing could turn a length byte into something else only if it were 0x41-0x5a (65-90),
  // and labels are at most 63 bytes long, so length bytes are never touched.
  return wire;
}

/** Reads a possibly compressed name at `offset`; `end` is where the name's bytes stop in place. */
export function readName(message: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let position = offset;
  let end: number | undefined;
  let wireLength = 0;
  // Pointers must go strictly backwards, which also rules out loops (RFC 1035 section 4.1.4).
  let lowestTarget = offset;
  for (;;) {
    if (position >= message.length) throw new Error('truncated domain name');
    const length = message[position]!;
    if (length === 0) {
      end ??= position + 1;
      break;
    }
    if ((length & 0xc0) === 0xc0) {
      if (position + 1 >= message.length) throw new Error('truncated compression pointer');
      const target = ((length & 0x3f) << 8) | message[position + 1]!;
      if (target >= lowestTarget) throw new Error('compression pointer does not point backwards');
      end ??= position + 2;
      lowestTarget = target;
      position = target;
      continue;
    }
    if ((length & 0xc0) !== 0) throw new Error(`unsupported label type 0x${length.toString(16)}`);
    if (position + 1 + length > message.length) throw new Error('truncated label');
    wireLength += length + 1;
    if (wireLength > MAX_NAME) throw new Error('domain name longer than 255 bytes');
    labels.push(labelToText(message.subarray(position + 1, position + 1 + length)));
    position += 1 + length;
  }
  return { name: labels.length === 0 ? '.' : `${labels.join('.')}.`, end };
}

/** The name one label up ("a.b.example." -> "b.example."), or undefined at the root. */
export function parentName(name: string): string | undefined {
  const text = fqdn(name);
  if (text === '.') return undefined;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '.') return i === text.length - 1 ? '.' : text.slice(i + 1);
  }
  return '.';
}
