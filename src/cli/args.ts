// Small helpers over node:util parseArgs: required options with clear errors, JSON options.
import { jsonBoundsProblem, valuesBounds } from '../domain/json-bounds.js';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * Options and the one positional argument that names what the command acts on (`notify remove 12`):
 * a positive integer id, `what` naming it in the error.
 */
export function parseWithId<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, what: string) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const [given, ...extra] = parsed.positionals;
  if (given === undefined) throw new UsageError(`give the ${what}`);
  if (extra.length > 0) throw new UsageError(`give one ${what}, not ${parsed.positionals.length} (${parsed.positionals.join(' ')})`);
  if (!/^[1-9]\d{0,15}$/.test(given)) throw new UsageError(`the ${what} must be a positive whole number, got ${JSON.stringify(given)}`);
  return { values: parsed.values, id: Number(given) };
}

export function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

export function jsonObject(values: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(raw));
  } catch (error) {
    throw new UsageError(`--${name} must be a JSON object: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`--${name} must be a JSON object, got ${JSON.stringify(parsed)}`);
  const problem = jsonBoundsProblem(parsed, `--${name}`, valuesBounds);
  if (problem !== undefined) throw new UsageError(problem);
  return parsed as Record<string, unknown>;
}

export function integer(values: Record<string, unknown>, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new UsageError(`--${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return value;
}
