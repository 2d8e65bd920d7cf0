// BIND 9 as the testbed's authoritative DNS: a primary that takes TSIG-signed dynamic updates and a
// secondary that follows it by NOTIFY and IXFR/AXFR, each on a loopback port of its own (TCP and
// UDP, 127.0.0.1 and ::1), recursion off, every file in the testbed directory. Pebble resolves
// through the primary, so dns-01 and http-01 validation see exactly what the tests put there.
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { join } from 'node:path';
import {
  NAMESERVER_NAMES,
  renderPrimaryConf,
  renderSecondaryConf,
  renderTsigKey,
  renderZone,
  TESTBED_ZONES,
  zoneFile,
  type NamedInstance,
} from './dns-config.ts';
import { freeDnsPort, hasIpv6Loopback } from './dns-ports.ts';
import { ManagedProcess, waitUntil, type Stoppable } from './process.ts';

/** How tests reach the testbed's DNS servers; serialisable (part of TestbedInfo). */
export interface TestbedDnsInfo {
  /** The primary, "127.0.0.1:PORT": send updates here. */
  primary: string;
  /** The secondary, "127.0.0.1:PORT". */
  secondary: string;
  /** The same servers over IPv6 ("[::1]:PORT"), when this host has an IPv6 loopback. */
  primaryV6?: string;
  secondaryV6?: string;
  /** The zones both servers serve, fully qualified. */
  zones: string[];
  /** The names in every zone's NS set. */
  nameserverNames: string[];
  /** The key the primary accepts updates from (API algorithm name, base64 secret, and a key file for nsupdate -k). */
  tsig: { keyName: string; algorithm: 'HMACSHA256'; secret: string; keyFile: string };
}

const NAMED = '/usr/sbin/named';
const KEY_NAME = 'acme6-testbed.';

/**
 * The named binary to run. Debian's AppArmor profile for /usr/sbin/named (attached by path) allows
 * only /etc/bind and /var/{lib,cache}/bind; where AppArmor is on, a copy in the testbed directory
 * runs unconfined and can read its config from there. Elsewhere the system binary runs as is.
 */
function namedBinary(dnsDir: string): string {
  if (!existsSync(NAMED)) {
    throw new Error(`${NAMED} not found: install bind9 (bash hack/testbed/debian-packages.sh)`);
  }
  let apparmor = false;
  try {
    apparmor = readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
  } catch {
    // No AppArmor module: nothing confines named.
  }
  if (!apparmor) return NAMED;
  const copy = join(dnsDir, 'named');
  copyFileSync(NAMED, copy);
  return copy;
}

function prepareInstance(dnsDir: string, role: string, port: number, ipv6: boolean): NamedInstance {
  const dir = join(dnsDir, role);
  mkdirSync(dir, { recursive: true });
  return { dir, port, ipv6 };
}

/** Starts both named processes (adding them to `procs` as they start); resolves once the secondary has every zone. */
export async function startDns(dir: string, procs: Stoppable[]): Promise<TestbedDnsInfo> {
  const dnsDir = join(dir, 'dns');
  mkdirSync(dnsDir, { recursive: true });
  const ipv6 = await hasIpv6Loopback();
  const named = namedBinary(dnsDir);
  const secret = randomBytes(32).toString('base64');
  const keyFile = join(dnsDir, 'tsig.key');
  writeFileSync(keyFile, renderTsigKey(KEY_NAME, secret), { mode: 0o600 });

  const primary = prepareInstance(dnsDir, 'primary', await freeDnsPort(ipv6), ipv6);
  let secondary = prepareInstance(dnsDir, 'secondary', await freeDnsPort(ipv6), ipv6);
  while (secondary.port === primary.port) secondary = { ...secondary, port: await freeDnsPort(ipv6) };
  for (const zone of TESTBED_ZONES) writeFileSync(join(primary.dir, zoneFile(zone)), renderZone(zone));
  const write = (instance: NamedInstance, text: string): string => {
    const path = join(instance.dir, 'named.conf');
    writeFileSync(path, text);
    return path;
  };
  const primaryConf = write(primary, renderPrimaryConf(primary, keyFile, KEY_NAME, secondary.port));
  const secondaryConf = write(secondary, renderSecondaryConf(secondary, primary.port));

  // -g: foreground, log to stderr, no setuid (so pdeathsig survives); -c: the config path names
  // the testbed directory, which is how leftover checks recognise the process.
  const start = (role: string, conf: string): ManagedProcess => {
    const server = new ManagedProcess(
      `named-${role}`,
      named,
      ['-g', '-c', conf],
      join(dir, `named-${role}.log`),
    );
    procs.push(server);
    return server;
  };
  const primaryAddress = `127.0.0.1:${primary.port}`;
  const secondaryAddress = `127.0.0.1:${secondary.port}`;
  const primaryProcess = start('primary', primaryConf);
  const servesAll = async (address: string): Promise<boolean> => {
    // In-process lookups (no dig per poll): this runs while the control plane competes for CPU.
    const resolver = new Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([address]);
    const serials = await Promise.all(
      TESTBED_ZONES.map(async (zone) => (await resolver.resolveSoa(zone)).serial),
    );
    return serials.every((serial) => serial === 1);
  };
  await waitUntil('named primary to load its zones', () => servesAll(primaryAddress), {
    timeoutMs: 30_000,
    intervalMs: 50,
    process: primaryProcess,
  });
  // The secondary starts once the primary serves: its first refresh then finds the zones at once.
  // Started together on a loaded machine, a first refresh that finds no primary (and a NOTIFY sent
  // before the secondary listens) leaves the zone to BIND's retry timer, longer than our wait.
  const secondaryProcess = start('secondary', secondaryConf);
  await waitUntil('named secondary to transfer every zone', () => servesAll(secondaryAddress), {
    timeoutMs: 30_000,
    intervalMs: 50,
    process: secondaryProcess,
  });
  return {
    primary: primaryAddress,
    secondary: secondaryAddress,
    ...(ipv6 && { primaryV6: `[::1]:${primary.port}`, secondaryV6: `[::1]:${secondary.port}` }),
    zones: [...TESTBED_ZONES],
    nameserverNames: [...NAMESERVER_NAMES],
    tsig: { keyName: KEY_NAME, algorithm: 'HMACSHA256', secret, keyFile },
  };
}
