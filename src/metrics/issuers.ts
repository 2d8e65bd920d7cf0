// Per-issuer series under cert-manager's names, computed on each scrape from the informer caches
// like the per-Certificate ones: a deleted issuer's series go with it. Only the leader has a source.
import { Gauge } from 'prom-client';
import { getCondition } from '../api/conditions.ts';
import { Kind } from '../api/group.ts';
import type { AnyIssuer } from '../api/issuer.ts';
import { registry } from './registry.ts';

/** Where the collector reads Issuers and ClusterIssuers from; undefined while not leading. */
export type IssuerSource = () => readonly AnyIssuer[];

let source: IssuerSource | undefined;

/** Points the per-issuer series at the caches (or at nothing: `undefined`). */
export function setIssuerSource(next: IssuerSource | undefined): void {
  source = next;
}

const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;

/** A ready-status gauge for one kind: 1 on the series of the current Ready status, 0 on the others. */
function readyGauge(name: string, kind: AnyIssuer['kind'], labelNames: string[]): void {
  new Gauge({
    name,
    help: `The Ready condition of the ${kind}: 1 on the series of its current status, 0 on the others.`,
    labelNames: [...labelNames, 'condition'],
    registers: [registry],
    collect() {
      this.reset();
      for (const issuer of source?.() ?? []) {
        if (issuer.kind !== kind) continue;
        const status = getCondition(issuer.status?.conditions, 'Ready')?.status ?? 'Unknown';
        const labels: Record<string, string> = { name: issuer.metadata.name ?? '' };
        if (labelNames.includes('namespace')) labels.namespace = issuer.metadata.namespace ?? '';
        for (const condition of CONDITION_STATUSES) {
          this.set({ ...labels, condition }, condition === status ? 1 : 0);
        }
      }
    },
  });
}

readyGauge('certmanager_issuer_ready_status', Kind.Issuer, ['name', 'namespace']);
readyGauge('certmanager_clusterissuer_ready_status', Kind.ClusterIssuer, ['name']);
