import { describe, expect, it } from 'vitest';
import { detectMedia, sniffMedia } from './media-type.ts';

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

describe('media sniffing', () => {
  it.each([
    ['PNG', bytes([0x89], 'PNG\r\n\x1a\n', [0, 0, 0, 13]), 'image/png', 'png'],
    ['JPEG', bytes([0xff, 0xd8, 0xff, 0xe0, 0, 16], 'JFIF'), 'image/jpeg', 'jpg'],
    ['GIF', bytes('GIF89a', [1, 0, 1, 0]), 'image/gif', 'gif'],
    ['WEBP', bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 '), 'image/webp', 'webp'],
    ['WAV', bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt '), 'audio/wav', 'wav'],
    ['MP4', bytes([0, 0, 0, 0x20], 'ftypisom', [0, 0, 2, 0]), 'video/mp4', 'mp4'],
    ['MOV', bytes([0, 0, 0, 0x14], 'ftypqt  ', [0, 0, 2, 0]), 'video/quicktime', 'mov'],
    ['MP3 with ID3', bytes('ID3', [4, 0, 0, 0, 0, 0, 0]), 'audio/mpeg', 'mp3'],
    ['MP3 frame', bytes([0xff, 0xfb, 0x90, 0x64, 0, 0]), 'audio/mpeg', 'mp3'],
  ])('recognises %s from its magic bytes', (_name, head, contentType, ext) => {
    expect(sniffMedia(head)).toEqual({ contentType, ext, from: 'magic' });
  });

  it('prefers the magic bytes over a wrong Content-Type', () => {
    expect(detectMedia(bytes([0x89], 'PNG\r\n\x1a\n'), 'image/jpeg')).toMatchObject({ contentType: 'image/png', ext: 'png', from: 'magic' });
  });

  it('falls back to a known Content-Type when the bytes say nothing, normalising aliases', () => {
    expect(detectMedia(bytes('....'), 'audio/x-wav; charset=binary')).toEqual({ contentType: 'audio/wav', ext: 'wav', from: 'header' });
  });

  it('stores unknown or active content as opaque bytes, never as HTML', () => {
    expect(detectMedia(bytes('<html><script>'), 'text/html')).toEqual({ contentType: 'application/octet-stream', ext: 'bin', from: 'default' });
    expect(detectMedia(Buffer.alloc(0), undefined)).toMatchObject({ ext: 'bin' });
  });
});
