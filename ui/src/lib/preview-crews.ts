// The browser preview's crews and gatherings (see preview.ts): a few made up here (the node
// has no saved answers for them yet), kept in memory with the member's joins, notes, answers
// and edits, by a simplified copy of weft-core's rules (`doc/crews.rs`, `doc/gatherings.rs`):
// the preview's, never the app's.

import { MEETING_MINUTES_DEFAULT, nextMeeting } from './crews';
import { addDays, todayStr } from './format';
import { repeatOf } from './series';
import { LIMITS } from './contract';
import type { CrewInfo, GatheringInfo, Named, Request, Response, Rhythm, RhythmInput, TaskDetail, TaskSummary } from './types';
import members from './fixtures/members.json';

const ME: Named = { member: 'me', name: 'You' };
const others: Named[] = members.filter((m) => !m.is_me).map((m) => ({ member: m.id, name: m.name }));
const someone = (i: number): Named => others[i % others.length];

/** What the board needs to know of the preview's crews and gatherings. */
export interface PreviewBoard {
  tasks: TaskSummary[];
  /** The member's pledges, by task: the crew it is for, if any. */
  pledged: Map<string, string | null>;
  /** A task's page. */
  detail: (task: string) => TaskDetail;
}

const newId = () => Math.random().toString(32).slice(2, 12).padEnd(20, 'a');

export function previewCrews(community: string, board: PreviewBoard) {
  const today = todayStr();
  const rhythm = (r: RhythmInput): Rhythm => {
    const starts = r.starts ?? todayStr();
    return { repeat: repeatOf(r.repeat, starts), starts, time: r.time, minutes: r.minutes ?? MEETING_MINUTES_DEFAULT, place: r.place };
  };
  const crew = (over: Partial<CrewInfo>): CrewInfo => ({
    community,
    id: newId(),
    name: '',
    purpose: '',
    open: true,
    created_at: Date.now() - 40 * 86_400_000,
    rhythm: null,
    when: null,
    next_meeting: null,
    review: null,
    review_due: false,
    ended: false,
    members: [],
    waiting: [],
    invited: [],
    mine: false,
    waiting_for_place: false,
    may_join: false,
    max: LIMITS.crewMax,
    notes: [],
    tasks: [],
    ...over,
  });
  const crews: CrewInfo[] = [
    crew({
      name: 'Tuesday tea',
      purpose: 'We look after each other, and after the soup kitchen on the side.',
      rhythm: rhythm({ repeat: { kind: 'weekly', every: 1, weekday: 1, nth: null }, starts: addDays(today, -60), time: 1170, minutes: 90, place: 'The community kitchen' }),
      review: addDays(today, -1),
      members: [ME, someone(0), someone(1)],
      notes: [
        { name: someone(0).name, member: someone(0).member, at: Date.now() - 8 * 86_400_000, kind: 'check-in', text: 'Tired after the harvest, but glad we did it together.' },
        { name: 'You', member: 'me', at: Date.now() - 7 * 86_400_000, kind: 'review', text: 'Keep the tea. Start on time. Go on for another three months.' },
      ],
    }),
    crew({
      name: 'Garden crew',
      purpose: 'Hands for the beds on the first Saturday of each month.',
      rhythm: rhythm({ repeat: { kind: 'monthly', every: null, weekday: 5, nth: 1 }, starts: addDays(today, -90), time: 600, minutes: 180, place: 'The allotments' }),
      members: [someone(2), someone(3), someone(4), someone(5)],
    }),
    crew({
      name: 'Night listeners',
      open: false,
      purpose: 'We take turns on the phone at night.',
      rhythm: rhythm({ repeat: { kind: 'weekly', every: 2, weekday: 3, nth: null }, starts: addDays(today, -30), time: 1260, minutes: 60, place: null }),
      members: Array.from({ length: LIMITS.crewMax }, (_, i) => someone(i)),
    }),
  ];
  const gatherings: GatheringInfo[] = [
    {
      community,
      id: newId(),
      title: 'Harvest weekend',
      description: 'Picking, pressing and a long table on Saturday night. Bring boots.',
      starts: addDays(today, 12),
      ends: addDays(today, 13),
      place: 'The meadow',
      cancelled: false,
      created_by: someone(1).name,
      attending: [someone(1), someone(2), someone(4)],
      coming: null,
      tasks: [],
      open_places: 0,
    },
    {
      community,
      id: newId(),
      title: 'Spring assembly',
      description: 'How the year went, and what we take on next.',
      starts: addDays(today, 40),
      ends: addDays(today, 40),
      place: null,
      cancelled: false,
      created_by: someone(3).name,
      attending: [someone(3)],
      coming: null,
      tasks: [],
      open_places: 0,
    },
  ];
  // The harvest's own tasks, on the board too.
  const harvest = gatherings[0];
  for (const [title, sector, hours, slots] of [
    ['Press the apples', 'food', 240, 4],
    ['Look after the little ones', 'education', 180, 2],
  ] as const) {
    board.tasks.push({
      id: newId(),
      title,
      description: '',
      sector,
      guild: null,
      skills: [],
      hours,
      slots,
      urgency: 'normal',
      deadline: harvest.starts,
      location: harvest.place,
      open_to_neighbours: false,
      status: 'open',
      created_by: someone(1).member,
      created_at: Date.now(),
      occurrence: null,
      gathering: harvest.id,
      taken: 1,
      free: slots - 1,
      stand_ins: 0,
    });
  }

  /** A crew as the node answers it: its next meeting, what the member may do, its tasks. */
  const view = (k: CrewInfo): CrewInfo => {
    const has = (m: string) => k.members.some((x) => x.member === m);
    const mine = has('me') || k.waiting.some((x) => x.member === 'me');
    const share = (h: number) => Math.ceil(h / Math.max(1, k.members.length));
    const tasks = [...board.pledged]
      .filter(([, c]) => c === k.id)
      .flatMap(([id]) => board.tasks.filter((x) => x.id === id))
      .map((x) => ({ task: x.id, title: x.title, state: 'pledged' as const, pledged_by: 'You', hours: x.hours, share: share(x.hours), day: x.deadline }));
    return structuredClone({
      ...k,
      next_meeting: nextMeeting(k, todayStr()),
      review_due: !!k.review && k.review <= todayStr() && !k.ended,
      mine,
      waiting_for_place: k.waiting.some((x) => x.member === 'me'),
      may_join: !mine && !k.ended && (k.open || k.invited.some((x) => x.member === 'me')) && k.members.length < k.max,
      tasks,
    });
  };
  const gatheringView = (g: GatheringInfo): GatheringInfo => {
    const tasks = board.tasks.filter((x) => x.gathering === g.id);
    return structuredClone({ ...g, tasks, open_places: tasks.filter((x) => x.status === 'open').reduce((n, x) => n + x.free, 0) });
  };
  const findCrew = (ref: string): CrewInfo => {
    const k = crews.find((x) => x.id.startsWith(ref));
    if (!k) throw { code: 'not_found', message: `no crew '${ref}'`, detail: { kind: 'no_such_crew', reference: ref } };
    return k;
  };
  const findGathering = (ref: string): GatheringInfo => {
    const g = gatherings.find((x) => x.id.startsWith(ref));
    if (!g) throw { code: 'not_found', message: `no gathering '${ref}'`, detail: { kind: 'no_such_gathering', reference: ref } };
    return g;
  };
  const inCrew = (k: CrewInfo) => {
    if (!k.members.some((x) => x.member === 'me')) throw { code: 'invalid', message: 'not in the crew', detail: { kind: 'not_in_crew', name: k.name } };
  };
  const crewAnswer = (k: CrewInfo): Response => ({ kind: 'crew', data: view(k) });
  const gatheringAnswer = (g: GatheringInfo): Response => ({ kind: 'gathering', data: gatheringView(g) });

  return {
    /** The title of a gathering a task is of, for the task's page. */
    gatheringTitle: (id: string | null): string | null => gatherings.find((g) => g.id === id)?.title ?? null,
    /** A crew's name, for a pledge taken for it. */
    crewName: (id: string | null): string | null => crews.find((k) => k.id === id)?.name ?? null,
    /** The answer to a crews or gatherings request, or null when the request is not one. */
    answer(r: Request): Response | null {
      switch (r.op) {
        case 'crews':
          return { kind: 'crews', data: crews.map(view).sort((a, b) => Number(b.mine) - Number(a.mine) || Number(a.ended) - Number(b.ended) || a.name.localeCompare(b.name)) };
        case 'crew_show':
          return crewAnswer(findCrew(r.crew));
        case 'crew_create': {
          const k = crew({
            name: r.crew.name.trim(),
            purpose: r.crew.purpose,
            open: r.crew.open,
            rhythm: r.crew.rhythm ? rhythm(r.crew.rhythm) : null,
            review: r.crew.review,
            members: [ME],
            created_at: Date.now(),
          });
          crews.push(k);
          return crewAnswer(k);
        }
        case 'crew_edit': {
          const k = findCrew(r.crew);
          inCrew(k);
          const e = r.edit;
          if (e.name !== null) k.name = e.name;
          if (e.purpose !== null) k.purpose = e.purpose;
          if (e.open !== null) k.open = e.open;
          if (e.ended !== null) k.ended = e.ended;
          if (e.rhythm !== undefined) k.rhythm = e.rhythm ? rhythm(e.rhythm) : null;
          if (e.review !== undefined) k.review = e.review;
          return crewAnswer(k);
        }
        case 'crew_join': {
          const k = findCrew(r.crew);
          if (!view(k).may_join) throw { code: 'invalid', message: 'cannot join', detail: k.open ? { kind: 'crew_full', name: k.name, max: k.max } : { kind: 'crew_by_invitation', name: k.name } };
          k.members.push(ME);
          return crewAnswer(k);
        }
        case 'crew_leave': {
          const k = findCrew(r.crew);
          k.members = k.members.filter((x) => x.member !== 'me');
          k.waiting = k.waiting.filter((x) => x.member !== 'me');
          return crewAnswer(k);
        }
        case 'crew_invite': {
          const k = findCrew(r.crew);
          inCrew(k);
          const who = members.find((m) => m.id === r.member || m.name === r.member);
          if (who && !k.invited.some((x) => x.member === who.id)) k.invited.push({ member: who.id, name: who.name });
          return crewAnswer(k);
        }
        case 'crew_note': {
          const k = findCrew(r.crew);
          inCrew(k);
          k.notes.push({ name: 'You', member: 'me', at: Date.now(), kind: r.kind, text: r.text });
          return crewAnswer(k);
        }
        case 'crew_pledge': {
          const t = board.tasks.find((x) => x.id.startsWith(r.task));
          if (!t) throw { code: 'not_found', message: `no task '${r.task}'` };
          board.pledged.set(t.id, r.crew ? findCrew(r.crew).id : null);
          return r.crew ? crewAnswer(findCrew(r.crew)) : { kind: 'task', data: board.detail(t.id) };
        }
        case 'gatherings':
          return {
            kind: 'gatherings',
            data: gatherings.filter((g) => r.past || g.ends >= todayStr()).sort((a, b) => a.starts.localeCompare(b.starts)).map(gatheringView),
          };
        case 'gathering_show':
          return gatheringAnswer(findGathering(r.gathering));
        case 'gathering_add': {
          const n = r.gathering;
          const g: GatheringInfo = {
            community,
            id: newId(),
            title: n.title,
            description: n.description,
            starts: n.starts,
            ends: n.ends ?? n.starts,
            place: n.place,
            cancelled: false,
            created_by: 'You',
            attending: [ME],
            coming: true,
            tasks: [],
            open_places: 0,
          };
          gatherings.push(g);
          return gatheringAnswer(g);
        }
        case 'gathering_edit': {
          const g = findGathering(r.gathering);
          const e = r.edit;
          if (e.title !== null) g.title = e.title;
          if (e.description !== null) g.description = e.description;
          if (e.starts !== null) g.starts = e.starts;
          if (e.ends !== null) g.ends = e.ends;
          if (e.place !== undefined) g.place = e.place;
          if (e.cancelled !== null) g.cancelled = e.cancelled;
          return gatheringAnswer(g);
        }
        case 'attend': {
          const g = findGathering(r.gathering);
          if (r.coming && g.cancelled) throw { code: 'invalid', message: 'called off', detail: { kind: 'gathering_cancelled', title: g.title } };
          g.coming = r.coming;
          g.attending = g.attending.filter((x) => x.member !== 'me');
          if (r.coming) g.attending.push(ME);
          return gatheringAnswer(g);
        }
        case 'gathering_task': {
          const g = findGathering(r.gathering);
          const t = r.task;
          board.tasks.push({
            ...t,
            id: newId(),
            deadline: t.deadline ?? g.starts,
            location: t.location ?? g.place,
            status: 'open',
            created_by: 'me',
            created_at: Date.now(),
            occurrence: null,
            gathering: g.id,
            taken: 0,
            free: t.slots,
            stand_ins: 0,
          });
          return gatheringAnswer(g);
        }
        default:
          return null;
      }
    },
  };
}
