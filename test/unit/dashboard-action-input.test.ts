// The dashboard's forms read as the API's bodies: the same schemas refuse the same input in the
// same words, values are YAML (JSON included), a reason is asked for on every action, and who
// may see each button is decided by the scope and the project binding.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/api/errors.js';
import { actionBody, formFields } from '../../src/api/dashboard/action-form-input.js';
import { mayTake } from '../../src/api/dashboard/action-names.js';

function refusal(run: () => unknown): { field: string; message: string }[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    return (error as ApiError).extra.details as { field: string; message: string }[];
  }
  throw new Error('expected a refusal');
}

describe('dashboard form input', () => {
  it('reads a deploy with YAML or JSON values, and only the fields the action has', () => {
    const fields = formFields('deploy', { image_ref: ' registry.example/web:2 ', values_override: 'replicas: 3\ngreeting: hi', reason: 'ship', to_release: '4', extra: 'x' });
    expect(fields).toEqual({ image_ref: ' registry.example/web:2 ', values_override: 'replicas: 3\ngreeting: hi', reason: 'ship' });
    expect(actionBody('deploy', fields)).toEqual({ image_ref: 'registry.example/web:2', values_override: { replicas: 3, greeting: 'hi' }, reason: 'ship' });
    expect(actionBody('deploy', { image_ref: 'registry.example/web:2', values_override: '{"replicas": 1}', reason: 'json' }).values_override).toEqual({ replicas: 1 });
    expect(actionBody('deploy', { image_ref: 'registry.example/web:2', values_override: '  ', reason: 'none' })).not.toHaveProperty('values_override');
  });

  it('refuses each bad field in the API validator\'s words, all at once', () => {
    const issues = refusal(() => actionBody('deploy', { image_ref: 'Not An Image!', values_override: '- a\n- b', reason: ' ' }));
    expect(issues.map((issue) => issue.field).sort()).toEqual(['image_ref', 'reason', 'values_override']);
    expect(issues.find((issue) => issue.field === 'image_ref')!.message).toMatch(/^image_ref: /);
    expect(refusal(() => actionBody('deploy', { reason: 'no image' }))).toEqual([{ field: 'image_ref', message: expect.stringMatching(/^image_ref: give the image/) }]);
    expect(refusal(() => actionBody('deploy', { image_ref: 'registry.example/web:2', values_override: 'a: &x 1\nb: *x', reason: 'aliases' }))[0]!.field).toBe('values_override');
  });

  it('reads a rollback to a chosen release, or to the default when none is chosen', () => {
    expect(actionBody('rollback', { to_release: '3', reason: 'bad build' })).toEqual({ to_release: 3, reason: 'bad build' });
    expect(actionBody('rollback', { to_release: '', reason: 'bad build' })).toEqual({ reason: 'bad build' });
    expect(refusal(() => actionBody('rollback', { to_release: '0', reason: 'zero' }))[0]!.field).toBe('to_release');
  });

  it('reads stop, cancel and decisions, each with a reason', () => {
    expect(actionBody('stop', { reason: 'night' })).toEqual({ reason: 'night' });
    expect(refusal(() => actionBody('cancel', {}))).toEqual([{ field: 'reason', message: expect.stringMatching(/^reason: /) }]);
    expect(actionBody('approve', { request_id: 'build-7', reason: 'ok' })).toEqual({ request_id: 'build-7', reason: 'ok' });
    expect(refusal(() => actionBody('reject', { request_id: 'not valid!', reason: 'no' }))[0]!.field).toBe('request_id');
  });

  it('shows a button only for the scope, and a project-bound token only in its project', () => {
    const token = (scopes: string[], project: string | null = null) => ({ name: 't', scopes, project }) as Parameters<typeof mayTake>[0];
    expect(mayTake(token(['deploy:read']), 'deploy', 'shop')).toBe(false);
    expect(mayTake(token(['deploy:promote']), 'stop', 'shop')).toBe(true);
    expect(mayTake(token(['deploy:promote']), 'approve', 'shop')).toBe(false);
    expect(mayTake(token(['deploy:approve']), 'reject', 'shop')).toBe(true);
    expect(mayTake(token(['admin'], 'shop'), 'rollback', 'shop')).toBe(true);
    expect(mayTake(token(['admin'], 'other'), 'rollback', 'shop')).toBe(false);
  });
});
