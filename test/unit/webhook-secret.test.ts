import { describe, expect, it } from 'vitest';
import { storedWebhookSecret, webhookSecretFrom } from '../../src/crypto/webhook-secret.js';
import { freshKeyring } from '../support/test-keyring.js';

describe("an ops repo's webhook secret at rest", () => {
  const keys = freshKeyring();

  it('is sealed where there are keys, and opens to what was written', () => {
    const stored = storedWebhookSecret('hook-secret-0123456789', keys);
    expect(stored).toMatch(/^sealed:/);
    expect(stored).not.toContain('hook-secret');
    expect(webhookSecretFrom(stored, keys)).toBe('hook-secret-0123456789');
  });

  it('stays as written without keys, and null or absent pass through', () => {
    expect(storedWebhookSecret('hook-secret-0123456789', undefined)).toBe('hook-secret-0123456789');
    expect(webhookSecretFrom('hook-secret-0123456789', keys)).toBe('hook-secret-0123456789');
    expect(storedWebhookSecret(null, keys)).toBeNull();
    expect(storedWebhookSecret(undefined, keys)).toBeUndefined();
  });

  it('says what is missing when a sealed secret meets a server without keys or with other keys', () => {
    const stored = storedWebhookSecret('hook-secret-0123456789', keys);
    expect(() => webhookSecretFrom(stored, undefined)).toThrow(/no DEPLOYER_PAYLOAD_KEYS/);
    expect(() => webhookSecretFrom(stored, freshKeyring())).toThrow(/does not verify/);
  });
});
