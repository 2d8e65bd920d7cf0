// --honor-cert-manager-annotations: cert-manager's issuer annotations on Ingresses, read as acme6's.
import { describe, expect, it } from 'vitest';
import { parseControllerFlags } from '../../cmd/controller.ts';
import { readShimFlags } from './flags.ts';
import { readIngressOptions, wantsCertificates } from './options.ts';

const honor = { honorCertManagerAnnotations: true };

describe('cert-manager issuer annotations on Ingresses', () => {
  it('are ignored by default', () => {
    expect(readIngressOptions({ 'cert-manager.io/cluster-issuer': 'prod' }, {})).toEqual({ kind: 'ignored' });
    expect(wantsCertificates({ 'cert-manager.io/issuer': 'team' }, {})).toBe(false);
  });

  it('count as acme6.io/cluster-issuer and acme6.io/issuer when honoured', () => {
    expect(readIngressOptions({ 'cert-manager.io/cluster-issuer': 'prod' }, honor)).toMatchObject({
      kind: 'ok',
      options: { issuerRef: { name: 'prod', kind: 'ClusterIssuer' } },
    });
    expect(readIngressOptions({ 'cert-manager.io/issuer': 'team' }, honor)).toMatchObject({
      kind: 'ok',
      options: { issuerRef: { name: 'team', kind: 'Issuer' } },
    });
    expect(wantsCertificates({ 'cert-manager.io/cluster-issuer': 'prod' }, honor)).toBe(true);
  });

  it("give way to acme6's own issuer annotation", () => {
    expect(
      readIngressOptions({ 'cert-manager.io/cluster-issuer': 'old', 'acme6.io/issuer': 'new' }, honor),
    ).toMatchObject({ kind: 'ok', options: { issuerRef: { name: 'new', kind: 'Issuer' } } });
  });

  it('leave external issuers (another cert-manager.io/issuer-group) to their controller', () => {
    const external = {
      'cert-manager.io/issuer': 'pca',
      'cert-manager.io/issuer-group': 'awspca.cert-manager.io',
    };
    expect(readIngressOptions(external, honor)).toEqual({ kind: 'ignored' });
    expect(
      readIngressOptions({ ...external, 'cert-manager.io/issuer-group': 'cert-manager.io' }, honor),
    ).toMatchObject({ kind: 'ok' });
  });

  it('name the annotation the user wrote in a problem', () => {
    expect(readIngressOptions({ 'cert-manager.io/cluster-issuer': 'Not_Valid' }, honor)).toEqual({
      kind: 'invalid',
      problems: [
        {
          where: 'cert-manager.io/cluster-issuer',
          message: '"Not_Valid" is not a valid issuer name (lowercase DNS subdomain)',
        },
      ],
    });
    expect(
      readIngressOptions({ 'cert-manager.io/cluster-issuer': 'a', 'cert-manager.io/issuer': 'b' }, honor),
    ).toMatchObject({
      kind: 'invalid',
      problems: [{ where: 'cert-manager.io/issuer and cert-manager.io/cluster-issuer' }],
    });
  });

  it('are switched on by --honor-cert-manager-annotations, off by default', () => {
    expect(readShimFlags({})).toMatchObject({ ingressShim: {} });
    expect(readShimFlags({ 'honor-cert-manager-annotations': true })).toMatchObject({
      ingressShim: { honorCertManagerAnnotations: true },
    });
    expect(
      readShimFlags({ 'honor-cert-manager-annotations': true, 'default-issuer-name': 'le' }),
    ).toMatchObject({ ingressShim: { honorCertManagerAnnotations: true, defaultIssuer: { name: 'le' } } });
    expect(parseControllerFlags(['--honor-cert-manager-annotations'])).toMatchObject({
      ingressShim: { honorCertManagerAnnotations: true },
    });
    expect(parseControllerFlags([])).not.toHaveProperty('ingressShim.honorCertManagerAnnotations');
  });
});
