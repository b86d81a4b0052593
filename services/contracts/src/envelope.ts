// The request envelope both WebSocket protocols (signaling and chat) use: JSON with the
// protocol's version `v`, an `id` the reply echoes, a request `type` and its `data`. Each
// protocol keeps its own version and request schemas; the envelope is written once so the two
// servers refuse the same malformed frames. Internal to this package: each protocol exports it.
import { z } from 'zod';

export function requestEnvelope<V extends number>(version: V) {
  return z.object({
    v: z.literal(version),
    id: z.number().int().nonnegative(),
    type: z.string().max(64),
    data: z.unknown().optional(),
  });
}
