// Real result URLs from the DashScope emulator, obtained through its public native API (create a task,
// poll it to SUCCEEDED), turned into manifest outputs.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { ManifestOutput } from '../../shared/domain/manifest.ts';

export interface EmulatorLike {
  url: string;
  apiKey: string;
}

const createdSchema = z.object({ output: z.object({ task_id: z.string() }) });
const querySchema = z.object({
  output: z.object({
    task_status: z.string(),
    results: z.array(z.object({ url: z.string().optional() }).loose()).optional(),
    video_url: z.string().optional(),
  }).loose(),
});

async function runTask(emu: EmulatorLike, path: string, body: unknown): Promise<z.infer<typeof querySchema>['output']> {
  const headers = { authorization: `Bearer ${emu.apiKey}`, 'content-type': 'application/json', 'x-dashscope-async': 'enable' };
  const created = await fetch(`${emu.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  if (!created.ok) throw new Error(`create failed: ${created.status} ${await created.text()}`);
  const { output } = createdSchema.parse(await created.json());
  for (let i = 0; i < 400; i++) {
    const q = await fetch(`${emu.url}/api/v1/tasks/${output.task_id}`, { headers: { authorization: `Bearer ${emu.apiKey}` } });
    const parsed = querySchema.parse(await q.json()).output;
    if (parsed.task_status === 'SUCCEEDED') return parsed;
    if (['FAILED', 'CANCELED', 'UNKNOWN'].includes(parsed.task_status)) throw new Error(`task ended ${parsed.task_status}`);
    await sleep(25);
  }
  throw new Error('task did not finish');
}

function expiresAtOf(url: string): string {
  const expires = Number(new URL(url).searchParams.get('Expires'));
  return new Date(expires * 1000).toISOString();
}

/** Manifest outputs for `images` PNGs (one image task) followed by one MP4 (one video task). */
export async function emulatorOutputs(emu: EmulatorLike, images: number): Promise<ManifestOutput[]> {
  const image = await runTask(emu, '/api/v1/services/aigc/text2image/image-synthesis', {
    model: 'wanx2.1-t2i-turbo',
    input: { prompt: 'a red fox in snow' },
    parameters: { n: images, size: '512*512' },
  });
  const video = await runTask(emu, '/api/v1/services/aigc/video-generation/video-synthesis', {
    model: 'wan2.5-t2v-preview',
    input: { prompt: 'a red fox running' },
    parameters: { size: '832*480', duration: 5 },
  });
  const urls = [...(image.results ?? []).map((r) => r.url), video.video_url];
  return urls.map((u, index) => {
    if (!u) throw new Error('the emulator returned a result without a URL');
    return { index, url: u, expiresAt: expiresAtOf(u), kind: index < images ? 'image' : 'video' };
  });
}
