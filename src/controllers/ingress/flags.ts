// The controller flags of the ingress-shim and of Secret retention, checked into settings.
import type { SecretDeletionPolicy } from '../../api/certificate.ts';
import { Kind } from '../../api/group.ts';
import { objectName } from '../../api/validation.ts';
import type { ShimDefaults } from './options.ts';

/** The flags as parseArgs returns them. */
export interface ShimFlagValues {
  'default-issuer-name'?: string;
  'default-issuer-kind'?: string;
  'enable-certificate-owner-ref'?: boolean;
  'honor-cert-manager-annotations'?: boolean;
}

/** Settings for the Manager, or a message naming the bad flag. */
export function readShimFlags(
  values: ShimFlagValues,
): { ingressShim: ShimDefaults; defaultSecretDeletionPolicy: SecretDeletionPolicy } | { error: string } {
  const name = values['default-issuer-name'];
  const kind = values['default-issuer-kind'] ?? Kind.Issuer;
  if (kind !== Kind.Issuer && kind !== Kind.ClusterIssuer) {
    return { error: `--default-issuer-kind must be Issuer or ClusterIssuer, not "${kind}"` };
  }
  if (name !== undefined && !objectName.safeParse(name).success) {
    return { error: `--default-issuer-name must be an issuer name (lowercase DNS subdomain), not "${name}"` };
  }
  if (name === undefined && values['default-issuer-kind'] !== undefined) {
    return { error: '--default-issuer-kind needs --default-issuer-name' };
  }
  const honor = values['honor-cert-manager-annotations'] ? { honorCertManagerAnnotations: true } : {};
  return {
    ingressShim: name === undefined ? honor : { defaultIssuer: { name, kind }, ...honor },
    defaultSecretDeletionPolicy: values['enable-certificate-owner-ref'] ? 'Delete' : 'Retain',
  };
}
