// A parser for the subset of ip6tables-restore text the agent renders, into plain data that tests
// and the packet tracer can inspect. Anything outside the subset throws, so a rule the tracer
// would silently misread cannot slip into a test.

/** An address match: `[!] -s/-d prefix`. */
export interface AddressMatch {
  readonly prefix: string;
  readonly negate: boolean;
}

/** What a rule does when it matches. */
export type Target =
  | { readonly kind: 'ACCEPT' | 'DROP' | 'RETURN' | 'MASQUERADE' }
  | { readonly kind: 'DNAT'; readonly address: string; readonly port?: number }
  | { readonly kind: 'SNAT'; readonly address: string }
  | { readonly kind: 'JUMP'; readonly chain: string };

/** One parsed `-A` rule. */
export interface Rule {
  readonly table: string;
  readonly chain: string;
  readonly text: string;
  readonly source?: AddressMatch;
  readonly destination?: AddressMatch;
  readonly protocol?: { readonly name: string; readonly negate: boolean };
  readonly dport?: number;
  readonly inInterface?: { readonly name: string; readonly negate: boolean };
  readonly outInterface?: { readonly name: string; readonly negate: boolean };
  readonly ctstate?: readonly string[];
  readonly icmpv6Type?: number;
  readonly comment?: string;
  readonly target: Target;
}

/** A chain: policy for built-in chains (`-` for user chains) and its rules in order. */
export interface Chain {
  policy: string;
  rules: Rule[];
}

/** Tables by name, each a map of chains by name. */
export type Ruleset = Map<string, Map<string, Chain>>;

const BUILTIN_POLICY = new Set(['ACCEPT', 'DROP']);

/**
 * Applies restore text to `base` as `ip6tables-restore --noflush` would (declaring a chain flushes
 * it, `-X` deletes it, jumps must name existing chains at COMMIT) and returns the new ruleset.
 */
export function parseRestore(text: string, base: Ruleset = new Map()): Ruleset {
  const out: Ruleset = new Map([...base].map(([t, chains]) => [t, cloneChains(chains)]));
  let table: Map<string, Chain> | undefined;
  let tableName = '';
  for (const [index, rawLine] of text.split('\n').entries()) {
    const line = rawLine.trim();
    const where = `line ${index + 1}`;
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      tableName = line.slice(1);
      table = out.get(tableName) ?? new Map<string, Chain>();
      out.set(tableName, table);
      continue;
    }
    if (!table) throw new Error(`${where}: rule outside a table`);
    if (line === 'COMMIT') {
      checkJumps(tableName, table);
      table = undefined;
      continue;
    }
    if (line.startsWith(':')) {
      const [name = '', policy = '-'] = line.slice(1).split(/\s+/);
      table.set(name, { policy, rules: [] });
      continue;
    }
    const tokens = tokenize(line, where);
    const [op, chainName = ''] = tokens;
    const chain = table.get(chainName);
    if (op === '-X') {
      if (!chain) throw new Error(`${where}: -X of missing chain ${chainName}`);
      if (chain.rules.length > 0) throw new Error(`${where}: -X of non-empty chain ${chainName}`);
      table.delete(chainName);
      continue;
    }
    if (op !== '-A' && op !== '-I') throw new Error(`${where}: unsupported command ${op}`);
    if (!chain) throw new Error(`${where}: ${op} to undeclared chain ${chainName}`);
    const rule = parseRule(tableName, chainName, tokens.slice(2), line, where);
    if (op === '-A') chain.rules.push(rule);
    else chain.rules.unshift(rule);
  }
  if (table) throw new Error(`table ${tableName} not committed`);
  return out;
}

function cloneChains(chains: Map<string, Chain>): Map<string, Chain> {
  return new Map([...chains].map(([n, c]) => [n, { policy: c.policy, rules: [...c.rules] }]));
}

function checkJumps(tableName: string, table: Map<string, Chain>): void {
  for (const [name, chain] of table) {
    for (const rule of chain.rules) {
      if (rule.target.kind === 'JUMP' && !table.has(rule.target.chain)) {
        throw new Error(`${tableName} ${name}: jump to missing chain ${rule.target.chain}`);
      }
    }
  }
}

function tokenize(line: string, where: string): string[] {
  const tokens: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (const m of line.matchAll(re)) tokens.push(m[1] ?? m[2] ?? '');
  if ((line.match(/"/g)?.length ?? 0) % 2 !== 0) throw new Error(`${where}: unbalanced quotes`);
  return tokens;
}

type Mutable<T> = { -readonly [K in keyof T]?: T[K] };

function parseRule(table: string, chain: string, tokens: string[], text: string, where: string): Rule {
  const rule: Mutable<Rule> = { table, chain, text };
  let negate = false;
  let i = 0;
  const next = (): string => {
    const v = tokens[++i];
    if (v === undefined) throw new Error(`${where}: ${tokens[i - 1]} needs a value`);
    return v;
  };
  const takeNegate = (): boolean => {
    const n = negate;
    negate = false;
    return n;
  };
  for (; i < tokens.length; i++) {
    const token = tokens[i] ?? '';
    switch (token) {
      case '!':
        negate = true;
        break;
      case '-s':
        rule.source = { prefix: withLength(next()), negate: takeNegate() };
        break;
      case '-d':
        rule.destination = { prefix: withLength(next()), negate: takeNegate() };
        break;
      case '-p':
        rule.protocol = { name: protocolName(next()), negate: takeNegate() };
        break;
      case '-i':
        rule.inInterface = { name: next(), negate: takeNegate() };
        break;
      case '-o':
        rule.outInterface = { name: next(), negate: takeNegate() };
        break;
      case '-m': {
        const module = next();
        if (!['tcp', 'udp', 'conntrack', 'comment', 'icmp6'].includes(module)) {
          throw new Error(`${where}: unsupported match module ${module}`);
        }
        break;
      }
      case '--dport':
        rule.dport = port(next(), where);
        break;
      case '--ctstate':
        rule.ctstate = next().split(',');
        break;
      case '--comment':
        rule.comment = next();
        break;
      case '--icmpv6-type':
        rule.icmpv6Type = Number(next());
        if (!Number.isInteger(rule.icmpv6Type)) throw new Error(`${where}: numeric --icmpv6-type only`);
        break;
      case '-j':
        rule.target = parseTarget(tokens.slice(i + 1), where);
        i = tokens.length;
        break;
      default:
        throw new Error(`${where}: unsupported option ${token}`);
    }
    if (negate && token !== '!') throw new Error(`${where}: "!" cannot apply to ${token}`);
  }
  if (!rule.target) throw new Error(`${where}: rule without -j`);
  return rule as Rule;
}

function parseTarget(tokens: string[], where: string): Target {
  const [name = '', option, value, ...rest] = tokens;
  const noOptions = () => {
    if (option !== undefined) throw new Error(`${where}: ${name} takes no options here`);
  };
  if (rest.length > 0) throw new Error(`${where}: unexpected ${rest.join(' ')}`);
  switch (name) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
    case 'MASQUERADE':
      noOptions();
      return { kind: name };
    case 'DNAT': {
      if (option !== '--to-destination' || value === undefined)
        throw new Error(`${where}: DNAT needs --to-destination`);
      const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(value) ?? /^([^[\]]+)$/.exec(value);
      if (!m?.[1]) throw new Error(`${where}: bad --to-destination ${value}`);
      return m[2] === undefined
        ? { kind: 'DNAT', address: m[1] }
        : { kind: 'DNAT', address: m[1], port: port(m[2], where) };
    }
    case 'SNAT':
      if (option !== '--to-source' || value === undefined)
        throw new Error(`${where}: SNAT needs --to-source`);
      return { kind: 'SNAT', address: value };
    default:
      if (BUILTIN_POLICY.has(name) || !/^[A-Za-z0-9_.-]+$/.test(name))
        throw new Error(`${where}: bad target ${name}`);
      noOptions();
      return { kind: 'JUMP', chain: name };
  }
}

function withLength(prefix: string): string {
  return prefix.includes('/') ? prefix : `${prefix}/128`;
}

function protocolName(name: string): string {
  // ip6tables-save prints ipv6-icmp; users write icmpv6 or icmp6. One spelling for matching.
  return name === 'icmpv6' || name === 'icmp6' || name === '58' ? 'ipv6-icmp' : name;
}

function port(text: string, where: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new Error(`${where}: bad port ${text}`);
  return n;
}
