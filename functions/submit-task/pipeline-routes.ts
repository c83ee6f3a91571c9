// The pipeline routes: `POST /v1/pipelines` (validate, record, answer 202 at once: the work runs on the
// events) and `GET /v1/pipelines/{id}` for the caller's tenant, another tenant's id answering 404.
import { readJson } from '../../shared/http/body.ts';
import type { HttpCall } from '../../shared/http/http-function.ts';
import { sendJson } from '../../shared/http/respond.ts';
import type { RouteSpec } from '../../shared/runtime/fc.ts';
import { clip } from '../../shared/text/clip.ts';
import { createPipeline } from '../../shared/use-cases/pipelines/create-pipeline.ts';
import type { PipelineDeps } from '../../shared/use-cases/pipelines/pipeline-deps.ts';
import { parsePipelineRequest, PIPELINE_MAX_BODY_BYTES } from '../../shared/use-cases/pipelines/pipeline-request.ts';
import { getPipelineOr404, PIPELINE_ID_MAX_CHARS, toPipelineView } from '../../shared/use-cases/pipelines/pipeline-view.ts';

export async function handlePipelineRoute(deps: PipelineDeps, call: HttpCall<RouteSpec>): Promise<void> {
  const { req, res, requestId, route, params, note, principal } = call;
  const ttl = deps.config.SIGNED_URL_TTL_S;
  if (route.method === 'POST') {
    const request = parsePipelineRequest(await readJson(req, PIPELINE_MAX_BODY_BYTES));
    const pipeline = await createPipeline(deps, request, principal);
    note.pipelineId = pipeline.id;
    const headers = { 'x-request-id': requestId, location: `/v1/pipelines/${encodeURIComponent(pipeline.id)}` };
    return sendJson(res, 202, await toPipelineView(pipeline, deps.objects, ttl), headers);
  }
  const id = params.id ?? '';
  note.pipelineId = clip(id, PIPELINE_ID_MAX_CHARS);
  sendJson(res, 200, await toPipelineView(await getPipelineOr404(deps.pipelines, id, principal), deps.objects, ttl), { 'x-request-id': requestId });
}
