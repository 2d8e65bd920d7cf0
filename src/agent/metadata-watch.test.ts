// createMetadataInformer against a small local HTTP server standing in for the apiserver: both the
// list and the watch must ask for PartialObjectMetadata, and what is cached is the projection.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreV1Api, KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { realClock } from '../runtime/clock.ts';
import { silentLogger } from '../runtime/logger.ts';
import { createMetadataInformer, METADATA_LIST_ACCEPT, METADATA_WATCH_ACCEPT } from './metadata-watch.ts';

const meta = (name: string, rv: string, annotations: Record<string, string> = {}) => ({
  apiVersion: 'meta.k8s.io/v1',
  kind: 'PartialObjectMetadata',
  metadata: { name, namespace: 'ns', resourceVersion: rv, annotations, managedFields: [{ manager: 'm' }] },
});

describe('createMetadataInformer', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('lists and watches with the metadata Accept headers and caches only the projection', async () => {
    const requests: { url: string; accept: string | undefined }[] = [];
    let stream: ServerResponse | undefined;
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      requests.push({ url: req.url ?? '', accept: req.headers.accept });
      if (req.url?.includes('watch=true')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        stream = res;
        return;
      }
      res.writeHead(200, { 'content-type': METADATA_LIST_ACCEPT });
      res.end(
        JSON.stringify({
          apiVersion: 'meta.k8s.io/v1',
          kind: 'PartialObjectMetadataList',
          metadata: { resourceVersion: '10' },
          items: [meta('a', '5', { keep: 'me', drop: 'me' })],
        }),
      );
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        {
          name: 'c',
          server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          skipTLSVerify: true,
        },
      ],
      users: [{ name: 'u' }],
      contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
      currentContext: 'c',
    });
    const core = kc.makeApiClient(CoreV1Api);
    const project = (o: KubernetesObject): KubernetesObject => ({
      metadata: {
        name: o.metadata?.name ?? '',
        namespace: o.metadata?.namespace ?? '',
        resourceVersion: o.metadata?.resourceVersion ?? '',
        annotations: { keep: o.metadata?.annotations?.keep ?? '' },
      },
    });
    const informer = createMetadataInformer(kc, {
      name: 'test',
      path: '/api/v1/services',
      list: (options) => core.listServiceForAllNamespaces({}, options),
      project,
      logger: silentLogger,
      clock: realClock,
    });
    informer.start();
    try {
      expect(await informer.waitForSync()).toBe(true);
      expect(informer.get('a', 'ns')?.metadata).toEqual({
        name: 'a',
        namespace: 'ns',
        resourceVersion: '5',
        annotations: { keep: 'me' },
      });
      for (let i = 0; i < 200 && stream === undefined; i++) await new Promise((r) => setTimeout(r, 10));
      stream?.write(`${JSON.stringify({ type: 'ADDED', object: meta('b', '11', { keep: 'b' }) })}\n`);
      for (let i = 0; i < 200 && informer.get('b', 'ns') === undefined; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(informer.get('b', 'ns')?.metadata).toEqual({
        name: 'b',
        namespace: 'ns',
        resourceVersion: '11',
        annotations: { keep: 'b' },
      });
      expect(requests.map((r) => [r.url.split('?')[0], r.url.includes('watch=true'), r.accept])).toEqual([
        ['/api/v1/services', false, METADATA_LIST_ACCEPT],
        ['/api/v1/services', true, METADATA_WATCH_ACCEPT],
      ]);
    } finally {
      await informer.stop();
    }
  });
});
