import { describe, expect, it } from 'vitest';
import { AllowlistEntryError, checkHost, parseAllowlist } from './host-allowlist.ts';

const allow = parseAllowlist(['*.aliyuncs.com', 'results.example.net', 'http://127.0.0.1:9100']);
const check = (url: string) => checkHost(allow, new URL(url));

describe('result host allowlist', () => {
  it('admits any subdomain depth of a *.suffix pattern over https', () => {
    expect(check('https://dashscope-result-bj.oss-cn-beijing.aliyuncs.com/a.png?Expires=1')).toMatchObject({ allowed: true, trustedOrigin: false });
    expect(check('https://x.aliyuncs.com/a')).toMatchObject({ allowed: true });
  });

  it('does not let a pattern match the bare suffix or a look-alike host', () => {
    expect(check('https://aliyuncs.com/a')).toMatchObject({ allowed: false, code: 'NotAllowlisted' });
    expect(check('https://evilaliyuncs.com/a')).toMatchObject({ allowed: false, code: 'NotAllowlisted' });
    expect(check('https://aliyuncs.com.evil.net/a')).toMatchObject({ allowed: false, code: 'NotAllowlisted' });
  });

  it('admits an exact host, case-insensitively, and nothing below it', () => {
    expect(check('https://RESULTS.example.net/a')).toMatchObject({ allowed: true });
    expect(check('https://sub.results.example.net/a')).toMatchObject({ allowed: false });
  });

  it('refuses plain http for host entries', () => {
    expect(check('http://x.aliyuncs.com/a')).toMatchObject({ allowed: false, code: 'InsecureScheme' });
  });

  it('admits an exact origin over plain http as trusted, but not the same host on another port or scheme', () => {
    expect(check('http://127.0.0.1:9100/results/a.png')).toMatchObject({ allowed: true, trustedOrigin: true });
    expect(check('http://127.0.0.1:9101/results/a.png')).toMatchObject({ allowed: false, code: 'NotAllowlisted' });
    expect(check('https://127.0.0.1:9100/results/a.png')).toMatchObject({ allowed: false });
  });

  it('rejects entries that are neither host, pattern nor bare origin', () => {
    expect(() => parseAllowlist(['*.com'])).toThrow(AllowlistEntryError);
    expect(() => parseAllowlist(['http://127.0.0.1:9100/path'])).toThrow(AllowlistEntryError);
    expect(() => parseAllowlist(['ftp://files.example.net'])).toThrow(AllowlistEntryError);
    expect(() => parseAllowlist(['bad host'])).toThrow(AllowlistEntryError);
  });
});
