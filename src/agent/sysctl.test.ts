import { describe, expect, it } from 'vitest';
import { checkSysctls, defaultRouteInterfaces } from './sysctl.ts';

const ROUTES = [
  'fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth1',
  '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000003 00000000 00450003     eth0',
  '00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo',
].join('\n');

const proc = (files: Record<string, string>) => (path: string) => files[path];

describe('checkSysctls', () => {
  it('finds the uplinks of IPv6 default routes (not lo)', () => {
    expect(defaultRouteInterfaces(ROUTES)).toEqual(['eth0']);
  });

  it('is an error when forwarding is off, naming the sysctl and the fix', () => {
    const r = checkSysctls(proc({ '/proc/sys/net/ipv6/conf/all/forwarding': '0\n' }));
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain('net.ipv6.conf.all.forwarding is 0');
    expect(r.errors[0]).toContain('sysctl -w net.ipv6.conf.all.forwarding=1');
  });

  it('warns when the uplink has accept_ra=1 while forwarding', () => {
    const r = checkSysctls(
      proc({
        '/proc/sys/net/ipv6/conf/all/forwarding': '1\n',
        '/proc/net/ipv6_route': ROUTES,
        '/proc/sys/net/ipv6/conf/eth0/accept_ra': '1\n',
      }),
    );
    expect(r.errors).toEqual([]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain('net.ipv6.conf.eth0.accept_ra=2');
  });

  it('is quiet with forwarding on and accept_ra 2 (or 0, static)', () => {
    for (const ra of ['2', '0']) {
      const r = checkSysctls(
        proc({
          '/proc/sys/net/ipv6/conf/all/forwarding': '1',
          '/proc/net/ipv6_route': ROUTES,
          '/proc/sys/net/ipv6/conf/eth0/accept_ra': ra,
        }),
      );
      expect(r).toEqual({ errors: [], warnings: [] });
    }
  });

  it('is an error when IPv6 is not there at all', () => {
    expect(checkSysctls(proc({})).errors[0]).toContain('cannot read net.ipv6.conf.all.forwarding');
  });
});
