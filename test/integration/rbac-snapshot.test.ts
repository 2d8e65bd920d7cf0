// What acme6's ServiceAccounts may do, as the real apiserver answers `kubectl auth can-i --list`
// with their own tokens, must equal the reviewed snapshot in rbac-snapshot/. A grant that grows fails
// here and needs a reviewed snapshot update:
//   ACME6_UPDATE_RBAC_SNAPSHOT=1 vitest run --project integration test/integration/rbac-snapshot.test.ts
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  ACME6_NAMESPACE,
  AGENT_NAMESPACE,
  SERVICE_ACCOUNTS,
  serviceAccountKubeconfig,
} from './deploy-rbac.ts';
import { testbed } from './kube.ts';

const run = promisify(execFile);

const snapshotDir = join(dirname(fileURLToPath(import.meta.url)), 'rbac-snapshot');
const update = process.env.ACME6_UPDATE_RBAC_SNAPSHOT === '1';

/** `auth can-i --list` rows with column padding collapsed and in a stable order (header first). */
function normalise(table: string): string[] {
  const [header = '', ...rows] = table
    .split('\n')
    .map((line) => line.trim().replace(/\s+/g, ' '))
    .filter(Boolean);
  return [header, ...rows.sort()];
}

// The controller's namespace holds its leader-election Lease; "default" shows what it may do in any
// other namespace.
const cases = [
  { account: SERVICE_ACCOUNTS.controller, namespace: ACME6_NAMESPACE },
  { account: SERVICE_ACCOUNTS.controller, namespace: 'default' },
  { account: SERVICE_ACCOUNTS.agent, namespace: AGENT_NAMESPACE },
  { account: SERVICE_ACCOUNTS.agent, namespace: ACME6_NAMESPACE },
];

describe('ServiceAccount permissions', () => {
  it.each(cases)(
    '$account in namespace $namespace equal the reviewed snapshot',
    async ({ account, namespace }) => {
      const kubeconfig = await serviceAccountKubeconfig(account);
      // Asked with the ServiceAccount's own token, not by impersonation: the identity the pods get.
      const { stdout } = await run(testbed().kubectl, [
        '--kubeconfig',
        kubeconfig,
        'auth',
        'can-i',
        '--list',
        '-n',
        namespace,
      ]);
      const actual = normalise(stdout);
      const file = join(snapshotDir, `${account}.${namespace}.txt`);
      if (update) writeFileSync(file, `${actual.join('\n')}\n`);
      expect(existsSync(file), `${file} is missing; create it with ACME6_UPDATE_RBAC_SNAPSHOT=1`).toBe(true);
      const reviewed = normalise(readFileSync(file, 'utf8'));
      const grown = actual.filter((row) => !reviewed.includes(row));
      const shrunk = reviewed.filter((row) => !actual.includes(row));
      expect(grown, `${account} gained permissions beyond ${file}: review, then update the snapshot`).toEqual(
        [],
      );
      expect(shrunk, `${account} lost permissions listed in ${file}: update the snapshot`).toEqual([]);
    },
  );
});

describe('the node agent', () => {
  /** `kubectl auth can-i VERB RESOURCE` with the agent's own token: 'yes' or 'no'. */
  const canI = async (...args: string[]): Promise<string> => {
    const kubeconfig = await serviceAccountKubeconfig(SERVICE_ACCOUNTS.agent);
    const { stdout } = await run(testbed().kubectl, [
      '--kubeconfig',
      kubeconfig,
      'auth',
      'can-i',
      ...args,
    ]).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    return stdout.trim();
  };

  it('cannot rewrite anyone’s Service, and writes ConfigMaps only in its own namespace', async () => {
    for (const verb of ['patch', 'update', 'create', 'delete']) {
      expect(await canI(verb, 'services', '--all-namespaces'), `${verb} services`).toBe('no');
    }
    expect(await canI('update', 'configmaps', '-n', AGENT_NAMESPACE)).toBe('yes');
    expect(await canI('create', 'configmaps', '-n', AGENT_NAMESPACE)).toBe('yes');
    expect(await canI('update', 'configmaps', '-n', ACME6_NAMESPACE)).toBe('no');
    expect(await canI('update', 'configmaps', '-n', 'default')).toBe('no');
    expect(await canI('get', 'secrets', '-n', AGENT_NAMESPACE)).toBe('no');
  });
});
