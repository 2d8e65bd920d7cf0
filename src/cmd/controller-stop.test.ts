import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// A kubeconfig naming a loopback port nothing listens on: the apiserver is unreachable.
async function unreachableKubeconfig(dir: string): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const path = join(dir, 'kubeconfig');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]`,
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
      'current-context: x',
    ].join('\n'),
  );
  return path;
}

describe('acme6 controller process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'acme6-controller-stop-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['--leader-elect=false', '--leader-elect=true'])(
    'exits 0 on SIGTERM while it still cannot reach the apiserver (%s)',
    async (leaderElect) => {
      const entry = new URL('./acme6.ts', import.meta.url).pathname;
      const child = spawn(
        process.execPath,
        [
          entry,
          'controller',
          '--kubeconfig',
          await unreachableKubeconfig(dir),
          leaderElect,
          '--metrics-bind-address=0',
          '--health-probe-bind-address=0',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let log = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
      // Started and failing to reach the apiserver (discovery or the informers' lists retrying).
      await expect.poll(() => log, { timeout: 30_000, interval: 100 }).toMatch(/retrying/);
      const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const [code, signal] = await exited;
      clearTimeout(timer);
      expect({ code, signal, log: log.slice(-2000) }).toMatchObject({ code: 0, signal: null });
    },
    60_000, // starting node with the whole program takes seconds on a busy machine
  );
});
