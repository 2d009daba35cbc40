// Templates from ops repositories are untrusted code. They render in V8 isolates (isolated-vm):
// a separate heap with its own memory limit, no Node APIs (no process, require, file system,
// network or environment), running on its own thread so the worker's event loop, heartbeats and
// other activities carry on while a render works or misbehaves. Isolates are kept and reused
// (creating one and loading nunjucks costs ~15 ms; a render in a warm one well under 1 ms), a few
// per process, and replaced after a limit killed one or after a number of renders.
import ivm from 'isolated-vm';
import { availableParallelism } from 'node:os';
import { isolateProgram } from './isolate-program.js';

export interface RenderLimits {
  /** CPU time one render may use in its isolate */
  cpuTimeMs: number;
  /** heap of one isolate, in MiB (V8 may overshoot it a little before it stops the script) */
  memoryMiB: number;
  /** bytes a render may produce, counted while it renders */
  maxOutputBytes: number;
}

export const defaultRenderLimits: RenderLimits = { cpuTimeMs: 5_000, memoryMiB: 64, maxOutputBytes: 1024 * 1024 };

export interface SandboxRenderRequest {
  templatePath: string;
  context: Record<string, unknown>;
  /** a parsed values.schema.json, checked against `context.values` before rendering */
  valuesSchema?: unknown;
  /**
   * serves a template by name: its source and canonical path, or null when there is none. The
   * template to render is read before the render starts; includes are read as the render asks.
   */
  readTemplate: (name: string) => { src: string; path: string } | null;
}

/** How a render ended, as plain data: the caller turns failures into errors naming the file. */
export type SandboxRenderOutcome =
  | { kind: 'rendered'; output: string }
  | { kind: 'schema'; problems: string[] }
  | { kind: 'template'; type: string; message: string; lineno?: number; colno?: number; wrapped: boolean }
  | { kind: 'timeout'; cpuMs: number }
  | { kind: 'memory' };

interface Slot {
  isolate: ivm.Isolate;
  render: ivm.Reference<(request: string, read: ivm.Reference<unknown>) => string>;
  renders: number;
}

// A fresh isolate now and then bounds what any state left behind by one template could do to the
// next, on top of the member deny-list that keeps templates away from shared objects.
const RENDERS_PER_ISOLATE = 500;
const WATCHDOG_INTERVAL_MS = 25;

export class RenderSandbox {
  private readonly idle: Slot[] = [];
  private readonly waiting: Array<(slot: Slot) => void> = [];
  private created = 0;
  private closed = false;

  constructor(
    readonly limits: RenderLimits = defaultRenderLimits,
    /** isolates rendering at the same time; more renders queue */
    readonly size = Math.max(2, availableParallelism()),
  ) {}

  async render(request: SandboxRenderRequest): Promise<SandboxRenderOutcome> {
    const slot = await this.acquire();
    let reusable = true;
    try {
      const outcome = await this.renderIn(slot, request);
      reusable = outcome.kind === 'rendered' || outcome.kind === 'schema' || outcome.kind === 'template';
      return outcome;
    } finally {
      slot.renders++;
      this.release(slot, reusable && slot.renders < RENDERS_PER_ISOLATE);
    }
  }

  /** Disposes every idle isolate; renders still running finish first and are then disposed. */
  close(): void {
    this.closed = true;
    for (const slot of this.idle.splice(0)) dispose(slot);
  }

  private async renderIn(slot: Slot, request: SandboxRenderRequest): Promise<SandboxRenderOutcome> {
    const { isolate } = slot;
    // The template itself goes in with the request; only includes cross back to this thread.
    const preloaded = request.readTemplate(request.templatePath);
    const payload = JSON.stringify({
      templatePath: request.templatePath,
      preloaded: preloaded === null ? {} : { [request.templatePath]: preloaded },
      context: request.context,
      valuesSchema: request.valuesSchema,
      maxOutputBytes: this.limits.maxOutputBytes,
    });
    // The isolate copies the answer in (`result: { copy: true }` on its side).
    const read = new ivm.Reference((name: string) => request.readTemplate(name));
    const watched = watchCpuTime(isolate, this.limits.cpuTimeMs);
    try {
      const result = await slot.render.apply(undefined, [payload, read], {
        // Only a backstop for a render stuck in a host call: the CPU-time watchdog does the real work.
        timeout: this.limits.cpuTimeMs * 4 + 10_000,
        result: { copy: true },
      });
      return parseResult(result as string);
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      if (watched.timedOut || /timed out/i.test(message)) {
        return { kind: 'timeout', cpuMs: this.limits.cpuTimeMs };
      }
      if (/memory limit/i.test(message) || isolate.isDisposed) return { kind: 'memory' };
      // Anything else escaping the entry point (a RangeError from a huge string) is the template's.
      return { kind: 'template', type: 'TemplateError', message, wrapped: false };
    } finally {
      watched.stop();
      read.release();
    }
  }

  private async acquire(): Promise<Slot> {
    if (this.closed) throw new Error('the render sandbox is closed');
    const slot = this.idle.pop();
    if (slot) return slot;
    if (this.created < this.size) {
      this.created++;
      try {
        return await createSlot(this.limits);
      } catch (error) {
        this.created--;
        throw error;
      }
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(slot: Slot, reusable: boolean): void {
    if (!reusable || this.closed) {
      dispose(slot);
      this.created--;
      const next = this.waiting.shift();
      if (next && !this.closed) {
        this.created++;
        createSlot(this.limits).then(next, () => {
          this.created--;
        });
      }
      return;
    }
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.idle.push(slot);
  }
}

function parseResult(text: string): SandboxRenderOutcome {
  const result = JSON.parse(text) as {
    output?: string;
    schemaErrors?: string[];
    error?: { type: string; message: string; lineno?: number; colno?: number; wrapped: boolean };
  };
  if (result.schemaErrors) return { kind: 'schema', problems: result.schemaErrors };
  if (result.error) return { kind: 'template', ...result.error };
  return { kind: 'rendered', output: result.output ?? '' };
}

// isolated-vm's own timeout counts wall time; the limit is on CPU time, so one watchdog for the
// process reads the CPU clock of every isolate that is rendering and disposes one over its limit.
interface Watched {
  isolate: ivm.Isolate;
  cpuStart: bigint;
  limitNs: bigint;
  timedOut: boolean;
  stop(): void;
}
const watchedRenders = new Set<Watched>();
let watchdog: NodeJS.Timeout | undefined;

function watchCpuTime(isolate: ivm.Isolate, cpuTimeMs: number): Watched {
  const watched: Watched = {
    isolate,
    cpuStart: isolate.cpuTime,
    limitNs: BigInt(cpuTimeMs) * 1_000_000n,
    timedOut: false,
    stop() {
      watchedRenders.delete(watched);
      if (watchedRenders.size === 0 && watchdog !== undefined) {
        clearInterval(watchdog);
        watchdog = undefined;
      }
    },
  };
  watchedRenders.add(watched);
  watchdog ??= setInterval(checkCpuTimes, WATCHDOG_INTERVAL_MS).unref();
  return watched;
}

function checkCpuTimes(): void {
  for (const watched of watchedRenders) {
    if (!watched.isolate.isDisposed && watched.isolate.cpuTime - watched.cpuStart > watched.limitNs) {
      watched.timedOut = true;
      watched.isolate.dispose();
    }
  }
}

let compiledProgram: string | undefined;

async function createSlot(limits: RenderLimits): Promise<Slot> {
  compiledProgram ??= isolateProgram();
  const isolate = new ivm.Isolate({ memoryLimit: limits.memoryMiB });
  try {
    const context = await isolate.createContext();
    const script = await isolate.compileScript(compiledProgram, { filename: 'deployer-render-sandbox.js' });
    await script.run(context, { timeout: 10_000 });
    script.release();
    const render = (await context.global.get('__deployerRender', { reference: true })) as Slot['render'];
    await context.global.delete('__deployerRender');
    return { isolate, render, renders: 0 };
  } catch (error) {
    if (!isolate.isDisposed) isolate.dispose();
    throw error;
  }
}

function dispose(slot: Slot): void {
  slot.render.release();
  if (!slot.isolate.isDisposed) slot.isolate.dispose();
}
