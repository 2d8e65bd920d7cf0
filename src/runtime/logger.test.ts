import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Logger } from './logger.ts';
import { silentLogger } from './logger.ts';

describe('Logger', () => {
  it('is satisfied by a pino logger and by silentLogger', () => {
    const logger: Logger = pino({ level: 'silent' });
    expect(() => logger.warn({ key: 'n/a' }, 'message')).not.toThrow();
    expect(() => silentLogger.error({ err: new Error('x') })).not.toThrow();
  });
});
