import { describe, expect, it } from 'vitest';
import { base64OfText } from './files';

describe('text to save', () => {
  it('is encoded as UTF-8 bytes in base64', () => {
    expect(base64OfText('')).toBe('');
    expect(base64OfText('BEGIN:VCALENDAR\r\n')).toBe(Buffer.from('BEGIN:VCALENDAR\r\n').toString('base64'));
    const text = 'SUMMARY:Café — sopa para 30 🍲';
    expect(Buffer.from(base64OfText(text), 'base64').toString('utf8')).toBe(text);
  });
  it('a long text too', () => {
    const long = 'DESCRIPTION:ñ'.repeat(20_000);
    expect(Buffer.from(base64OfText(long), 'base64').toString('utf8')).toBe(long);
  });
});
