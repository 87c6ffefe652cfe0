import { createRawSnippet } from 'svelte';
import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import Field from './Field.svelte';

type Attrs = { id: string; 'aria-describedby': string | undefined; 'aria-invalid': 'true' | undefined };

/** An input that spreads what Field gives it, as the forms' controls do. */
const input = createRawSnippet((attrs: () => Attrs) => ({
  render: () => {
    const a = attrs();
    const extra = [
      a['aria-describedby'] ? ` aria-describedby="${a['aria-describedby']}"` : '',
      a['aria-invalid'] ? ` aria-invalid="${a['aria-invalid']}"` : '',
    ].join('');
    return `<input id="${a.id}"${extra}>`;
  },
}));

const html = (props: Record<string, unknown>) =>
  render(Field, { props: { id: 'task-hours', label: 'Hours', control: input, ...props } }).body;

describe('Field', () => {
  it('labels its control', () => {
    const out = html({});
    expect(out).toContain('<label for="task-hours">Hours</label>');
    expect(out).toContain('<input id="task-hours">');
    expect(out).not.toContain('aria-');
  });

  it('describes the control by its hint', () => {
    const out = html({ hint: 'e.g. 1.5' });
    expect(out).toContain('id="task-hours-hint"');
    expect(out).toContain('aria-describedby="task-hours-hint"');
  });

  it('marks the control invalid and describes it by the error too', () => {
    const out = html({ hint: 'e.g. 1.5', error: { key: 'errors.hoursEmpty' } });
    expect(out).toContain('aria-describedby="task-hours-hint task-hours-error"');
    expect(out).toContain('aria-invalid="true"');
    expect(out).toMatch(/<p class="field-error" id="task-hours-error" data-testid="task-hours-error">/);
  });

  it('keeps a test id of its own for the error when asked', () => {
    expect(html({ error: { key: 'errors.hoursEmpty' }, errorTestid: 'hours-error' })).toContain('data-testid="hours-error"');
  });
});
