// What an Ingress's annotations ask of the ingress-shim: which issuer, and the Certificate options.
// Each value is checked by the Certificate's own zod schema (the CRD's twin), so an annotation the
// shim accepts can never make a Certificate the apiserver rejects; a bad one names the annotation.
import { z } from 'zod';
import { certificateSpec, type CertificateSpecInput } from '../../api/certificate.ts';
import { formatFieldPath } from '../../api/field-path.ts';
import {
  ANNOTATION_CHALLENGE_TYPE,
  ANNOTATION_CLUSTER_ISSUER,
  ANNOTATION_DURATION,
  ANNOTATION_HTTP01_INGRESS_CLASS,
  ANNOTATION_ISSUER,
  ANNOTATION_ISSUER_KIND_OVERRIDE,
  ANNOTATION_PRIVATE_KEY_ALGORITHM,
  ANNOTATION_PRIVATE_KEY_ROTATION_POLICY,
  ANNOTATION_PRIVATE_KEY_SIZE,
  ANNOTATION_RENEW_BEFORE,
  ANNOTATION_RENEW_BEFORE_PERCENTAGE,
  ANNOTATION_SECRET_DELETION_POLICY,
  ANNOTATION_TLS_ACME,
  Kind,
} from '../../api/group.ts';
import { objectName } from '../../api/validation.ts';

/** An issuer reference as the ingress-shim writes it. */
export interface ShimIssuerRef {
  name: string;
  kind: typeof Kind.Issuer | typeof Kind.ClusterIssuer;
}

/** Controller-wide settings of the ingress-shim. */
export interface ShimDefaults {
  /** Issuer for Ingresses annotated only with `kubernetes.io/tls-acme: "true"`. */
  defaultIssuer?: ShimIssuerRef;
  /** Read cert-manager's issuer annotations as acme6's own (--honor-cert-manager-annotations). */
  honorCertManagerAnnotations?: boolean;
}

/** cert-manager's issuer annotations, and the acme6 annotation each stands for when honoured. */
export const CERT_MANAGER_ISSUER_ANNOTATIONS: Readonly<Record<string, string>> = {
  'cert-manager.io/issuer': ANNOTATION_ISSUER,
  'cert-manager.io/cluster-issuer': ANNOTATION_CLUSTER_ISSUER,
};
const CERT_MANAGER_ISSUER_GROUP = 'cert-manager.io/issuer-group';

/**
 * The annotations as the shim reads them, and which acme6 keys stand in for cert-manager's. With
 * honorCertManagerAnnotations, cert-manager's issuer annotations count as acme6's own, unless an
 * acme6 issuer annotation is set (it wins) or they name an external issuer (another issuer-group).
 */
function shimAnnotations(
  annotations: Record<string, string>,
  defaults: ShimDefaults,
): { annotations: Record<string, string>; aliases: Record<string, string> } {
  const group = annotations[CERT_MANAGER_ISSUER_GROUP];
  if (
    !defaults.honorCertManagerAnnotations ||
    ANNOTATION_ISSUER in annotations ||
    ANNOTATION_CLUSTER_ISSUER in annotations ||
    (group !== undefined && group !== 'cert-manager.io')
  )
    return { annotations, aliases: {} };
  const out = { ...annotations };
  const aliases: Record<string, string> = {};
  for (const [theirs, ours] of Object.entries(CERT_MANAGER_ISSUER_ANNOTATIONS)) {
    const value = annotations[theirs];
    if (value === undefined) continue;
    out[ours] = value;
    aliases[ours] = theirs;
  }
  return { annotations: out, aliases };
}

/** One thing wrong with an Ingress, named by the annotation or field that holds it. */
export interface Problem {
  /** An annotation key, or an Ingress field such as `spec.tls[0].secretName`. */
  where: string;
  message: string;
}

/** The Certificate settings every tls entry of one Ingress shares. */
export interface IngressOptions {
  issuerRef: ShimIssuerRef;
  /** Spec fields other than secretName, dnsNames and issuerRef; only those the annotations set. */
  spec: Omit<CertificateSpecInput, 'secretName' | 'dnsNames' | 'issuerRef'>;
  /** Annotations copied onto the Certificates for the solvers to read. */
  certificateAnnotations: Record<string, string>;
}

/** The annotations' verdict: not for acme6, a valid request, or what is wrong with it. */
export type OptionsResult =
  { kind: 'ignored' } | { kind: 'ok'; options: IngressOptions } | { kind: 'invalid'; problems: Problem[] };

/** Where each spec field's value comes from, for naming the annotation in an error. */
const SOURCE_OF_FIELD: Readonly<Record<string, string>> = {
  duration: ANNOTATION_DURATION,
  renewBefore: ANNOTATION_RENEW_BEFORE,
  renewBeforePercentage: ANNOTATION_RENEW_BEFORE_PERCENTAGE,
  'privateKey.algorithm': ANNOTATION_PRIVATE_KEY_ALGORITHM,
  'privateKey.size': ANNOTATION_PRIVATE_KEY_SIZE,
  'privateKey.rotationPolicy': ANNOTATION_PRIVATE_KEY_ROTATION_POLICY,
  secretDeletionPolicy: ANNOTATION_SECRET_DELETION_POLICY,
  'issuerRef.kind': ANNOTATION_ISSUER_KIND_OVERRIDE,
};

const challengeType = z.enum(['http-01', 'dns-01']);

/** True if the Ingress asks acme6 for certificates at all (whether or not the request is valid). */
export function wantsCertificates(given: Record<string, string>, defaults: ShimDefaults): boolean {
  const { annotations } = shimAnnotations(given, defaults);
  return (
    ANNOTATION_ISSUER in annotations ||
    ANNOTATION_CLUSTER_ISSUER in annotations ||
    (annotations[ANNOTATION_TLS_ACME] === 'true' && defaults.defaultIssuer !== undefined)
  );
}

/** Reads the issuer and Certificate options from an Ingress's annotations. */
export function readIngressOptions(given: Record<string, string>, defaults: ShimDefaults): OptionsResult {
  const { annotations, aliases } = shimAnnotations(given, defaults);
  // kubernetes.io/tls-acme is shared with other controllers: without a default issuer it is theirs.
  if (!wantsCertificates(annotations, defaults)) return { kind: 'ignored' };
  const problems: Problem[] = [];
  const issuerRef = readIssuerRef(annotations, defaults, problems);
  const spec = readSpecOptions(annotations, problems);
  const certificateAnnotations: Record<string, string> = {};
  const preferred = annotations[ANNOTATION_CHALLENGE_TYPE];
  if (preferred !== undefined) {
    if (challengeType.safeParse(preferred).success)
      certificateAnnotations[ANNOTATION_CHALLENGE_TYPE] = preferred;
    else problems.push({ where: ANNOTATION_CHALLENGE_TYPE, message: 'must be http-01 or dns-01' });
  }
  const ingressClass = annotations[ANNOTATION_HTTP01_INGRESS_CLASS];
  if (ingressClass !== undefined) {
    if (objectName.safeParse(ingressClass).success) {
      certificateAnnotations[ANNOTATION_HTTP01_INGRESS_CLASS] = ingressClass;
    } else {
      problems.push({
        where: ANNOTATION_HTTP01_INGRESS_CLASS,
        message: 'must be an IngressClass name (lowercase DNS subdomain, at most 253 characters)',
      });
    }
  }
  if (issuerRef) {
    // The schema's cross-field rules (renewBefore vs duration, key size vs algorithm) on real values.
    const check = certificateSpec.safeParse({
      secretName: 'placeholder',
      dnsNames: ['placeholder.invalid'],
      issuerRef,
      ...spec,
    });
    if (!check.success) problems.push(...check.error.issues.map(toProblem));
  }
  if (problems.length > 0 || !issuerRef) {
    // Name the annotation the user wrote: cert-manager's, where it stood in for acme6's.
    const named = problems.map((p) => ({
      ...p,
      where: Object.entries(aliases).reduce((w, [ours, theirs]) => w.replaceAll(ours, theirs), p.where),
    }));
    return { kind: 'invalid', problems: dedupe(named) };
  }
  return { kind: 'ok', options: { issuerRef, spec, certificateAnnotations } };
}

function readIssuerRef(
  annotations: Record<string, string>,
  defaults: ShimDefaults,
  problems: Problem[],
): ShimIssuerRef | undefined {
  const issuer = annotations[ANNOTATION_ISSUER];
  const clusterIssuer = annotations[ANNOTATION_CLUSTER_ISSUER];
  const kind = annotations[ANNOTATION_ISSUER_KIND_OVERRIDE];
  if (issuer !== undefined && clusterIssuer !== undefined) {
    problems.push({
      where: `${ANNOTATION_ISSUER} and ${ANNOTATION_CLUSTER_ISSUER}`,
      message: 'both are set: name either an Issuer or a ClusterIssuer, not both',
    });
    return undefined;
  }
  if (kind !== undefined && issuer === undefined) {
    problems.push({
      where: ANNOTATION_ISSUER_KIND_OVERRIDE,
      message: `applies only together with ${ANNOTATION_ISSUER}`,
    });
  }
  const name = clusterIssuer ?? issuer;
  const where = clusterIssuer !== undefined ? ANNOTATION_CLUSTER_ISSUER : ANNOTATION_ISSUER;
  if (name === undefined) return defaults.defaultIssuer; // tls-acme with a default issuer
  if (!objectName.safeParse(name).success) {
    problems.push({ where, message: `"${name}" is not a valid issuer name (lowercase DNS subdomain)` });
    return undefined;
  }
  if (clusterIssuer !== undefined) return { name, kind: Kind.ClusterIssuer };
  if (kind === undefined || kind === Kind.Issuer) return { name, kind: Kind.Issuer };
  if (kind === Kind.ClusterIssuer) return { name, kind };
  problems.push({
    where: ANNOTATION_ISSUER_KIND_OVERRIDE,
    message: `unknown issuer kind "${kind}": must be Issuer or ClusterIssuer`,
  });
  return undefined;
}

function readSpecOptions(annotations: Record<string, string>, problems: Problem[]): IngressOptions['spec'] {
  const spec: IngressOptions['spec'] = {};
  const text = (key: string): string | undefined => annotations[key];
  const whole = (key: string): number | undefined => {
    const value = annotations[key];
    if (value === undefined) return undefined;
    if (/^[0-9]{1,9}$/.test(value)) return Number(value);
    problems.push({ where: key, message: `"${value}" is not a whole number` });
    return undefined;
  };
  const duration = text(ANNOTATION_DURATION);
  if (duration !== undefined) spec.duration = duration;
  const renewBefore = text(ANNOTATION_RENEW_BEFORE);
  if (renewBefore !== undefined) spec.renewBefore = renewBefore;
  const percentage = whole(ANNOTATION_RENEW_BEFORE_PERCENTAGE);
  if (percentage !== undefined) spec.renewBeforePercentage = percentage;
  const policy = text(ANNOTATION_SECRET_DELETION_POLICY);
  // Unchecked casts: the schema check in readIngressOptions rejects anything outside the enums.
  if (policy !== undefined) spec.secretDeletionPolicy = policy as 'Retain';
  const algorithm = text(ANNOTATION_PRIVATE_KEY_ALGORITHM);
  const size = whole(ANNOTATION_PRIVATE_KEY_SIZE);
  const rotation = text(ANNOTATION_PRIVATE_KEY_ROTATION_POLICY);
  if (algorithm !== undefined || size !== undefined || rotation !== undefined) {
    spec.privateKey = {
      ...(algorithm !== undefined ? { algorithm: algorithm as 'ECDSA' } : {}),
      ...(size !== undefined ? { size } : {}),
      ...(rotation !== undefined ? { rotationPolicy: rotation as 'Always' } : {}),
    };
  }
  return spec;
}

function toProblem(issue: z.core.$ZodIssue): Problem {
  const field = formatFieldPath(issue.path);
  return { where: SOURCE_OF_FIELD[field] ?? field, message: issue.message };
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.where}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
