// Just enough DER to read a certificate's serial number exactly as encoded. Parsers hand it back as a
// number or as hex with the sign byte stripped, while ARI's certificate identifier (RFC 9773 §4.1)
// wants the encoded bytes, leading zero included.

interface DerElement {
  tag: number;
  /** Offset of the first content byte. */
  start: number;
  /** Offset just past the last content byte. */
  end: number;
}

function readElement(der: Uint8Array, offset: number, limit: number): DerElement {
  const tag = der[offset];
  let lengthByte = der[offset + 1];
  if (tag === undefined || lengthByte === undefined) throw new Error('truncated DER');
  let start = offset + 2;
  let length = lengthByte;
  if (lengthByte & 0x80) {
    const octets = lengthByte & 0x7f;
    if (octets === 0 || octets > 4) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < octets; i++) {
      lengthByte = der[start + i];
      if (lengthByte === undefined) throw new Error('truncated DER');
      length = length * 256 + lengthByte;
    }
    start += octets;
  }
  const end = start + length;
  if (end > limit) throw new Error('truncated DER');
  return { tag, start, end };
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const EXPLICIT_VERSION = 0xa0;

/** The content bytes of a DER certificate's serialNumber INTEGER, as encoded. */
export function certificateSerialBytes(certDer: Uint8Array): Uint8Array {
  const certificate = readElement(certDer, 0, certDer.length);
  if (certificate.tag !== SEQUENCE) throw new Error('not a DER certificate');
  const tbs = readElement(certDer, certificate.start, certificate.end);
  if (tbs.tag !== SEQUENCE) throw new Error('not a DER certificate');
  let field = readElement(certDer, tbs.start, tbs.end);
  if (field.tag === EXPLICIT_VERSION) field = readElement(certDer, field.end, tbs.end);
  if (field.tag !== INTEGER || field.end === field.start) throw new Error('certificate has no serial number');
  return certDer.slice(field.start, field.end);
}
