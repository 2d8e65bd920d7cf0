// Issuer and ClusterIssuer: zod twin of crds/acme6.io_issuers.yaml and crds/acme6.io_clusterissuers.yaml,
// which share one spec. A ClusterIssuer reads its Secrets from acme6's own namespace.
import { z } from 'zod';
import { conditionList } from './conditions.ts';
import { API_VERSION, Kind } from './group.ts';
import { objectMeta } from './metadata.ts';
import { PATTERN } from './patterns.ts';
import { MAX_SOLVERS, solver } from './solver.ts';
import {
  boundedString,
  dropNulls,
  httpsUrl,
  objectName,
  patterned,
  secretKeySelector,
} from './validation.ts';

// The apiserver's `format: byte` check (kube-openapi's govalidator pattern): padded standard base64,
// at least one group, no line breaks.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/;

/** spec.acme.externalAccountBinding: binds the new ACME account to an account at the CA (RFC 8555 §7.3.4). */
export const externalAccountBinding = z.strictObject({
  keyID: patterned(PATTERN.token, 1024, 1),
  keySecretRef: secretKeySelector,
  keyAlgorithm: z.enum(['HS256', 'HS384', 'HS512']).default('HS256'),
});
export type ExternalAccountBinding = z.output<typeof externalAccountBinding>;

/** spec.acme of an Issuer or ClusterIssuer. */
export const acmeIssuer = z.strictObject({
  server: httpsUrl,
  email: patterned(PATTERN.email, 254).optional(),
  privateKeySecretRef: z.strictObject({
    name: objectName,
    key: patterned(PATTERN.secretKey, 253).default('tls.key'),
  }),
  externalAccountBinding: externalAccountBinding.optional(),
  profile: patterned(PATTERN.token, 64, 1).optional(),
  preferredChain: boundedString(1024, 1).optional(),
  caBundle: z.string().regex(BASE64, 'must be base64-encoded (format: byte)').optional(),
  solvers: z.array(solver).min(1).max(MAX_SOLVERS),
});
export type AcmeIssuer = z.output<typeof acmeIssuer>;

/** spec of an Issuer or ClusterIssuer. */
export const issuerSpec = z.strictObject({ acme: acmeIssuer });
export type IssuerSpec = z.output<typeof issuerSpec>;
export type IssuerSpecInput = z.input<typeof issuerSpec>;

/** status of an Issuer or ClusterIssuer, written only by the controller. */
export const issuerStatus = z.strictObject({
  conditions: conditionList.optional(),
  acme: z
    .strictObject({
      uri: boundedString(2048).optional(),
      lastRegisteredEmail: boundedString(254).optional(),
      lastPrivateKeyHash: boundedString(256).optional(),
    })
    .optional(),
});
export type IssuerStatus = z.output<typeof issuerStatus>;

const issuerObject = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(Kind.Issuer),
  metadata: objectMeta,
  spec: issuerSpec,
  status: issuerStatus.optional(),
});
const clusterIssuerObject = issuerObject.extend({ kind: z.literal(Kind.ClusterIssuer) });

/** A whole Issuer; nulls are dropped first, as the apiserver does. */
export const issuer = z.preprocess(dropNulls, issuerObject);
export type Issuer = z.output<typeof issuerObject>;
/** A whole ClusterIssuer; nulls are dropped first, as the apiserver does. */
export const clusterIssuer = z.preprocess(dropNulls, clusterIssuerObject);
export type ClusterIssuer = z.output<typeof clusterIssuerObject>;
/** Either issuer kind, for code that serves both. */
export type AnyIssuer = Issuer | ClusterIssuer;
