// The remote payload codec (Temporal's convention: POST {base}/encode and {base}/decode with
// `{"payloads":[{"metadata":{…base64},"data":base64}]}`), so the Temporal UI and `temporal
// --codec-endpoint … --codec-auth "Bearer TOKEN"` show payloads this deployer encrypted. It runs the
// API's own Temporal client's codecs: nothing is served when no payload keys are set. Decoding
// needs deploy:read and encoding deploy:promote, both from a global token: payloads of every
// project pass through here. Cross-origin calls are allowed from the configured UI origins only.
import { createRoute, z } from '@hono/zod-openapi';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import type { AppEnv } from '../app-env.js';
import type { ResolvedApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { authenticate } from '../middleware/authenticate.js';
import { authorize } from '../middleware/authorize.js';
import { createRouter } from '../router.js';
import { bearerSecurity, readErrors } from '../schemas/common.js';

/** Temporal's default limit for one payload is 2 MiB; a page of history holds many. */
const MAX_CODEC_BODY_BYTES = 8 * 1024 * 1024;
const MAX_PAYLOADS = 10_000;

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const jsonPayload = z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() }).openapi('CodecPayload');
const payloadList = z
  .object({ payloads: z.array(jsonPayload).max(MAX_PAYLOADS) })
  .openapi('CodecPayloads', { description: 'payloads in protobuf JSON form: metadata values and data in base64' });

type JsonPayload = z.infer<typeof jsonPayload>;

function fromJson({ metadata = {}, data = '' }: JsonPayload): Payload {
  return { metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])), data: Buffer.from(data, 'base64') };
}

function toJson(payload: Payload): JsonPayload {
  const metadata = Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]));
  return { metadata, data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') };
}

export function payloadCodecRoutes(deps: ResolvedApiDeps, corsOrigins: readonly string[]) {
  const router = createRouter();
  const codecs = deps.temporalClient.options.loadedDataConverter.payloadCodecs;
  const limitBody = bodyLimit({
    maxSize: MAX_CODEC_BODY_BYTES,
    onError: () => {
      throw new ApiError(413, 'payload_too_large', `request body exceeds ${MAX_CODEC_BODY_BYTES} bytes`);
    },
  });
  const configured: MiddlewareHandler<AppEnv> = async (_c, next) => {
    if (codecs.length === 0) throw new ApiError(404, 'not_found', 'payloads are not encrypted here (DEPLOYER_PAYLOAD_KEYS is not set): there is nothing to encode or decode');
    await next();
  };
  // The UI's preflight carries no token; cors answers it before authentication runs.
  router.use(
    '*',
    cors({
      origin: (origin) => (corsOrigins.includes(origin) ? origin : null),
      allowMethods: ['POST', 'OPTIONS'],
      allowHeaders: ['Authorization', 'Content-Type', 'X-Namespace'],
      credentials: true,
      maxAge: 600,
    }),
  );

  const direction = (name: 'encode' | 'decode', scope: 'deploy:read' | 'deploy:promote', run: (codec: PayloadCodec, payloads: Payload[]) => Promise<Payload[]>) => {
    const route = createRoute({
      method: 'post',
      path: `/${name}`,
      tags: ['codec'],
      summary: name === 'decode' ? 'Decrypt Temporal payloads (for the Temporal UI and CLI); a global deploy:read token' : 'Encrypt Temporal payloads (for signals sent from the Temporal UI); a global deploy:promote token',
      security: bearerSecurity,
      middleware: [configured, authenticate(deps.pool), authorize(scope), limitBody],
      request: { body: { content: { 'application/json': { schema: payloadList } }, required: true } },
      responses: {
        200: { description: `the ${name}d payloads, in the same order`, content: { 'application/json': { schema: payloadList } } },
        ...readErrors,
        413: { description: `body larger than ${MAX_CODEC_BODY_BYTES} bytes` },
      },
    });
    router.openapi(route, async (c) => {
      let payloads = c.req.valid('json').payloads.map(fromJson);
      const ordered = name === 'decode' ? [...codecs].reverse() : codecs;
      for (const codec of ordered) {
        try {
          payloads = await run(codec, payloads);
        } catch (error) {
          throw new ApiError(400, 'invalid_payload', `cannot ${name} the payloads: ${(error as Error).message}`);
        }
      }
      return c.json({ payloads: payloads.map(toJson) }, 200);
    });
  };
  direction('decode', 'deploy:read', (codec, payloads) => codec.decode(payloads));
  direction('encode', 'deploy:promote', (codec, payloads) => codec.encode(payloads));
  return router;
}
