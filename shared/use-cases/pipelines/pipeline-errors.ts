// The pipeline use cases' own errors: an id the caller may not see (another tenant's answers exactly like one
// that does not exist).
import { clip } from '../../text/clip.ts';

export class UnknownPipelineError extends Error {
  override name = 'UnknownPipelineError';
  readonly code = 'pipeline_not_found';
  constructor(readonly pipelineId: string) {
    super(`no pipeline with id '${clip(pipelineId)}'`);
  }
}
