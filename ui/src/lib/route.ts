// Screens and their addresses (`#/board`, `#/task/<id>`, `#/neighbours/notice/<id>`): plain
// functions, no DOM needed.

/** What a new proposal answers or is about, set by where its form was opened from. */
export interface ProposeAbout {
  concern?: string;
  task?: string;
  sector?: string;
}
const ABOUT = ['concern', 'task', 'sector'] as const;

export type Route =
  | { name: 'board' }
  | { name: 'task'; id: string }
  | { name: 'task-new' }
  | { name: 'task-edit'; id: string }
  /** Recurring tasks; `id`: one of them. */
  | { name: 'series'; id?: string }
  | { name: 'foryou' }
  | { name: 'hours' }
  | { name: 'community' }
  /** `notice`: an offer or need to bring into view (to answer it). */
  | { name: 'neighbours'; notice?: string }
  /** `propose`: the form to open a proposal, open (about something, or not). */
  | { name: 'decisions'; propose?: ProposeAbout }
  | { name: 'proposal'; id: string }
  | { name: 'crews' }
  | { name: 'crew'; id: string }
  | { name: 'gatherings' }
  | { name: 'gathering'; id: string }
  | { name: 'peers' }
  | { name: 'settings' }
  | { name: 'profile' };

export const NAV: readonly Route['name'][] = [
  'board',
  'foryou',
  'hours',
  'community',
  'crews',
  'gatherings',
  'decisions',
  'neighbours',
  'peers',
  'settings',
];

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case 'task':
      if (parts[1] === 'new') return { name: 'task-new' };
      if (parts[1] && parts[2] === 'edit') return { name: 'task-edit', id: parts[1] };
      if (parts[1]) return { name: 'task', id: parts[1] };
      return { name: 'board' };
    case 'decisions': {
      // `#/decisions/propose/concern/<id>/task/<id>`: the form open, about what the pairs say.
      if (parts[1] !== 'propose') return { name: 'decisions' };
      const propose: ProposeAbout = {};
      for (let i = 2; i + 1 < parts.length; i += 2) {
        const key = parts[i] as (typeof ABOUT)[number];
        if (ABOUT.includes(key) && parts[i + 1]) propose[key] = parts[i + 1];
      }
      return { name: 'decisions', propose };
    }
    case 'proposal':
      return parts[1] ? { name: 'proposal', id: parts[1] } : { name: 'decisions' };
    case 'crew':
      return parts[1] ? { name: 'crew', id: parts[1] } : { name: 'crews' };
    case 'gathering':
      return parts[1] ? { name: 'gathering', id: parts[1] } : { name: 'gatherings' };
    case 'series':
      return parts[1] ? { name: 'series', id: parts[1] } : { name: 'series' };
    case 'neighbours':
      if (parts[1] === 'notice' && parts[2]) return { name: 'neighbours', notice: parts[2] };
      return { name: 'neighbours' };
    case 'foryou':
    case 'hours':
    case 'community':
    case 'crews':
    case 'gatherings':
    case 'peers':
    case 'settings':
    case 'profile':
      return { name: parts[0] };
    default:
      return { name: 'board' };
  }
}

export function routeHash(r: Route): string {
  switch (r.name) {
    case 'task':
      return `#/task/${encodeURIComponent(r.id)}`;
    case 'task-new':
      return '#/task/new';
    case 'task-edit':
      return `#/task/${encodeURIComponent(r.id)}/edit`;
    case 'decisions': {
      if (!r.propose) return '#/decisions';
      const about = ABOUT.flatMap((k) => (r.propose?.[k] ? [`/${k}/${encodeURIComponent(r.propose[k])}`] : []));
      return `#/decisions/propose${about.join('')}`;
    }
    case 'proposal':
      return `#/proposal/${encodeURIComponent(r.id)}`;
    case 'crew':
      return `#/crew/${encodeURIComponent(r.id)}`;
    case 'gathering':
      return `#/gathering/${encodeURIComponent(r.id)}`;
    case 'series':
      return r.id ? `#/series/${encodeURIComponent(r.id)}` : '#/series';
    case 'neighbours':
      return r.notice ? `#/neighbours/notice/${encodeURIComponent(r.notice)}` : '#/neighbours';
    default:
      return `#/${r.name}`;
  }
}

/**
 * The nav entry a screen belongs to (a task page and recurring tasks belong to the board, a
 * proposal to decisions, a crew to crews, a gathering to gatherings).
 */
export function navOf(r: Route): Route['name'] {
  if (r.name === 'task' || r.name === 'task-new' || r.name === 'task-edit' || r.name === 'series') return 'board';
  if (r.name === 'proposal') return 'decisions';
  if (r.name === 'crew') return 'crews';
  if (r.name === 'gathering') return 'gatherings';
  return r.name;
}
