import { describe, expect, it } from 'vitest';
import { execRunner, NetfilterCommandError, runCommand, splitRuleArgs } from './runner.ts';

describe('splitRuleArgs', () => {
  it('keeps a quoted comment as one argument', () => {
    expect(splitRuleArgs('-m comment --comment "acme6: hook" -j ACME6-PREROUTING')).toEqual([
      '-m',
      'comment',
      '--comment',
      'acme6: hook',
      '-j',
      'ACME6-PREROUTING',
    ]);
  });
  it('rejects unbalanced quotes', () => {
    expect(() => splitRuleArgs('-m comment --comment "x')).toThrow(/unbalanced/);
  });
});

describe('execRunner', () => {
  // A fake backend made of shell one-liners: the prefix runs `sh -c SCRIPT sh`, so the
  // "binary" and its arguments arrive as $1.. and the script decides the outcome.
  const runner = (script: string) =>
    execRunner({
      prefix: ['sh', '-c', script, 'sh'],
      binaries: { iptables: 'ipt', save: 'save', restore: 'restore' },
    });

  it('passes the payload to restore with --noflush and -w', async () => {
    const r = runner('test "$*" = "restore --noflush -w 5" && read line && test "$line" = "*nat"');
    await expect(r.restore('*nat\nCOMMIT\n')).resolves.toBeUndefined();
  });

  it('maps -C exit 1 to false and exit 0 to true', async () => {
    await expect(runner('exit 1').check('nat', 'PREROUTING', ['-j', 'X'])).resolves.toBe(false);
    await expect(runner('test "$6" = "-C" && exit 0').check('nat', 'PREROUTING', ['-j', 'X'])).resolves.toBe(
      true,
    );
  });

  it('reports the command and stderr of a failure', async () => {
    const err = await runner('echo "bad rule" >&2; exit 2')
      .check('nat', 'PREROUTING', ['-j', 'X'])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetfilterCommandError);
    expect((err as NetfilterCommandError).stderr).toContain('bad rule');
    expect((err as NetfilterCommandError).command).toContain('-C');
    expect((err as NetfilterCommandError).message).toMatch(/ipt -w 5 -t nat -C PREROUTING -j X.*bad rule/);
  });

  it('returns save output', async () => {
    await expect(runner('echo "$*"').save('filter')).resolves.toBe('save -t filter\n');
  });

  it('rejects a missing binary with the command named', async () => {
    await expect(runCommand(['/nonexistent/acme6-binary'])).rejects.toThrow(/acme6-binary/);
  });
});
