import { describe, expect, it } from 'vitest';
import { formatServiceStatus } from './service-view.ts';

describe('formatServiceStatus', () => {
  it('lists every node’s mappings, nodes sorted', () => {
    expect(
      formatServiceStatus({
        service: 'web/shop',
        expose: 'true',
        entries: [
          { node: 'node-b', value: 'node-b/[2001:db8::2]:443/TCP -> [fd00::3]:8443' },
          {
            node: 'node-a',
            value:
              'node-a/[2001:db8::1]:443/TCP -> [fd00::2]:8443, node-a/[2001:db8::1]:53/UDP -> [fd00::2]:5353',
          },
        ],
      }),
    ).toBe(
      [
        'Service web/shop',
        '  expose-ipv6: true',
        '  published:',
        '    node-a/[2001:db8::1]:443/TCP -> [fd00::2]:8443',
        '    node-a/[2001:db8::1]:53/UDP -> [fd00::2]:5353',
        '    node-b/[2001:db8::2]:443/TCP -> [fd00::3]:8443',
        '',
      ].join('\n'),
    );
  });

  it('says when no agent reports the Service', () => {
    expect(formatServiceStatus({ service: 'web/x', expose: undefined, entries: [] })).toContain(
      'published: nowhere (no node agent reports it)',
    );
  });
});
