// A peer client run to its end (lego-batch), its CPU and peak RSS sampled from /proc meanwhile.
import { spawn } from 'node:child_process';
import { cpuSeconds, memoryMb } from './process-stats.ts';

/** Runs `binary args` to the end; rejects with the end of its stderr when it exits non-zero. */
export async function runSampled(
  binary: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ cpu: number; peakMb: number }> {
  const child = spawn(binary, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  let cpu = 0;
  let peakMb = 0;
  const sample = setInterval(() => {
    try {
      cpu = cpuSeconds(child.pid!);
      // An exited process not yet reaped has no VmHWM line: keep the last peak read.
      const peak = memoryMb(child.pid!).peak;
      if (Number.isFinite(peak)) peakMb = peak;
    } catch {
      // Exited between samples.
    }
  }, 200);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  clearInterval(sample);
  if (code !== 0) throw new Error(`${binary.split('/').at(-1)} exited with ${code}: ${stderr}`);
  return { cpu, peakMb };
}
