import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createChallengeServer, hostName } from '../solvers/http01/challenge-server.ts';
import { parseSolverFlags } from './solver.ts';

const challenge = { domain: 'app.example.test', token: 'tok-EN_1', keyAuthorization: 'tok-EN_1.thumb_P-1' };
const good = [
  '--domain',
  challenge.domain,
  '--token',
  challenge.token,
  '--key-auth',
  challenge.keyAuthorization,
];

function get(port: number, path: string, host: string, method = 'GET') {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('acme6 solver flags', () => {
  it('accepts a challenge and defaults the port', () => {
    expect(parseSolverFlags([...good, '--listen-host', '127.0.0.5'])).toEqual({
      challenge,
      host: '127.0.0.5',
      port: 8089,
    });
  });

  it.each([
    [['--token', 't', '--key-auth', 't.x'], '--domain must be a DNS name'],
    [['--domain', 'a b', '--token', 't', '--key-auth', 't.x'], '--domain must be a DNS name'],
    [['--domain', 'a.test', '--token', 't/..', '--key-auth', 't.x'], '--token must be'],
    [['--domain', 'a.test', '--token', 't', '--key-auth', 'u.x'], '--key-auth must be'],
    [['--domain', 'a.test', '--token', 't', '--key-auth', 't.x.y'], '--key-auth must be'],
    [[...good, '--listen-port', '70000'], '--listen-port must be a port'],
    [[...good, '--bogus'], "Unknown option '--bogus'"],
  ])('rejects %j', (args, message) => {
    const result = parseSolverFlags(args);
    expect('error' in result && result.error).toContain(message);
  });
});

describe('challenge server', () => {
  const server = createChallengeServer(challenge);
  afterEach(() => {
    server.close();
  });

  async function listen(): Promise<number> {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  }

  it('answers the token for its host, any port and case, and nothing else', async () => {
    const port = await listen();
    const path = `/.well-known/acme-challenge/${challenge.token}`;
    expect(await get(port, path, 'app.example.test')).toEqual({
      status: 200,
      body: challenge.keyAuthorization,
    });
    expect(await get(port, path, 'APP.example.test:80')).toMatchObject({ status: 200 });
    expect(await get(port, path, 'app.example.test.:8080')).toMatchObject({ status: 200 });
    expect(await get(port, path, 'other.example.test')).toEqual({ status: 404, body: 'not found\n' });
    expect(await get(port, '/.well-known/acme-challenge/other', 'app.example.test')).toMatchObject({
      status: 404,
    });
    expect(await get(port, `${path}?x=1`, 'app.example.test')).toMatchObject({ status: 404 });
    expect(await get(port, '/', 'app.example.test')).toMatchObject({ status: 404 });
    expect(await get(port, path, 'app.example.test', 'POST')).toMatchObject({ status: 404 });
  });

  it('reads host names from Host headers', () => {
    expect(hostName('Example.TEST:80')).toBe('example.test');
    expect(hostName('[2001:db8::1]:80')).toBe('[2001:db8::1]');
    expect(hostName(undefined)).toBeUndefined();
  });
});

describe('acme6 solver process', () => {
  it('serves until SIGTERM and then exits 0', async () => {
    const entry = new URL('./acme6.ts', import.meta.url).pathname;
    const child = spawn(
      process.execPath,
      [entry, 'solver', ...good, '--listen-host', '127.0.0.1', '--listen-port', '0'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8');
    const port = await new Promise<number>((resolve, reject) => {
      child.stderr.on('data', (chunk: string) => {
        stderr += chunk;
        const match = /on 127\.0\.0\.1 port (\d+)/.exec(stderr);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', () => reject(new Error(`solver exited early: ${stderr}`)));
    });
    const path = `/.well-known/acme-challenge/${challenge.token}`;
    expect(await get(port, path, challenge.domain)).toEqual({
      status: 200,
      body: challenge.keyAuthorization,
    });
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  }, 60_000); // starting node with the whole program takes seconds on a busy machine
});
