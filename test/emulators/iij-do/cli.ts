// Runs the DO-API emulator beside a `make testbed-up` testbed, for `ACME6_DEMO_DNS=iij-do make demo`
// and for trying the provider by hand. Reads the testbed's DNS from the environment (.testbed/env),
// writes the emulator's endpoint and CA to .testbed/iij-do.env and .testbed/iij-do-ca.pem, and
// serves until SIGTERM or SIGINT.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testbedDnsFromEnv } from '../../testbed/dns-env.ts';
import { stateDir } from '../../testbed/paths.ts';
import { IijDoEmulator } from './server.ts';

const [accessKey = 'demo-access-key', secretKey = 'demo-secret-key', serviceCode = 'do00000001'] =
  process.argv.slice(2);
const emulator = await IijDoEmulator.start({
  serviceCode,
  zones: ['example.test'],
  credentials: { [accessKey]: secretKey },
  dns: testbedDnsFromEnv(),
});
const caFile = join(stateDir, 'iij-do-ca.pem');
writeFileSync(caFile, emulator.caPem);
const lines = [`ACME6_IIJ_DO_ENDPOINT=${emulator.endpoint}`, `ACME6_IIJ_DO_CA_FILE=${caFile}`];
writeFileSync(join(stateDir, 'iij-do.env'), `${lines.join('\n')}\n`, { mode: 0o600 });
console.log(`IIJ DO-API emulator at ${emulator.endpoint} (service ${serviceCode})`);
const stop = (): void => void emulator.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
