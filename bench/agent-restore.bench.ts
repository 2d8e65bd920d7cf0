// Benchmark (not a test): 1,000 published service ports rendered and applied with one
// ip6tables-restore, versus the same ruleset through one `ip6tables` call per rule, the way
// docker-ipv6nat programs rules. Each run gets a fresh throwaway network namespace. Needs root.
//   npm run bench:agent            (ACME6_BENCH_PORTS=N to change the size, default 1000)
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { syncRules } from '../src/agent/apply.ts';
import { binariesFor, type Backend } from '../src/agent/backend.ts';
import { buildIntent, LABEL_SERVICE_NAME, type NatIntent } from '../src/agent/model.ts';
import { jumpRules, renderRestore } from '../src/agent/render.ts';
import { execRunner, runCommand, splitRuleArgs } from '../src/agent/runner.ts';
import { ANNOTATION_EXPOSE_IPV6 } from '../src/api/group.ts';

const PORTS = Number(process.env.ACME6_BENCH_PORTS ?? 1000);
const PORTS_PER_SERVICE = 4;

/** PORTS published ports: PORTS / 4 Services with four TCP ports each, one local ULA pod each. */
function intent(): NatIntent {
  const services: V1Service[] = [];
  const slices: V1EndpointSlice[] = [];
  for (let s = 0; s * PORTS_PER_SERVICE < PORTS; s++) {
    const ports = Array.from({ length: PORTS_PER_SERVICE }, (_, i) => ({
      name: `p${i}`,
      port: 10_000 + s * PORTS_PER_SERVICE + i,
      protocol: 'TCP',
    }));
    services.push({
      metadata: { namespace: 'bench', name: `svc-${s}`, annotations: { [ANNOTATION_EXPOSE_IPV6]: 'true' } },
      spec: { ports },
    });
    slices.push({
      addressType: 'IPv6',
      metadata: { namespace: 'bench', name: `svc-${s}-1`, labels: { [LABEL_SERVICE_NAME]: `svc-${s}` } },
      ports: ports.map((p) => ({ name: p.name, port: 8000 + (p.port % 1000), protocol: 'TCP' })),
      endpoints: [{ addresses: [`fd00:10::${(s + 2).toString(16)}`], nodeName: 'bench' }],
    });
  }
  return buildIntent({
    node: { name: 'bench', addresses: ['2001:db8:1::1'], podCIDRs: ['fd00:10::/64'] },
    services,
    endpointSlices: slices,
  });
}

async function must(argv: string[]): Promise<void> {
  const r = await runCommand(argv);
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
}

/**
 * Runs this script again inside a fresh namespace to time one approach there, so neither approach
 * pays `ip netns exec` per command: both exec ip6tables binaries directly, as an agent on a node does.
 */
async function timeInNetns(backend: Backend, approach: 'restore' | 'per-rule'): Promise<number> {
  const name = `acme6-bench-${randomBytes(4).toString('hex')}`;
  await must(['ip', 'netns', 'add', name]);
  try {
    const r = await runCommand(
      [
        'ip',
        'netns',
        'exec',
        name,
        'env',
        'ACME6_BENCH_CHILD=1',
        process.execPath,
        fileURLToPath(import.meta.url),
      ],
      JSON.stringify({ backend, approach }),
    );
    if (r.exitCode !== 0) throw new Error(`${approach} in ${name} failed: ${r.stderr}`);
    return Number(r.stdout.trim());
  } finally {
    await must(['ip', 'netns', 'delete', name]);
  }
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

/** Inside the namespace: apply the ruleset one way and print the elapsed milliseconds. */
async function inside(backend: Backend, approach: 'restore' | 'per-rule'): Promise<void> {
  const bin = binariesFor(backend);
  const natIntent = intent();
  const commands = perRuleCommands(renderRestore(natIntent));
  const start = performance.now();
  if (approach === 'restore') await syncRules(execRunner({ binaries: bin }), natIntent);
  else for (const args of commands) await must([bin.iptables, '-w', ...args]);
  console.log(performance.now() - start);
}

async function bench(backend: Backend): Promise<void> {
  const start = performance.now();
  const natIntent = intent();
  const payload = renderRestore(natIntent);
  const renderMs = performance.now() - start;
  const commands = perRuleCommands(payload);
  const restoreMs = await timeInNetns(backend, 'restore');
  const perRuleMs = await timeInNetns(backend, 'per-rule');
  console.log(
    `${backend.padEnd(6)} ${natIntent.mappings.length} ports, ${commands.length} ip6tables calls ` +
      `(${Buffer.byteLength(payload)} bytes of restore input): build+render ${renderMs.toFixed(1)} ms; ` +
      `one restore (syncRules: 2 saves, 1 restore, 4 -C, 4 -I) ${restoreMs.toFixed(0)} ms; ` +
      `one ip6tables call per rule ${perRuleMs.toFixed(0)} ms; ratio ${(perRuleMs / restoreMs).toFixed(1)}x`,
  );
}

if (process.env.ACME6_BENCH_CHILD === undefined) {
  for (const backend of (process.env.ACME6_BENCH_BACKENDS ?? 'nft,legacy').split(',') as Backend[]) {
    await bench(backend);
  }
} else {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const { backend, approach } = JSON.parse(input) as { backend: Backend; approach: 'restore' | 'per-rule' };
  await inside(backend, approach);
}
