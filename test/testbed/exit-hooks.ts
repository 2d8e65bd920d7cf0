// Last-resort cleanup when the process leaves without stopping its testbeds: on 'exit' (including
// an uncaught exception) and on SIGINT/SIGTERM/SIGHUP. Only synchronous work is possible here.
type Hook = () => void;
const hooks = new Set<Hook>();
const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let installed = false;

function runAll(): void {
  for (const hook of [...hooks]) {
    try {
      hook();
    } catch {
      // Keep going: every testbed deserves its cleanup.
    }
  }
  hooks.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  // If nobody else handles the signal, die of it as the default action would have.
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

/** Registers a synchronous cleanup; returns a function that unregisters it. */
export function onProcessExit(hook: Hook): () => void {
  if (!installed) {
    installed = true;
    process.on('exit', runAll);
    for (const s of signals) process.on(s, onSignal);
  }
  hooks.add(hook);
  return () => hooks.delete(hook);
}
