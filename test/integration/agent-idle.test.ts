// An IPv4-only or forwarding-off node: `acme6 agent` must not crash-loop there. Run in a fresh
// network namespace (forwarding is off by default), it stays up, says why in /readyz, installs
// nothing, and exits cleanly on SIGTERM.
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

  it('stays up, idle, with a readiness that says why, and installs nothing', async () => {
    const ns = await namespaces.create();
    expect((await exec(ns, 'sysctl', ['-n', 'net.ipv6.conf.all.forwarding'])).trim()).toBe('0');
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, KUBECONFIG);
    const agent = spawn(
      'ip',
      [
        ...['netns', 'exec', ns, process.execPath, join(repoRoot, 'src/cmd/acme6.ts'), 'agent'],
        ...['--node-name=idle-node', `--kubeconfig=${kubeconfig}`, '--backend=legacy'],
        '--health-probe-bind-address=127.0.0.1:9404',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = agent;
    let stderr = '';
    agent.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exit = new Promise<number | null>((resolve) => agent.once('exit', (code) => resolve(code)));

    const readyz = `fetch('http://127.0.0.1:9404/readyz').then(async (r) => console.log(r.status + ' ' + (await r.text())), () => console.log('DOWN'))`;
    let answer = 'DOWN';
    for (let i = 0; i < 60 && answer.startsWith('DOWN') && agent.exitCode === null; i++) {
      answer = (await exec(ns, process.execPath, ['-e', readyz])).trim();
      if (answer.startsWith('DOWN')) await new Promise((r) => setTimeout(r, 500));
    }
    expect(agent.exitCode, stderr).toBeNull();
    expect(answer).toMatch(/^500 /);
    expect(answer).toContain('[-]ipv6 failed: idle, nothing installed on this node: ');
    expect(answer).toContain('net.ipv6.conf.all.forwarding is 0');
    // Still up a while later, and nothing of ours in the tables.
    await new Promise((r) => setTimeout(r, 2000));
    expect(agent.exitCode, stderr).toBeNull();
    expect(await exec(ns, 'ip6tables-legacy-save')).not.toContain('ACME6');

    agent.kill('SIGTERM');
    expect(await exit).toBe(0);
  });
});
