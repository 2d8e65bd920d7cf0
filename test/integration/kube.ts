// Helpers for integration tests: clients for the shared testbed and throwaway namespaces.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { inject } from 'vitest';
import type { TestbedInfo } from '../testbed/testbed.ts';

const run = promisify(execFile);

/** The running testbed's coordinates. */
export function testbed(): TestbedInfo {
  return inject('testbed');
}

/** An admin KubeConfig for the testbed. */
export function adminKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(testbed().kubeconfigFile);
  return kc;
}

/** Runs the testbed's kubectl as admin; resolves with stdout, rejects with stderr in the message. */
export async function kubectl(...args: string[]): Promise<string> {
  const tb = testbed();
  try {
    const { stdout } = await run(tb.kubectl, ['--kubeconfig', tb.kubeconfigFile, ...args]);
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
}

/** Creates a namespace with a unique name for one test; returns its name. */
export async function createTestNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await adminKubeConfig()
    .makeApiClient(k8s.CoreV1Api)
    .createNamespace({ body: { metadata: { name, labels: { 'acme6.io/test': 'true' } } } });
  return name;
}

/** The Events recorded on one object, narrowed by reason and kind when given. */
export async function eventsOf(
  namespace: string,
  name: string,
  filter: { reason?: string; kind?: string } = {},
): Promise<k8s.CoreV1Event[]> {
  const selector = [`involvedObject.name=${name}`];
  if (filter.kind) selector.push(`involvedObject.kind=${filter.kind}`);
  if (filter.reason) selector.push(`reason=${filter.reason}`);
  const list = await adminKubeConfig()
    .makeApiClient(k8s.CoreV1Api)
    .listNamespacedEvent({ namespace, fieldSelector: selector.join(',') });
  return list.items;
}
