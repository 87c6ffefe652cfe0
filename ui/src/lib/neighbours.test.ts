import { describe, expect, it } from 'vitest';
import { byPlace, callSkills, compareCalls, linkState, myVisit, neighbourFacts, splitCalls, splitNotices, visitorsByCommunity } from './neighbours';
import type { CallInfo, NeighbourInfo, NoticeInfo, VisitorInfo } from './types';

function neighbour(name: string, location: string | null, extra: Partial<NeighbourInfo> = {}): NeighbourInfo {
  return {
    community: `id-${name.toLowerCase()}`,
    name,
    about: '',
    location,
    languages: '',
    hosts: 0,
    members: 0,
    open_calls: 0,
    linked_by: 'Ana',
    linked_at: 0,
    live: true,
    theirs_live: true,
    ...extra,
  };
}

function call(title: string, extra: Partial<CallInfo> = {}): CallInfo {
  return {
    community: 'hills',
    community_name: 'Hills',
    task: `t-${title}`,
    title,
    description: '',
    sector: 'food',
    skills: [],
    hours: 120,
    slots: 2,
    urgency: 'normal',
    deadline: null,
    location: null,
    escalated: false,
    open: true,
    ours: false,
    visitors: [],
    visitor_minutes: 0,
    ...extra,
  };
}

const visitor = (name: string, community_name: string, state: VisitorInfo['state'] = 'pledged'): VisitorInfo => ({
  member: `m-${name}`,
  name,
  community: `c-${community_name}`,
  community_name,
  state,
});

describe('neighbours by place', () => {
  it('puts those that say where they are first, in the order of the place, then the rest by name', () => {
    const list = [
      neighbour('Zeta', null),
      neighbour('Coast', 'Valencia, Cabanyal'),
      neighbour('Alpha', null),
      neighbour('Hills', 'Alzira'),
      neighbour('Bay', 'valencia, cabanyal'),
      neighbour('Blank', '   '),
    ];
    expect(byPlace(list, 'en').map((n) => n.name)).toEqual(['Hills', 'Bay', 'Coast', 'Alpha', 'Blank', 'Zeta']);
  });
  it('does not change the list it was given', () => {
    const list = [neighbour('B', null), neighbour('A', null)];
    byPlace(list, 'en');
    expect(list.map((n) => n.name)).toEqual(['B', 'A']);
  });
  it('orders numbers in places as people read them', () => {
    const list = [neighbour('X', 'District 10'), neighbour('Y', 'District 9')];
    expect(byPlace(list, 'es').map((n) => n.name)).toEqual(['Y', 'X']);
  });
});

describe('the link, both sides', () => {
  it('is in words for each state', () => {
    expect(linkState({ live: true, theirs_live: true })).toBe('both');
    expect(linkState({ live: true, theirs_live: false })).toBe('ours');
    expect(linkState({ live: true, theirs_live: null })).toBe('waiting');
    expect(linkState({ live: false, theirs_live: true })).toBe('ended');
  });
  it('says only what the directory entry gives', () => {
    expect(neighbourFacts(neighbour('A', null)).map((m) => m.key)).toEqual(['neighbours.membersUnknown']);
    const full = neighbourFacts(neighbour('A', null, { members: 40, hosts: 3, languages: 'Català, Español', open_calls: 2 }));
    expect(full.map((m) => m.key)).toEqual(['neighbours.members', 'neighbours.hosts', 'neighbours.languages', 'neighbours.openCalls']);
    expect(full[1].params).toEqual({ count: 3 });
  });
});

describe('calls', () => {
  it('asked-for-help first, then by urgency, deadline and title', () => {
    const list = [
      call('plain'),
      call('soon', { urgency: 'soon' }),
      call('late', { urgency: 'soon', deadline: '2026-06-01' }),
      call('early', { urgency: 'soon', deadline: '2026-05-01' }),
      call('help', { escalated: true, urgency: 'urgent' }),
    ];
    expect([...list].sort(compareCalls).map((c) => c.title)).toEqual(['help', 'early', 'late', 'soon', 'plain']);
  });
  it("splits the open ones into our neighbours' and ours", () => {
    const { theirs, ours } = splitCalls([call('a'), call('b', { ours: true }), call('c', { open: false })]);
    expect(theirs.map((c) => c.title)).toEqual(['a']);
    expect(ours.map((c) => c.title)).toEqual(['b']);
  });
  it("finds the member's own visit, a withdrawn one as none", () => {
    const c = call('a', { visitors: [visitor('Bea', 'Hills'), visitor('Carl', 'Hills', 'withdrawn')] });
    expect(myVisit(c, 'm-Bea')).toBe('pledged');
    expect(myVisit(c, 'm-Carl')).toBeNull();
    expect(myVisit(c, 'm-Dee')).toBeNull();
    expect(myVisit(c, null)).toBeNull();
  });
  it('groups visitors who still come by community, names in alphabetical order', () => {
    const groups = visitorsByCommunity(
      [visitor('Omar', 'Hills'), visitor('Bea', 'Hills'), visitor('Ona', 'Coast'), visitor('Gone', 'Coast', 'withdrawn'), visitor('Dee', 'Bay', 'withdrawn')],
      'en',
    );
    expect(groups.map((g) => [g.communityName, g.names])).toEqual([
      ['Coast', ['Ona']],
      ['Hills', ['Bea', 'Omar']],
    ]);
  });
});

describe('offers and needs', () => {
  const notice = (id: string, kind: NoticeInfo['kind'], created_at: number, open = true): NoticeInfo => ({
    id,
    kind,
    community: 'c',
    community_name: 'C',
    title: id,
    description: '',
    sector: null,
    open,
    ours: false,
    created_at,
    replies: [],
  });
  it('lists the open ones, newest first, each kind on its own', () => {
    const { offers, needs } = splitNotices([
      notice('old-offer', 'offer', 1),
      notice('need', 'need', 5),
      notice('new-offer', 'offer', 9),
      notice('closed', 'offer', 10, false),
    ]);
    expect(offers.map((n) => n.id)).toEqual(['new-offer', 'old-offer']);
    expect(needs.map((n) => n.id)).toEqual(['need']);
  });
});

describe('the skills a call asks for', () => {
  const ctx = { skill: (s: string) => s.replace(/-/g, ' '), list: (items: string[]) => items.join(' and ') };
  it('in words, as the profile names them', () => {
    expect(callSkills(call('Nets', { skills: ['net-mending', 'knots'] }), ctx)).toEqual({
      key: 'calls.skills',
      params: { skills: 'net mending and knots' },
    });
  });
  it('nothing when it asks for none', () => {
    expect(callSkills(call('Sweep'), ctx)).toBeNull();
  });
});
