// Builds the downloader's options from the configuration (RESULT_HOST_ALLOWLIST, DOWNLOAD_MAX_BYTES,
// DOWNLOAD_TIMEOUT_MS), plus any origins a caller trusts explicitly (the local runtime adds the emulator's).
import type { Config } from '../../config/config.ts';
import { parseAllowlist } from './host-allowlist.ts';
import type { DownloadOptions, Resolve } from './safe-download.ts';

export interface DownloadOptionsExtra {
  /** Exact origins to trust on top of the allowlist (plain http and non-public addresses allowed), e.g. an emulator. */
  trustedOrigins?: readonly string[];
  resolve?: Resolve;
  maxRedirects?: number;
}

type DownloadConfig = Pick<Config, 'RESULT_HOST_ALLOWLIST' | 'DOWNLOAD_MAX_BYTES' | 'DOWNLOAD_TIMEOUT_MS'>;

/** Throws AllowlistEntryError naming a malformed RESULT_HOST_ALLOWLIST entry. */
export function downloadOptionsFromConfig(config: DownloadConfig, extra: DownloadOptionsExtra = {}): DownloadOptions {
  return {
    allowlist: parseAllowlist([...config.RESULT_HOST_ALLOWLIST, ...(extra.trustedOrigins ?? [])]),
    maxBytes: config.DOWNLOAD_MAX_BYTES,
    timeoutMs: config.DOWNLOAD_TIMEOUT_MS,
    ...(extra.maxRedirects !== undefined ? { maxRedirects: extra.maxRedirects } : {}),
    ...(extra.resolve ? { resolve: extra.resolve } : {}),
  };
}
