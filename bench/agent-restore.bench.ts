// Benchmark (not a test): published service ports applied by every backend, side by side, each in a
// fresh throwaway network namespace: the native nftables table (one `nft -f` transaction),
// ip6tables-nft and ip6tables-legacy (one ip6tables-restore each, as syncRules does), and, as the
// baseline, the same ip6tables rules through one `ip6tables` call per rule (the docker-ipv6nat way).
// Then the native table alone with 10x the ports. Needs root.
//   npm run bench:agent   (ACME6_BENCH_PORTS=N: size, default 1000; ACME6_BENCH_RUNS=N: repetitions, default 3;
//                          ACME6_BENCH_BASELINE=0 skips the per-rule runs)
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { binariesFor } from '../src/agent/backend.ts';
import { selectBackend, type Selection } from '../src/agent/backend-select.ts';
import { dataplaneFor } from '../src/agent/dataplane.ts';
import type { BackendName } from '../src/agent/leftovers.ts';
import { buildIntent, LABEL_SERVICE_NAME, type NatIntent } from '../src/agent/model.ts';
import { renderNftables } from '../src/agent/nftables.ts';
import { jumpRules, renderRestore } from '../src/agent/render.ts';
import { splitRuleArgs } from '../src/agent/runner.ts';
import { ANNOTATION_EXPOSE_IPV6 } from '../src/api/group.ts';
import { must, runInFreshNetns } from './netns-child.ts';

const PORTS = Number(process.env.ACME6_BENCH_PORTS ?? 1000);
const BASELINE = process.env.ACME6_BENCH_BASELINE !== '0';
/** Fresh-namespace repetitions per backend; the median is printed (the machine may be shared). */
const RUNS = Number(process.env.ACME6_BENCH_RUNS ?? 3);
const PORTS_PER_SERVICE = 4;

/** `ports` published ports: ports / 4 Services with four TCP ports each, one local ULA pod each. */
function intent(ports: number): NatIntent {
  const services: V1Service[] = [];
  const slices: V1EndpointSlice[] = [];
  for (let s = 0; s * PORTS_PER_SERVICE < ports; s++) {
    const servicePorts = Array.from({ length: PORTS_PER_SERVICE }, (_, i) => ({
      name: `p${i}`,
      port: 10_000 + s * PORTS_PER_SERVICE + i,
      protocol: 'TCP',
    }));
    services.push({
      metadata: { namespace: 'bench', name: `svc-${s}`, annotations: { [ANNOTATION_EXPOSE_IPV6]: 'true' } },
      spec: { ports: servicePorts },
    });
    slices.push({
      addressType: 'IPv6',
      metadata: { namespace: 'bench', name: `svc-${s}-1`, labels: { [LABEL_SERVICE_NAME]: `svc-${s}` } },
      ports: servicePorts.map((p) => ({ name: p.name, port: 8000 + (p.port % 1000), protocol: 'TCP' })),
      endpoints: [{ addresses: [`fd00:10::${(s + 2).toString(16)}`], nodeName: 'bench' }],
    });
  }
  return buildIntent({
    node: { name: 'bench', addresses: ['2001:db8:1::1'], podCIDRs: ['fd00:10::/64'] },
    services,
    endpointSlices: slices,
  });
}

/** The same intent after one EndpointSlice change: svc-0's pod moved to another address. */
function afterEndpointChange(natIntent: NatIntent): NatIntent {
  return {
    ...natIntent,
    mappings: natIntent.mappings.map((m) =>
      m.service === 'bench/svc-0' ? { ...m, podAddress: 'fd00:10::ffff' } : m,
    ),
  };
}

async function selectionOf(backend: BackendName): Promise<Selection> {
  return backend === 'nftables'
    ? { kind: 'nftables', reason: 'bench', warnings: [] }
    : selectBackend(backend);
}

/** What one approach measured inside its namespace (ms). */
interface Timing {
  readonly apply: number;
  readonly update?: number;
}

/**
 * Runs this script again inside a fresh namespace to time one approach there, so no approach pays
 * `ip netns exec` per command: each execs nft or the ip6tables binaries directly, as an agent does.
 */
async function timeInNetns(
  backend: BackendName,
  approach: 'sync' | 'per-rule',
  ports: number,
): Promise<Timing> {
  return runInFreshNetns(fileURLToPath(import.meta.url), JSON.stringify({ backend, approach, ports }));
}

/** The restore payload as individual ip6tables argv lists: -N per chain, then -A per rule, then jumps. */
function perRuleCommands(payload: string): string[][] {
  const out: string[][] = [];
  let table = '';
  for (const line of payload.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith(':')) out.push(['-t', table, '-N', line.slice(1).split(' ')[0] ?? '']);
    else if (line.startsWith('-A ')) out.push(['-t', table, ...splitRuleArgs(line)]);
  }
  for (const j of jumpRules()) out.push(['-t', j.table, '-I', j.chain, ...splitRuleArgs(j.spec)]);
  return out;
}

/** Inside the namespace: apply the ruleset one way and print the elapsed milliseconds as JSON. */
async function inside(backend: BackendName, approach: 'sync' | 'per-rule', ports: number): Promise<void> {
  const natIntent = intent(ports);
  if (approach === 'per-rule') {
    const iptables = binariesFor(backend === 'iptables-legacy' ? 'legacy' : 'nft').iptables;
    const commands = perRuleCommands(renderRestore(natIntent));
    const start = performance.now();
    for (const args of commands) await must([iptables, '-w', ...args]);
    console.log(JSON.stringify({ apply: performance.now() - start }));
    return;
  }
  const dataplane = dataplaneFor(await selectionOf(backend));
  const start = performance.now();
  await dataplane.sync(natIntent, 'resync');
  const apply = performance.now() - start;
  const changed = afterEndpointChange(natIntent);
  const again = performance.now();
  await dataplane.sync(changed, 'change');
  console.log(JSON.stringify({ apply, update: performance.now() - again }));
}

/** Render time of the backend's whole payload for `natIntent` (ms). */
function renderMs(backend: BackendName, natIntent: NatIntent): { ms: number; bytes: number } {
  const start = performance.now();
  const payload = backend === 'nftables' ? renderNftables(natIntent) : renderRestore(natIntent);
  return { ms: performance.now() - start, bytes: Buffer.byteLength(payload) };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;

async function main(): Promise<void> {
  const os = await import('node:os');
  const cpus = os.cpus().length;
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  console.log(
    `acme6 agent apply benchmark, median of ${RUNS} runs, load average ${load} at start: ${PORTS} ports (${PORTS / PORTS_PER_SERVICE} Services x ${PORTS_PER_SERVICE} TCP ports), ${cpus} CPUs, ${new Date().toISOString()}`,
  );
  console.log('');
  console.log(
    row([
      'backend',
      'ports',
      'render',
      'payload',
      'apply (fresh node)',
      're-apply after one EndpointSlice change',
      'one call per rule (baseline)',
    ]),
  );
  console.log(row(['---', '---:', '---:', '---:', '---:', '---:', '---:']));
  const runs: [BackendName, number][] = [
    ['nftables', PORTS],
    ['iptables-nft', PORTS],
    ['iptables-legacy', PORTS],
    ['nftables', PORTS * 10],
  ];
  for (const [backend, ports] of runs) {
    const natIntent = intent(ports);
    renderMs(backend, natIntent); // warm-up: the first render pays for the JIT
    const render = renderMs(backend, natIntent);
    const timings: Timing[] = [];
    for (let run = 0; run < RUNS; run++) timings.push(await timeInNetns(backend, 'sync', ports));
    const apply = median(timings.map((t) => t.apply));
    const update = median(timings.map((t) => t.update ?? 0));
    let baseline = 'n/a';
    if (BASELINE && backend !== 'nftables') {
      const calls = perRuleCommands(renderRestore(natIntent)).length;
      baseline = `${(await timeInNetns(backend, 'per-rule', ports)).apply.toFixed(0)} ms (${calls} calls)`;
    }
    console.log(
      row([
        backend,
        natIntent.mappings.length.toLocaleString('en'),
        `${render.ms.toFixed(0)} ms`,
        `${(render.bytes / 1024).toFixed(0)} KiB`,
        `**${apply.toFixed(0)} ms**`,
        `${update.toFixed(0)} ms`,
        baseline,
      ]),
    );
  }
}

if (process.env.ACME6_BENCH_CHILD === undefined) {
  await main();
} else {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const { backend, approach, ports } = JSON.parse(input) as {
    backend: BackendName;
    approach: 'sync' | 'per-rule';
    ports: number;
  };
  await inside(backend, approach, ports);
}
