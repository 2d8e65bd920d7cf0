// Regular expressions and error messages shared by the zod schemas and the CRDs' OpenAPI patterns and
// CEL rules. Each pattern is written once, in the subset where RE2 (the apiserver) and JavaScript
// agree: ASCII only, no lookaround, `[.]` instead of `\.` where possible. crd-sync.test.ts checks that
// crds/*.yaml still contains every one of them verbatim.

const DNS_LABEL = '[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?';
const HOST_LABEL = '[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?';
const HOSTNAME = `${HOST_LABEL}([.]${HOST_LABEL})*`;
const IPV6_LITERAL = '\\[[0-9A-Fa-f:.]+\\]';
const PORT = '([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])';

/** Patterns, as source strings (the CRDs hold the same text). */
export const PATTERN = {
  /** Lowercase DNS name, labels 1-63, optional leading `*.`, no trailing dot. */
  dnsName: `^([*][.])?(${DNS_LABEL}[.])*${DNS_LABEL}$`,
  /** A DNS zone: like dnsName but never a wildcard. */
  dnsZone: `^(${DNS_LABEL}[.])*${DNS_LABEL}$`,
  /** The last label is all digits: an IPv4 address, or a name no CA can issue for (RFC 3696 §2). */
  numericTld: '(^|[.])[0-9]+$',
  /** A DNS-1123 label: an API resource name such as a cert-manager webhook's solverName. */
  dnsLabel: `^${DNS_LABEL}$`,
  /** Kubernetes object name (DNS-1123 subdomain; length is limited separately to 253). */
  objectName: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
  /** A key in a Secret's data. */
  secretKey: '^[-._a-zA-Z0-9]+$',
  /** Go duration without sign, with ASCII units only: `2160h`, `90m`, `1h30m`, `1.5h`, `500ms`. */
  goDuration: '^(([0-9]+([.][0-9]*)?|[.][0-9]+)(ns|us|ms|s|m|h))+$',
  /** host:port, host a DNS name, an IPv4 address or an IPv6 literal in brackets; port 1-65535. */
  hostPort: `^(${HOSTNAME}|${IPV6_LITERAL}):${PORT}$`,
  /** An https URL with a host (name, IPv4, or bracketed IPv6), optional port, printable ASCII after. */
  httpsUrl: `^https://(${HOSTNAME}|${IPV6_LITERAL})(:${PORT})?([/?#][!-~]*)?$`,
  /** An e-mail address: printable ASCII local part, a DNS domain with at least two labels. */
  email: `^[!-?A-~]+@${HOST_LABEL}([.]${HOST_LABEL})+$`,
  /** A label value (may be empty). */
  labelValue: '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$',
  /** A TSIG key name: a domain name (any case, underscores allowed), optional trailing dot. */
  tsigKeyName:
    '^[A-Za-z0-9_]([-A-Za-z0-9_]{0,61}[A-Za-z0-9_])?([.][A-Za-z0-9_]([-A-Za-z0-9_]{0,61}[A-Za-z0-9_])?)*[.]?$',
  /** A printable ASCII token without spaces (ACME profile names, EAB key IDs, IIJ service codes). */
  token: '^[!-~]+$',
  /** An IIJ DNS Platform Service code: 11 letters or digits (managed DNS zones look like dpm12345678). */
  iijDpfServiceCode: '^[A-Za-z0-9]{11}$',
  /** An IIJ DNS Outsourcing (DO-API) service code: `do` followed by digits. */
  iijDoServiceCode: '^do[0-9]+$',
  /** A resource quantity (`100m`, `64Mi`, `1.5`), as Kubernetes' own schemas write it. */
  quantity:
    '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$',
  /** metav1.Condition type. */
  conditionType:
    '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
  /** metav1.Condition reason. */
  conditionReason: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
} as const;

/** Error messages of CEL rules, identical in zod issues so a user sees one wording. */
export const MESSAGE = {
  dnsName:
    'must be a lowercase DNS name: labels of 1 to 63 letters, digits or hyphens (not at either end) separated by single dots, no trailing dot, optionally starting with one "*." wildcard label',
  dnsZone:
    'must be a lowercase DNS zone name: labels of 1 to 63 letters, digits or hyphens (not at either end) separated by single dots, no trailing dot, no wildcard',
  notIp:
    'must be a DNS name, not an IP address: IP identifiers are not supported, and a last label of only digits is not a valid top-level domain',
  goDuration: 'must be a Go duration such as 2160h, 90m or 1h30m (units h, m, s, ms, us, ns; no days)',
  durationMinimum: 'must be at least 1h',
  durationPositive: 'must be greater than zero',
  renewBeforeExclusive:
    'renewBefore and renewBeforePercentage are mutually exclusive: set at most one of them',
  renewBeforeShorter: 'renewBefore must be shorter than duration',
  durationUnsupported:
    "duration is not supported: the ACME CA sets the certificate lifetime (Let's Encrypt refuses a requested one); remove it, and choose when to renew with renewBefore or renewBeforePercentage",
  ed25519Size: 'size must not be set when algorithm is Ed25519: Ed25519 keys have a fixed size',
  rsaSize: 'size must be 2048, 3072 or 4096 when algorithm is RSA',
  ecdsaSize: 'size must be 256 (P-256) or 384 (P-384) when algorithm is ECDSA',
  reservedKeys: 'keys under acme6.io/ are reserved for acme6',
  solverType: 'each solver must set exactly one of http01 or dns01',
  dnsProvider: 'dns01 must set exactly one provider: rfc2136, iijDpf, iijDo or webhook',
  ingressClass:
    'set at most one of ingressClassName and class (class is the legacy kubernetes.io/ingress.class annotation)',
  http01Route:
    'set either ingress or gatewayHTTPRoute: with gatewayHTTPRoute an HTTPRoute routes the challenge and ingress options would do nothing',
  tsigPair: 'tsigKeyName and tsigSecretSecretRef must be set together, or both left out for unsigned updates',
  iijDpfZone: 'set serviceCode or zoneName (or both) so acme6 knows which DPF zone it may change',
  hostPort:
    'must be host:port with a port from 1 to 65535, such as ns1.example.com:53, 192.0.2.53:53 or [2001:db8::53]:53',
  ipv6Literal: 'the address in brackets must be an IPv6 address (no zone, not IPv4-mapped)',
  httpsUrl: 'must be an https:// URL with a host, such as https://acme-v02.api.letsencrypt.org/directory',
  intervalShorter: 'interval must be shorter than timeout',
} as const;
