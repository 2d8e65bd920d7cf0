// The plugin's command line, with kubectl's own flags for where to look.
import { parseArgs } from 'node:util';

/** What the user asked for. */
export type PluginCommand =
  | { name: 'status-certificate'; target: string }
  | { name: 'status-service'; target: string; agentNamespace: string }
  | { name: 'renew'; targets: string[]; all: boolean }
  | { name: 'inspect-secret'; target: string }
  | { name: 'convert'; files: string[] }
  | { name: 'help' };

/** kubectl's connection flags, passed through to the kubeconfig loader. */
export interface ConnectionFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces: boolean;
}

export const USAGE = `usage: kubectl acme6 <command> [flags]

commands:
  status certificate NAME   the Certificate, its Secret, its order and challenges (with their
                            self-check results) and its recent Events, in one view
  status service NAME       what each node's agent publishes of the Service on IPv6 (from the
                            agents' status ConfigMaps in --agent-namespace, default acme6-agent)
  renew NAME...             issue a new certificate now, also during the failure backoff
  renew --all               ... for every Certificate of the namespace (-A: of all namespaces)
  inspect secret NAME       a TLS Secret: subject, DNS names, issuer, validity, key, chain
  convert -f FILE...        cert-manager Certificates, Issuers and ClusterIssuers (cert-manager.io)
                            as acme6 objects (acme6.io), YAML on stdout; what could not be carried
                            over is said per field, as comments and on stderr
  convert                   ... read from the cluster instead (-n NAMESPACE, or -A for all)

flags (as kubectl's):
  --kubeconfig PATH         kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)
  --context NAME            kubeconfig context (default: the current context)
  -n, --namespace NAME      namespace (default: the context's, else "default")
  -A, --all-namespaces      with renew --all or convert: every namespace
  -f, --filename PATH       with convert: a YAML or JSON file of cert-manager objects (repeatable)
  --agent-namespace NAME    with status service: where the node agents run (default acme6-agent)

renew writes the Certificate's status: it needs "patch" on certificates/status (acme6.io).
`;

const KINDS: Record<string, 'certificate' | 'secret' | 'service'> = {
  service: 'service',
  services: 'service',
  svc: 'service',
  certificate: 'certificate',
  certificates: 'certificate',
  cert: 'certificate',
  secret: 'secret',
  secrets: 'secret',
};

/** Parses argv (after the plugin name); a string is a usage error to print. */
export function parsePluginArgs(
  argv: string[],
): { command: PluginCommand; connection: ConnectionFlags } | string {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        'all-namespaces': { type: 'boolean', short: 'A', default: false },
        all: { type: 'boolean', default: false },
        filename: { type: 'string', short: 'f', multiple: true },
        'agent-namespace': { type: 'string', default: 'acme6-agent' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    return (err as Error).message;
  }
  const { values, positionals } = parsed;
  const connection: ConnectionFlags = { allNamespaces: values['all-namespaces'] };
  if (values.kubeconfig !== undefined) connection.kubeconfig = values.kubeconfig;
  if (values.context !== undefined) connection.context = values.context;
  if (values.namespace !== undefined) connection.namespace = values.namespace;
  const [verb, ...rest] = positionals;
  if (values.help || verb === undefined || verb === 'help') return { command: { name: 'help' }, connection };
  if (connection.allNamespaces && connection.namespace !== undefined)
    return '-A/--all-namespaces and -n/--namespace exclude each other';
  const files = values.filename ?? [];
  if (files.length > 0 && verb !== 'convert') return '-f/--filename goes only with convert';
  if (verb === 'convert') {
    if (rest.length > 0) return 'convert takes no names: -f FILE, or none to read the cluster';
    if (files.length > 0 && connection.allNamespaces)
      return '-A/--all-namespaces reads the cluster: leave it out with -f';
    return { command: { name: 'convert', files }, connection };
  }
  if (connection.allNamespaces && !(verb === 'renew' && values.all))
    return '-A/--all-namespaces goes only with renew --all or convert';
  if (values.all && verb !== 'renew') return '--all goes only with renew';
  if (verb === 'status' && rest[0] !== undefined && KINDS[rest[0]] === 'service') {
    const [, name, ...extra] = rest;
    if (name === undefined || extra.length > 0) return 'status service takes exactly one name';
    return {
      command: { name: 'status-service', target: name, agentNamespace: values['agent-namespace'] },
      connection,
    };
  }
  switch (verb) {
    case 'renew':
      if (values.all && rest.length > 0) return 'renew takes either certificate names or --all, not both';
      if (!values.all && rest.length === 0) return 'renew needs certificate names or --all';
      return { command: { name: 'renew', targets: rest, all: values.all }, connection };
    case 'status':
    case 'inspect': {
      const want = verb === 'status' ? 'certificate' : 'secret';
      const [kind, name, ...extra] = rest;
      if (kind === undefined || KINDS[kind] !== want)
        return verb === 'status'
          ? 'status works on a certificate or a service: status certificate|service NAME'
          : `${verb} works on a ${want}: ${verb} ${want} NAME`;
      if (name === undefined || extra.length > 0) return `${verb} ${want} takes exactly one name`;
      const command: PluginCommand =
        verb === 'status'
          ? { name: 'status-certificate', target: name }
          : { name: 'inspect-secret', target: name };
      return { command, connection };
    }
    default:
      return `unknown command "${verb}"`;
  }
}
