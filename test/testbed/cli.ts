// `make testbed-up` / `make testbed-down`: one testbed left running in the background.
//   up     starts a detached `serve` and waits until it reports ready (or failed)
//   serve  runs the testbed until SIGTERM; writes .testbed/{kubeconfig,env,pid}
//   down   stops the running testbed and waits until it is gone
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stateDir } from './paths.ts';
import { Testbed } from './testbed.ts';

const files = {
  pid: join(stateDir, 'pid'),
  env: join(stateDir, 'env'),
  kubeconfig: join(stateDir, 'kubeconfig'),
  log: join(stateDir, 'serve.log'),
  failed: join(stateDir, 'failed'),
};

function runningPid(): number | undefined {
  if (!existsSync(files.pid)) return undefined;
  const pid = Number(readFileSync(files.pid, 'utf8'));
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function up(): Promise<void> {
  const pid = runningPid();
  if (pid) {
    console.log(`testbed already running (pid ${pid}); see ${files.env}`);
    return;
  }
  mkdirSync(stateDir, { recursive: true });
  for (const f of [files.env, files.failed, files.kubeconfig]) rmSync(f, { force: true });
  const log = openSync(files.log, 'w');
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve'], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.unref();
  const deadline = Date.now() + 20 * 60_000; // the first run may build the binaries
  while (!existsSync(files.env)) {
    if (existsSync(files.failed) || child.exitCode !== null || Date.now() > deadline) {
      console.error(
        `testbed failed to start; log: ${files.log}\n${readFileSync(files.log, 'utf8').slice(-3000)}`,
      );
      process.exit(1);
    }
    await sleep(250);
  }
  console.log(readFileSync(files.env, 'utf8').trimEnd());
  console.log(
    `\ntestbed running (pid ${child.pid}); try: kubectl --kubeconfig ${files.kubeconfig} get certificates -A`,
  );
}

async function serve(): Promise<void> {
  let testbed: Testbed;
  try {
    testbed = await Testbed.start();
  } catch (err) {
    writeFileSync(files.failed, String(err));
    throw err;
  }
  writeFileSync(files.kubeconfig, readFileSync(testbed.info.kubeconfigFile), { mode: 0o600 });
  writeFileSync(files.pid, String(process.pid));
  // Written last: it means "ready". 0600: it holds the testbed's TSIG secret.
  writeFileSync(files.env, testbed.envLines(files.kubeconfig), { mode: 0o600 });
  console.log(`testbed ready in ${testbed.info.dir}`);
  const stop = async (): Promise<void> => {
    await testbed.stop();
    for (const f of [files.pid, files.env, files.kubeconfig]) rmSync(f, { force: true });
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  setInterval(() => undefined, 1 << 30); // keep the event loop alive until a signal arrives
}

async function down(): Promise<void> {
  const pid = runningPid();
  if (!pid) {
    console.log('no testbed running');
    return;
  }
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 120 && runningPid(); i++) await sleep(250);
  if (runningPid()) {
    process.kill(pid, 'SIGKILL'); // its servers die with it (pdeathsig); the next start reaps the directory
    console.error(`testbed (pid ${pid}) did not stop in 30 s; killed`);
  }
  console.log('testbed stopped');
}

const commands: Record<string, () => Promise<void>> = { up, serve, down };
const command = commands[process.argv[2] ?? ''];
if (!command) {
  console.error('usage: cli.ts up|down|serve');
  process.exit(2);
}
await command();
