// cert-manager Issuers and ClusterIssuers as acme6 ones. Only ACME issuers have an acme6 twin; the
// account key Secret is reused as is, so the ACME account (and its rate-limit history) carries over.
import { API_VERSION } from '../../api/group.ts';
import { convertMetadata } from './metadata.ts';
import { asRecord, asString, Notes } from './notes.ts';
import { convertSolver } from './solver.ts';

/** The issuer types of cert-manager that acme6 does not have, with why. */
const NON_ACME: Record<string, string> = {
  ca: 'a CA issuer signs with a key in a Secret; acme6 only gets certificates from ACME CAs',
  selfSigned:
    'a SelfSigned issuer signs certificates with their own key; acme6 only gets certificates from ACME CAs',
  vault: 'a Vault issuer asks HashiCorp Vault; acme6 only gets certificates from ACME CAs',
  venafi: 'a Venafi issuer asks Venafi TPP or Cloud; acme6 only gets certificates from ACME CAs',
};

/** The outcome for one issuer: the acme6 object (if any) and the notes. */
export interface IssuerConversion {
  object?: Record<string, unknown>;
  notes: Notes;
  /** Whether Certificates that name this issuer can be converted. */
  acme: boolean;
}

/** Converts one cert-manager Issuer or ClusterIssuer. */
export function convertIssuer(
  source: Record<string, unknown>,
  kind: 'Issuer' | 'ClusterIssuer',
): IssuerConversion {
  const notes = new Notes();
  const spec = asRecord(source.spec) ?? {};
  const acme = asRecord(spec.acme);
  if (!acme) {
    const type = Object.keys(spec).find((key) => key in NON_ACME);
    notes.add(
      type ? `spec.${type}` : 'spec',
      `${type ? NON_ACME[type] : 'not an ACME issuer'}; not converted`,
    );
    return { notes, acme: false };
  }
  for (const other of Object.keys(spec).filter((key) => key !== 'acme')) {
    notes.add(`spec.${other}`, 'not known to this converter; not carried over');
  }
  const metadata = convertMetadata(source.metadata, kind === 'Issuer', notes);
  // These do something only when true: false (or unset) is acme6's behaviour already.
  const setFlags = Object.fromEntries(Object.entries(acme).filter(([, v]) => v !== false));
  notes.dropped(setFlags, 'spec.acme', {
    skipTLSVerify:
      'acme6 always verifies the CA; give its CA certificate in caBundle instead; not carried over',
    disableAccountKeyGeneration:
      'acme6 registers an account with a new key when the Secret has none; make sure the Secret exists to keep the account; not carried over',
    enableDurationFeature: "acme6 does not send the Certificate's duration to the CA; not carried over",
  });
  notes.unknown(acme, 'spec.acme', [
    'server',
    'email',
    'privateKeySecretRef',
    'externalAccountBinding',
    'profile',
    'preferredChain',
    'caBundle',
    'solvers',
    'skipTLSVerify',
    'disableAccountKeyGeneration',
    'enableDurationFeature',
  ]);
  const out: Record<string, unknown> = { server: acme.server };
  const email = asString(acme.email);
  if (email) out.email = email;
  const keyRef = asRecord(acme.privateKeySecretRef) ?? {};
  out.privateKeySecretRef = { name: keyRef.name, key: asString(keyRef.key) ?? 'tls.key' };
  const eab = asRecord(acme.externalAccountBinding);
  if (eab) {
    const keyRefEab = asRecord(eab.keySecretRef) ?? {};
    if (keyRefEab.key === undefined) {
      notes.add(
        'spec.acme.externalAccountBinding.keySecretRef.key',
        'acme6 needs the key within the Secret: set it',
      );
    }
    out.externalAccountBinding = {
      keyID: eab.keyID,
      keySecretRef: { name: keyRefEab.name, key: keyRefEab.key },
      ...(asString(eab.keyAlgorithm) ? { keyAlgorithm: eab.keyAlgorithm } : {}),
    };
  }
  for (const key of ['profile', 'preferredChain', 'caBundle'] as const) {
    const value = asString(acme[key]);
    if (value) out[key] = value;
  }
  const solvers = (Array.isArray(acme.solvers) ? acme.solvers : [])
    .map((solver, i) => convertSolver(solver, `spec.acme.solvers[${i}]`, notes))
    .filter((s): s is Record<string, unknown> => s !== undefined);
  if (solvers.length === 0) {
    notes.add(
      'spec.acme.solvers',
      'no solver could be carried over, and acme6 needs at least one; not converted',
    );
    return { notes, acme: true };
  }
  out.solvers = solvers;
  if (kind === 'ClusterIssuer') {
    notes.add(
      'spec.acme',
      "a ClusterIssuer's Secrets (account key, TSIG or EAB keys) are read from acme6's namespace, not cert-manager's: copy them there",
    );
  }
  return { object: { apiVersion: API_VERSION, kind, metadata, spec: { acme: out } }, notes, acme: true };
}
