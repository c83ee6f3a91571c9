// When a result URL stops working: DashScope's URLs are signed OSS links with `Expires=<unix seconds>` (the
// manifest's `expiresAt`); a 403 near or past that instant is the expiry.

/** A 403 this close to the expiry is the expiry, not a transient refusal. */
export const EXPIRY_SKEW_MS = 5 * 60_000;

/** The earliest expiry known for a URL: its `Expires` query parameter and the manifest's `expiresAt`. */
export function expiryOf(url: string, manifestExpiresAt: string): Date {
  const candidates = [Date.parse(manifestExpiresAt)];
  const expires = URL.canParse(url) ? new URL(url).searchParams.get('Expires') : null;
  if (expires && /^\d{1,12}$/.test(expires)) candidates.push(Number(expires) * 1000);
  return new Date(Math.min(...candidates.filter((t) => !Number.isNaN(t))));
}

/** True when the URL is past its expiry at `now` (checked before fetching: no request needed). */
export function isPastExpiry(expiry: Date, now: Date): boolean {
  return expiry.getTime() <= now.getTime();
}

/**
 * True when a 403 from the source means the URL expired, judged by our clock or by the source's own `Date`
 * header (the two may disagree by some skew).
 */
export function isExpiredRefusal(expiry: Date, now: Date, sourceDate: Date | undefined): boolean {
  if (expiry.getTime() <= now.getTime() + EXPIRY_SKEW_MS) return true;
  return sourceDate !== undefined && sourceDate.getTime() >= expiry.getTime();
}
