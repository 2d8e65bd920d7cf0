// Field paths in the apiserver's notation (`spec.acme.solvers[0].dns01`), so a zod issue and an
// apiserver error about the same field read the same in status messages, Events and tests.

/**
 * Joins a path like the apiserver: `[i]` for list indexes, `.name` for everything else. Map keys are
 * joined with a dot too (`limits.memory`, `labels.app.kubernetes.io/name`), as the OpenAPI validator does.
 */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}
