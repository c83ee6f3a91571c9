// Ids of the Responses API: a response `resp_<s>` and its output items `rs_<s>` (reasoning), `msg_<s>` (the
// message) and `fc_<s>_<k>` (the k-th function call), so an item id names the stored response it came from.

export type ItemKind = 'reasoning' | 'message' | 'function_call';

export interface ItemIds {
  reasoning: string;
  message: string;
  functionCall(k: number): string;
}

const RESPONSE_PREFIX = 'resp_';

export function itemIdsOf(responseId: string): ItemIds {
  const s = responseId.slice(RESPONSE_PREFIX.length);
  return { reasoning: `rs_${s}`, message: `msg_${s}`, functionCall: (k) => `fc_${s}_${k}` };
}

/** The response and the place within it that an item id names, or undefined for an id we never made. */
export function parseItemId(id: string): { responseId: string; kind: ItemKind; index: number } | undefined {
  const m = /^(rs|msg|fc)_([A-Za-z0-9_-]+)$/.exec(id);
  if (!m) return undefined;
  const [, prefix, rest] = m as unknown as [string, string, string];
  if (prefix !== 'fc') return { responseId: `${RESPONSE_PREFIX}${rest}`, kind: prefix === 'rs' ? 'reasoning' : 'message', index: 0 };
  const cut = rest.lastIndexOf('_');
  const index = Number(rest.slice(cut + 1));
  if (cut <= 0 || !Number.isSafeInteger(index) || index < 0) return undefined;
  return { responseId: `${RESPONSE_PREFIX}${rest.slice(0, cut)}`, kind: 'function_call', index };
}

export const isResponseId = (id: string): boolean => id.startsWith(RESPONSE_PREFIX) && id.length > RESPONSE_PREFIX.length;
