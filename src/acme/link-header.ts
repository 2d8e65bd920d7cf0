// RFC 8288 Link headers, as far as ACME uses them: a certificate's alternate chains (RFC 8555 §7.4.2).

/** The targets of links with relation `rel`, resolved against the URL the header came from. */
export function linkTargets(header: string | undefined, rel: string, baseUrl: string): string[] {
  if (!header) return [];
  const targets: string[] = [];
  // Links are comma-separated; a comma inside <...> is part of the URL, so split only before '<'.
  for (const link of header.split(/,\s*(?=<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(link);
    if (!match) continue;
    const [, target = '', params = ''] = match;
    const rels = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const relations = (rels?.[1] ?? rels?.[2] ?? '').toLowerCase().split(/\s+/);
    if (relations.includes(rel.toLowerCase())) targets.push(new URL(target, baseUrl).href);
  }
  return targets;
}
