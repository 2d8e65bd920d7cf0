// Benchmark (not a test): the ip6tables backends' canary on a node with a big foreign nat table. In a
// fresh network namespace per backend: 20,000 kube-proxy-style nat rules that are not ours (1,000
// chains of 20 rules, reached from PREROUTING), then our rules for a few ports, then the canary timed
// two ways: the whole-table way it used to work (save nat and filter, four `-C` checks) and
// canaryPresent (`-S` of our chains and the hook chains only). Needs root.
//   node bench/agent-canary.bench.ts   (ACME6_BENCH_FOREIGN=N: foreign rules, default 20000;
//                                 ACME6_BENCH_RUNS=N: timed checks per way, default 9)
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import { canaryPresent, syncRules } from '../src/agent/apply.ts';
import { binariesFor } from '../src/agent/backend.ts';
import { Chains } from '../src/agent/chains.ts';
import { buildIntent, LABEL_SERVICE_NAME } from '../src/agent/model.ts';
import { chainsFromSave, jumpRules } from '../src/agent/render.ts';
import { execRunner, splitRuleArgs, type NetfilterRunner } from '../src/agent/runner.ts';
import { ANNOTATION_EXPOSE_IPV6 } from '../src/api/group.ts';
import { must, runInFreshNetns } from './netns-child.ts';

const FOREIGN = Number(process.env.ACME6_BENCH_FOREIGN ?? 20_000);
const RUNS = Number(process.env.ACME6_BENCH_RUNS ?? 9);
const RULES_PER_CHAIN = 20;
type Backend = 'nft' | 'legacy';

/** `count` foreign nat rules in kube-proxy's shape: PREROUTING -> FOREIGN-SERVICES -> per-service chains. */
function foreignNat(count: number): string {
  const chains = Math.ceil(count / RULES_PER_CHAIN);
  const lines = ['*nat', ':FOREIGN-SERVICES - [0:0]'];
  for (let c = 0; c < chains; c++) lines.push(`:FOREIGN-SVC-${c} - [0:0]`);
  lines.push('-A PREROUTING -j FOREIGN-SERVICES');
  for (let c = 0; c < chains; c++) {
    lines.push(
      `-A FOREIGN-SERVICES -d 2001:db8:ff::${c.toString(16)}/128 -p tcp --dport 80 -j FOREIGN-SVC-${c}`,
    );
    for (let r = 0; r < RULES_PER_CHAIN; r++) {
      lines.push(
        `-A FOREIGN-SVC-${c} -s fd00:99:${c.toString(16)}::${r.toString(16)}/128 -p tcp -j DNAT --to-destination [fd00:99::${r.toString(16)}]:8080`,
      );
    }
  }
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/** The canary as it was before: whole-table saves plus one `-C` per hook jump. */
async function wholeTableCanary(runner: NetfilterRunner): Promise<boolean> {
  for (const table of ['nat', 'filter'] as const) {
    if (!chainsFromSave(await runner.save(table)).some((c) => c.chain === Chains.canary)) return false;
  }
  for (const jump of jumpRules()) {
    if (!(await runner.check(jump.table, jump.chain, splitRuleArgs(jump.spec)))) return false;
  }
  return true;
}

async function timed(check: () => Promise<boolean>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    if (!(await check())) throw new Error('canary reported our rules gone');
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? NaN;
}

/** Inside the namespace: load the foreign rules and ours, time both canaries, print JSON. */
async function inside(backend: Backend): Promise<void> {
  const bin = binariesFor(backend);
  await must([bin.restore, '--noflush', '-w', '5'], foreignNat(FOREIGN));
  const runner = execRunner({ binaries: bin });
  await syncRules(
    runner,
    buildIntent({
      node: { name: 'bench', addresses: ['2001:db8:1::1'], podCIDRs: ['fd00:10::/64'] },
      services: [
        {
          metadata: { namespace: 'bench', name: 'web', annotations: { [ANNOTATION_EXPOSE_IPV6]: 'true' } },
          spec: { ports: [{ name: 'https', port: 443, protocol: 'TCP' }] },
        },
      ],
      endpointSlices: [
        {
          addressType: 'IPv6',
          metadata: { namespace: 'bench', name: 'web-1', labels: { [LABEL_SERVICE_NAME]: 'web' } },
          ports: [{ name: 'https', port: 8443, protocol: 'TCP' }],
          endpoints: [{ addresses: ['fd00:10::5'], nodeName: 'bench' }],
        },
      ],
    }),
  );
  const before = await timed(() => wholeTableCanary(runner));
  const after = await timed(() => canaryPresent(runner));
  console.log(JSON.stringify({ before, after }));
}

async function inNetns(backend: Backend): Promise<{ before: number; after: number }> {
  return runInFreshNetns(fileURLToPath(import.meta.url), backend);
}

async function main(): Promise<void> {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  console.log(
    `acme6 agent canary benchmark: ${FOREIGN.toLocaleString('en')} foreign nat rules, median of ${RUNS} checks, load average ${load} at start, ${os.cpus().length} CPUs, ${new Date().toISOString()}`,
  );
  console.log('');
  console.log('| backend | whole-table canary (before) | canaryPresent (`-S` of own and hook chains) |');
  console.log('| --- | ---: | ---: |');
  for (const backend of ['nft', 'legacy'] as const) {
    const { before, after } = await inNetns(backend);
    console.log(`| ip6tables-${backend} | ${before.toFixed(1)} ms | **${after.toFixed(1)} ms** |`);
  }
}

if (process.env.ACME6_BENCH_CHILD === undefined) {
  await main();
} else {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  await inside(input.trim() as Backend);
}
