import { describe, expect, it } from 'vitest';
import { buildIntent, type NodeFacts } from './model.ts';
import { service, slice } from './testing.ts';

const NODE: NodeFacts = {
  name: 'node-a',
  addresses: ['10.0.0.1', 'fe80::1', 'fd00:ffff::1', '2001:DB8:0::10'],
  podCIDRs: ['10.244.0.0/24', 'fd00:1::/64', '2001:db8:99::/64'],
};

const SHOP_PORTS = [
  { name: 'https', port: 443, protocol: 'TCP' },
  { name: 'dns', port: 53, protocol: 'UDP' },
  { name: 'admin', port: 9000 },
];
const SHOP_SLICE = slice(
  'web/shop',
  [
    { name: 'https', port: 8443, protocol: 'TCP' },
    { name: 'dns', port: 5353, protocol: 'UDP' },
    { name: 'admin', port: 9000, protocol: 'TCP' },
  ],
  [
    { address: 'fd00:1::5', node: 'node-a' },
    { address: 'fd00:1::7', node: 'node-a', ready: false },
    { address: 'fd00:2::6', node: 'node-b' },
  ],
);

describe('buildIntent', () => {
  it('maps exposed ports of ready local ULA endpoints to the node’s global address', () => {
    const intent = buildIntent({
      node: NODE,
      services: [service('web/shop', SHOP_PORTS, { expose: 'true', ports: '443, dns' })],
      endpointSlices: [SHOP_SLICE],
    });
    expect(intent.problems).toEqual([]);
    expect(intent.mappings).toEqual([
      {
        service: 'web/shop',
        protocol: 'UDP',
        nodeAddress: '2001:db8::10',
        port: 53,
        podAddress: 'fd00:1::5',
        targetPort: 5353,
      },
      {
        service: 'web/shop',
        protocol: 'TCP',
        nodeAddress: '2001:db8::10',
        port: 443,
        podAddress: 'fd00:1::5',
        targetPort: 8443,
      },
    ]);
    expect(intent.masqueradePrefixes).toEqual(['fd00:1::/64']);
  });

  it('exposes every port when expose-ports is unset, and ignores unannotated Services', () => {
    const intent = buildIntent({
      node: NODE,
      services: [service('web/shop', SHOP_PORTS), service('web/other', SHOP_PORTS, {})],
      endpointSlices: [SHOP_SLICE, slice('web/other', [{ name: 'https', port: 1 }], [])],
    });
    expect(intent.mappings.map((m) => `${m.protocol}/${m.port}`)).toEqual(['UDP/53', 'TCP/443', 'TCP/9000']);
  });

  it.each([
    ['443,,dns', 'BadExposePorts', 'expose-ports entry "" is not a port number or port name'],
    ['70000', 'BadExposePorts', 'expose-ports entry "70000" is not a port number or port name'],
    ['8080', 'UnknownPort', 'names port "8080", which the Service does not have'],
    ['smtp', 'UnknownPort', 'names port "smtp", which the Service does not have'],
  ])('reports expose-ports %j as %s', (value, reason, message) => {
    const intent = buildIntent({
      node: NODE,
      services: [service('web/shop', SHOP_PORTS, { expose: 'true', ports: value })],
      endpointSlices: [SHOP_SLICE],
    });
    expect(intent.problems).toHaveLength(1);
    expect(intent.problems[0]).toMatchObject({ service: 'web/shop', reason });
    expect(intent.problems[0]?.message).toContain(message);
  });

  it('reports an expose-ipv6 value other than true or false', () => {
    const intent = buildIntent({
      node: NODE,
      services: [service('web/shop', SHOP_PORTS, { expose: 'yes' })],
      endpointSlices: [SHOP_SLICE],
    });
    expect(intent.mappings).toEqual([]);
    expect(intent.problems).toEqual([
      {
        service: 'web/shop',
        reason: 'BadExposeValue',
        message: 'acme6.io/expose-ipv6 is "yes"; use "true" or "false"',
      },
    ]);
  });

  it('reports a node without a global IPv6 address', () => {
    const intent = buildIntent({
      node: { name: 'node-a', addresses: ['fd00:ffff::1', 'fe80::1', '192.0.2.1'] },
      services: [service('web/shop', SHOP_PORTS)],
      endpointSlices: [SHOP_SLICE],
    });
    expect(intent.mappings).toEqual([]);
    expect(intent.problems).toEqual([
      {
        service: 'web/shop',
        reason: 'NoGlobalAddress',
        message:
          "node node-a has no global IPv6 address (2000::/3) to publish on; add one to the node's addresses",
      },
    ]);
  });

  it('reports non-ULA endpoints and never maps them (no ::1, no link-local, no GUA)', () => {
    const intent = buildIntent({
      node: NODE,
      services: [service('web/shop', SHOP_PORTS, { expose: 'true', ports: '443' })],
      endpointSlices: [
        slice(
          'web/shop',
          [{ name: 'https', port: 8443 }],
          ['2001:db8:1::5', '::1', 'fe80::5'].map((address) => ({ address, node: 'node-a' })),
        ),
      ],
    });
    expect(intent.mappings).toEqual([]);
    expect(intent.problems.map((p) => p.reason)).toEqual([
      'NonUlaEndpoint',
      'NonUlaEndpoint',
      'NonUlaEndpoint',
    ]);
    expect(intent.problems[0]?.message).toBe(
      'endpoint 2001:db8:1::5 is not a ULA address (fc00::/7); it is not published',
    );
  });

  it('gives a contested node port to the first Service by key and reports the other', () => {
    const ports = [{ name: 'https', port: 443 }];
    const ep = (key: string, address: string) =>
      slice(key, [{ name: 'https', port: 8443 }], [{ address, node: 'node-a' }]);
    const intent = buildIntent({
      node: NODE,
      services: [service('b/two', ports), service('a/one', ports)],
      endpointSlices: [ep('a/one', 'fd00:1::1'), ep('b/two', 'fd00:1::2')],
    });
    expect(intent.mappings.map((m) => m.service)).toEqual(['a/one']);
    expect(intent.problems).toEqual([
      {
        service: 'b/two',
        reason: 'PortConflict',
        message: 'TCP [2001:db8::10]:443 is already published by Service a/one',
      },
    ]);
  });

  it('rejects SCTP ports', () => {
    const intent = buildIntent({
      node: NODE,
      services: [service('web/sctp', [{ name: 's', port: 9, protocol: 'SCTP' }])],
      endpointSlices: [],
    });
    expect(intent.problems.map((p) => p.reason)).toEqual(['UnsupportedProtocol']);
  });
});
