// The image users deploy (make image), run by a real OCI runtime (runc) in a pod network namespace,
// with the pods the project ships: the controller's solver pod and the agent DaemonSet's container.
// Their identity and capabilities are read from inside (/proc/1/status of the container's acme6).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadYaml, type V1Container, type V1DaemonSet, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http01Solver } from '../../src/api/solver.ts';
import { buildSolverObjects, SOLVER_PORT, SOLVER_UID } from '../../src/solvers/http01/resources.ts';
import {
  builtImage,
  OciContainer,
  unpackCacheDir,
  unpackImageCached,
  type UnpackedImage,
} from '../testbed/oci-runtime.ts';
import { ociSpec } from '../testbed/oci-spec.ts';
import { NODE_IP, PodAddressPool, type PodSandbox } from '../testbed/pod-network.ts';
import { containerEnv } from '../testbed/pod-spec.ts';
import { waitUntil } from '../testbed/process.ts';
import { tcpConnects } from '../testbed/tcp.ts';
import { KUSTOMIZE_LEGACY_IPTABLES, renderKustomizeWith } from './deploy-rbac.ts';
import { repoRoot } from '../testbed/paths.ts';

const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string })
  .version;

/** Capability sets and ids from a /proc/PID/status text. */
function credentials(status: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of status.split('\n')) {
    const m = /^(Uid|Gid|CapEff|CapPrm|CapBnd|CapAmb|NoNewPrivs):\s+(.*)$/.exec(line);
    if (m) fields[m[1] as string] = (m[2] as string).trim();
  }
  return fields;
}
const CAP_NET_ADMIN = 1n << 12n;

/** A GET with an explicit Host header (fetch does not send one it is given). */
function httpGet(address: string, port: number, path: string, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path, headers: { Host: host }, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('the acme6 image under runc', () => {
  const dir = mkdtempSync(join(tmpdir(), 'acme6-image-runtime-'));
  const runtimeRoot = join(dir, 'runc');
  const pool = new PodAddressPool();
  const sandboxes: PodSandbox[] = [];
  const containers: OciContainer[] = [];
  let image: UnpackedImage;

  beforeAll(async () => {
    const { layout, tag } = builtImage();
    image = await unpackImageCached(layout, tag, unpackCacheDir());
  }, 120_000);

  afterAll(async () => {
    for (const c of containers) await c.stop(2000);
    for (const s of sandboxes) await pool.removeSandbox(s);
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(
    pod: V1Pod,
    prepare: (netns: string) => void = () => undefined,
    readOnlyBinds: { source: string; destination: string }[] = [],
  ): Promise<{ container: OciContainer; sandbox: PodSandbox; log: string }> {
    const sandbox = await pool.createSandbox();
    sandboxes.push(sandbox);
    prepare(sandbox.netns);
    const spec = pod.spec?.containers[0] as V1Container;
    const env = containerEnv(pod, spec, { podIP: sandbox.podIP, hostIP: NODE_IP });
    const id = `acme6-it-${randomBytes(4).toString('hex')}`;
    const log = join(dir, `${id}.log`);
    const container = await OciContainer.start({
      id,
      runtimeRoot,
      bundle: join(dir, 'bundles', id),
      rootfs: image.rootfs,
      spec: ociSpec(image.config, pod, spec, env, {
        rootfs: image.rootfs,
        netnsPath: `/run/netns/${sandbox.netns}`,
        readOnlyBinds,
      }),
      logFile: log,
    });
    containers.push(container);
    return { container, sandbox, log };
  }

  const pod = (
    name: string,
    container: V1Container,
    spec: Partial<NonNullable<V1Pod['spec']>> = {},
  ): V1Pod => ({
    metadata: { name, namespace: 'image-test', uid: randomBytes(8).toString('hex') },
    spec: { ...spec, containers: [container] },
  });

  it('runs `acme6 version` as the image user (65532), not root', async () => {
    const { container, log } = await start(
      pod('version', { name: 'acme6', image: 'acme6', args: ['version'] }),
    );
    const exit = await container.exited;
    expect(exit.code, readFileSync(log, 'utf8')).toBe(0);
    expect(readFileSync(log, 'utf8')).toMatch(new RegExp(`^acme6 ${version} \\(node v22\\.`, 'm'));
    expect(image.config.User).toBe('65532:65532');
  });

  it("runs the controller's solver pod: non-root, no capabilities, read-only root, serving the key", async () => {
    const { pod: solverPod } = buildSolverObjects(
      {
        solver: { http01: http01Solver.parse({}) },
        secretNamespace: 'acme6',
        certificate: { name: 'web', namespace: 'image-test', uid: 'uid-1' },
        domain: 'app.example.test',
        wildcard: false,
        token: 'tok-image',
        value: 'tok-image.thumbprint',
      },
      http01Solver.parse({}),
      'ghcr.io/acme6/acme6:0.1.0',
    );
    solverPod.metadata = { ...solverPod.metadata, uid: 'solver-uid' };
    const { container, sandbox } = await start(solverPod);
    await waitUntil('the solver port', () => tcpConnects(sandbox.podIP, SOLVER_PORT), {
      timeoutMs: 60_000,
    });
    const body = await httpGet(
      sandbox.podIP,
      SOLVER_PORT,
      '/.well-known/acme-challenge/tok-image',
      'app.example.test',
    );
    expect(body).toBe('tok-image.thumbprint');

    const inside = credentials(await container.exec(['cat', '/proc/1/status']));
    expect(inside.Uid).toBe(`${SOLVER_UID}\t${SOLVER_UID}\t${SOLVER_UID}\t${SOLVER_UID}`);
    expect(inside.Gid).toBe(`${SOLVER_UID}\t${SOLVER_UID}\t${SOLVER_UID}\t${SOLVER_UID}`);
    expect(BigInt(`0x${inside.CapEff}`)).toBe(0n);
    expect(BigInt(`0x${inside.CapBnd}`)).toBe(0n);
    expect(inside.NoNewPrivs).toBe('1');
    await expect(container.exec(['touch', '/app/written'])).rejects.toThrow(/Read-only file system/);
    expect(readFileSync(join(image.rootfs, 'etc/os-release'), 'utf8')).toMatch(/bookworm/);
  });

  // The DaemonSet's container as shipped: root with NET_ADMIN only, read-only root filesystem.
  const agentContainer = (): V1Container => {
    const ds = loadYaml<V1DaemonSet>(
      readFileSync(join(repoRoot, 'deploy/kustomize/components/agent/agent.yaml'), 'utf8'),
    );
    return ds.spec?.template.spec?.containers[0] as V1Container;
  };

  it('runs the agent DaemonSet container as root with NET_ADMIN only', async () => {
    const shipped = agentContainer();
    expect(shipped.securityContext?.capabilities).toEqual({ drop: ['ALL'], add: ['NET_ADMIN'] });
    // The DaemonSet uses hostNetwork; here a fresh network namespace stands in for the node's. The
    // agent idles on a node without IPv6 forwarding; without an API server its informers retry.
    const { container, log } = await start(pod('agent', shipped, { nodeName: 'image-test' }), (netns) =>
      execFileSync('ip', ['netns', 'exec', netns, 'sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1']),
    );
    // The backend probe ran ip6tables-nft-save and ip6tables-legacy-save inside the container.
    await waitUntil(
      'the agent to pick its backend',
      () => Promise.resolve(readFileSync(log, 'utf8').includes('"msg":"netfilter backend"')),
      {
        timeoutMs: 30_000,
      },
    );
    expect(container.running, readFileSync(log, 'utf8')).toBe(true);
    const inside = credentials(await container.exec(['cat', '/proc/1/status']));
    expect(inside.Uid).toBe('0\t0\t0\t0');
    expect(BigInt(`0x${inside.CapEff}`)).toBe(CAP_NET_ADMIN);
    expect(BigInt(`0x${inside.CapBnd}`)).toBe(CAP_NET_ADMIN);
    expect(inside.NoNewPrivs).toBe('1');
  });

  it("the agent's --cleanup drives the image's ip6tables-nft in the pod network (exit 0)", async () => {
    const args = ['agent', '--cleanup', '--node-name=image-test', '--backend=nft'];
    const { container, log } = await start(pod('agent-cleanup', { ...agentContainer(), env: [], args }));
    const exit = await container.exited;
    expect(exit.code, readFileSync(log, 'utf8')).toBe(0);
  });

  it('the agent fails without NET_ADMIN (the one capability it is given is the one it needs)', async () => {
    const shipped = agentContainer();
    const args = ['agent', '--cleanup', '--node-name=image-test', '--backend=nft'];
    const withoutNetAdmin = {
      ...shipped,
      env: [],
      args,
      securityContext: { ...shipped.securityContext, capabilities: { drop: ['ALL'] } },
    };
    const { container, log } = await start(pod('agent-no-caps', withoutNetAdmin));
    const exit = await container.exited;
    const output = readFileSync(log, 'utf8');
    expect(exit.code, output).not.toBe(0);
    expect(output).toMatch(/ip6tables.*(Permission denied|not permitted)/is);
  });

  // Found by running the agent from the image: ip6tables-legacy opens a raw socket, so on a node
  // whose xtables backend is legacy NET_ADMIN alone is not enough. The shipped DaemonSet keeps
  // NET_ADMIN only; the agent then says what is missing, and the opt-in (kustomize component
  // agent-legacy-iptables, Helm agent.legacyIptables) adds NET_RAW. Each namespace here starts with
  // a legacy nat table holding a chain of ours, as a legacy node the agent ran on would.
  const legacyNode = (netns: string) => {
    execFileSync('ip', ['netns', 'exec', netns, 'sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1']);
    execFileSync('ip', ['netns', 'exec', netns, 'ip6tables-legacy', '-t', 'nat', '-N', 'ACME6-CANARY']);
  };

  it('with the shipped capabilities, on a legacy node the agent stays up idle and names the opt-in', async () => {
    const args = ['agent', '--node-name=image-test', '--backend=auto'];
    const { container, log } = await start(pod('agent-legacy', { ...agentContainer(), args }), legacyNode);
    await waitUntil(
      'the agent to report the missing capability',
      () => Promise.resolve(readFileSync(log, 'utf8').includes('agent.legacyIptables=true')),
      { timeoutMs: 30_000 },
    );
    const output = readFileSync(log, 'utf8');
    expect(output).toContain('legacy iptables tables (nat)');
    expect(output).toContain('deploy/kustomize/components/agent-legacy-iptables');
    await new Promise((r) => setTimeout(r, 2000));
    expect(container.running, readFileSync(log, 'utf8')).toBe(true);
  });

  it('with the legacy-iptables opt-in (NET_ADMIN and NET_RAW) the agent drives ip6tables-legacy', async () => {
    const ds = (await renderKustomizeWith([KUSTOMIZE_LEGACY_IPTABLES])).find(
      (m) => m.kind === 'DaemonSet' && m.metadata.name === 'acme6-agent',
    ) as unknown as V1DaemonSet;
    const optedIn = ds.spec?.template.spec?.containers[0] as V1Container;
    expect(optedIn.securityContext?.capabilities?.add).toEqual(['NET_ADMIN', 'NET_RAW']);
    const args = ['agent', '--cleanup', '--node-name=image-test'];
    // The DaemonSet's hostPath volume /run/xtables.lock, which ip6tables-legacy-restore locks (it
    // opens an existing lock file read-only, so a read-only bind of a file stands in for it).
    const lock = join(dir, 'xtables.lock');
    writeFileSync(lock, '');
    const { container, sandbox, log } = await start(
      pod('agent-legacy-raw', { ...optedIn, env: [], args }),
      legacyNode,
      [{ source: lock, destination: '/run/xtables.lock' }],
    );
    const exit = await container.exited;
    expect(exit.code, readFileSync(log, 'utf8')).toBe(0);
    const save = execFileSync('ip', ['netns', 'exec', sandbox.netns, 'ip6tables-legacy-save', '-t', 'nat']);
    expect(save.toString(), readFileSync(log, 'utf8')).not.toContain('ACME6');
  });
});
