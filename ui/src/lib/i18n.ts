// A small translator: nested JSON messages, `{name}` parameters, plurals by Intl.PluralRules.
// A message whose value is an object with an `other` key is a plural: the `count` parameter
// picks the form ("zero" is used for 0 when present, then the locale's category, then other).

export type Params = Record<string, string | number>;
export type PluralForms = { [category: string]: string };
export interface MessageTree {
  [key: string]: string | MessageTree;
}

/** A message to translate later: what view logic returns so it stays free of a locale. */
export interface Msg {
  key: string;
  params?: MsgParams;
}
/** A message's parameters may themselves be messages (translated first). */
export type MsgParams = { [name: string]: string | number | Msg };

/** Marks a key as a message key (the i18n test checks that every key given to msg() exists). */
export function msg(key: string, params?: MsgParams): Msg {
  return params ? { key, params } : { key };
}

/** Translates a message, its message parameters first. */
export function renderMsg(m: Msg, tr: (key: string, params?: Params) => string): string {
  if (!m.params) return tr(m.key);
  const flat: Params = {};
  for (const [k, v] of Object.entries(m.params)) flat[k] = typeof v === 'object' ? renderMsg(v, tr) : v;
  return tr(m.key, flat);
}

const CATEGORIES = new Set(['zero', 'one', 'two', 'few', 'many', 'other']);

/** A plural: an object of plural categories only, `other` among them, all strings. */
export function isPlural(v: unknown): v is PluralForms {
  if (!v || typeof v !== 'object') return false;
  const entries = Object.entries(v as Record<string, unknown>);
  return (
    typeof (v as Record<string, unknown>).other === 'string' &&
    entries.every(([k, x]) => CATEGORIES.has(k) && typeof x === 'string')
  );
}

/** Looks a dotted key up in a message tree. */
export function lookup(tree: MessageTree, key: string): string | PluralForms | undefined {
  let node: string | MessageTree | undefined = tree;
  for (const part of key.split('.')) {
    if (!node || typeof node !== 'object') return undefined;
    node = node[part];
  }
  if (typeof node === 'string' || isPlural(node)) return node as string | PluralForms;
  return undefined;
}

/** Every leaf key of a tree (plural objects count as one leaf). */
export function leafKeys(tree: MessageTree, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string' || isPlural(v)) out.push(key);
    else out.push(...leafKeys(v, key));
  }
  return out;
}

const pluralRules = new Map<string, Intl.PluralRules>();
const numberFormats = new Map<string, Intl.NumberFormat>();

function rules(locale: string): Intl.PluralRules {
  let r = pluralRules.get(locale);
  if (!r) {
    r = new Intl.PluralRules(locale);
    pluralRules.set(locale, r);
  }
  return r;
}

export function formatNumber(locale: string, n: number, maxFraction = 2): string {
  const key = `${locale}/${maxFraction}`;
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, { maximumFractionDigits: maxFraction });
    numberFormats.set(key, f);
  }
  return f.format(n);
}

function interpolate(template: string, locale: string, params?: Params): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = params[name];
    if (v === undefined) return whole;
    return typeof v === 'number' ? formatNumber(locale, v) : v;
  });
}

/**
 * Translates `key` in `locale` from `messages`, falling back to `fallback` (English), and
 * to the key itself so a missing message is visible rather than blank.
 */
export function translate(
  messages: MessageTree,
  locale: string,
  key: string,
  params?: Params,
  fallback?: MessageTree,
): string {
  const found = lookup(messages, key) ?? (fallback ? lookup(fallback, key) : undefined);
  if (found === undefined) return key;
  if (typeof found === 'string') return interpolate(found, locale, params);
  const count = Number(params?.count ?? 0);
  const form =
    (count === 0 && found.zero !== undefined ? found.zero : undefined) ??
    found[rules(locale).select(count)] ??
    found.other;
  return interpolate(form, locale, params);
}
