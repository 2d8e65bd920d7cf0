// Nodes where the agent cannot work must not make it crash-loop: an IPv4-only or forwarding-off
// node, and a legacy-iptables node while the agent lacks NET_RAW (the shipped default). Run in a
// fresh network namespace, it stays up, says why in /readyz, installs nothing, and exits cleanly on
// SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exec, NetnsTracker } from './netns.ts';

const repoRoot = join(import.meta.dirname, '../..');

// Nothing listens here: the agent's Event cannot be delivered, which must not matter either.
const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: unused } }]
contexts: [{ name: c, context: { cluster: c, user: u } }]
current-context: c
`;

describe('acme6 agent on a node with IPv6 forwarding off', () => {
  const namespaces = new NetnsTracker();
  const dir = mkdtempSync(join(tmpdir(), 'acme6-agent-idle-'));
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await namespaces.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the agent in `ns` (argv before node: e.g. a setpriv prefix); resolves with its /readyz answer. */
  async function startIdle(ns: string, prefix: string[], backend: string) {
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, KUBECONFIG);
    const agent = spawn(
      'ip',
      [
        ...['netns', 'exec', ns, ...prefix, process.execPath, join(repoRoot, 'src/cmd/acme6.ts'), 'agent'],
        ...['--node-name=idle-node', `--kubeconfig=${kubeconfig}`, `--backend=${backend}`],
        '--health-probe-bind-address=127.0.0.1:9404',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = agent;
    // The JSON log (stdout) and anything on stderr.
    const log = { output: '' };
    agent.stdout?.setEncoding('utf8').on('data', (d: string) => (log.output += d));
    agent.stderr?.setEncoding('utf8').on('data', (d: string) => (log.output += d));
    const exit = new Promise<number | null>((resolve) => agent.once('exit', (code) => resolve(code)));

    const readyz = `fetch('http://127.0.0.1:9404/readyz').then(async (r) => console.log(r.status + ' ' + (await r.text())), () => console.log('DOWN'))`;
    let answer = 'DOWN';
    for (let i = 0; i < 60 && answer.startsWith('DOWN') && agent.exitCode === null; i++) {
      answer = (await exec(ns, process.execPath, ['-e', readyz])).trim();
      if (answer.startsWith('DOWN')) await new Promise((r) => setTimeout(r, 500));
    }
    return { agent, log, exit, answer };
  }

  it('stays up, idle, with a readiness that says why, and installs nothing', async () => {
    const ns = await namespaces.create();
    expect((await exec(ns, 'sysctl', ['-n', 'net.ipv6.conf.all.forwarding'])).trim()).toBe('0');
    const { agent, log, exit, answer } = await startIdle(ns, [], 'legacy');
    expect(agent.exitCode, log.output).toBeNull();
    expect(answer).toMatch(/^500 /);
    expect(answer).toContain('[-]ipv6 failed: idle, nothing installed on this node: ');
    expect(answer).toContain('net.ipv6.conf.all.forwarding is 0');
    // Still up a while later, and nothing of ours in the tables.
    await new Promise((r) => setTimeout(r, 2000));
    expect(agent.exitCode, log.output).toBeNull();
    expect(await exec(ns, 'ip6tables-legacy-save')).not.toContain('ACME6');

    agent.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  // ip6tables-legacy needs NET_RAW, which the DaemonSet grants only with the legacy-iptables opt-in.
  // Without it, auto cannot read a legacy node's tables: it must say so, not pick a variant blind.
  it('on a legacy-iptables node without NET_RAW: stays up, idle, naming the opt-in', async () => {
    const ns = await namespaces.create();
    await exec(ns, 'sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=1']);
    // The node's legacy nat table, with a rule of the host's.
    await exec(ns, 'ip6tables-legacy', [
      '-t',
      'nat',
      '-A',
      'POSTROUTING',
      '-s',
      'fd00:77::/64',
      '-j',
      'MASQUERADE',
    ]);
    const noNetRaw = ['setpriv', '--bounding-set=-net_raw', '--inh-caps=-net_raw'];
    const { agent, log, exit, answer } = await startIdle(ns, noNetRaw, 'auto');
    expect(agent.exitCode, log.output).toBeNull();
    expect(answer).toMatch(/^500 /);
    expect(answer).toContain('[-]capabilities failed: idle, nothing installed on this node: ');
    expect(answer).toContain('legacy iptables tables (nat)');
    expect(answer).toContain('agent.legacyIptables=true');
    expect(log.output).toMatch(/"level":(50|"error").*agent\.legacyIptables=true/);
    await new Promise((r) => setTimeout(r, 2000));
    expect(agent.exitCode, log.output).toBeNull();
    expect(await exec(ns, 'ip6tables-legacy-save')).not.toContain('ACME6');
    expect(await exec(ns, 'ip6tables-nft-save')).not.toContain('ACME6');

    agent.kill('SIGTERM');
    expect(await exit).toBe(0);
  });
});
