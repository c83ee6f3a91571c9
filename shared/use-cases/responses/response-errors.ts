// The Responses use case's own refusal: a response or item id that names nothing the caller can see (unknown,
// not stored, or another tenant's: all answer alike). Status: shared/http/error-table.ts.

import { clip } from '../../text/clip.ts';

export class ResponseNotFoundError extends Error {
  override name = 'ResponseNotFoundError';
  readonly code: 'response_not_found' | 'item_not_found';
  constructor(
    readonly what: 'response' | 'item',
    readonly id: string,
    /** The field that named it: previous_response_id, input.3.id, … */
    readonly param: string,
  ) {
    super(`${what === 'response' ? 'Response' : 'Item'} with id '${clip(id, 64)}' not found`);
    this.code = what === 'response' ? 'response_not_found' : 'item_not_found';
  }
}
