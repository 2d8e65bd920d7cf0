// Runs the DPF emulator beside a `make testbed-up` testbed, for `ACME6_DEMO_DNS=iij-dpf make demo`
// and for trying the provider by hand. Reads the testbed's DNS from the environment (.testbed/env),
// writes the emulator's endpoint and CA to .testbed/iij-dpf.env and .testbed/iij-dpf-ca.pem, and
// serves until SIGTERM or SIGINT.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testbedDnsFromEnv } from '../../testbed/dns-env.ts';
import { stateDir } from '../../testbed/paths.ts';
import { IijDpfEmulator } from './server.ts';

const [token = 'demo-token', serviceCode = 'dpm00000001'] = process.argv.slice(2);
const emulator = await IijDpfEmulator.start({
  zones: [{ name: 'example.test.', serviceCode }],
  tokens: { [token]: 'SA0000001' },
  dns: testbedDnsFromEnv(),
});
const caFile = join(stateDir, 'iij-dpf-ca.pem');
writeFileSync(caFile, emulator.caPem);
const lines = [`ACME6_IIJ_DPF_ENDPOINT=${emulator.endpoint}`, `ACME6_IIJ_DPF_CA_FILE=${caFile}`];
writeFileSync(join(stateDir, 'iij-dpf.env'), `${lines.join('\n')}\n`, { mode: 0o600 });
console.log(`IIJ DPF emulator at ${emulator.endpoint} (service ${serviceCode})`);
const stop = (): void => void emulator.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
