// The endpoints the emulator serves, both protocols on one host. OpenAI paths under /api/v1 match nothing
// and answer 404, as on DashScope.
import { MODELS } from '../../shared/catalog/catalog.ts';
import { handleChat } from './chat.ts';
import { sendJson, type RequestContext } from './context.ts';
import { handleCompatEmbeddings, handleNativeEmbeddings } from './embeddings.ts';
import type { EmulatorEnv } from './env.ts';
import { deleteFile, getFile, listFiles, uploadFile } from './files.ts';
import { cancelFineTune, createFineTune, deleteFineTune, getFineTune, listFineTunes } from './fine-tunes.ts';
import { serveResult } from './results.ts';
import { cancelTask, createImageTask, createVideoTask, getTask, listTasks } from './tasks.ts';
import { handleTts } from './tts.ts';

export type Handler = (ctx: RequestContext, env: EmulatorEnv) => void | Promise<void>;

interface Route {
  method: string;
  re: RegExp;
  keys: string[];
  handler: Handler;
}

function route(method: string, path: string, handler: Handler): Route {
  const keys: string[] = [];
  const src = path
    .split('/')
    .map((seg) => (seg.startsWith(':') ? (keys.push(seg.slice(1)), '([^/]+)') : seg === '*' ? '(.+)' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return { method, re: new RegExp(`^${src}/?$`), keys, handler };
}

function listModels(ctx: RequestContext): void {
  sendJson(ctx, 200, { object: 'list', data: MODELS.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: 'system' })) });
}

const C = '/compatible-mode/v1';
const N = '/api/v1';

const ROUTES: Route[] = [
  route('POST', `${C}/chat/completions`, handleChat),
  route('POST', `${C}/embeddings`, handleCompatEmbeddings),
  route('GET', `${C}/models`, listModels),
  route('POST', `${C}/files`, uploadFile),
  route('GET', `${C}/files`, listFiles),
  route('GET', `${C}/files/:id`, getFile),
  route('DELETE', `${C}/files/:id`, deleteFile),
  route('POST', `${N}/services/embeddings/text-embedding/text-embedding`, handleNativeEmbeddings),
  route('POST', `${N}/services/aigc/text2image/image-synthesis`, createImageTask),
  route('POST', `${N}/services/aigc/video-generation/video-synthesis`, createVideoTask),
  route('POST', `${N}/services/aigc/multimodal-generation/generation`, handleTts),
  route('GET', `${N}/tasks`, listTasks),
  route('GET', `${N}/tasks/:id`, getTask),
  route('POST', `${N}/tasks/:id/cancel`, cancelTask),
  route('POST', `${N}/fine-tunes`, createFineTune),
  route('GET', `${N}/fine-tunes`, listFineTunes),
  route('GET', `${N}/fine-tunes/:id`, getFineTune),
  route('POST', `${N}/fine-tunes/:id/cancel`, cancelFineTune),
  route('DELETE', `${N}/fine-tunes/:id`, deleteFineTune),
  route('GET', '/results/*', serveResult),
];

export type RouteResult = { handler: Handler; params: Record<string, string> } | { allow: string[] } | undefined;

export function findRoute(method: string, path: string): RouteResult {
  const allow: string[] = [];
  for (const r of ROUTES) {
    const m = r.re.exec(path);
    if (!m) continue;
    if (r.method === method || (method === 'HEAD' && r.method === 'GET')) {
      const params: Record<string, string> = {};
      try {
        r.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1]!)));
      } catch {
        return undefined;
      }
      return { handler: r.handler, params };
    }
    allow.push(r.method);
  }
  return allow.length ? { allow } : undefined;
}
