import type { V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../acme/keys.ts';
import { secretValue } from '../../kube/secrets.ts';
import { dropNextKey, ensureNextKey, readNextKey, type NextKeyStore } from './next-key.ts';

function memoryStore(): NextKeyStore & { secrets: Map<string, V1Secret> } {
  const secrets = new Map<string, V1Secret>();
  return {
    secrets,
    get: (ns, name) => Promise.resolve(secrets.get(`${ns}/${name}`)),
    create: (s) => {
      secrets.set(`${s.metadata.namespace}/${s.metadata.name}`, s);
      return Promise.resolve(s);
    },
    delete: (ns, name) => {
      secrets.delete(`${ns}/${name}`);
      return Promise.resolve();
    },
  };
}

const owner = { name: 'web', namespace: 'team', uid: 'u1' };

describe('next key', () => {
  it('stores a new key, owned by the Certificate, and returns the stored one on the next call', async () => {
    const store = memoryStore();
    const key = await ensureNextKey(store, owner, { algorithm: 'ECDSA', size: 256 });
    const secret = store.secrets.get('team/web-next-key')!;
    expect(secretValue(secret, 'tls.key')).toBe(key);
    expect(secret.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'Certificate',
      name: 'web',
      uid: 'u1',
    });
    expect(await ensureNextKey(store, owner, { algorithm: 'ECDSA', size: 256 })).toBe(key);
  });

  it('reuses the current key for rotationPolicy Never when it fits the spec, else makes a new one', async () => {
    const store = memoryStore();
    const current = await generatePrivateKey({ algorithm: 'ECDSA', size: 384 });
    expect(await ensureNextKey(store, owner, { algorithm: 'ECDSA', size: 384 }, current)).toBe(current);
    await dropNextKey(store, owner);
    const fresh = await ensureNextKey(store, owner, { algorithm: 'ECDSA', size: 256 }, current);
    expect(fresh).not.toBe(current);
  });

  it('replaces a stored key the spec no longer fits', async () => {
    const store = memoryStore();
    const ecdsa = await ensureNextKey(store, owner, { algorithm: 'ECDSA', size: 256 });
    const rsa = await ensureNextKey(store, owner, { algorithm: 'RSA', size: 2048 });
    expect(rsa).not.toBe(ecdsa);
    expect(secretValue(store.secrets.get('team/web-next-key'), 'tls.key')).toBe(rsa);
  });

  it("neither uses nor deletes a Secret of that name that is not this Certificate's next key", async () => {
    const store = memoryStore();
    // The TLS Secret of a Certificate named `web-next-key`, with a key that fits web's spec.
    const theirs = await generatePrivateKey({ algorithm: 'ECDSA', size: 256 });
    const tls: V1Secret = {
      type: 'kubernetes.io/tls',
      metadata: {
        name: 'web-next-key',
        namespace: 'team',
        labels: { 'acme6.io/managed': 'true', 'acme6.io/certificate-name': 'web-next-key' },
        ownerReferences: [
          { apiVersion: 'acme6.io/v1alpha1', kind: 'Certificate', name: 'web-next-key', uid: 'u2' },
        ],
      },
      data: { 'tls.key': Buffer.from(theirs).toString('base64'), 'tls.crt': 'Y2VydA==' },
    };
    store.secrets.set('team/web-next-key', tls);
    await expect(ensureNextKey(store, owner, { algorithm: 'ECDSA', size: 256 })).rejects.toThrow(
      /Secret team\/web-next-key exists and is not the next key of Certificate web/,
    );
    expect(await readNextKey(store, owner)).toBeUndefined();
    await dropNextKey(store, owner);
    expect(store.secrets.get('team/web-next-key')).toBe(tls);
  });

  it('replaces the next key of an earlier Certificate of the same name, never using it', async () => {
    const store = memoryStore();
    const earlier = await ensureNextKey(store, { ...owner, uid: 'u0' }, { algorithm: 'ECDSA', size: 256 });
    expect(await readNextKey(store, owner)).toBeUndefined();
    const key = await ensureNextKey(store, owner, { algorithm: 'ECDSA', size: 256 });
    expect(key).not.toBe(earlier);
    expect(await readNextKey(store, owner)).toBe(key);
    expect(store.secrets.get('team/web-next-key')?.metadata?.ownerReferences?.[0]?.uid).toBe('u1');
  });
});
