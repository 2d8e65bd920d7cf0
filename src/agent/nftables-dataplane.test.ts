import { describe, expect, it } from 'vitest';
import { buildIntent } from './model.ts';
import { nftablesDataplane, nftTableComplete, type NftJson, type NftRunner } from './nftables-dataplane.ts';
import { renderNftDelete } from './nftables.ts';
import { service, slice } from './testing.ts';

const intent = buildIntent({
  node: { name: 'node-a', addresses: ['2001:db8::10'], podCIDRs: [] },
  services: [service('web/shop', [{ name: 'https', port: 443 }])],
  endpointSlices: [
    slice(
      'web/shop',
      [{ name: 'https', port: 8443, protocol: 'TCP' }],
      [{ address: 'fd00:1::5', node: 'node-a' }],
    ),
  ],
});
const none = { ...intent, mappings: [] };

const complete: NftJson = {
  nftables: [
    { map: { name: 'published-ports', elem: [[{}, {}]] } },
    ...['prerouting', 'output', 'postrouting', 'forward'].flatMap((name) => [
      { chain: { name } },
      { rule: { chain: name } },
    ]),
  ],
};

/** A fake nft: remembers applied scripts; the table exists after a define, not after a delete. */
function fakeNft(): NftRunner & { applied: string[] } {
  const applied: string[] = [];
  let table: NftJson | undefined;
  return {
    applied,
    apply(script) {
      applied.push(script);
      table = script === renderNftDelete() ? undefined : complete;
      return Promise.resolve();
    },
    listTable: () => Promise.resolve(table),
  };
}

describe('nftablesDataplane', () => {
  it('writes nothing while nothing is published, not even an empty transaction', async () => {
    const nft = fakeNft();
    const d = nftablesDataplane(nft);
    expect(await d.sync(none, 'resync')).toEqual({ bytes: 0, detail: { tablesDeleted: 0 } });
    expect(nft.applied).toEqual([]);
    expect(await d.canary()).toBe(true);
  });

  it('applies one script per sync, skips an unchanged change, and deletes the table once unpublished', async () => {
    const nft = fakeNft();
    const d = nftablesDataplane(nft);
    expect((await d.sync(intent, 'change'))?.detail).toEqual({ tablesReplaced: 1 });
    expect(await d.sync(intent, 'change')).toBeUndefined();
    expect(nft.applied).toHaveLength(1);
    await d.sync(intent, 'resync'); // a resync always applies
    expect(nft.applied).toHaveLength(2);
    expect(await d.canary()).toBe(true);
    expect((await d.sync(none, 'change'))?.detail).toEqual({ tablesDeleted: 1 });
    expect(nft.applied.at(-1)).toBe(renderNftDelete());
    expect(await d.cleanup()).toEqual({ tablesDeleted: 0 });
  });

  it('a failed apply is retried even for an unchanged change', async () => {
    const nft = fakeNft();
    let fail = true;
    const d = nftablesDataplane({
      ...nft,
      apply: (s) => (fail ? Promise.reject(new Error('boom')) : nft.apply(s)),
    });
    await expect(d.sync(intent, 'change')).rejects.toThrow('boom');
    fail = false;
    expect(await d.sync(intent, 'change')).toBeDefined();
  });
});

describe('nftTableComplete', () => {
  it('wants every base chain with a rule and a non-empty port map', () => {
    expect(nftTableComplete(complete)).toBe(true);
    expect(nftTableComplete(undefined)).toBe(false);
    expect(nftTableComplete({ nftables: complete.nftables.filter((i) => !('map' in i)) })).toBe(false);
    expect(
      nftTableComplete({
        nftables: complete.nftables.filter((i) => !('rule' in i) || i.rule !== complete.nftables[2]?.rule),
      }),
    ).toBe(false);
  });
});
