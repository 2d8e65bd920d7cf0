// `kubectl acme6 ...`: dispatches the plugin's commands; each gathers, then formats purely.
import type { Io } from '../cmd/main.ts';
import { apiErrorMessage, isForbidden, isNotFound } from '../kube/errors.ts';
import { formatCertificateStatus, type SecretState, type StatusInput } from './certificate-view.ts';
import { readFileSync } from 'node:fs';
import { PluginCluster } from './cluster.ts';
import { certificateName } from './names.ts';
import { convertObjects } from './convert/convert.ts';
import { parseObjects } from './convert/input.ts';
import { renderNotes, renderYaml } from './convert/render.ts';
import { parsePluginArgs, USAGE, type ConnectionFlags } from './flags.ts';
import { requestRenewal } from './renew.ts';
import { readSecretReport } from './secret-report.ts';
import { formatSecretReport } from './secret-view.ts';
import { formatServiceStatus } from './service-view.ts';
import { ANNOTATION_EXPOSE_IPV6 } from '../api/group.ts';

const now = (): Date => new Date();

async function statusCertificate(cluster: PluginCluster, name: string, io: Io): Promise<number> {
  const ns = cluster.namespace;
  const certificate = await cluster.get(name, ns);
  if (!certificate) {
    io.err.write(`kubectl-acme6: ${certificateName(ns, name)} not found\n`);
    return 1;
  }
  let secret: SecretState;
  try {
    const found = await cluster.getSecret(ns, certificate.spec.secretName);
    secret = found ? { kind: 'present', report: readSecretReport(found) } : { kind: 'missing' };
  } catch (err) {
    secret = { kind: 'unreadable', error: apiErrorMessage(err) };
  }
  let events: StatusInput['events'];
  try {
    events = await cluster.certificateEvents(ns, name, certificate.metadata.uid);
  } catch (err) {
    events = { error: apiErrorMessage(err) };
  }
  io.out.write(formatCertificateStatus({ certificate, secret, events, now: now() }));
  return 0;
}

async function statusService(
  cluster: PluginCluster,
  name: string,
  agentNamespace: string,
  io: Io,
): Promise<number> {
  const ns = cluster.namespace;
  const service = await cluster.getService(ns, name);
  if (!service) {
    io.err.write(`kubectl-acme6: service ${ns}/${name} not found\n`);
    return 1;
  }
  const entries = await cluster.publishedEntries(agentNamespace, `${ns}/${name}`);
  const expose = service.metadata?.annotations?.[ANNOTATION_EXPOSE_IPV6];
  io.out.write(formatServiceStatus({ service: `${ns}/${name}`, expose, entries }));
  return 0;
}

async function inspectSecret(cluster: PluginCluster, name: string, io: Io): Promise<number> {
  const secret = await cluster.getSecret(cluster.namespace, name);
  if (!secret) {
    io.err.write(`kubectl-acme6: secret ${cluster.namespace}/${name} not found\n`);
    return 1;
  }
  const report = readSecretReport(secret);
  io.out.write(formatSecretReport(report, now()));
  return report.chain.length > 0 ? 0 : 1;
}

async function renew(
  cluster: PluginCluster,
  targets: string[],
  all: boolean,
  flags: ConnectionFlags,
  io: Io,
): Promise<number> {
  const named = all
    ? (await cluster.listCertificates(flags.allNamespaces ? undefined : cluster.namespace)).map((c) => ({
        name: c.metadata.name ?? '',
        namespace: c.metadata.namespace ?? cluster.namespace,
      }))
    : targets.map((name) => ({ name, namespace: cluster.namespace }));
  if (named.length === 0) io.out.write('no certificates found\n');
  let failed = 0;
  for (const { name, namespace } of named) {
    try {
      const outcome = await requestRenewal(cluster, name, namespace, now);
      (outcome.ok ? io.out : io.err).write(`${outcome.line}\n`);
      if (!outcome.ok) failed += 1;
    } catch (err) {
      failed += 1;
      const hint = isForbidden(err) ? ' (renew needs "patch" on certificates/status in group acme6.io)' : '';
      io.err.write(`${certificateName(namespace, name)}: ${apiErrorMessage(err)}${hint}\n`);
    }
  }
  return failed === 0 ? 0 : 1;
}

async function convert(
  files: string[],
  flags: ConnectionFlags,
  connect: () => PluginCluster,
  io: Io,
): Promise<number> {
  let inputs: unknown[];
  let namespace = flags.namespace ?? 'default';
  if (files.length > 0) {
    inputs = files.flatMap((file) => parseObjects(readFileSync(file, 'utf8'), file));
  } else {
    const cluster = connect();
    namespace = cluster.namespace;
    try {
      inputs = await cluster.listCertManagerObjects(flags.allNamespaces ? undefined : namespace);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      io.err.write(
        `kubectl-acme6: cert-manager's CRDs (cert-manager.io/v1) are not installed in this cluster\n`,
      );
      return 1;
    }
  }
  const converted = convertObjects(inputs, namespace);
  io.out.write(renderYaml(converted));
  io.err.write(renderNotes(converted));
  const done = converted.filter((c) => c.object).length;
  io.err.write(`converted ${done} of ${converted.length} objects\n`);
  return 0;
}

/** Runs the plugin; returns the exit code (2 for usage errors, 1 when something was not found or failed). */
export async function runPlugin(
  argv: string[],
  io: Io,
  connect: (flags: ConnectionFlags) => PluginCluster = (flags) => new PluginCluster(flags),
): Promise<number> {
  const parsed = parsePluginArgs(argv);
  if (typeof parsed === 'string') {
    io.err.write(`kubectl-acme6: ${parsed}\n\n${USAGE}`);
    return 2;
  }
  const { command, connection } = parsed;
  if (command.name === 'help') {
    io.out.write(USAGE);
    return 0;
  }
  try {
    if (command.name === 'convert')
      return await convert(command.files, connection, () => connect(connection), io);
    const cluster = connect(connection);
    switch (command.name) {
      case 'status-certificate':
        return await statusCertificate(cluster, command.target, io);
      case 'status-service':
        return await statusService(cluster, command.target, command.agentNamespace, io);
      case 'inspect-secret':
        return await inspectSecret(cluster, command.target, io);
      case 'renew':
        return await renew(cluster, command.targets, command.all, connection, io);
    }
  } catch (err) {
    const what = isNotFound(err) ? ' (is acme6 installed? its CRDs are missing)' : '';
    io.err.write(`kubectl-acme6: ${apiErrorMessage(err)}${what}\n`);
    return 1;
  }
}
