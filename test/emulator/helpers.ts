// Shared helpers for the emulator conformance suite: authorised fetches and SSE parsing.
import type { Emulator } from '../../dev/emulator/server.ts';

export const json = (emu: Emulator, extra: Record<string, string> = {}): Record<string, string> => ({
  authorization: `Bearer ${emu.apiKey}`,
  'content-type': 'application/json',
  ...extra,
});

export async function post(emu: Emulator, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${emu.url}${path}`, { method: 'POST', headers: json(emu, headers), body: JSON.stringify(body) });
}

export async function get(emu: Emulator, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${emu.url}${path}`, { headers: { authorization: `Bearer ${emu.apiKey}`, ...headers } });
}

/** The `data:` payloads of an OpenAI-style SSE body, in order (including `[DONE]`). */
export function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .map((block) => block.split('\n').find((l) => l.startsWith('data:')))
    .filter((l): l is string => l !== undefined)
    .map((l) => l.slice(5).trimStart());
}

export interface NativeFrame {
  id: string;
  event: string;
  status: string;
  data: Record<string, unknown>;
}

/** Native DashScope SSE frames: `id:`, `event:`, `:HTTP_STATUS/…`, `data:`. */
export function nativeFrames(text: string): NativeFrame[] {
  return text
    .split('\n\n')
    .filter((b) => b.trim())
    .map((block) => {
      const lines = block.split('\n');
      const field = (p: string) => lines.find((l) => l.startsWith(p))?.slice(p.length) ?? '';
      return { id: field('id:'), event: field('event:'), status: field(':HTTP_STATUS/'), data: JSON.parse(field('data:')) as Record<string, unknown> };
    });
}

export const TASK_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
