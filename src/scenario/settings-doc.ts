/**
 * The settings table of docs/scenarios.md, rendered from the declarations of
 * settings.ts; test/unit/scenario/settings.test.ts keeps the page equal to it
 * (`UPDATE_DOCS=1 npx vitest run test/unit/scenario/settings.test.ts` rewrites it).
 */
import { SETTINGS, type SettingDecl } from './settings.js';

export const TABLE_START = '<!-- settings-table:start (generated from src/scenario/settings.ts) -->';
export const TABLE_END = '<!-- settings-table:end -->';

function ms(v: number): string {
  if (v === 0) return '0';
  if (v !== 0 && v % 60_000 === 0) return `${v / 60_000}m`;
  if (v !== 0 && v % 1000 === 0) return `${v / 1000}s`;
  return `${v}ms`;
}

function literal(s: SettingDecl): string | null {
  const d = s.default;
  if (d === undefined) return s.cliDefault ?? null;
  if (d === null) return 'none';
  if (typeof d === 'number' && s.type?.doc === 'duration') return ms(d);
  return typeof d === 'object' ? JSON.stringify(d) : String(d);
}

function defaultText(s: SettingDecl): string {
  const parts: string[] = [];
  if (typeof s.default === 'function') parts.push(s.defaultDoc ?? 'derived');
  else {
    const l = literal(s);
    if (l !== null) parts.push(code(l));
  }
  if (s.profile !== undefined) parts.push('built-ins: their profile');
  return parts.join('; ');
}

function code(t: string | undefined): string {
  return t === undefined || t === '' ? '' : `\`${t}\``;
}
const cell = (t: string) => t.replace(/\|/g, '\\|');

function flagText(s: SettingDecl): string {
  if (s.flag === undefined) return '';
  const main = code(`${s.short ? `${s.short}, ` : ''}${s.flag}${s.arg ? ` ${s.arg.replace(/[<>]/g, '')}` : ''}`);
  const neg = s.negation === undefined ? '' : ` / ${code(s.flag.replace(/^--/, '--no-'))}`;
  return `${main}${neg}${s.repeatable ? ' (repeatable)' : ''}`;
}

function fileText(s: SettingDecl): string {
  if (s.path !== undefined && s.inFile !== false) return code(s.path);
  if (s.toLayer !== undefined) return `sets ${Object.keys(s.toLayer(null)).map((p) => code(p)).join(', ')}`;
  return '';
}

function alsoText(s: SettingDecl): string {
  return [s.env === undefined ? '' : `env ${code(s.env)}`, s.conf === undefined ? '' : `conf ${code(s.conf.key)}`].filter(Boolean).join(', ');
}

/** The markdown table, one row per declaration, in declaration order. */
export function renderSettingsTable(): string {
  const rows = SETTINGS.map((s) => {
    const type = s.type?.doc ?? (s.arg ? 'text' : 'switch');
    return `| ${cell(flagText(s))} | ${fileText(s)} | ${alsoText(s)} | ${cell(type)} | ${cell(defaultText(s))} | ${cell(s.doc ?? s.help ?? '')} |`;
  });
  return ['| flag | scenario file | also from | type | default | meaning |', '| --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}

/** The page with its table replaced by the rendered one. */
export function withSettingsTable(page: string): string {
  const a = page.indexOf(TABLE_START);
  const b = page.indexOf(TABLE_END);
  if (a < 0 || b < a) throw new Error(`docs page lacks the ${TABLE_START} … ${TABLE_END} markers`);
  return `${page.slice(0, a + TABLE_START.length)}\n${renderSettingsTable()}\n${page.slice(b)}`;
}
