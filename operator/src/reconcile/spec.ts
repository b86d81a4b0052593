// The spec as the operator uses it: the CRD schema already checked types, enums and ranges;
// this parses the stored object (which may predate a schema change) and checks the rules a
// structural schema cannot state without CEL, which a 1.20 apiserver does not have.
import { LiveStreamSpec, type LiveStreamSpecInput } from '../api/livestream.ts';
import type { EdgePolicy } from '@vilokanam/sfu-node/client';
import { zodMessage } from '@vilokanam/contracts/errors';

export type ValidSpec = ReturnType<typeof LiveStreamSpec.parse>;

export type SpecResult = { ok: true; spec: ValidSpec } | { ok: false; message: string };

export function validateSpec(raw: LiveStreamSpecInput | undefined): SpecResult {
  const parsed = LiveStreamSpec.safeParse(raw ?? {});
  if (!parsed.success) {
    const message = zodMessage(parsed.error, { prefix: 'spec.', root: 'spec' });
    return { ok: false, message };
  }
  const spec = parsed.data;
  const problems: string[] = [];
  if (spec.edges.min > spec.edges.max) problems.push(`spec.edges.min (${spec.edges.min}) exceeds spec.edges.max (${spec.edges.max})`);
  const rids = spec.simulcast.map((l) => l.rid);
  if (new Set(rids).size !== rids.length) problems.push('spec.simulcast: rids must be unique');
  const scales = spec.simulcast.map((l) => l.scaleResolutionDownBy);
  if (scales.some((s, i) => i > 0 && s >= scales[i - 1]!)) {
    problems.push('spec.simulcast: layers must go from lowest to highest resolution (scaleResolutionDownBy decreasing)');
  }
  return problems.length ? { ok: false, message: problems.join('; ') } : { ok: true, spec };
}

export function edgePolicy(spec: ValidSpec): EdgePolicy {
  return { viewersPerEdge: spec.edges.viewersPerEdge, minEdges: spec.edges.min, maxEdges: spec.edges.max };
}
