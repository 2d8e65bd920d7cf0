// The Certificate resource: zod twin of crds/acme6.io_certificates.yaml. Every rule here has the same
// rule in the CRD (OpenAPI or CEL) and reports at the same field path.
import { z } from 'zod';
import { conditionList } from './conditions.ts';
import { API_VERSION, GROUP, Kind } from './group.ts';
import { objectMeta, templateMetadata } from './metadata.ts';
import { MESSAGE } from './patterns.ts';
import {
  boundedString,
  celIssue,
  dnsName,
  dropNulls,
  durationNanos,
  goDuration,
  objectName,
  stringSet,
} from './validation.ts';

/** Most DNS names one Certificate may hold (Let's Encrypt's limit). */
export const MAX_DNS_NAMES = 100;
/** cert-manager's floor for spec.duration; shorter lifetimes leave no room to renew. */
export const MIN_DURATION_NANOS = 3_600_000_000_000n;

/** Private key algorithms. */
export const keyAlgorithm = z.enum(['ECDSA', 'RSA', 'Ed25519']);
export type KeyAlgorithm = z.output<typeof keyAlgorithm>;

/** Allowed sizes per algorithm, the first being the default; Ed25519 takes none. */
export const KEY_SIZES: Readonly<Record<KeyAlgorithm, readonly number[]>> = {
  ECDSA: [256, 384],
  RSA: [2048, 3072, 4096],
  Ed25519: [],
};

// One CEL rule per algorithm in the CRD, each with its own message.
const SIZE_MESSAGE: Readonly<Record<KeyAlgorithm, string>> = {
  ECDSA: MESSAGE.ecdsaSize,
  RSA: MESSAGE.rsaSize,
  Ed25519: MESSAGE.ed25519Size,
};

/** spec.privateKey; the whole block defaults to `{}`, so algorithm and rotationPolicy are always set. */
export const privateKey = z
  .strictObject({
    algorithm: keyAlgorithm.default('ECDSA'),
    size: z.int32().optional(),
    rotationPolicy: z.enum(['Always', 'Never']).default('Always'),
  })
  .superRefine((key, ctx) => {
    if (key.size !== undefined && !KEY_SIZES[key.algorithm].includes(key.size)) {
      celIssue(ctx, SIZE_MESSAGE[key.algorithm], ['size']);
    }
  });
export type PrivateKey = z.output<typeof privateKey>;

/** Key size to generate: spec.privateKey.size or the algorithm's default (undefined for Ed25519). */
export function effectiveKeySize(key: PrivateKey): number | undefined {
  return key.size ?? KEY_SIZES[key.algorithm][0];
}

/** spec.issuerRef. */
export const issuerRef = z.strictObject({
  name: objectName,
  kind: z.enum([Kind.Issuer, Kind.ClusterIssuer]).default(Kind.Issuer),
  group: z.enum([GROUP]).default(GROUP),
});
export type IssuerRef = z.output<typeof issuerRef>;

/** Whether the Secret goes with its Certificate (Delete) or stays (Retain); unset means the controller's default. */
export const secretDeletionPolicy = z.enum(['Retain', 'Delete']);
export type SecretDeletionPolicy = z.output<typeof secretDeletionPolicy>;

/** spec of a Certificate, with the CRD's cross-field CEL rules. */
export const certificateSpec = z
  .strictObject({
    secretName: objectName,
    dnsNames: stringSet(dnsName, MAX_DNS_NAMES, 1),
    issuerRef,
    duration: goDuration({
      minimum: { nanos: MIN_DURATION_NANOS, message: MESSAGE.durationMinimum },
    }).optional(),
    renewBefore: goDuration().optional(),
    renewBeforePercentage: z.int32().min(1).max(99).optional(),
    privateKey: privateKey.prefault({}),
    secretTemplate: templateMetadata.optional(),
    secretDeletionPolicy: secretDeletionPolicy.optional(),
  })
  .superRefine((spec, ctx) => {
    // Accepted by the schema so that a malformed value still says what is wrong with it, then
    // refused: no field is accepted that does nothing (see the CRD's description of duration).
    if (spec.duration !== undefined) celIssue(ctx, MESSAGE.durationUnsupported, ['duration']);
    if (spec.renewBefore !== undefined && spec.renewBeforePercentage !== undefined) {
      celIssue(ctx, MESSAGE.renewBeforeExclusive, ['renewBefore']);
    }
    const renewBefore = durationNanos(spec.renewBefore);
    const duration = durationNanos(spec.duration);
    if (renewBefore !== undefined && duration !== undefined && renewBefore >= duration) {
      celIssue(ctx, MESSAGE.renewBeforeShorter, ['renewBefore']);
    }
  });
export type CertificateSpec = z.output<typeof certificateSpec>;
/** What a user (or the ingress-shim) writes: defaults not yet applied. */
export type CertificateSpecInput = z.input<typeof certificateSpec>;

const dateTime = z.iso.datetime({ offset: true });

/** One ACME challenge of the in-flight order. */
export const challengeStatus = z.strictObject({
  dnsName: boundedString(253),
  wildcard: z.boolean().optional(),
  type: z.enum(['http-01', 'dns-01']),
  state: z.enum(['pending', 'processing', 'valid', 'invalid']).optional(),
  reason: boundedString(1024).optional(),
  authorizationURL: boundedString(2048).optional(),
  challengeURL: boundedString(2048).optional(),
  selfCheck: boundedString(4096).optional(),
});
export type ChallengeStatus = z.output<typeof challengeStatus>;

/**
 * A challenge response acme6 has published (or is about to), with what taking it down needs, so
 * cleanup never has to ask the CA. Removed from status once the response is gone.
 */
export const presentedChallenge = z.strictObject({
  orderURL: boundedString(2048),
  type: z.enum(['http-01', 'dns-01']),
  dnsName: boundedString(253),
  wildcard: z.boolean().optional(),
  token: boundedString(256),
  value: boundedString(512),
  issuerKind: z.enum(['Issuer', 'ClusterIssuer']),
  issuerName: boundedString(253),
  solverIndex: z.int32().min(0),
  presentedTime: dateTime,
});
export type PresentedChallenge = z.output<typeof presentedChallenge>;

/** ACME Renewal Information (RFC 9773) for the current certificate. */
export const renewalInfoStatus = z.strictObject({
  suggestedWindowStart: dateTime.optional(),
  suggestedWindowEnd: dateTime.optional(),
  explanationURL: boundedString(2048).optional(),
  checkedAt: dateTime.optional(),
  retryAfter: dateTime.optional(),
});
export type RenewalInfoStatus = z.output<typeof renewalInfoStatus>;

/** status.acme: the order in flight and the ARI data. */
export const certificateAcmeStatus = z.strictObject({
  orderURL: boundedString(2048).optional(),
  orderCreatedTime: dateTime.optional(),
  orderState: z.enum(['pending', 'ready', 'processing', 'valid', 'invalid']).optional(),
  certificateRevision: z.int32().min(1).optional(),
  orderFingerprint: boundedString(64).optional(),
  retryAfter: dateTime.optional(),
  challenges: z.array(challengeStatus).max(MAX_DNS_NAMES).optional(),
  renewalInfo: renewalInfoStatus.optional(),
});
export type CertificateAcmeStatus = z.output<typeof certificateAcmeStatus>;

/** status of a Certificate, written only by the controller. */
export const certificateStatus = z.strictObject({
  conditions: conditionList.optional(),
  notBefore: dateTime.optional(),
  notAfter: dateTime.optional(),
  renewalTime: dateTime.optional(),
  revision: z.int32().min(1).optional(),
  failedIssuanceAttempts: z.int32().min(0).optional(),
  lastFailureTime: dateTime.optional(),
  nextAttemptTime: dateTime.optional(),
  acme: certificateAcmeStatus.optional(),
  presentedChallenges: z
    .array(presentedChallenge)
    .max(MAX_DNS_NAMES * 4)
    .optional(),
});
export type CertificateStatus = z.output<typeof certificateStatus>;

const certificateObject = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(Kind.Certificate),
  metadata: objectMeta,
  spec: certificateSpec,
  status: certificateStatus.optional(),
});

/** A whole Certificate; nulls are dropped first, as the apiserver does. */
export const certificate = z.preprocess(dropNulls, certificateObject);
export type Certificate = z.output<typeof certificateObject>;
export type CertificateInput = z.input<typeof certificateObject>;
