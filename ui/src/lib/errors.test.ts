import { describe, expect, it } from 'vitest';
import en from '../locales/en.json';
import es from '../locales/es.json';
import { ERROR_DETAIL_KINDS, FIELDS, THINGS } from './contract';
import { detailMsg, errorText } from './errors';
import { lookup, renderMsg, translate, type MessageTree, type Msg } from './i18n';
import type { ErrorDetail } from './types';

const LOCALES: Record<string, MessageTree> = { en, es };

function render(messages: MessageTree, locale: string): (m: Msg) => string {
  return (m) => renderMsg(m, (k, p) => translate(messages, locale, k, p));
}
const inEnglish = render(en, 'en');
const inSpanish = render(es, 'es');

describe('every error detail the node can send has words', () => {
  // The kinds, fields and things come from the generated contract: a new Rust variant
  // without words here fails this test.
  it.each(Object.keys(LOCALES))('%s: every detail kind', (lang) => {
    const missing = ERROR_DETAIL_KINDS.filter((k) => lookup(LOCALES[lang], `errorDetails.${k}`) === undefined);
    expect(missing).toEqual([]);
  });
  it.each(Object.keys(LOCALES))('%s: every field and thing a detail names', (lang) => {
    const missing = [...FIELDS.map((f) => `fields.${f}`), ...THINGS.map((t) => `things.${t}`)].filter(
      (k) => lookup(LOCALES[lang], k) === undefined,
    );
    expect(missing).toEqual([]);
  });
  it('and no words for a kind the node does not send', () => {
    const kinds = new Set<string>(ERROR_DETAIL_KINDS);
    expect(Object.keys(en.errorDetails).filter((k) => !kinds.has(k))).toEqual([]);
  });
});

describe('errorText words the detail in the member’s language', () => {
  const tooLong: ErrorDetail = { kind: 'too_long', field: 'title', len: 130, max: 120 };
  const english = 'the title is too long: 130 characters, at most 120';

  it('with the field named and the numbers in place', () => {
    expect(errorText({ message: english, detail: tooLong }, inEnglish)).toBe('The title is too long: 130 characters, at most 120.');
    expect(errorText({ message: english, detail: tooLong }, inSpanish)).toBe(
      'Demasiado largo (título): 130 caracteres, como máximo 120.',
    );
  });
  it('durations in hours, plurals by count, lists joined', () => {
    const hours: ErrorDetail = { kind: 'entry_hours', minutes: 1500, max: 1440 };
    expect(errorText({ message: '', detail: hours }, inSpanish)).toBe(
      '25 h no es un registro posible: registra más de 0 y como máximo 24 h para un día.',
    );
    const full: ErrorDetail = { kind: 'task_full', title: 'Weed', slots: 1 };
    expect(errorText({ message: '', detail: full }, inEnglish)).toBe('The task “Weed” is full: its 1 place is taken.');
    const sector: ErrorDetail = { kind: 'unknown_sector', sector: 'fod', known: ['food', 'arts'] };
    expect(errorText({ message: '', detail: sector }, inEnglish)).toContain('its sectors are: food, arts.');
    const short: ErrorDetail = { kind: 'short_reference', reference: 'ab', thing: 'entry', min: 4 };
    expect(errorText({ message: '', detail: short }, inSpanish)).toContain('para encontrar un registro de horas');
  });
  it('falls back to the node’s message without a detail, or without words for it', () => {
    expect(errorText({ message: 'disk full', detail: null }, inEnglish)).toBe('disk full');
    const unknown = { kind: 'something_new' } as unknown as ErrorDetail;
    expect(errorText({ message: 'something new happened', detail: unknown }, inEnglish)).toBe('something new happened');
    expect(detailMsg(null)).toBeNull();
  });
});

describe('a refused stance is worded with the stance’s own words', () => {
  it('in English and in Spanish', () => {
    const d: ErrorDetail = { kind: 'reason_needed', stance: 'objection' };
    expect(errorText({ message: 'an objection needs a reason', detail: d }, inEnglish)).toBe(
      'Your objection needs a reason: say what harm you see, or what would have to change.',
    );
    const b: ErrorDetail = { kind: 'reason_needed', stance: 'block' };
    expect(errorText({ message: '', detail: b }, inSpanish)).toBe('Tu bloqueo necesita un motivo: di qué daño ves o qué tendría que cambiar.');
    const k: ErrorDetail = { kind: 'stance_not_for_kind', stance: 'agree', proposal_kind: 'consent', choices: ['consent', 'objection'] };
    expect(errorText({ message: '', detail: k }, inEnglish)).toBe(
      '“agreement” is not a stance on a consent proposal; its stances are: consent, objection.',
    );
  });
});

describe('a proposal’s details', () => {
  it('read as one thing in an English sentence', () => {
    const d: ErrorDetail = { kind: 'too_long', field: 'details', len: 4100, max: 4000 };
    expect(errorText({ message: '', detail: d }, inEnglish)).toBe("The proposal's description is too long: 4,100 characters, at most 4,000.");
  });
});

describe('crews and gatherings', () => {
  it('a meeting’s time of day is worded as a clock shows it', () => {
    const d: ErrorDetail = { kind: 'meeting_time', time: 1500 };
    expect(errorText({ message: '', detail: d }, inEnglish)).toBe('A meeting starts at a time of day, from 00:00 to 23:59 (25:00 is not one).');
  });
  it('names the crew, and counts matches in the plural', () => {
    const full: ErrorDetail = { kind: 'crew_full', name: 'Tuesday tea', max: 7 };
    expect(errorText({ message: '', detail: full }, inSpanish)).toContain('«Tuesday tea» está completo');
    const many: ErrorDetail = { kind: 'ambiguous_gathering', reference: 'ab12', matches: 2 };
    expect(errorText({ message: '', detail: many }, inEnglish)).toBe('“ab12” matches 2 gatherings: give more of the id.');
    const short: ErrorDetail = { kind: 'short_reference', reference: 'ab', thing: 'crew', min: 4 };
    expect(errorText({ message: '', detail: short }, inEnglish)).toContain('to find a crew');
  });
});
