// The result files behind result URLs. A file is fully described by its path (kind, size, seed), so it is
// served, re-served after a restart, and checked (`expected`) without storing anything.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { mp4Stream } from './mp4.ts';
import { makePng } from './png.ts';
import { pcmRange, wavHeader, WAV_HEADER_BYTES } from './wav.ts';

export interface MediaFile {
  contentType: 'image/png' | 'video/mp4' | 'audio/wav';
  bytes: number;
  open(): Readable;
}

const SEED = '[A-Za-z0-9_.-]{1,160}';
const IMAGE_RE = new RegExp(`^/results/image/(\\d{1,5})x(\\d{1,5})/(${SEED})\\.png$`);
const VIDEO_RE = new RegExp(`^/results/video/(\\d{1,15})/(\\d{1,3})/(${SEED})\\.mp4$`);
const AUDIO_RE = new RegExp(`^/results/audio/(\\d{1,10})/(${SEED})\\.wav$`);

export const imagePath = (width: number, height: number, seed: string) => `/results/image/${width}x${height}/${seed}.png`;
export const videoPath = (bytes: number, durationS: number, seed: string) => `/results/video/${bytes}/${durationS}/${seed}.mp4`;
export const audioPath = (samples: number, seed: string) => `/results/audio/${samples}/${seed}.wav`;

// A bounded memo of a pure function (same path → same bytes), so sharing it between emulators is safe.
const pngCache = new Map<string, Buffer>();
function cachedPng(width: number, height: number, seed: string): Buffer {
  const key = `${width}x${height}/${seed}`;
  let png = pngCache.get(key);
  if (!png) {
    png = makePng(width, height, seed);
    if (pngCache.size >= 32) pngCache.delete(pngCache.keys().next().value!);
    pngCache.set(key, png);
  }
  return png;
}

function wavStream(samples: number, seed: string): Readable {
  const step = 24_000; // one second per chunk
  let at = -1;
  return new Readable({
    read() {
      if (at < 0) {
        at = 0;
        this.push(wavHeader(samples));
      } else if (at >= samples) this.push(null);
      else {
        const n = Math.min(step, samples - at);
        this.push(pcmRange(seed, at, n));
        at += n;
      }
    },
  });
}

/** The file a result path names, or undefined when the path names none. */
export function mediaAt(path: string): MediaFile | undefined {
  let m = IMAGE_RE.exec(path);
  if (m) {
    const [w, h, seed] = [Number(m[1]), Number(m[2]), m[3]!];
    if (w < 1 || h < 1 || w > 4096 || h > 4096) return undefined;
    const png = cachedPng(w, h, seed);
    return { contentType: 'image/png', bytes: png.length, open: () => Readable.from([png]) };
  }
  m = VIDEO_RE.exec(path);
  if (m) {
    const [bytes, dur, seed] = [Number(m[1]), Number(m[2]), m[3]!];
    if (!Number.isSafeInteger(bytes) || bytes < 256) return undefined;
    return { contentType: 'video/mp4', bytes, open: () => mp4Stream(bytes, dur, seed) };
  }
  m = AUDIO_RE.exec(path);
  if (m) {
    const [samples, seed] = [Number(m[1]), m[2]!];
    return { contentType: 'audio/wav', bytes: WAV_HEADER_BYTES + samples * 2, open: () => wavStream(samples, seed) };
  }
  return undefined;
}

export interface ExpectedMedia {
  contentType: string;
  bytes: number;
  sha256: string;
}

/** What a result URL serves (type, size, sha256), computed by generating it; for end-to-end checks. */
export async function expectedMedia(url: string): Promise<ExpectedMedia> {
  const path = new URL(url, 'http://x').pathname;
  const file = mediaAt(path);
  if (!file) throw new Error(`not an emulator result URL: ${path}`);
  const hash = createHash('sha256');
  for await (const chunk of file.open()) hash.update(chunk as Buffer);
  return { contentType: file.contentType, bytes: file.bytes, sha256: hash.digest('hex') };
}
