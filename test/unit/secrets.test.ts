import { describe, expect, it } from 'vitest';
import { DeployerClient } from '../../src/client/deployer-client.js';
import { DeployerError } from '../../src/domain/errors.js';
import { InvalidRequestError, requestProblems } from '../../src/domain/request-rules.js';
import { describeSecretChanges, redactError, redactSecrets, secretNameProblem, secretValueProblem } from '../../src/domain/secrets.js';

describe('secret rules', () => {
  it('take template identifiers as names', () => {
    for (const name of ['DB_PASSWORD', '_x', 'a1']) expect(secretNameProblem(name)).toBeUndefined();
    for (const name of ['1a', 'a-b', 'a.b', '', 'x'.repeat(64)]) expect(secretNameProblem(name)).toMatch(/template identifier/);
  });

  it('bound values without quoting them', () => {
    expect(secretValueProblem('s3cr3t')).toBeUndefined();
    expect(secretValueProblem('')).toMatch(/empty/);
    expect(secretValueProblem('é'.repeat(8 * 1024 + 1))).toMatch(/at most 16384 bytes/);
    expect(secretValueProblem('a\u0000b')).toMatch(/NUL/);
  });

  it('describe changes by name and fingerprint only', () => {
    expect(describeSecretChanges({ A: 'value', B: null }, { A: 'hmac-sha256:abc' })).toEqual({ A: 'set (hmac-sha256:abc)', B: 'deleted' });
  });
});

describe('redactSecrets', () => {
  it('replaces a value as written, JSON-escaped and in base64, longest first', () => {
    const text = `got "hunter2-long" and hunter2 and ${Buffer.from('hunter2').toString('base64')} and "a\\"b"`;
    expect(redactSecrets(text, ['hunter2', 'hunter2-long', 'a"b'])).toBe('got "[secret]" and [secret] and [secret] and "[secret]"');
  });

  it('replaces each long line of a multi-line value, as an error quoting one line would show it', () => {
    const key = '-----BEGIN KEY-----\nAAAABBBBCCCCDDDD\n-----END KEY-----';
    expect(redactSecrets('bad line: AAAABBBBCCCCDDDD', [key])).toBe('bad line: [secret]');
  });

  it('leaves text without secrets as it is', () => {
    expect(redactSecrets('nothing here', [])).toBe('nothing here');
    expect(redactSecrets('nothing here', ['other'])).toBe('nothing here');
  });
});

describe('redactError', () => {
  it('keeps details whole whatever characters a secret has', () => {
    const error = new DeployerError('PolicyViolation', 'nothing was applied: "a:b"', false, [{ violations: [{ object: 'a:b', rule: '"' }] }]);
    redactError(error, [':', '"']);
    expect(error.details).toEqual([{ violations: [{ object: 'a[secret]b', rule: '[secret]' }] }]);
  });

  it('cleans message, stack, details and causes in place, keeping the class', () => {
    const cause = new Error('inner hunter2');
    const error = new DeployerError('TemplateError', 'outer hunter2', false, [{ value: 'hunter2' }]);
    (error as { cause?: unknown }).cause = cause;
    const redacted = redactError(error, ['hunter2']);
    expect(redacted).toBe(error);
    expect(redacted).toBeInstanceOf(DeployerError);
    expect(redacted.message).toBe('outer [secret]');
    expect(redacted.stack).not.toContain('hunter2');
    expect(redacted.details).toEqual([{ value: '[secret]' }]);
    expect(cause.message).toBe('inner [secret]');
    expect(cause.stack).not.toContain('hunter2');
  });
});

describe('requests with secrets', () => {
  it('name secrets.NAME for each bad name or value, never quoting the value', () => {
    const problems = requestProblems({ project: 'shop', environment: 'prod', secrets: { 'bad-name': 'hunter2', EMPTY: '', GONE: null, OK: 'hunter2' } });
    expect(problems.map((p) => p.field)).toEqual(['secrets.bad-name', 'secrets.EMPTY']);
    expect(JSON.stringify(problems)).not.toContain('hunter2');
  });

  it('are refused by the Temporal client before anything is sent: a signal would keep them in history', async () => {
    const client = new DeployerClient({ client: {} as never, taskQueue: 'unused' });
    const refused = client.deploy({ project: 'shop', environment: 'prod', imageRef: 'web:1', requestedBy: 'ci', secrets: { A: 'hunter2' } });
    await expect(refused).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(refused).rejects.toMatchObject({ problems: [{ field: 'secrets' }] });
  });
});
