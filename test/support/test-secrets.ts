// The secrets the test suite uses, in one place: keys for tests to hand the layer, and the stand-ins' and the
// rehearsal's cloud credentials (owned by the stand-ins, collected here). The secret audit looks for every one.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REHEARSAL_CREDENTIALS, REHEARSAL_OPERATOR_KEY } from '../../dev/cloud/standins.ts';
import { DEFAULT_API_KEY } from '../../dev/emulator/options.ts';
import { STANDIN_ACCESS_KEY } from '../../dev/standins/eventbridge/server.ts';
import { FC_STANDIN_ACCESS_KEY } from '../../dev/standins/fc/fc-standin.ts';
import { TEST_CREDENTIALS } from '../../dev/standins/tablestore/tablestore-standin.ts';

/** Client keys in the issued format (`dsfc_` and 40 of [A-Za-z0-9]); obviously fake. */
export const TEST_CLIENT_KEY = 'dsfc_testclientkey000000000000000000000000001';
export const OTHER_TEST_CLIENT_KEY = 'dsfc_testclientkey000000000000000000000000002';

/**
 * A DashScope-style key (`sk-` and 20+ of [A-Za-z0-9]) that no emulator accepts. Put together at run time, so
 * no line of the repository looks like a real key to a secret scanner.
 */
export const TEST_DASHSCOPE_KEY = ['sk', 'testdashscopekey000000000001'].join('-');

/** Every fixed secret the suite and its stand-ins use; the audit adds those each process sees at run time. */
export const TEST_SECRETS: readonly string[] = [
  TEST_CLIENT_KEY,
  OTHER_TEST_CLIENT_KEY,
  TEST_DASHSCOPE_KEY,
  DEFAULT_API_KEY,
  TEST_CREDENTIALS.accessKeySecret,
  STANDIN_ACCESS_KEY.accessKeySecret,
  FC_STANDIN_ACCESS_KEY.accessKeySecret,
  REHEARSAL_CREDENTIALS.accessKeySecret,
  REHEARSAL_CREDENTIALS.securityToken,
  REHEARSAL_OPERATOR_KEY.accessKeySecret,
];

/** A literal given to a field that only ever holds a secret, in the code of tests, stand-ins, benches and scripts. */
const SECRET_LITERAL = /(?:accessKeySecret|secretAccessKey|ACCESS_KEY_SECRET|securityToken|SECURITY_TOKEN|DASHSCOPE_API_KEY|apiKey|CLIENT_API_KEYS)\s*[:=]\s*(['"`])([^'"`$\n]+)\1/g;

/**
 * The secrets written as literals in the repository's test code (tracked or new): the values not moved here
 * yet, found where they are. Values under 8 characters are left out (they would match ordinary words).
 */
export function secretsInSources(root: string): string[] {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'test', 'dev', 'bench', 'scripts', 'shared', 'functions'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter((f) => /\.(?:ts|mjs)$/.test(f) && (!/^(?:shared|functions)\//.test(f) || f.endsWith('.test.ts')));
  const found = new Set<string>();
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(join(root, f), 'utf8');
    } catch {
      continue;
    }
    for (const m of text.matchAll(SECRET_LITERAL)) {
      for (const entry of m[2]!.split(',')) {
        const value = entry.trim().replace(/^[A-Za-z0-9_.-]+=/, '');
        if (value.length >= 8 && value !== '[redacted]') found.add(value);
      }
    }
  }
  return [...found];
}

/** A secret that a process prints on purpose, and why; the audit lets exactly this one through, there only. */
export interface PrintedOnPurpose {
  /** The exact secret, or a pattern every allowed one matches whole. */
  secret: string | RegExp;
  /** The printing process's command line, and what of it (stdout, an error body…). */
  process: RegExp;
  where: string;
  why: string;
}

export const PRINTED_ON_PURPOSE: readonly PrintedOnPurpose[] = [
  {
    secret: REHEARSAL_OPERATOR_KEY.accessKeySecret,
    process: /dev\/cloud\/start-cloud\.ts$/,
    where: 'stdout',
    why: "start:cloud's banner gives the environment for `npm run ops` against the rehearsal, whose operator key is a constant of the code that only the loopback stand-ins accept",
  },
  {
    secret: /dsfc_[A-Za-z0-9]{40}/,
    process: /scripts\/keys\.ts create\b/,
    where: 'stdout',
    why: '`npm run keys -- create` prints the key it made, once: the only place anyone ever sees it',
  },
];
