// clip(): the only way client text goes into an error message or a log line. A short printable prefix,
// the cut marked with the full length, so a multi-megabyte value is never echoed or logged whole.

/** Control characters, DEL and C1, and the JS line separators: shown as '?' so a quoted value stays on one line. */
function isUnprintable(c: number): boolean {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029;
}

/** At most `max` characters of `text` (printable), plus `…(N chars)` when it was longer. */
export function clip(text: string, max = 64): string {
  const cut = text.length > max;
  let end = cut ? max : text.length;
  // a cut between the two halves of a surrogate pair would leave half a character
  if (cut && end > 0 && text.charCodeAt(end - 1) >= 0xd800 && text.charCodeAt(end - 1) <= 0xdbff) end -= 1;
  let head = '';
  let from = 0;
  for (let i = 0; i < end; i++) {
    if (!isUnprintable(text.charCodeAt(i))) continue;
    head += `${text.slice(from, i)}?`;
    from = i + 1;
  }
  head += text.slice(from, end);
  return cut ? `${head}…(${text.length} chars)` : head;
}
