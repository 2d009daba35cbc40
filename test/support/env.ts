// What the global set-up exported about the running stack, read once with clear errors.
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with \`npm test\`, which brings the stack up`);
  return value;
}

export const testEnv = {
  get temporalAddress() {
    return required('TEMPORAL_ADDRESS');
  },
  get temporalNamespace() {
    return process.env.TEMPORAL_NAMESPACE ?? 'default';
  },
  get databaseUrl() {
    return required('TEST_DATABASE_URL');
  },
  get kubeconfig() {
    return required('KUBECONFIG');
  },
};

/** A short random suffix so concurrent or repeated runs never collide on names. */
export function uniqueSuffix(): string {
  return Math.random().toString(36).slice(2, 8);
}
