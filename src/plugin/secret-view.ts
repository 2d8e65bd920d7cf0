// `kubectl acme6 inspect secret`: the SecretReport as text.
import { rows } from './layout.ts';
import type { CertificateSummary, SecretReport } from './secret-report.ts';
import { when } from './time-text.ts';

function validity(cert: CertificateSummary, now: Date): string {
  const state = now < cert.notBefore ? 'NOT YET VALID' : now >= cert.notAfter ? 'EXPIRED' : 'valid now';
  return `${when(cert.notBefore, now)}\nto ${when(cert.notAfter, now)}, ${state}`;
}

function keyLine(report: SecretReport): string | undefined {
  if (report.privateKey === undefined) return undefined;
  if (report.keyMatches === undefined) return report.privateKey;
  return `${report.privateKey}, ${report.keyMatches ? 'matches the certificate' : 'DOES NOT match the certificate'}`;
}

/** The whole view; `now` decides "valid now", "EXPIRED" and the relative times. */
export function formatSecretReport(report: SecretReport, now: Date): string {
  const lines = [`Secret ${report.namespace}/${report.name} (type ${report.type})`];
  const by = report.writtenBy;
  if (by) {
    const issuer = by.issuerName ? `${by.issuerKind ?? 'issuer'} ${by.issuerName}` : undefined;
    lines.push(
      ...rows([
        ['Written by', 'acme6'],
        ['Certificate', by.certificate],
        ['Issuer', issuer],
        ['Revision', by.revision],
      ]),
    );
  }
  const [leaf, ...rest] = report.chain;
  if (leaf) {
    lines.push('Certificate:');
    lines.push(
      ...rows([
        ['Subject', leaf.subject],
        ['DNS names', leaf.dnsNames.length > 0 ? leaf.dnsNames.join(', ') : '(none)'],
        ['Issuer', leaf.issuer],
        ['Serial', leaf.serialNumber],
        ['Validity', validity(leaf, now)],
        ['Public key', leaf.publicKey],
        ['Private key', keyLine(report)],
      ]),
    );
    lines.push(
      `Chain (${report.chain.length} certificate${report.chain.length === 1 ? '' : 's'}, leaf first):`,
    );
    [leaf, ...rest].forEach((cert, index) => {
      const ca = cert.isCA ? ' [CA]' : '';
      lines.push(
        `  ${index}  ${cert.subject}${ca}`,
        `     issued by ${cert.issuer}, until ${when(cert.notAfter, now)}`,
      );
    });
  } else if (report.privateKey) {
    lines.push(...rows([['Private key', keyLine(report)]]));
  }
  if (report.problems.length > 0) {
    lines.push('Problems:', ...report.problems.map((p) => `  - ${p}`));
  }
  return `${lines.join('\n')}\n`;
}
