// The apply layer against real ip6tables, inside throwaway network namespaces (no Kubernetes needed):
// what syncRules writes is read back with ip6tables-save and parsed, for both xtables backends.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canaryPresent, syncRules } from '../../src/agent/apply.ts';
import { binariesFor, detectBackend, execProbe, type Backend } from '../../src/agent/backend.ts';
import { isOwnedChain, serviceChain } from '../../src/agent/chains.ts';
import { buildIntent, type NatIntent } from '../../src/agent/model.ts';
import { HOOK_COMMENT, renderRestore } from '../../src/agent/render.ts';
import { execRunner, type NetfilterRunner } from '../../src/agent/runner.ts';
import { loadHost, service, slice } from '../../src/agent/testing.ts';
import { parseRestore, type Chain, type Rule, type Ruleset } from '../../src/netfilter/testing/parse.ts';
import { createNodeTopology, exec, netnsPrefix, NetnsTracker } from './netns.ts';

const NODE = '2001:db8:1::1';

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

/** A rule without its source text, since ip6tables-save may order matches differently. */
const shape = ({ text: _text, ...rest }: Rule) => rest;

/** Owned chains (and their rules) of both tables, plus the hook jumps in built-in chains. */
function ours(rules: Ruleset) {
  const out: Record<string, unknown[]> = {};
  for (const table of ['nat', 'filter']) {
    for (const [name, chain] of rules.get(table) ?? new Map<string, Chain>()) {
      const kept = isOwnedChain(name) ? chain.rules : chain.rules.filter((r) => r.comment === HOOK_COMMENT);
      if (isOwnedChain(name) || kept.length > 0) out[`${table} ${name}`] = kept.map(shape);
    }
  }
  return out;
}

describe.each<Backend>(['nft', 'legacy'])('syncRules on a real %s backend', (backend) => {
  const namespaces = new NetnsTracker();
  const bin = binariesFor(backend);
  let ns = '';
  let runner: NetfilterRunner;
  const save = async (): Promise<Ruleset> => parseRestore(await exec(ns, bin.save));
  const iptables = (...args: string[]) => exec(ns, bin.iptables, ['-w', ...args]);

  beforeEach(async () => {
    ns = await namespaces.create();
    runner = execRunner({ binaries: bin, prefix: netnsPrefix(ns) });
  });
  afterEach(() => namespaces.cleanup());
  afterAll(() => namespaces.cleanup());

  it('loads our chains and one jump per hook', async () => {
    const intent = intentFor(['web/shop']);
    const stats = await syncRules(runner, intent);
    expect(stats.jumpsInserted).toBe(4);
    expect(ours(await save())).toEqual(ours(loadHost(renderRestore(intent))));
    expect(await canaryPresent(runner)).toBe(true);
  });

  it('changes nothing while nothing is published, and removes everything once unpublished', async () => {
    const allRules = async () =>
      [...(await save()).values()].flatMap((t) => [...t.values()].flatMap((c) => c.rules));
    const empty = await syncRules(runner, intentFor([]));
    expect(empty.jumpsInserted).toBe(0);
    expect(ours(await save())).toEqual({});
    expect(await allRules()).toEqual([]);
    await syncRules(runner, intentFor(['web/shop']));
    expect(Object.keys(ours(await save())).length).toBeGreaterThan(0);
    const stats = await syncRules(runner, intentFor([]));
    expect(stats.chainsDeleted.length).toBeGreaterThan(0);
    expect(ours(await save())).toEqual({});
  });

  it('is idempotent: a second sync adds no jump and changes no rule', async () => {
    const intent = intentFor(['web/shop']);
    await syncRules(runner, intent);
    const before = await exec(ns, bin.save);
    const stats = await syncRules(runner, intent);
    expect(stats.jumpsInserted).toBe(0);
    const strip = (s: string) => s.replace(/^#.*$/gm, '').replace(/\[\d+:\d+\]/g, '');
    expect(strip(await exec(ns, bin.save))).toBe(strip(before));
    const hooks = [...(await save()).values()]
      .flatMap((t) => [...t.values()].flatMap((c) => c.rules))
      .filter((r) => r.comment === HOOK_COMMENT);
    expect(hooks.map((r) => `${r.table} ${r.chain}`).sort()).toEqual([
      'filter FORWARD',
      'nat OUTPUT',
      'nat POSTROUTING',
      'nat PREROUTING',
    ]);
  });

  it('after a flush the canary is gone and a sync restores everything', async () => {
    const intent = intentFor(['web/shop']);
    await syncRules(runner, intent);
    const before = ours(await save());
    await iptables('-t', 'nat', '-F');
    await iptables('-t', 'nat', '-X');
    expect(await canaryPresent(runner)).toBe(false);
    expect(Object.keys(ours(await save())).some((k) => k.startsWith('nat '))).toBe(false);
    const stats = await syncRules(runner, intent);
    expect(stats.jumpsInserted).toBe(3); // the three nat hooks; FORWARD's jump survived
    expect(ours(await save())).toEqual(before);
    expect(await canaryPresent(runner)).toBe(true);
  });

  it("removing a Service deletes exactly its chain and rules and leaves others' chains alone", async () => {
    for (const table of ['nat', 'filter']) {
      await iptables('-t', table, '-N', 'OTHER-CHAIN');
      await iptables('-t', table, '-A', 'OTHER-CHAIN', '-s', '2001:db8:99::/64', '-j', 'RETURN');
    }
    await iptables('-t', 'nat', '-A', 'PREROUTING', '-j', 'OTHER-CHAIN');
    const foreign = async () => {
      const rules = await save();
      return {
        nat: rules.get('nat')?.get('OTHER-CHAIN')?.rules.map(shape),
        filter: rules.get('filter')?.get('OTHER-CHAIN')?.rules.map(shape),
        prerouting: rules
          .get('nat')
          ?.get('PREROUTING')
          ?.rules.filter((r) => r.comment !== HOOK_COMMENT)
          .map(shape),
      };
    };
    const foreignBefore = await foreign();
    expect(foreignBefore.nat).toHaveLength(1);

    await syncRules(runner, intentFor(['web/shop', 'web/blog']));
    const gone = serviceChain('web/blog');
    expect((await save()).get('nat')?.has(gone)).toBe(true);

    const after = intentFor(['web/shop']);
    const stats = await syncRules(runner, after);
    expect(stats.chainsDeleted).toEqual([
      { table: 'nat', chain: gone },
      { table: 'filter', chain: gone },
    ]);
    const rules = await save();
    expect(rules.get('nat')?.has(gone)).toBe(false);
    expect(rules.get('filter')?.has(gone)).toBe(false);
    const all = [...rules.values()].flatMap((t) => [...t.values()].flatMap((c) => c.rules));
    expect(all.filter((r) => r.comment?.includes('web/blog'))).toEqual([]);
    expect(all.filter((r) => r.target.kind === 'JUMP' && r.target.chain === gone)).toEqual([]);
    expect(ours(rules)).toEqual(ours(loadHost(renderRestore(after))));
    expect(rules.get('nat')?.has(serviceChain('web/shop'))).toBe(true);
    expect(await foreign()).toEqual(foreignBefore);
  });
});

describe('backend detection in a namespace', () => {
  const namespaces = new NetnsTracker();
  afterEach(() => namespaces.cleanup());
  afterAll(() => namespaces.cleanup());

  it('follows the host: nft on an empty host, legacy where legacy holds the rules', async () => {
    const ns = await namespaces.create();
    // Legacy tables are per namespace, nft tables too; the host's own rules do not leak in.
    expect((await detectBackend(execProbe(netnsPrefix(ns)))).backend).toBe('nft');
    await exec(ns, 'ip6tables-legacy', [
      '-w',
      '-t',
      'filter',
      '-A',
      'INPUT',
      '-s',
      '2001:db8:99::1',
      '-j',
      'ACCEPT',
    ]);
    expect((await detectBackend(execProbe(netnsPrefix(ns)))).backend).toBe('legacy');
    await exec(ns, 'ip6tables-nft', ['-w', '-t', 'mangle', '-N', 'KUBE-IPTABLES-HINT']);
    expect((await detectBackend(execProbe(netnsPrefix(ns)))).backend).toBe('nft');
  });
});

// Real packets: client ns (2001:db8:1::2) -- veth -- node ns (2001:db8:1::1, fd00:10::1) -- veth --
// pod ns (fd00:10::2) with a TCP server that answers with the peer address it sees.
describe.each<Backend>(['nft', 'legacy'])('real packets through the synced rules (%s)', (backend) => {
  const namespaces = new NetnsTracker();
  const children: ChildProcess[] = [];
  let client = '';
  let node = '';
  let pod = '';

  beforeEach(async () => {
    ({ client, node, pod } = await createNodeTopology(namespaces));

    const server = spawn(
      'ip',
      [
        'netns',
        'exec',
        pod,
        process.execPath,
        '-e',
        `const net = require('node:net');
         for (const port of [8443, 9000]) {
           net.createServer((c) => c.end(c.remoteAddress + '\\n')).listen(port, '::', () => console.log('ready ' + port));
         }`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(server);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      server.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('ready 8443') && out.includes('ready 9000')) resolve();
      });
      server.on('exit', (code) => reject(new Error(`echo server exited with ${code}`)));
    });
  });

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
    }
    await namespaces.cleanup();
  });
  afterAll(() => namespaces.cleanup());

  /** What the client receives from [host]:port, or TIMEOUT / the error code. */
  const connect = async (host: string, port: number): Promise<string> => {
    const program = `const s = require('node:net').connect({ host: '${host}', port: ${port} });
      let out = '';
      s.setTimeout(1500, () => { console.log('TIMEOUT'); process.exit(0); });
      s.on('data', (d) => (out += d));
      s.on('end', () => { console.log(out.trim()); process.exit(0); });
      s.on('error', (e) => { console.log(e.code); process.exit(0); });`;
    return (await exec(client, process.execPath, ['-e', program])).trim();
  };

  it('a published port reaches the pod with the client address preserved; others stay closed', async () => {
    const runner = execRunner({ binaries: binariesFor(backend), prefix: netnsPrefix(node) });
    // Before the sync, the pod is reachable by direct routing: the topology itself is sound. The
    // first attempts may be lost while the fresh links settle, so retry briefly.
    let direct = '';
    for (let attempt = 0; attempt < 5 && direct !== '2001:db8:1::2'; attempt++) {
      direct = await connect('fd00:10::2', 9000);
    }
    expect(direct).toBe('2001:db8:1::2');
    await syncRules(runner, intentFor(['web/shop']));
    expect(await connect(NODE, 443)).toBe('2001:db8:1::2');
    // Not published: nothing DNATs it and the node itself does not listen.
    expect(await connect(NODE, 9000)).toBe('ECONNREFUSED');
    // Routed straight to the pod, even to the published target port: dropped without DNAT.
    expect(await connect('fd00:10::2', 9000)).toBe('TIMEOUT');
    expect(await connect('fd00:10::2', 8443)).toBe('TIMEOUT');
    // Unpublishing closes the port for new flows.
    await syncRules(runner, intentFor([]));
    expect(await connect(NODE, 443)).toBe('ECONNREFUSED');
  });

  /** Direct routing to the pod works: the fresh links may drop the first attempts, so retry. */
  const topologyReady = async () => {
    let direct = '';
    for (let attempt = 0; attempt < 5 && direct !== '2001:db8:1::2'; attempt++) {
      direct = await connect('fd00:10::2', 9000);
    }
    expect(direct).toBe('2001:db8:1::2');
  };

  it('a NodePort that kube-proxy DNATs to a ULA pod keeps working while another Service is published', async () => {
    await topologyReady();
    const bin = binariesFor(backend);
    // What kube-proxy would write (simplified): NodePort 30080 on the node to the pod's port 9000.
    await exec(node, bin.iptables, ['-w', '-t', 'nat', '-N', 'KUBE-NODEPORTS']);
    await exec(node, bin.iptables, ['-w', '-t', 'nat', '-A', 'PREROUTING', '-j', 'KUBE-NODEPORTS']);
    await exec(node, bin.iptables, [
      '-w',
      '-t',
      'nat',
      '-A',
      'KUBE-NODEPORTS',
      '-d',
      `${NODE}/128`,
      '-p',
      'tcp',
      '--dport',
      '30080',
      '-j',
      'DNAT',
      '--to-destination',
      '[fd00:10::2]:9000',
    ]);
    expect(await connect(NODE, 30080)).toBe('2001:db8:1::2');
    await syncRules(execRunner({ binaries: bin, prefix: netnsPrefix(node) }), intentFor(['web/shop']));
    expect(await connect(NODE, 443)).toBe('2001:db8:1::2');
    expect(await connect(NODE, 30080)).toBe('2001:db8:1::2');
    // Our own guard still holds for direct routing to the published pod.
    expect(await connect('fd00:10::2', 9000)).toBe('TIMEOUT');
  });

  it('replies pass with a FORWARD policy of DROP and no ULA pod CIDR known', async () => {
    await topologyReady();
    const bin = binariesFor(backend);
    await exec(node, bin.iptables, ['-w', '-P', 'FORWARD', 'DROP']);
    expect(await connect('fd00:10::2', 9000)).toBe('TIMEOUT');
    await syncRules(execRunner({ binaries: bin, prefix: netnsPrefix(node) }), intentFor(['web/shop'], []));
    expect(await connect(NODE, 443)).toBe('2001:db8:1::2');
  });

  it('a port scan of the published pod from outside finds only the published port', async () => {
    await topologyReady();
    await syncRules(
      execRunner({ binaries: binariesFor(backend), prefix: netnsPrefix(node) }),
      intentFor(['web/shop']),
    );
    const open: string[] = [];
    for (const [host, port] of [
      [NODE, 443],
      [NODE, 8443],
      [NODE, 9000],
      ['fd00:10::2', 443],
      ['fd00:10::2', 8443],
      ['fd00:10::2', 9000],
    ] as const) {
      if ((await connect(host, port)) === '2001:db8:1::2') open.push(`[${host}]:${port}`);
    }
    expect(open).toEqual([`[${NODE}]:443`]);
  });
});
