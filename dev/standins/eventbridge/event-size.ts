// The size EventBridge charges an event against the 256 KB PutEvents limit, per Alibaba's "Calculate the
// size of events published by PutEvents": time counts 36 bytes, attributes their UTF-8 bytes, data its raw bytes.
export const MAX_REQUEST_EVENT_BYTES = 256 * 1024;

const utf8 = (v: unknown): number => (typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : 0);

export function wireEventSize(event: Record<string, unknown>): number {
  let size = event.time === undefined ? 0 : 36;
  for (const k of ['specversion', 'id', 'type', 'source', 'subject', 'dataschema', 'datacontenttype']) size += utf8(event[k]);
  if (typeof event.data_base64 === 'string') size += Buffer.from(event.data_base64, 'base64').length;
  else if (typeof event.data === 'string') size += utf8(event.data);
  else if (event.data !== undefined) size += utf8(JSON.stringify(event.data));
  return size;
}
