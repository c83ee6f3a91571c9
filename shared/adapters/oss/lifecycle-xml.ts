// Bucket lifecycle rules as the adapter knows them (expire objects under a prefix, abort stale multipart
// uploads) and their XML both ways; a rule read back keeps its XML so a rule of others is sent back unchanged.
import { escapeXml, xmlElements, xmlOuterElements, xmlText } from './oss-xml.ts';

export interface LifecycleRule {
  id: string;
  /** Key prefix the rule applies to ('' is the whole bucket). */
  prefix: string;
  enabled: boolean;
  /** Objects under the prefix are deleted this many days after they were last written. */
  expirationDays?: number;
  /** Multipart uploads under the prefix still open this many days after they started are aborted. */
  abortMultipartUploadDays?: number;
  /** The rule as OSS returned it; set on rules read from a bucket. */
  xml?: string;
  /** Read rules only: the rule holds more than the fields above (transitions, tags, dates…). */
  other?: boolean;
}

const KNOWN = new Set(['Rule', 'ID', 'Prefix', 'Status', 'Expiration', 'AbortMultipartUpload', 'Days']);

const days = (xml: string, tag: string): number | undefined => {
  const inner = xmlElements(xml, tag)[0];
  const d = inner === undefined ? undefined : xmlText(inner, 'Days');
  return d === undefined ? undefined : Number(d);
};

export function parseLifecycle(xml: string): LifecycleRule[] {
  return xmlOuterElements(xml, 'Rule').map((outer) => {
    const inner = xmlElements(outer, 'Rule')[0] ?? '';
    const expirationDays = days(inner, 'Expiration');
    const abortMultipartUploadDays = days(inner, 'AbortMultipartUpload');
    const names = [...outer.matchAll(/<([A-Za-z][\w.-]*)/g)].map((m) => m[1]!);
    return {
      id: xmlText(inner, 'ID') ?? '',
      prefix: xmlText(inner, 'Prefix') ?? '',
      enabled: xmlText(inner, 'Status') === 'Enabled',
      ...(expirationDays !== undefined && Number.isFinite(expirationDays) ? { expirationDays } : {}),
      ...(abortMultipartUploadDays !== undefined && Number.isFinite(abortMultipartUploadDays) ? { abortMultipartUploadDays } : {}),
      xml: outer,
      other: names.some((n) => !KNOWN.has(n)) || (xmlElements(inner, 'Expiration')[0] !== undefined && expirationDays === undefined),
    };
  });
}

export function ruleXml(rule: LifecycleRule): string {
  if (rule.xml !== undefined) return rule.xml;
  const parts = [`<ID>${escapeXml(rule.id)}</ID>`, `<Prefix>${escapeXml(rule.prefix)}</Prefix>`, `<Status>${rule.enabled ? 'Enabled' : 'Disabled'}</Status>`];
  if (rule.expirationDays !== undefined) parts.push(`<Expiration><Days>${rule.expirationDays}</Days></Expiration>`);
  if (rule.abortMultipartUploadDays !== undefined) parts.push(`<AbortMultipartUpload><Days>${rule.abortMultipartUploadDays}</Days></AbortMultipartUpload>`);
  return `<Rule>${parts.join('')}</Rule>`;
}

export function lifecycleXml(rules: LifecycleRule[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<LifecycleConfiguration>${rules.map(ruleXml).join('')}</LifecycleConfiguration>`;
}
