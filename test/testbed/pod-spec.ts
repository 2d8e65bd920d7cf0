// Pure rules of the testbed's pod runner: which images it can run, the container's environment
// (values and fieldRefs) and `$(VAR)` expansion as the kubelet does it, and the resulting command line.
import type { V1Container, V1Pod } from '@kubernetes/client-node';

/** The images the pod runner knows. */
export type ImageKind = 'acme6' | 'http-echo';

/** The built-in test site image: answers `site NAMESPACE/POD`. */
export const HTTP_ECHO_REPOSITORY = 'acme6-testbed/http-echo';

/** A pod the runner cannot run, with the reason an Event reports. */
export class UnrunnablePodError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** The repository part of an image reference: without `@digest` and without `:tag`. */
export function imageRepository(image: string): string {
  const withoutDigest = image.split('@', 1)[0] ?? '';
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  // A colon before the last slash belongs to a registry port (localhost:5000/acme6), not a tag.
  return colon > slash ? withoutDigest.slice(0, colon) : withoutDigest;
}

/** What an image runs as: acme6 (last path segment `acme6`), the echo site, or unknown. */
export function classifyImage(image: string): ImageKind | undefined {
  const repository = imageRepository(image.trim());
  if (repository === HTTP_ECHO_REPOSITORY) return 'http-echo';
  if (repository.split('/').at(-1) === 'acme6') return 'acme6';
  return undefined;
}

/**
 * Expands `$(NAME)` from `vars` as Kubernetes does: `$$` is a literal `$`, a reference to an
 * undefined name (or an unclosed one) is kept as written, any other `$` is literal.
 */
export function expandVars(text: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const next = text[i + 1];
    if (c !== '$' || next === undefined) {
      out += c;
    } else if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = text.indexOf(')', i + 2);
      if (close < 0) {
        out += text.slice(i);
        break;
      }
      const name = text.slice(i + 2, close);
      out += vars.get(name) ?? `$(${name})`;
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

/** Addresses a pod's fieldRefs can name. */
export interface PodAddresses {
  podIP: string;
  hostIP: string;
}

/** The value of a `valueFrom.fieldRef.fieldPath` this runner supports. */
export function fieldRefValue(pod: V1Pod, fieldPath: string, addresses: PodAddresses): string {
  const values: Record<string, string | undefined> = {
    'metadata.name': pod.metadata?.name,
    'metadata.namespace': pod.metadata?.namespace,
    'metadata.uid': pod.metadata?.uid,
    'spec.nodeName': pod.spec?.nodeName,
    'spec.serviceAccountName': pod.spec?.serviceAccountName,
    'status.podIP': addresses.podIP,
    'status.podIPs': addresses.podIP,
    'status.hostIP': addresses.hostIP,
  };
  if (!(fieldPath in values)) {
    throw new UnrunnablePodError(
      'UnsupportedFieldRef',
      `the testbed pod runner has no fieldRef ${fieldPath}`,
    );
  }
  return values[fieldPath] ?? '';
}

/** The container's environment in declaration order; a value may use the variables before it. */
export function containerEnv(
  pod: V1Pod,
  container: V1Container,
  addresses: PodAddresses,
): Map<string, string> {
  const env = new Map<string, string>();
  if (container.envFrom?.length) {
    throw new UnrunnablePodError('UnsupportedEnv', `container ${container.name}: envFrom is not supported`);
  }
  for (const entry of container.env ?? []) {
    if (entry.valueFrom) {
      const fieldPath = entry.valueFrom.fieldRef?.fieldPath;
      if (!fieldPath) {
        throw new UnrunnablePodError(
          'UnsupportedEnv',
          `container ${container.name}: env ${entry.name} uses a valueFrom source other than fieldRef`,
        );
      }
      env.set(entry.name, fieldRefValue(pod, fieldPath, addresses));
    } else {
      env.set(entry.name, expandVars(entry.value ?? '', env));
    }
  }
  return env;
}

/** Where the runner finds the programs it runs for known images. */
export interface ProgramPaths {
  node: string;
  acme6Entry: string;
  httpEchoEntry: string;
}

/** The port the echo site listens on: the first containerPort, 8080 without one. */
export function firstContainerPort(container: V1Container): number | undefined {
  return container.ports?.[0]?.containerPort;
}

/** The argv (program first) that runs `container` of image kind `kind`. */
export function commandLine(
  kind: ImageKind,
  pod: V1Pod,
  container: V1Container,
  env: ReadonlyMap<string, string>,
  paths: ProgramPaths,
): string[] {
  if (container.command?.length) {
    throw new UnrunnablePodError(
      'UnsupportedCommand',
      `container ${container.name}: command is not supported for image ${container.image}; the entrypoint is fixed`,
    );
  }
  const args = (container.args ?? []).map((a) => expandVars(a, env));
  if (kind === 'acme6') return [paths.node, paths.acme6Entry, ...args];
  const site = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
  return [paths.node, paths.httpEchoEntry, String(firstContainerPort(container) ?? 8080), site];
}
