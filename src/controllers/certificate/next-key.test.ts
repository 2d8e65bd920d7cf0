import type { V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../acme/keys.ts';
import { secretValue } from '../../kube/secrets.ts';
import { dropNextKey, ensureNextKey, type NextKeyStore } from './next-key.ts';

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
});
