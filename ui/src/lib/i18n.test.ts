import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import en from '../locales/en.json';
import es from '../locales/es.json';
import { ALL_CATALOGUE_SKILLS, DEFAULT_SECTOR_NAMES } from './catalogue';
import { ERROR_CODES } from './contract';
import { NOTE_KINDS } from './crews';
import { KINDS, RESULTS, STANCES_OF } from './decisions';
import { isPlural, leafKeys, lookup, renderMsg, translate, type MessageTree } from './i18n';
import { REMINDER_KINDS } from './reminders';
import { NAV } from './route';

const LOCALES: Record<string, MessageTree> = { en, es };
const SRC = join(__dirname, '..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'fixtures' && name !== 'locales') out.push(...sourceFiles(p));
    } else if (/\.(ts|svelte)$/.test(name) && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function params(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
}

describe('translations', () => {
  const enKeys = leafKeys(en).sort();

  it.each(Object.keys(LOCALES))('%s has every key and no other', (lang) => {
    expect(leafKeys(LOCALES[lang]).sort()).toEqual(enKeys);
  });

  it.each(Object.keys(LOCALES))('%s: plurals are plurals, with the forms its language needs', (lang) => {
    const categories = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
    for (const key of enKeys) {
      const mine = lookup(LOCALES[lang], key);
      const base = lookup(en, key);
      expect(isPlural(mine), `${lang} ${key}`).toBe(isPlural(base));
      if (isPlural(mine)) {
        for (const c of categories.filter((c) => c === 'one' || c === 'other'))
          expect(mine[c], `${lang} ${key} lacks '${c}'`).toBeTypeOf('string');
      }
    }
  });

  it.each(Object.keys(LOCALES))('%s: every message takes the same parameters as in English', (lang) => {
    for (const key of enKeys) {
      const forms = (v: unknown) => (typeof v === 'string' ? [v] : Object.values(v as Record<string, string>));
      const mine = new Set(forms(lookup(LOCALES[lang], key)).flatMap(params));
      const base = new Set(forms(lookup(en, key)).flatMap(params));
      // A plural's "one" form may leave out {count} ("un día"); nothing else may differ.
      mine.add('count');
      base.add('count');
      expect([...mine].sort(), `${lang} ${key}`).toEqual([...base].sort());
    }
  });

  it('nothing is left empty', () => {
    for (const lang of Object.keys(LOCALES))
      for (const key of enKeys) {
        const v = lookup(LOCALES[lang], key);
        const texts = typeof v === 'string' ? [v] : Object.values(v ?? {});
        for (const text of texts) expect(text.trim(), `${lang} ${key}`).not.toBe('');
      }
  });
});

describe('every key the source uses exists', () => {
  const files = sourceFiles(SRC);
  const namespaces = Object.keys(en);
  const used = new Map<string, string>();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/\b(?:t|msg)\(\s*['"]([^'"]+)['"]/g)) used.set(m[1], f);
    // Keys handed around as plain strings ('errors.nameEmpty', 'interest.3').
    for (const m of text.matchAll(/['"]([a-z][A-Za-z]*(?:\.[A-Za-z0-9_-]+)+)['"]/g))
      if (namespaces.includes(m[1].split('.')[0])) used.set(m[1], f);
  }

  it('finds the keys (the scan works)', () => {
    expect(files.length).toBeGreaterThan(20);
    expect(used.size).toBeGreaterThan(300);
  });

  it('every t(…) / msg(…) key is in English (and so in every locale)', () => {
    const missing = [...used].filter(([k]) => lookup(en, k) === undefined).map(([k, f]) => `${k} (${f.slice(SRC.length)})`);
    expect(missing).toEqual([]);
  });

  it('keys built at run time exist for every value they can take', () => {
    const families: string[] = [
      ...ERROR_CODES.map((c) => `apiErrors.${c}`),
      ...Object.keys(DEFAULT_SECTOR_NAMES).map((s) => `sectors.${s}`),
      ...ALL_CATALOGUE_SKILLS.map((s) => `skills.${s}`),
      ...NAV.map((n) => `nav.${n}`),
      ...['urgent', 'soon', 'normal'].flatMap((u) => [`urgency.${u}`, `reasons.urgency.${u}`, `taskForm.urgencyHint.${u}`]),
      ...['enjoyed', 'more', 'too-hard', 'not-again'].map((v) => `verdict.${v}`),
      ...[0, 1, 2, 3, 4, 5].map((l) => `reasons.interest.l${l}`),
      ...['short', 'half_day', 'long'].map((s) => `reasons.feature.${s}`),
      ...['in_sync', 'syncing', 'behind', 'failed'].map((s) => `peers.state.${s}`),
      ...['ahead', 'steady', 'room'].map((p) => `hours.paceWord.${p}`),
      ...['for', 'against', 'neutral'].map((x) => `forYou.tone.${x}`),
      ...['system', 'light', 'dark'].map((x) => `settings.themes.${x}`),
      ...['csv', 'valueflows', 'automerge'].map((x) => `settings.formats.${x}`),
      ...['en', 'es'].map((x) => `languages.${x}`),
      ...['computer', 'backup'].map((x) => `devices.kind.${x}`),
      ...['weak', 'enough', 'strong'].map((x) => `backup.strength.${x}`),
      ...['pledged', 'withdrawn', 'done'].map((x) => `task.announce.${x}`),
      ...['both', 'ours', 'waiting', 'ended'].map((x) => `neighbours.link.${x}`),
      ...KINDS.flatMap((k) => [`decisions.kind.${k}`, `decisions.kindNoun.${k}`, `decisions.kindHelp.${k}`, `decisions.page.reasonHint.${k}`]),
      ...KINDS.flatMap((k) => STANCES_OF[k]).flatMap((s) => [`decisions.stance.${s}`, `decisions.stanceNoun.${s}`]),
      ...RESULTS.map((r) => `decisions.result.${r}`),
      ...['minutes', 'hours', 'days'].map((u) => `decisions.closesIn.${u}`),
      ...['counts', 'changed', 'late'].map((x) => `decisions.page.history.${x}`),
      ...[0, 1, 2, 3, 4, 5, 6].map((d) => `series.day.d${d}`),
      ...['every1', 'every2', 'every3', 'every4', 'everyN'].map((x) => `series.weekly.${x}`),
      ...[1, 2, 3, 4, 5].flatMap((n) => [`series.monthly.n${n}`, `taskForm.nthOption.n${n}`]),
      ...['none', 'weekly', 'monthly'].map((x) => `taskForm.repeatKind.${x}`),
      ...REMINDER_KINDS.map((k) => `settings.remind.${k}`),
      ...NOTE_KINDS.flatMap((k) => [`crews.noteKind.${k}`, `crews.noteKindHint.${k}`]),
      ...['none', 'weekly', 'monthly'].map((x) => `crews.form.rhythmKind.${x}`),
      ...['coming', 'not-coming', 'unsaid'].map((x) => `gatherings.answer.${x}`),
      ...['offer', 'need'].flatMap((k) =>
        ['posted', 'close', 'none', 'kind', 'titleHint'].map((x) => `notices.${x}.${k}`),
      ),
    ];
    expect(families.filter((k) => lookup(en, k) === undefined)).toEqual([]);
  });
});

describe('t(key, params)', () => {
  const tree: MessageTree = {
    hello: 'Hello {name}',
    tasks: { zero: 'No tasks', one: '{count} task', other: '{count} tasks' },
    days: { one: '{count} día', other: '{count} días' },
    nested: { deep: 'deep' },
  };
  it('fills parameters and formats numbers in the locale', () => {
    expect(translate(tree, 'en', 'hello', { name: 'Ana' })).toBe('Hello Ana');
    expect(translate(tree, 'en', 'tasks', { count: 1234 })).toBe('1,234 tasks');
    expect(translate(tree, 'es', 'days', { count: 1.5 })).toBe('1,5 días');
  });
  it('chooses the plural form by Intl.PluralRules, zero when there is one', () => {
    expect(translate(tree, 'en', 'tasks', { count: 0 })).toBe('No tasks');
    expect(translate(tree, 'en', 'tasks', { count: 1 })).toBe('1 task');
    expect(translate(tree, 'en', 'tasks', { count: 2 })).toBe('2 tasks');
    expect(translate(tree, 'es', 'days', { count: 0 })).toBe('0 días');
    expect(translate(tree, 'es', 'days', { count: 1 })).toBe('1 día');
  });
  it('falls back to English, then shows the key', () => {
    expect(translate({}, 'es', 'nested.deep', undefined, tree)).toBe('deep');
    expect(translate({}, 'es', 'nope.key')).toBe('nope.key');
    expect(translate(tree, 'en', 'nested')).toBe('nested');
  });
  it('translates messages inside messages', () => {
    const tr = (k: string, p?: Record<string, string | number>) => translate(tree, 'en', k, p);
    expect(renderMsg({ key: 'hello', params: { name: { key: 'tasks', params: { count: 2 } } } }, tr)).toBe('Hello 2 tasks');
  });
});
