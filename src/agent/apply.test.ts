import { describe, expect, it } from 'vitest';
import { canaryPresent, RuleSyncer, syncRules } from './apply.ts';
import { Chains, serviceChain } from './chains.ts';
import { buildIntent, type NatIntent } from './model.ts';
import { HOOK_COMMENT, type Table } from './render.ts';
import type { NetfilterRunner } from './runner.ts';
import { HOST_BUILTINS, service, slice } from './testing.ts';
import { parseRestore, type Chain, type Ruleset } from '../netfilter/testing/parse.ts';

/** An in-memory host: restore and -I go through the same parser the tracer uses. */
class FakeHost implements NetfilterRunner {
  rules: Ruleset = parseRestore(HOST_BUILTINS);
  restores = 0;
  lists = 0;
  saves = 0;

  save(table: Table): Promise<string> {
    this.saves++;
    const chains = this.rules.get(table) ?? new Map<string, Chain>();
    const lines = [`*${table}`];
    for (const [name, chain] of chains) lines.push(`:${name} ${chain.policy} [0:0]`);
    for (const [name, chain] of chains) {
      for (const rule of chain.rules) lines.push(`-A ${name} ${specOf(rule.text)}`);
    }
    lines.push('COMMIT', '');
    return Promise.resolve(lines.join('\n'));
  }

  restore(payload: string): Promise<void> {
    this.restores++;
    this.rules = parseRestore(payload, this.rules);
    return Promise.resolve();
  }

  check(table: Table, chain: string, ruleArgs: readonly string[]): Promise<boolean> {
    const want = quote(ruleArgs);
    const rules = this.rules.get(table)?.get(chain)?.rules ?? [];
    return Promise.resolve(rules.some((r) => specOf(r.text) === want));
  }

  insert(table: Table, chain: string, ruleArgs: readonly string[]): Promise<void> {
    this.rules = parseRestore(`*${table}\n-I ${chain} ${quote(ruleArgs)}\nCOMMIT\n`, this.rules);
    return Promise.resolve();
  }

  list(table: Table, chain: string): Promise<string | undefined> {
    this.lists++;
    const found = this.rules.get(table)?.get(chain);
    if (found === undefined) return Promise.resolve(undefined);
    const head = found.policy === '-' ? `-N ${chain}` : `-P ${chain} ${found.policy}`;
    return Promise.resolve([head, ...found.rules.map((r) => `-A ${chain} ${specOf(r.text)}`), ''].join('\n'));
  }

  flushAll(): void {
    this.rules = parseRestore(HOST_BUILTINS);
  }
}

const specOf = (text: string) => text.replace(/^-[AI] \S+ /, '');
const quote = (args: readonly string[]) => args.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ');

const NODE = '2001:db8::10';

function intentFor(services: string[]): NatIntent {
  return buildIntent({
    node: { name: 'node-a', addresses: [NODE], podCIDRs: ['fd00:1::/64'] },
    services: services.map((key) => service(key, [{ name: 'https', port: 443 }])),
    endpointSlices: services.map((key, i) =>
      slice(
        key,
        [{ name: 'https', port: 8443, protocol: 'TCP' }],
        [{ address: `fd00:1::${i + 5}`, node: 'node-a' }],
      ),
    ),
  });
}

const hookJumps = (host: FakeHost) =>
  [...host.rules.values()]
    .flatMap((t) => [...t.values()].flatMap((c) => c.rules))
    .filter((r) => r.comment === HOOK_COMMENT);

describe('syncRules', () => {
  it('writes the chains in one restore and inserts each hook jump once', async () => {
    const host = new FakeHost();
    const stats = await syncRules(host, intentFor(['web/shop']));
    expect(host.restores).toBe(1);
    expect(stats.jumpsInserted).toBe(4);
    expect(stats.chainsDeleted).toEqual([]);
    expect(
      host.rules
        .get('nat')
        ?.get('PREROUTING')
        ?.rules.map((r) => r.target),
    ).toEqual([{ kind: 'JUMP', chain: Chains.prerouting }]);
    expect(host.rules.get('filter')?.has(serviceChain('web/shop'))).toBe(true);
    expect(await canaryPresent(host)).toBe(true);
  });

  it('is idempotent: a second sync inserts nothing and leaves the same rules', async () => {
    const host = new FakeHost();
    await syncRules(host, intentFor(['web/shop']));
    const before = [await host.save('nat'), await host.save('filter')];
    const stats = await syncRules(host, intentFor(['web/shop']));
    expect(stats.jumpsInserted).toBe(0);
    expect([await host.save('nat'), await host.save('filter')]).toEqual(before);
    expect(hookJumps(host)).toHaveLength(4);
  });

  it('deletes the chain of a Service that left the intent', async () => {
    const host = new FakeHost();
    await syncRules(host, intentFor(['web/shop', 'web/blog']));
    const stats = await syncRules(host, intentFor(['web/shop']));
    const gone = serviceChain('web/blog');
    expect(stats.chainsDeleted).toEqual([
      { table: 'nat', chain: gone },
      { table: 'filter', chain: gone },
    ]);
    expect(host.rules.get('nat')?.has(gone)).toBe(false);
    expect(host.rules.get('filter')?.has(gone)).toBe(false);
    expect(host.rules.get('nat')?.has(serviceChain('web/shop'))).toBe(true);
  });

  it('a flush removes the canary, and the next sync restores everything', async () => {
    const host = new FakeHost();
    await syncRules(host, intentFor(['web/shop']));
    const before = [await host.save('nat'), await host.save('filter')];
    host.flushAll();
    expect(await canaryPresent(host)).toBe(false);
    const stats = await syncRules(host, intentFor(['web/shop']));
    expect(stats.jumpsInserted).toBe(4);
    expect([await host.save('nat'), await host.save('filter')]).toEqual(before);
    expect(await canaryPresent(host)).toBe(true);
  });

  it('the canary also fails when only a hook jump went (a `-t nat -F` keeps empty chains)', async () => {
    const host = new FakeHost();
    await syncRules(host, intentFor(['web/shop']));
    const prerouting = host.rules.get('nat')?.get('PREROUTING');
    expect(prerouting?.rules).toHaveLength(1);
    prerouting?.rules.splice(0);
    expect(await canaryPresent(host)).toBe(false);
    await syncRules(host, intentFor(['web/shop']));
    expect(await canaryPresent(host)).toBe(true);
  });
});

describe('canaryPresent', () => {
  it('lists only chains, never saves a whole table (cheap beside 20,000 foreign nat rules)', async () => {
    const host = new FakeHost();
    await syncRules(host, intentFor(['web/shop']));
    host.save = () => Promise.reject(new Error('the canary must not save whole tables'));
    expect(await canaryPresent(host)).toBe(true);
    expect(host.lists).toBeGreaterThan(0);
  });

  it('fails when another tool flushed one of our hooked chains but left the jump', async () => {
    const host = new FakeHost();
    await syncRules(host, intentFor(['web/shop']));
    host.rules.get('nat')?.get(Chains.postrouting)?.rules.splice(0);
    expect(await canaryPresent(host)).toBe(false);
    await syncRules(host, intentFor(['web/shop']));
    expect(await canaryPresent(host)).toBe(true);
  });

  it('fails when a restore by another tool deleted our chains and jumps in one table', async () => {
    const host = new FakeHost();
    await syncRules(host, intentFor(['web/shop']));
    host.rules.set('filter', parseRestore(HOST_BUILTINS).get('filter') ?? new Map<string, Chain>());
    expect(await canaryPresent(host)).toBe(false);
  });
});

describe('RuleSyncer', () => {
  it('applies a change without saving the tables: it knows the chains its last sync left', async () => {
    const host = new FakeHost();
    const syncer = new RuleSyncer(host);
    await syncer.sync(intentFor(['web/shop', 'web/blog']), 'change');
    const saves = host.saves;
    expect(saves).toBeGreaterThan(0);
    const stats = await syncer.sync(intentFor(['web/shop']), 'change');
    expect(host.saves).toBe(saves);
    // The same outcome as a sync that saved: the stale Service's chains went, nothing else moved.
    expect(stats?.chainsDeleted.map((c) => c.chain)).toEqual([
      serviceChain('web/blog'),
      serviceChain('web/blog'),
    ]);
    const fresh = new FakeHost();
    await syncRules(fresh, intentFor(['web/shop']));
    expect([await host.save('nat'), await host.save('filter')]).toEqual([
      await fresh.save('nat'),
      await fresh.save('filter'),
    ]);
  });

  it('saves again on a resync, a canary sync, and after a failed sync', async () => {
    const host = new FakeHost();
    const syncer = new RuleSyncer(host);
    await syncer.sync(intentFor(['web/shop']), 'change');
    for (const reason of ['resync', 'canary'] as const) {
      const saves = host.saves;
      await syncer.sync(intentFor(['web/shop']), reason);
      expect(host.saves, reason).toBeGreaterThan(saves);
    }
    const restore = host.restore.bind(host);
    host.restore = () => Promise.reject(new Error('restore failed'));
    await expect(syncer.sync(intentFor(['web/blog']), 'change')).rejects.toThrow('restore failed');
    host.restore = restore;
    const saves = host.saves;
    await syncer.sync(intentFor(['web/blog']), 'change');
    expect(host.saves).toBeGreaterThan(saves);
  });

  it('skips a change that renders the same rules, but never a resync or canary sync', async () => {
    const host = new FakeHost();
    const syncer = new RuleSyncer(host);
    expect(await syncer.sync(intentFor(['web/shop']), 'change')).toBeDefined();
    expect(host.restores).toBe(1);
    expect(await syncer.sync(intentFor(['web/shop']), 'change')).toBeUndefined();
    expect(host.restores).toBe(1);
    await syncer.sync(intentFor(['web/shop']), 'resync');
    await syncer.sync(intentFor(['web/shop']), 'canary');
    expect(host.restores).toBe(3);
    await syncer.sync(intentFor(['web/shop', 'web/blog']), 'change');
    expect(host.restores).toBe(4);
    expect(host.rules.get('nat')?.has(serviceChain('web/blog'))).toBe(true);
  });

  it('applies again after a failed sync, even with the same rules', async () => {
    const host = new FakeHost();
    const syncer = new RuleSyncer(host);
    const restore = host.restore.bind(host);
    host.restore = () => Promise.reject(new Error('restore failed'));
    await expect(syncer.sync(intentFor(['web/shop']), 'change')).rejects.toThrow('restore failed');
    host.restore = restore;
    expect(await syncer.sync(intentFor(['web/shop']), 'change')).toBeDefined();
    expect(host.rules.get('nat')?.has(serviceChain('web/shop'))).toBe(true);
  });
});
