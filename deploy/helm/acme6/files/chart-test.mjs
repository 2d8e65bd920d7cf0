// `helm test` checks, run by node in acme6's own image (no other image is pulled):
//   readyz  GET $READYZ_URL answers 200 (the controller's health Service routes to ready pods only)
//   crds    the apiserver's discovery serves certificates, issuers and clusterissuers in acme6.io/v1alpha1
// Prints what it saw; exits 0 when the check passes, 1 when not.
/* global console, process, fetch, AbortSignal, setTimeout */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';

const deadline = Date.now() + Number(process.env.CHECK_TIMEOUT_SECONDS ?? '60') * 1000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retries `attempt` (which throws why it failed) until it succeeds or the deadline passes. */
async function retry(what, attempt) {
  for (;;) {
    try {
      const said = await attempt();
      console.log(`ok: ${what}: ${said}`);
      return 0;
    } catch (err) {
      if (Date.now() > deadline) {
        const cause = err.cause?.message ? ` (${err.cause.message})` : '';
        console.error(`FAILED: ${what}: ${err.message}${cause}`);
        return 1;
      }
      await sleep(2000);
    }
  }
}

async function readyz() {
  const url = process.env.READYZ_URL;
  if (!url) {
    console.error('FAILED: READYZ_URL is not set');
    return 1;
  }
  return retry(`controller ${url}`, async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const body = (await res.text()).trim();
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${body}`);
    return `HTTP 200 ${body}`;
  });
}

function apiGet(path) {
  const dir = process.env.SERVICEACCOUNT_DIR ?? '/var/run/secrets/kubernetes.io/serviceaccount';
  const host = process.env.KUBERNETES_SERVICE_HOST;
  if (!host) throw new Error('KUBERNETES_SERVICE_HOST is not set: not in a pod?');
  const token = readFileSync(`${dir}/token`, 'utf8').trim();
  const ca = readFileSync(`${dir}/ca.crt`);
  const options = {
    host,
    port: Number(process.env.KUBERNETES_SERVICE_PORT ?? '443'),
    path,
    ca,
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    timeout: 5000,
  };
  return new Promise((resolve, reject) => {
    const req = request(options, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`HTTP ${res.statusCode} for ${path}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`no answer for ${path} in 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

async function crds() {
  const wanted = ['certificates', 'clusterissuers', 'issuers'];
  return retry('acme6.io/v1alpha1 discovery', async () => {
    const list = await apiGet('/apis/acme6.io/v1alpha1');
    const served = list.resources.map((r) => r.name);
    const missing = wanted.filter((name) => !served.includes(name));
    if (missing.length) throw new Error(`not served: ${missing.join(', ')} (served: ${served.join(', ')})`);
    return `serves ${wanted.join(', ')}`;
  });
}

const checks = { readyz, crds };
const check = checks[process.argv[1]];
if (!check) {
  console.error(`usage: node chart-test.mjs ${Object.keys(checks).join('|')}`);
  process.exit(2);
}
process.exit(await check());
