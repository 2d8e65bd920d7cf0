// A controller whose Certificate cache lags: a loopback proxy in front of the testbed's apiserver
// that passes every request straight through, except that the watch streams of one resource arrive
// `lagMs` late. The controller then sees its own status writes seconds after it made them, while
// Secret events and direct reads stay prompt, which is how an informer lags under load.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { createCertificateAuthority, issueCertificate } from '../testbed/pki.ts';
import { SERVICE_ACCOUNTS, serviceAccountKubeconfig } from './deploy-rbac.ts';
import { testbed } from './kube.ts';

/** The proxy and the kubeconfig that reaches the apiserver through it. */
export interface LaggingApiserver {
  kubeconfigFile: string;
  close(): Promise<void>;
}

interface KubeconfigFile {
  clusters: { name: string; cluster: Record<string, string> }[];
}

/** Starts the proxy; `resourcePath` picks the delayed watches, e.g. `/certificates`. */
export async function startLaggingApiserver(resourcePath: string, lagMs: number): Promise<LaggingApiserver> {
  const original = await serviceAccountKubeconfig(SERVICE_ACCOUNTS.controller);
  const config = parse(readFileSync(original, 'utf8')) as KubeconfigFile;
  const cluster = config.clusters[0]!.cluster;
  const upstream = new URL(cluster.server!);
  const ca = Buffer.from(cluster['certificate-authority-data']!, 'base64');
  const delayed = (url: string): boolean => url.includes(resourcePath) && /[?&]watch=(true|1)\b/.test(url);

  // The controller's client speaks only TLS: the proxy serves a certificate of a CA of its own.
  const proxyCa = await createCertificateAuthority('acme6 lagging apiserver CA');
  const tls = await issueCertificate(proxyCa, {
    kind: 'server',
    commonName: 'lagging-apiserver',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  const server: Server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const late = delayed(req.url ?? '');
    const later = (fn: () => void) => (late ? setTimeout(fn, lagMs) : fn());
    const up = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: upstream.host },
        ca,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.on('data', (chunk: Buffer) => later(() => res.write(chunk)));
        answer.on('end', () => later(() => res.end()));
        answer.on('error', () => res.destroy());
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const proxied = {
    ...config,
    clusters: [
      {
        name: config.clusters[0]!.name,
        cluster: {
          server: `https://127.0.0.1:${port}`,
          'certificate-authority-data': Buffer.from(proxyCa.certPem).toString('base64'),
        },
      },
    ],
  };
  const kubeconfigFile = join(testbed().dir, `lagging-${process.pid}-${Date.now()}.kubeconfig`);
  writeFileSync(kubeconfigFile, stringify(proxied), { mode: 0o600 });
  return {
    kubeconfigFile,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
