// cert-manager ACME solvers (spec.acme.solvers[]) as acme6 solvers: selectors, http01.ingress,
// dns01.rfc2136 and dns01.webhook carry over; the DNS providers built into cert-manager do not
// (acme6 reaches them through their cert-manager webhooks).
import { asRecord, asString, asStrings, type Notes } from './notes.ts';

/** cert-manager's built-in DNS providers, by field, with what to use in acme6 instead. */
const BUILT_IN_DNS: Record<string, string> = {
  acmeDNS: 'ACME-DNS',
  akamai: 'Akamai',
  azureDNS: 'Azure DNS',
  cloudDNS: 'Google Cloud DNS',
  cloudflare: 'Cloudflare',
  digitalocean: 'DigitalOcean',
  route53: 'Route 53',
};

const TSIG_ALGORITHMS = ['HMACSHA256', 'HMACSHA384', 'HMACSHA512'];

function convertSelector(source: unknown, path: string, notes: Notes): Record<string, unknown> | undefined {
  const selector = asRecord(source);
  if (!selector) return undefined;
  notes.unknown(selector, path, ['dnsNames', 'dnsZones', 'matchLabels']);
  const out: Record<string, unknown> = {};
  for (const key of ['dnsNames', 'dnsZones'] as const) {
    const list = asStrings(selector[key]);
    if (list?.length) out[key] = list;
  }
  const labels = asRecord(selector.matchLabels);
  if (labels && Object.keys(labels).length) out.matchLabels = labels;
  return Object.keys(out).length ? out : undefined;
}

function convertPodTemplate(
  source: unknown,
  path: string,
  notes: Notes,
): Record<string, unknown> | undefined {
  const template = asRecord(source);
  if (!template) return undefined;
  const out: Record<string, unknown> = {};
  const meta = asRecord(template.metadata);
  if (meta) {
    notes.unknown(meta, `${path}.metadata`, ['labels', 'annotations']);
    const m: Record<string, unknown> = {};
    if (asRecord(meta.labels)) m.labels = meta.labels;
    if (asRecord(meta.annotations)) m.annotations = meta.annotations;
    if (Object.keys(m).length) out.metadata = m;
  }
  const spec = asRecord(template.spec);
  if (spec) {
    const kept = ['nodeSelector', 'tolerations', 'priorityClassName', 'imagePullSecrets', 'resources'];
    for (const key of Object.keys(spec)) {
      if (!kept.includes(key))
        notes.add(
          `${path}.spec.${key}`,
          "acme6's solver pods take only " + kept.join(', ') + '; not carried over',
        );
    }
    const s = Object.fromEntries(Object.entries(spec).filter(([key]) => kept.includes(key)));
    if (Object.keys(s).length) out.spec = s;
  }
  return Object.keys(out).length ? out : undefined;
}

function convertHttp01(
  source: Record<string, unknown>,
  path: string,
  notes: Notes,
): Record<string, unknown> | undefined {
  if (source.gatewayHTTPRoute !== undefined) {
    notes.add(
      `${path}.gatewayHTTPRoute`,
      'acme6 solves http-01 through an Ingress only (no Gateway API); solver not carried over',
    );
    return undefined;
  }
  const ingress = asRecord(source.ingress) ?? {};
  notes.unknown(source, path, ['ingress', 'gatewayHTTPRoute']);
  const at = `${path}.ingress`;
  if (ingress.name !== undefined) {
    notes.add(
      `${at}.name`,
      'acme6 always creates its own solver Ingress and never edits an existing one; not carried over',
    );
  }
  notes.unknown(ingress, at, [
    'class',
    'ingressClassName',
    'name',
    'serviceType',
    'podTemplate',
    'ingressTemplate',
  ]);
  const out: Record<string, unknown> = {};
  const className = asString(ingress.ingressClassName);
  if (className) out.ingressClassName = className;
  const legacyClass = asString(ingress.class);
  if (legacyClass) out.class = legacyClass;
  const serviceType = asString(ingress.serviceType);
  if (serviceType) out.serviceType = serviceType;
  const pod = convertPodTemplate(ingress.podTemplate, `${at}.podTemplate`, notes);
  if (pod) out.podTemplate = pod;
  const ingressMeta = asRecord(asRecord(ingress.ingressTemplate)?.metadata);
  if (ingressMeta) {
    const m: Record<string, unknown> = {};
    if (asRecord(ingressMeta.labels)) m.labels = ingressMeta.labels;
    if (asRecord(ingressMeta.annotations)) m.annotations = ingressMeta.annotations;
    if (Object.keys(m).length) out.ingressTemplate = { metadata: m };
  }
  return { ingress: out };
}

/** host or host:port (cert-manager's default port 53) as acme6's host:port. */
function withPort(nameserver: string): string {
  if (/^\[.*\]:\d+$/.test(nameserver) || /^[^:[\]]+:\d+$/.test(nameserver)) return nameserver;
  if (nameserver.includes(':') && !nameserver.startsWith('[')) return `[${nameserver}]:53`;
  return `${nameserver}:53`;
}

function convertRfc2136(
  source: Record<string, unknown>,
  path: string,
  notes: Notes,
): Record<string, unknown> | undefined {
  notes.unknown(source, path, [
    'nameserver',
    'tsigKeyName',
    'tsigAlgorithm',
    'tsigSecretSecretRef',
    'protocol',
  ]);
  const nameserver = asString(source.nameserver);
  if (!nameserver) {
    notes.add(`${path}.nameserver`, 'missing; solver not carried over');
    return undefined;
  }
  if (source.protocol !== undefined && source.protocol !== 'TCP') {
    notes.add(`${path}.protocol`, 'acme6 always sends updates over TCP; not carried over');
  }
  const out: Record<string, unknown> = { nameserver: withPort(nameserver) };
  const keyName = asString(source.tsigKeyName);
  const secretRef = asRecord(source.tsigSecretSecretRef);
  if (keyName && secretRef) {
    out.tsigKeyName = keyName;
    out.tsigSecretSecretRef = { name: secretRef.name, key: secretRef.key };
    const algorithm = (asString(source.tsigAlgorithm) ?? 'HMACMD5').toUpperCase();
    if (TSIG_ALGORITHMS.includes(algorithm)) {
      out.tsigAlgorithm = algorithm;
    } else {
      out.tsigAlgorithm = 'HMACSHA256';
      notes.add(
        `${path}.tsigAlgorithm`,
        `${algorithm}${source.tsigAlgorithm === undefined ? " (cert-manager's default)" : ''} is not supported by acme6 (HMACSHA256, HMACSHA384, HMACSHA512 are); written as HMACSHA256: give the DNS server an HMAC-SHA256 key under this name and put its secret in the Secret`,
      );
    }
  }
  return out;
}

/** The converted dns01 block, or undefined when the provider cannot be carried over. */
function convertDns01(
  source: Record<string, unknown>,
  path: string,
  notes: Notes,
): Record<string, unknown> | undefined {
  const strategy = asString(source.cnameStrategy) ?? 'None';
  let provider: Record<string, unknown> | undefined;
  let key: string | undefined;
  for (const [field, label] of Object.entries(BUILT_IN_DNS)) {
    if (source[field] !== undefined) {
      notes.add(
        `${path}.${field}`,
        `acme6 has no built-in ${label} provider: install a cert-manager DNS01 webhook for ${label} and use dns01.webhook (docs/webhook.md); solver not carried over`,
      );
      return undefined;
    }
  }
  notes.unknown(source, path, ['cnameStrategy', 'rfc2136', 'webhook']);
  const rfc2136 = asRecord(source.rfc2136);
  const webhook = asRecord(source.webhook);
  if (rfc2136) {
    key = 'rfc2136';
    provider = convertRfc2136(rfc2136, `${path}.rfc2136`, notes);
  } else if (webhook) {
    key = 'webhook';
    notes.unknown(webhook, `${path}.webhook`, ['groupName', 'solverName', 'config']);
    provider = {
      groupName: webhook.groupName,
      solverName: webhook.solverName,
      ...(asRecord(webhook.config) ? { config: webhook.config } : {}),
    };
  }
  if (!provider || !key) {
    if (!rfc2136 && !webhook) notes.add(path, 'names no DNS provider acme6 knows; solver not carried over');
    return undefined;
  }
  // Spelled out: cert-manager's default is None, acme6's may differ.
  return { [key]: provider, cnameStrategy: strategy };
}

/** The converted solver, or undefined (with a note) when it cannot be carried over. */
export function convertSolver(
  source: unknown,
  path: string,
  notes: Notes,
): Record<string, unknown> | undefined {
  const solver = asRecord(source);
  if (!solver) return undefined;
  notes.unknown(solver, path, ['selector', 'http01', 'dns01']);
  const selector = convertSelector(solver.selector, `${path}.selector`, notes);
  const http01 = asRecord(solver.http01);
  const dns01 = asRecord(solver.dns01);
  const converted = http01
    ? { http01: convertHttp01(http01, `${path}.http01`, notes) }
    : dns01
      ? { dns01: convertDns01(dns01, `${path}.dns01`, notes) }
      : undefined;
  if (!converted || Object.values(converted)[0] === undefined) return undefined;
  return { ...(selector ? { selector } : {}), ...converted };
}
