// POSTs JSON to a path of the apiserver with the controller's own credentials (client certificate or
// bearer token from its kubeconfig or ServiceAccount), with a deadline: the way to reach an aggregated
// API such as a cert-manager DNS01 webhook.
import { Agent, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { exchange, type Outcome } from '../https-exchange.ts';

/** Sends one JSON request to the apiserver; never rejects: a failure before an answer is an Outcome. */
export interface KubeApiPost {
  post(path: string, body: unknown, timeoutMs: number): Promise<Outcome>;
}

/** A KubeApiPost over the current context of a KubeConfig. */
export class KubeApiPoster implements KubeApiPost {
  private readonly kubeConfig: KubeConfig;

  constructor(kubeConfig: KubeConfig) {
    this.kubeConfig = kubeConfig;
  }

  async post(path: string, body: unknown, timeoutMs: number): Promise<Outcome> {
    const server = this.kubeConfig.getCurrentCluster()?.server;
    if (!server) return { error: new Error('the kubeconfig names no apiserver') };
    // Read for every request: a ServiceAccount token is rotated on disk.
    const options: RequestOptions = {};
    try {
      await this.kubeConfig.applyToHTTPSOptions(options);
    } catch (err) {
      return { error: err as Error };
    }
    const agent = new Agent({
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      ...(options.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.rejectUnauthorized }),
      ...(options.servername === undefined ? {} : { servername: options.servername }),
    });
    const text = JSON.stringify(body);
    const headers: Record<string, string | number> = {
      ...(options.headers as Record<string, string> | undefined),
      'content-type': 'application/json',
      accept: 'application/json',
      'content-length': Buffer.byteLength(text),
      'user-agent': 'acme6-controller',
    };
    if (options.auth) headers.authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
    try {
      return await exchange({
        url: `${server.replace(/\/+$/, '')}${path}`,
        method: 'POST',
        agent,
        headers,
        body: text,
        timeoutMs,
      });
    } finally {
      agent.destroy();
    }
  }
}
