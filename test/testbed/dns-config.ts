// named.conf and zone files for the testbed's two authoritative servers. Pure text rendering: the
// process handling lives in dns.ts.

/** Where one named instance listens and keeps its files. */
export interface NamedInstance {
  /** Its own directory: config, zone files, journals. */
  dir: string;
  port: number;
  /** Whether ::1 is usable here (some sandboxes have no IPv6 loopback). */
  ipv6: boolean;
}

/** The testbed's zones. Both servers serve all of them; the NS records name both. */
export const TESTBED_ZONES = ['example.test.', 'acme6.test.', 'sub.example.test.'] as const;

/** The nameserver names in every zone's NS set (addresses 127.0.0.1 and ::1, in acme6.test). */
export const NAMESERVER_NAMES = ['ns1.acme6.test.', 'ns2.acme6.test.'] as const;

/** The TSIG key, in the syntax both named.conf and `nsupdate -k` read. */
export function renderTsigKey(name: string, secretBase64: string): string {
  return `key "${name}" {\n\talgorithm hmac-sha256;\n\tsecret "${secretBase64}";\n};\n`;
}

/** The zone file name for `zone` inside an instance directory. */
export const zoneFile = (zone: string): string => `${zone.replace(/\.$/, '')}.zone`;

// Per-zone content beyond SOA and NS. The CNAME makes `_acme-challenge.alias.example.test` a
// delegated challenge name whose TXT record lives in acme6.test (cnameStrategy: Follow tests);
// sub.example.test is a delegated child zone, so zone discovery must stop at the closest SOA.
const zoneRecords: Record<(typeof TESTBED_ZONES)[number], string[]> = {
  'example.test.': [
    '_acme-challenge.alias IN CNAME alias-target.acme6.test.',
    ...NAMESERVER_NAMES.map((ns) => `sub IN NS ${ns}`),
  ],
  'acme6.test.': ['ns1', 'ns2'].flatMap((ns) => [`${ns} IN A 127.0.0.1`, `${ns} IN AAAA ::1`]),
  'sub.example.test.': [],
};

/** A zone file at serial 1: short TTLs, NS records naming both testbed servers. */
export function renderZone(zone: (typeof TESTBED_ZONES)[number]): string {
  return [
    `$ORIGIN ${zone}`,
    '$TTL 60',
    `@ IN SOA ${NAMESERVER_NAMES[0]} hostmaster.acme6.test. 1 3600 600 86400 30`,
    ...NAMESERVER_NAMES.map((ns) => `@ IN NS ${ns}`),
    ...zoneRecords[zone],
    '',
  ].join('\n');
}

// Everything that would otherwise default to /etc/bind, /run/named or /var/cache/bind is either
// turned off or pointed into the instance's directory, so two instances and the system's own named
// never meet: no rndc channel (controls {}), no pid file, no session key, no DNSSEC trust anchors.
function renderOptions(instance: NamedInstance, extra: string[]): string {
  return [
    'options {',
    `  directory "${instance.dir}";`,
    '  pid-file none;',
    '  session-keyfile none;',
    `  managed-keys-directory "${instance.dir}";`,
    `  listen-on port ${instance.port} { 127.0.0.1; };`,
    `  listen-on-v6 port ${instance.port} { ${instance.ipv6 ? '::1' : 'none'}; };`,
    '  recursion no;',
    '  dnssec-validation no;',
    '  allow-query { any; };',
    ...extra.map((line) => `  ${line}`),
    '};',
    'controls { };',
  ].join('\n');
}

/** The primary: takes TSIG-signed updates, NOTIFYs the secondary at once, serves transfers on loopback. */
export function renderPrimaryConf(
  instance: NamedInstance,
  keyFile: string,
  keyName: string,
  secondaryPort: number,
): string {
  const zones = TESTBED_ZONES.map(
    (zone) =>
      `zone "${zone}" { type primary; file "${zoneFile(zone)}"; allow-update { key "${keyName}"; }; };`,
  );
  return [
    `include "${keyFile}";`,
    renderOptions(instance, [
      'notify explicit;',
      `also-notify { 127.0.0.1 port ${secondaryPort}; };`,
      'notify-delay 0;',
      'allow-transfer { 127.0.0.1; ::1; };',
    ]),
    ...zones,
    '',
  ].join('\n');
}

/** The secondary: copies every zone from the primary (NOTIFY, then IXFR or AXFR), takes no updates. */
export function renderSecondaryConf(instance: NamedInstance, primaryPort: number): string {
  const zones = TESTBED_ZONES.map(
    (zone) =>
      `zone "${zone}" { type secondary; file "${zoneFile(zone)}"; primaries { 127.0.0.1 port ${primaryPort}; }; };`,
  );
  return [renderOptions(instance, ['notify no;', 'allow-transfer { none; };']), ...zones, ''].join('\n');
}
