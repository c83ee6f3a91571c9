// The type and extension of a downloaded result: magic bytes decide, a known Content-Type is the fallback,
// else opaque bytes (never HTML or script, which a signed URL on our bucket would serve to browsers).

export interface MediaType {
  contentType: string;
  ext: string;
  /** Where the decision came from. */
  from: 'magic' | 'header' | 'default';
}

/** How many leading bytes `sniffMedia` needs to see every format it knows. */
export const SNIFF_BYTES = 16;

const ascii = (b: Buffer, start: number, text: string) => b.length >= start + text.length && b.toString('latin1', start, start + text.length) === text;

/** Recognises PNG, JPEG, GIF, WEBP, WAV, MP4/MOV/M4A (`ftyp`) and MP3 from the first bytes. */
export function sniffMedia(head: Buffer): MediaType | undefined {
  const magic = (contentType: string, ext: string): MediaType => ({ contentType, ext, from: 'magic' });
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return magic('image/png', 'png');
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return magic('image/jpeg', 'jpg');
  if (ascii(head, 0, 'GIF87a') || ascii(head, 0, 'GIF89a')) return magic('image/gif', 'gif');
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WEBP')) return magic('image/webp', 'webp');
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WAVE')) return magic('audio/wav', 'wav');
  if (ascii(head, 4, 'ftyp') && head.length >= 12) {
    const brand = head.toString('latin1', 8, 12);
    if (brand === 'qt  ') return magic('video/quicktime', 'mov');
    if (brand === 'M4A ' || brand === 'M4B ') return magic('audio/mp4', 'm4a');
    return magic('video/mp4', 'mp4');
  }
  if (ascii(head, 0, 'ID3')) return magic('audio/mpeg', 'mp3');
  // MPEG audio frame sync (11 bits) with layer III: 0xFFE, then layer bits 01.
  if (head.length >= 2 && head[0] === 0xff && ((head[1] ?? 0) & 0xe6) === 0xe2) return magic('audio/mpeg', 'mp3');
  return undefined;
}

/** Declared types we accept as a fallback, with the canonical type and extension they map to. */
const KNOWN_HEADER_TYPES: Readonly<Record<string, readonly [string, string]>> = {
  'image/png': ['image/png', 'png'],
  'image/jpeg': ['image/jpeg', 'jpg'],
  'image/jpg': ['image/jpeg', 'jpg'],
  'image/gif': ['image/gif', 'gif'],
  'image/webp': ['image/webp', 'webp'],
  'video/mp4': ['video/mp4', 'mp4'],
  'video/quicktime': ['video/quicktime', 'mov'],
  'audio/wav': ['audio/wav', 'wav'],
  'audio/x-wav': ['audio/wav', 'wav'],
  'audio/wave': ['audio/wav', 'wav'],
  'audio/mpeg': ['audio/mpeg', 'mp3'],
  'audio/mp3': ['audio/mpeg', 'mp3'],
  'audio/mp4': ['audio/mp4', 'm4a'],
};

/** The type of a result: magic bytes first, then a known Content-Type, else application/octet-stream. */
export function detectMedia(head: Buffer, headerContentType: string | undefined): MediaType {
  const sniffed = sniffMedia(head);
  if (sniffed) return sniffed;
  const declared = headerContentType?.split(';')[0]?.trim().toLowerCase();
  const known = declared ? KNOWN_HEADER_TYPES[declared] : undefined;
  if (known) return { contentType: known[0], ext: known[1], from: 'header' };
  return { contentType: 'application/octet-stream', ext: 'bin', from: 'default' };
}
