import { describe, expect, it } from 'vitest';
import {
  nativeForwardDrops,
  selectBackend,
  SUPPORT_PROBE,
  xtablesForwardDrop,
  type CommandProbe,
  type SelectProbes,
} from './backend-select.ts';
import { LEGACY_BINARIES, NFT_BINARIES } from './runner.ts';

/** Fake host: whether `nft -c` accepts our table, the ip6tables saves, and `nft -j list chains`. */
function host(
  o: { nft?: boolean; nftSave?: string; legacySave?: string; chains?: string } = {},
): SelectProbes & {
  checked: string[];
} {
  const checked: string[] = [];
  const command: CommandProbe = (argv, input) => {
    const cmd = argv.join(' ');
    if (cmd === 'nft -c -f -') {
      checked.push(input ?? '');
      return Promise.resolve(
        o.nft === false
          ? { exitCode: null, stdout: '', stderr: 'spawn nft ENOENT' }
          : { exitCode: 0, stdout: '', stderr: '' },
      );
    }
    if (cmd === 'nft -j list chains')
      return Promise.resolve({ exitCode: 0, stdout: o.chains ?? '{"nftables":[]}', stderr: '' });
    return Promise.resolve({ exitCode: 1, stdout: '', stderr: 'unexpected' });
  };
  const save = (argv: readonly string[]) => {
    const cmd = argv.join(' ');
    if (cmd === 'ip6tables-nft-save') return Promise.resolve(o.nftSave ?? '');
    if (cmd === 'ip6tables-legacy-save') return Promise.resolve(o.legacySave ?? '');
    return Promise.resolve('');
  };
  return { command, save, checked };
}

const filter = (policy: string, ...rules: string[]) =>
  [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    `:FORWARD ${policy} [0:0]`,
    ':OUTPUT ACCEPT [0:0]',
    ...rules,
    'COMMIT',
    '',
  ].join('\n');

describe('xtablesForwardDrop', () => {
  it.each([
    ['', undefined],
    [filter('ACCEPT'), undefined],
    [filter('DROP'), 'ip6tables-nft FORWARD has policy DROP'],
    [
      filter('ACCEPT', '-A FORWARD -j REJECT --reject-with icmp6-port-unreachable'),
      'ip6tables-nft FORWARD ends with an unconditional DROP or REJECT',
    ],
    [
      filter('ACCEPT', '-A FORWARD -m comment --comment "default deny" -j DROP'),
      'ip6tables-nft FORWARD ends with an unconditional DROP or REJECT',
    ],
    // A conditional drop, or a drop that is not last, does not drop everything else.
    [filter('ACCEPT', '-A FORWARD -s 2001:db8::/32 -j DROP'), undefined],
    [filter('ACCEPT', '-A FORWARD -j DROP', '-A FORWARD -j ACCEPT'), undefined],
    // FORWARD of another table (mangle) is not a filter.
    ['*mangle\n:FORWARD DROP [0:0]\nCOMMIT\n', undefined],
  ])('%j → %s', (save, reason) => {
    expect(xtablesForwardDrop('nft', save)).toBe(reason);
  });
});

describe('nativeForwardDrops', () => {
  const chains = (...c: object[]) => JSON.stringify({ nftables: c.map((chain) => ({ chain })) });
  it('names native forward chains that drop by default, not iptables-nft’s own FORWARD', () => {
    expect(
      nativeForwardDrops(
        chains(
          { family: 'inet', table: 'filter', name: 'forward', hook: 'forward', policy: 'drop' },
          { family: 'ip6', table: 'filter', name: 'FORWARD', hook: 'forward', policy: 'drop' },
          { family: 'ip', table: 'fw', name: 'forward', hook: 'forward', policy: 'drop' },
          { family: 'ip6', table: 'fw', name: 'forward', hook: 'forward', policy: 'accept' },
          { family: 'ip6', table: 'fw', name: 'input', hook: 'input', policy: 'drop' },
        ),
      ),
    ).toEqual([
      expect.stringMatching(/^nftables chain inet filter forward drops forwarded packets by default/),
    ]);
    expect(nativeForwardDrops('')).toEqual([]);
    expect(nativeForwardDrops('not json')).toEqual([]);
  });
});

describe('selectBackend', () => {
  it('auto: nftables where nft loads our table and no ip6tables FORWARD drops', async () => {
    const h = host({ nftSave: filter('ACCEPT') });
    const s = await selectBackend('auto', h);
    expect(s).toMatchObject({ kind: 'nftables', warnings: [] });
    expect(s.reason).toContain('auto: nft and the kernel support it');
    expect(h.checked).toEqual([SUPPORT_PROBE]);
  });

  it('auto: nftables with a warning about a native firewall that drops forwarded packets', async () => {
    const s = await selectBackend(
      'auto',
      host({
        chains: JSON.stringify({
          nftables: [
            { chain: { family: 'inet', table: 'fw', name: 'fwd', hook: 'forward', policy: 'drop' } },
          ],
        }),
      }),
    );
    expect(s.kind).toBe('nftables');
    expect(s.kind === 'nftables' && s.warnings).toHaveLength(1);
  });

  it('auto: the ip6tables variant whose FORWARD drops, even when the other holds more rules', async () => {
    const s = await selectBackend(
      'auto',
      host({
        legacySave: filter('DROP'),
        nftSave: filter('ACCEPT', ...Array<string>(9).fill('-A INPUT -j ACCEPT')),
      }),
    );
    expect(s).toMatchObject({ kind: 'iptables', xtables: { backend: 'legacy', binaries: LEGACY_BINARIES } });
    expect(s.reason).toContain('not nftables because ip6tables-legacy FORWARD has policy DROP');
    const n = await selectBackend('auto', host({ nftSave: filter('DROP') }));
    expect(n).toMatchObject({ kind: 'iptables', xtables: { backend: 'nft', binaries: NFT_BINARIES } });
  });

  it('auto: the detected ip6tables variant where nft is missing or cannot load our table', async () => {
    const s = await selectBackend('auto', host({ nft: false }));
    expect(s).toMatchObject({ kind: 'iptables', xtables: { backend: 'nft' } });
    expect(s.reason).toContain('nft cannot load an ip6 nat table with maps (spawn nft ENOENT)');
  });

  it('nftables: refuses to start where it cannot work, instead of publishing ports nobody reaches', async () => {
    await expect(selectBackend('nftables', host({ nftSave: filter('DROP') }))).rejects.toThrow(
      /--backend=nftables cannot work on this host: ip6tables-nft FORWARD has policy DROP/,
    );
    await expect(selectBackend('nftables', host({ nft: false }))).rejects.toThrow(/nft cannot load/);
    expect((await selectBackend('nftables', host())).kind).toBe('nftables');
  });

  it('iptables variants: fixed ones need no probe, iptables follows the host', async () => {
    expect(await selectBackend('iptables-legacy', host({ nft: false }))).toMatchObject({
      xtables: { backend: 'legacy' },
    });
    expect(await selectBackend('legacy', host())).toMatchObject({ xtables: { backend: 'legacy' } });
    expect(await selectBackend('nft', host())).toMatchObject({ xtables: { backend: 'nft' } });
    const detected = await selectBackend(
      'iptables',
      host({ legacySave: filter('ACCEPT', '-A INPUT -j ACCEPT') }),
    );
    expect(detected).toMatchObject({ kind: 'iptables', xtables: { backend: 'legacy' } });
  });
});
