// The member's settings (language, theme, notifications) and the translator the components
// use. `t` reads the language from reactive state, so every text re-renders when it changes.

import en from '../locales/en.json';
import es from '../locales/es.json';
import { formatDate, formatMonth, hoursOf } from './format';
import { renderMsg, translate, type MessageTree, type Msg, type Params } from './i18n';
import { REMINDER_KINDS, type ReminderKind } from './reminders';

export const MESSAGES: Record<Lang, MessageTree> = { en, es };
export const LANGS = ['en', 'es'] as const;
export type Lang = (typeof LANGS)[number];
export type Theme = 'system' | 'light' | 'dark';

function stored(key: string): string | null {
  try {
    return globalThis.localStorage?.getItem(`weft.${key}`) ?? null;
  } catch {
    return null;
  }
}

function store(key: string, value: string): void {
  try {
    globalThis.localStorage?.setItem(`weft.${key}`, value);
  } catch {
    /* private mode: the setting lasts for this session */
  }
}

function initialLang(): Lang {
  const s = stored('lang');
  if (s === 'en' || s === 'es') return s;
  const nav = globalThis.navigator?.language ?? 'en';
  return nav.toLowerCase().startsWith('es') ? 'es' : 'en';
}

function initialTheme(): Theme {
  const s = stored('theme');
  return s === 'light' || s === 'dark' ? s : 'system';
}

/** Which reminders the member wants (each on unless turned off). */
function initialReminders(): Record<ReminderKind, boolean> {
  return Object.fromEntries(REMINDER_KINDS.map((k) => [k, stored(`remind.${k}`) !== 'off'])) as Record<ReminderKind, boolean>;
}

export const settings = $state({
  lang: initialLang() as Lang,
  theme: initialTheme() as Theme,
  notifications: stored('notifications') !== 'off',
  reminders: initialReminders(),
});

// The system's colour scheme, followed while the member keeps the "system" theme.
const systemDark = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;
systemDark?.addEventListener('change', () => {
  if (settings.theme === 'system') applySettings();
});

export function applySettings(): void {
  if (typeof document === 'undefined') return;
  document.documentElement.lang = settings.lang;
  // The stylesheet knows one dark palette, under html[data-theme='dark']; "system" resolves
  // here to the scheme the system asks for.
  const system = systemDark?.matches ? 'dark' : 'light';
  document.documentElement.dataset.theme = settings.theme === 'system' ? system : settings.theme;
}

export function setLang(lang: Lang): void {
  settings.lang = lang;
  store('lang', lang);
  applySettings();
}

export function setTheme(theme: Theme): void {
  settings.theme = theme;
  store('theme', theme);
  applySettings();
}

export function setNotifications(on: boolean): void {
  settings.notifications = on;
  store('notifications', on ? 'on' : 'off');
}

export function setReminder(kind: ReminderKind, on: boolean): void {
  settings.reminders[kind] = on;
  store(`remind.${kind}`, on ? 'on' : 'off');
}

/** Translates a key in the member's language. */
export function t(key: string, params?: Params): string {
  return translate(MESSAGES[settings.lang], settings.lang, key, params, en);
}

/** Parameters of view logic's messages that hold a day (`YYYY-MM-DD`), shown as dates. */
const DAY_PARAMS = ['date', 'today', 'starts', 'until'] as const;

/** Translates a message from view logic; a day (`date`, `today`, `starts`, `until`) or `month` parameter is formatted. */
export function tm(m: Msg): string {
  return renderMsg(m, (key, params) => {
    for (const name of DAY_PARAMS)
      if (params && typeof params[name] === 'string') params = { ...params, [name]: formatDate(settings.lang, params[name]) };
    if (params && typeof params.month === 'string')
      params = { ...params, month: formatMonth(settings.lang, params.month) };
    return t(key, params);
  });
}

/** "1.5 h" in the member's language. */
export function hours(minutes: number): string {
  return t('units.hours', { hours: hoursOf(minutes) });
}

export function date(d: string): string {
  return formatDate(settings.lang, d);
}

export function month(m: string, style: 'long' | 'short' = 'long'): string {
  return formatMonth(settings.lang, m, style);
}
