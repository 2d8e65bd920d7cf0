// `kubectl acme6 status service NAME`: what each node's agent publishes of one Service, read from
// the agents' per-node status ConfigMaps (the agent may not write Services). Pure formatting.

/** One node's entry for the Service: `value` is `node/[addr]:port/PROTO -> [pod]:port, …`. */
export interface PublishedEntry {
  readonly node: string;
  readonly value: string;
}

/** Input of the view. */
export interface ServiceStatusInput {
  /** `ns/name`. */
  readonly service: string;
  /** The Service's expose annotation, undefined when absent. */
  readonly expose: string | undefined;
  readonly entries: readonly PublishedEntry[];
}

/** The text shown to the user. */
export function formatServiceStatus(input: ServiceStatusInput): string {
  const lines = [`Service ${input.service}`, `  expose-ipv6: ${input.expose ?? '(not set)'}`];
  if (input.entries.length === 0) {
    lines.push('  published: nowhere (no node agent reports it)');
  } else {
    lines.push('  published:');
    const sorted = [...input.entries].sort((a, b) => a.node.localeCompare(b.node));
    for (const e of sorted) for (const m of e.value.split(', ')) lines.push(`    ${m}`);
  }
  return `${lines.join('\n')}\n`;
}
