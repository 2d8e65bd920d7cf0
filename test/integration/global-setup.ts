// Starts one real testbed for the whole integration run and hands its coordinates to test files.
import type { TestProject } from 'vitest/node';
import { Testbed, type TestbedInfo } from '../testbed/testbed.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    testbed: TestbedInfo;
  }
}

/** vitest global setup: start the testbed, return its teardown. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const testbed = await Testbed.start();
  const ingress = testbed.info.ingress ? `, ingress ${testbed.info.ingress.httpUrl}` : '';
  const pods = testbed.info.podRunner ? `, acme6 pods run as ${testbed.info.podRunner.runtime}` : '';
  console.log(`testbed up in ${Date.now() - started} ms (${testbed.info.apiserverUrl}${ingress}${pods})`);
  project.provide('testbed', testbed.info);
  return () => testbed.stop();
}
