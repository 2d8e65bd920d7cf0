import { afterEach, describe, expect, it } from 'vitest';
import type { AnyIssuer } from '../api/issuer.ts';
import { setIssuerSource } from './issuers.ts';
import { registry } from './registry.ts';

function issuer(kind: AnyIssuer['kind'], name: string, ready?: 'True' | 'False'): AnyIssuer {
  return {
    apiVersion: 'acme6.io/v1alpha1',
    kind,
    metadata: { name, ...(kind === 'Issuer' ? { namespace: 'shop' } : {}) },
    spec: {
      acme: {
        server: 'https://acme.example.test/directory',
        privateKeySecretRef: { name: 'account', key: 'tls.key' },
        solvers: [],
      },
    },
    ...(ready
      ? {
          status: {
            conditions: [
              {
                type: 'Ready',
                status: ready,
                reason: 'X',
                message: '',
                lastTransitionTime: '2026-11-01T00:00:00Z',
              },
            ],
          },
        }
      : {}),
  };
}

const lines = async (prefix: string): Promise<string[]> =>
  (await registry.metrics()).split('\n').filter((l) => l.startsWith(prefix));

afterEach(() => setIssuerSource(undefined));

describe('per-issuer metrics', () => {
  it("reports cert-manager's ready status series for Issuers and ClusterIssuers", async () => {
    setIssuerSource(() => [
      issuer('ClusterIssuer', 'letsencrypt', 'True'),
      issuer('Issuer', 'team', 'False'),
      issuer('ClusterIssuer', 'new'),
    ]);
    expect(await lines('certmanager_clusterissuer_ready_status{')).toEqual([
      'certmanager_clusterissuer_ready_status{name="letsencrypt",condition="True"} 1',
      'certmanager_clusterissuer_ready_status{name="letsencrypt",condition="False"} 0',
      'certmanager_clusterissuer_ready_status{name="letsencrypt",condition="Unknown"} 0',
      'certmanager_clusterissuer_ready_status{name="new",condition="True"} 0',
      'certmanager_clusterissuer_ready_status{name="new",condition="False"} 0',
      'certmanager_clusterissuer_ready_status{name="new",condition="Unknown"} 1',
    ]);
    expect(await lines('certmanager_issuer_ready_status{')).toEqual([
      'certmanager_issuer_ready_status{name="team",namespace="shop",condition="True"} 0',
      'certmanager_issuer_ready_status{name="team",namespace="shop",condition="False"} 1',
      'certmanager_issuer_ready_status{name="team",namespace="shop",condition="Unknown"} 0',
    ]);
  });

  it('reports nothing without a source (a standby), and drops a deleted issuer', async () => {
    expect(await lines('certmanager_clusterissuer_ready_status{')).toEqual([]);
    let issuers = [issuer('ClusterIssuer', 'gone', 'True')];
    setIssuerSource(() => issuers);
    expect((await lines('certmanager_clusterissuer_ready_status{')).length).toBe(3);
    issuers = [];
    expect(await lines('certmanager_clusterissuer_ready_status{')).toEqual([]);
  });
});
