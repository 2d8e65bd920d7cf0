// Every backend (native nftables, ip6tables-nft, ip6tables-legacy) with real packets in network
// namespaces, through the same Dataplane the agent uses, chosen by selectBackend inside the node ns:
//
//   client ns 2001:db8:1::2 (the internet; TCP 8080 echoes the peer) -- node ns 2001:db8:1::1,
//   fd00:10::1 -- pod ns fd00:10::2 (TCP 8443 and 9000 echo the peer address)
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execSelectProbes, selectBackend, type BackendFlag } from '../../src/agent/backend-select.ts';
import { dataplaneFor, type Dataplane } from '../../src/agent/dataplane.ts';
import { removeLeftovers, saveHasOurs, type BackendName } from '../../src/agent/leftovers.ts';
import { buildIntent, type NatIntent } from '../../src/agent/model.ts';
import { NFT_FAMILY, NFT_TABLE, NftNames } from '../../src/agent/nftables.ts';
import { service, slice } from '../../src/agent/testing.ts';
import {
  createNodeTopology,
  exec,
  netnsPrefix,
  NetnsTracker,
  spawnNode,
  TOPOLOGY,
  tryExec,
  type NodeProgram,
} from './netns.ts';

const { client: CLIENT, node: NODE, nodeUla: NODE_ULA, pod: POD } = TOPOLOGY;

const POD_SERVERS = `const net = require('node:net');
  let n = 0;
  for (const port of [8443, 9000]) {
    net.createServer((c) => c.end(c.remoteAddress + '\\n')).listen(port, '::', () => { if (++n === 2) console.log('ready'); });
  }`;
const INTERNET_SERVER = `require('node:net').createServer((c) => c.end(c.remoteAddress + '\\n'))
  .listen(8080, '::', () => console.log('ready'));`;

/** web/shop: 443 → pod 8443 (and more Services on further pods when asked). */
function intentFor(services: readonly string[], podCIDRs: readonly string[] = ['fd00:10::/64']): NatIntent {
  return buildIntent({
    node: { name: 'node-a', addresses: [NODE], podCIDRs },
    services: services.map((key) => service(key, [{ name: 'https', port: 443 }])),
    endpointSlices: services.map((key, i) =>
      slice(
        key,
        [{ name: 'https', port: 8443, protocol: 'TCP' }],
        [{ address: `fd00:10::${i + 2}`, node: 'node-a' }],
      ),
    ),
  });
}

/** What a TCP client in `ns` receives from [host]:port: the peer address, TIMEOUT or an error code. */
async function connectFrom(ns: string, host: string, port: number): Promise<string> {
  const program = `const s = require('node:net').connect({ host: '${host}', port: ${port} });
    let out = '';
    s.setTimeout(1500, () => { console.log('TIMEOUT'); process.exit(0); });
    s.on('data', (d) => (out += d));
    s.on('end', () => { console.log(out.trim()); process.exit(0); });
    s.on('error', (e) => { console.log(e.code); process.exit(0); });`;
  return (await exec(ns, process.execPath, ['-e', program])).trim();
}

/** Direct routing from the client to the pod works before any rule (fresh links may drop the first tries). */
async function expectTopologyReady(client: string): Promise<void> {
  let direct = '';
  for (let attempt = 0; attempt < 5 && direct !== CLIENT; attempt++)
    direct = await connectFrom(client, POD, 9000);
  expect(direct).toBe(CLIENT);
}

const FLAGS: Record<BackendName, BackendFlag> = {
  nftables: 'nftables',
  'iptables-nft': 'iptables-nft',
  'iptables-legacy': 'iptables-legacy',
};

/** Everything of ours visible in the node ns, per backend ('' when nothing). */
async function installed(ns: string): Promise<Record<BackendName, string>> {
  const table = await tryExec(ns, 'nft', ['list', 'table', NFT_FAMILY, NFT_TABLE]);
  const ours = async (save: string) => {
    const out = await exec(ns, save);
    return saveHasOurs(out) ? out : '';
  };
  return {
    nftables: table.exitCode === 0 ? table.stdout : '',
    'iptables-nft': await ours('ip6tables-nft-save'),
    'iptables-legacy': await ours('ip6tables-legacy-save'),
  };
}

describe.each<BackendName>(['nftables', 'iptables-nft', 'iptables-legacy'])(
  'real packets through the %s backend',
  (name) => {
    const namespaces = new NetnsTracker();
    const programs: NodeProgram[] = [];
    let client = '';
    let node = '';
    let pod = '';
    let dataplane: Dataplane;

    const connect = connectFrom;
    const fromOutside = (host: string, port: number) => connect(client, host, port);

    beforeEach(async () => {
      ({ client, node, pod } = await createNodeTopology(namespaces));
      programs.push(await spawnNode(pod, POD_SERVERS), await spawnNode(client, INTERNET_SERVER));
      dataplane = dataplaneFor(
        await selectBackend(FLAGS[name], execSelectProbes(netnsPrefix(node))),
        {},
        netnsPrefix(node),
      );
      expect(dataplane.name).toBe(name);
      // Direct routing to the pod works before any rule: the topology is sound. Fresh links may drop
      // the first attempts, so retry briefly.
      let direct = '';
      for (let attempt = 0; attempt < 5 && direct !== CLIENT; attempt++)
        direct = await fromOutside(POD, 9000);
      expect(direct).toBe(CLIENT);
    });
    afterEach(async () => {
      for (const p of programs.splice(0)) await p.stop();
      await namespaces.cleanup();
    });
    afterAll(() => namespaces.cleanup());

    it('publishes with the client address kept; a port scan from outside finds only the published port', async () => {
      await dataplane.sync(intentFor(['web/shop']), 'resync');
      const open: string[] = [];
      for (const [host, port] of [
        [NODE, 443],
        [NODE, 8443],
        [NODE, 9000],
        [POD, 443],
        [POD, 8443],
        [POD, 9000],
      ] as const) {
        const got = await fromOutside(host, port);
        if (got === CLIENT) open.push(`[${host}]:${port}`);
        else expect(got).toMatch(/^(TIMEOUT|ECONNREFUSED)$/);
      }
      expect(open).toEqual([`[${NODE}]:443`]);
      // The node itself (output hook), the pod through its own Service (hairpin, masqueraded to the
      // node's ULA so the reply comes back through the node), and pod egress (masqueraded).
      expect(await connect(node, NODE, 443)).toBe(NODE);
      expect(await connect(pod, NODE, 443)).toBe(NODE_ULA);
      expect(await connect(pod, CLIENT, 8080)).toBe(NODE);
      expect(await dataplane.canary()).toBe(true);
      // Unpublishing closes the port for new flows and leaves nothing of ours.
      await dataplane.sync(intentFor([]), 'resync');
      expect(await fromOutside(NODE, 443)).toBe('ECONNREFUSED');
      expect(await installed(node)).toEqual({ nftables: '', 'iptables-nft': '', 'iptables-legacy': '' });
    });

    it('installs nothing while nothing is published', async () => {
      const stats = await dataplane.sync(intentFor([]), 'resync');
      expect(stats?.bytes).toBe(0);
      expect(await exec(node, 'nft', ['list', 'ruleset'])).toBe('');
      expect(await installed(node)).toEqual({ nftables: '', 'iptables-nft': '', 'iptables-legacy': '' });
    });

    it('a NodePort that kube-proxy DNATs to a ULA pod keeps working while another Service is published', async () => {
      // What kube-proxy would write (simplified), in the same kind of tables: NodePort 30080 → pod:9000.
      if (name === 'nftables') {
        await exec(
          node,
          'nft',
          ['-f', '-'],
          [
            'table ip6 kube-proxy {',
            '  chain nat-prerouting {',
            '    type nat hook prerouting priority dstnat; policy accept;',
            `    ip6 daddr ${NODE} tcp dport 30080 dnat to [${POD}]:9000`,
            '  }',
            '}',
            '',
          ].join('\n'),
        );
      } else {
        const iptables = name === 'iptables-nft' ? 'ip6tables-nft' : 'ip6tables-legacy';
        await exec(node, iptables, [
          '-w',
          '-t',
          'nat',
          '-A',
          'PREROUTING',
          '-d',
          `${NODE}/128`,
          '-p',
          'tcp',
          '--dport',
          '30080',
          '-j',
          'DNAT',
          '--to-destination',
          `[${POD}]:9000`,
        ]);
      }
      expect(await fromOutside(NODE, 30080)).toBe(CLIENT);
      await dataplane.sync(intentFor(['web/shop']), 'resync');
      expect(await fromOutside(NODE, 443)).toBe(CLIENT);
      expect(await fromOutside(NODE, 30080)).toBe(CLIENT);
      // Our guard still holds for direct routing to the published pod.
      expect(await fromOutside(POD, 9000)).toBe('TIMEOUT');
    });

    it('after a flush the canary fails and a sync restores publishing', async () => {
      await dataplane.sync(intentFor(['web/shop']), 'resync');
      if (name === 'nftables') await exec(node, 'nft', ['flush', 'ruleset']);
      else
        await exec(node, name === 'iptables-nft' ? 'ip6tables-nft' : 'ip6tables-legacy', [
          '-w',
          '-t',
          'nat',
          '-F',
        ]);
      expect(await dataplane.canary()).toBe(false);
      expect(await fromOutside(NODE, 443)).toBe('ECONNREFUSED');
      await dataplane.sync(intentFor(['web/shop']), 'canary');
      expect(await dataplane.canary()).toBe(true);
      expect(await fromOutside(NODE, 443)).toBe(CLIENT);
    });
  },
);

describe('the native table', () => {
  const namespaces = new NetnsTracker();
  afterEach(() => namespaces.cleanup());
  afterAll(() => namespaces.cleanup());

  it('holds every published port as one map element and is replaced whole', async () => {
    const ns = await namespaces.create();
    await exec(ns, 'sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=1']);
    const dataplane = dataplaneFor({ kind: 'nftables', reason: 'test', warnings: [] }, {}, netnsPrefix(ns));
    const list = async () =>
      JSON.parse(await exec(ns, 'nft', ['-j', 'list', 'table', NFT_FAMILY, NFT_TABLE])) as {
        nftables: Record<string, { name?: string; elem?: unknown[]; chain?: string }>[];
      };
    const items = async (kind: string) =>
      (await list()).nftables.map((i) => i[kind]).filter((x) => x !== undefined);
    // Three Services on three pods, 100 ports each.
    const ports = (s: number) =>
      Array.from({ length: 100 }, (_, p) => ({ name: `p${p}`, port: 1000 * s + p }));
    const keys = ['web/shop', 'web/blog', 'web/api'];
    await dataplane.sync(
      buildIntent({
        node: { name: 'node-a', addresses: [NODE], podCIDRs: ['fd00:10::/64'] },
        services: keys.map((key, s) => service(key, ports(s + 1))),
        endpointSlices: keys.map((key, s) =>
          slice(
            key,
            ports(s + 1).map((p) => ({ name: p.name, port: p.port + 1, protocol: 'TCP' })),
            [{ address: `fd00:10::${s + 2}`, node: 'node-a' }],
          ),
        ),
      }),
      'resync',
    );
    const mapOf = async () => (await items('map')).find((m) => m.name === NftNames.dnatMap)?.elem;
    expect(await mapOf()).toHaveLength(300);
    expect(await mapOf()).toContainEqual([{ concat: [NODE, 'tcp', 3099] }, { concat: ['fd00:10::4', 3100] }]);
    // One rule per hook, however many ports.
    expect((await items('rule')).map((r) => r.chain).sort()).toEqual([
      'forward',
      'output',
      'postrouting',
      'postrouting',
      'prerouting',
    ]);
    await dataplane.sync(intentFor(['web/shop']), 'resync');
    expect(await mapOf()).toEqual([[{ concat: [NODE, 'tcp', 443] }, { concat: [POD, 8443] }]]);
    expect((await items('set')).find((s) => s.name === NftNames.pods)?.elem).toEqual([POD]);
  });
});

describe('choosing a backend under a host FORWARD policy of DROP', () => {
  const namespaces = new NetnsTracker();
  const programs: NodeProgram[] = [];
  afterEach(async () => {
    for (const p of programs.splice(0)) await p.stop();
    await namespaces.cleanup();
  });
  afterAll(() => namespaces.cleanup());

  it.each(['nft', 'legacy'] as const)(
    'ip6tables-%s FORWARD DROP: auto picks that ip6tables variant, and replies pass with no pod CIDR known',
    async (variant) => {
      const { client, node, pod } = await createNodeTopology(namespaces);
      programs.push(await spawnNode(pod, POD_SERVERS));
      await expectTopologyReady(client);
      await exec(node, `ip6tables-${variant}`, ['-w', '-P', 'FORWARD', 'DROP']);
      const probes = execSelectProbes(netnsPrefix(node));
      const connect = (host: string, port: number) => connectFrom(client, host, port);
      // Why nftables alone cannot do it: its table publishes, but the ip6tables FORWARD drops.
      const native = dataplaneFor({ kind: 'nftables', reason: 'test', warnings: [] }, {}, netnsPrefix(node));
      await native.sync(intentFor(['web/shop'], []), 'resync');
      expect(await connect(NODE, 443)).toBe('TIMEOUT');
      await expect(selectBackend('nftables', probes)).rejects.toThrow(
        new RegExp(
          `--backend=nftables cannot work on this host: ip6tables-${variant} FORWARD has policy DROP`,
        ),
      );

      const selection = await selectBackend('auto', probes);
      expect(selection.kind).toBe('iptables');
      expect(selection.reason).toContain(`ip6tables-${variant} FORWARD has policy DROP`);
      const dataplane = dataplaneFor(selection, {}, netnsPrefix(node));
      expect(dataplane.name).toBe(`iptables-${variant}`);
      // Starting on the chosen backend removes the table of the other one, as the agent does.
      await removeLeftovers(dataplane.name, netnsPrefix(node));
      await dataplane.sync(intentFor(['web/shop'], []), 'resync');
      expect(await connect(NODE, 443)).toBe(CLIENT);
      expect((await installed(node)).nftables).toBe('');
    },
  );

  it('auto picks nftables on a host whose FORWARD accepts, and moving to it removes the old ip6tables rules', async () => {
    const { client, node, pod } = await createNodeTopology(namespaces);
    programs.push(await spawnNode(pod, POD_SERVERS));
    await expectTopologyReady(client);
    // A node upgraded from the ip6tables agent: its chains and jumps are there.
    const old = dataplaneFor(await selectBackend('iptables-nft'), {}, netnsPrefix(node));
    await old.sync(intentFor(['web/shop']), 'resync');
    expect((await installed(node))['iptables-nft']).not.toBe('');

    const selection = await selectBackend('auto', execSelectProbes(netnsPrefix(node)));
    expect(selection).toMatchObject({ kind: 'nftables', warnings: [] });
    const dataplane = dataplaneFor(selection, {}, netnsPrefix(node));
    const removed = await removeLeftovers(dataplane.name, netnsPrefix(node));
    expect(removed['iptables-nft']).toEqual({ chains: 8, jumps: 4 });
    await dataplane.sync(intentFor(['web/shop']), 'resync');
    const after = await installed(node);
    expect(after['iptables-nft']).toBe('');
    expect(after['iptables-legacy']).toBe('');
    expect(after.nftables).toContain(`table ${NFT_FAMILY} ${NFT_TABLE}`);
    expect(await connectFrom(client, NODE, 443)).toBe(CLIENT);
  });
});
