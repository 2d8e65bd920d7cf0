// Subcommand dispatch for `acme6`. Each role (controller, agent, solver) registers here as it lands.
import { readFileSync } from 'node:fs';

/** Where a command writes. */
export interface Io {
  out: { write(s: string): unknown };
  err: { write(s: string): unknown };
}

/** One subcommand: a runner returning the exit code. */
export interface Command {
  run(args: string[], io: Io): Promise<number>;
}

/** A subcommand as listed: loaded only when it runs, so a solver pod never imports the controllers. */
interface Entry {
  summary: string;
  load(): Promise<Command>;
}

// The same code runs from src/ (tests) and dist/src/ (the built program): find package.json upwards.
export function packageVersion(): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as {
        name?: string;
        version: string;
      };
      if (pkg.name === 'acme6') return pkg.version;
    } catch {
      // not here; look one level up
    }
    if (dir.pathname === '/') return 'unknown';
  }
}

const commands: Record<string, Entry> = {
  agent: {
    summary: 'run the node agent (IPv6 publishing of ULA pods)',
    load: async () => (await import('./agent.ts')).agentCommand,
  },
  controller: {
    summary: 'run the certificate and issuer controllers',
    load: async () => (await import('./controller.ts')).controllerCommand,
  },
  solver: {
    summary: 'serve one http-01 challenge (runs in solver pods)',
    load: async () => (await import('./solver.ts')).solverCommand,
  },
  version: {
    summary: 'print the acme6 version',
    load: () =>
      Promise.resolve({
        run(_args, io) {
          io.out.write(`acme6 ${packageVersion()} (node ${process.version})\n`);
          return Promise.resolve(0);
        },
      }),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: acme6 <command> [flags]\n\ncommands:\n${lines.join('\n')}\n`;
}

/** Runs `acme6 <command> ...`; returns the process exit code (2 for usage errors). */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.out.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    io.err.write(`acme6: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return (await command.load()).run(rest, io);
}
