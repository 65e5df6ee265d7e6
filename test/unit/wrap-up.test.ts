import fc from 'fast-check';
import type { QuickReply } from '../../functions/domain/model';
import { checkDisposition, dispositionsFor, firstNameOf, normalizeTags, quickRepliesFor, renderQuickReply, type Disposition } from '../../functions/domain/wrap-up';

const d = (id: string, queueId: string | null): Disposition => ({ id, label: id, queueId, createdAt: '2026-03-01T09:00:00.000Z' });
const r = (id: string, language: string, queueId: string | null = null): QuickReply => ({ id, language, text: id, queueId, createdAt: '2026-03-01T09:00:00.000Z' });

describe('wrap-up rules', () => {
  it('trims tags, drops blanks, keeps each once in the order given, in every script', () => {
    expect(normalizeTags(['  Ελληνικά ', 'عربي', 'Ελληνικά', ' ', '👨‍👩‍👧', 'عربي '])).toEqual(['Ελληνικά', 'عربي', '👨‍👩‍👧']);
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme' }), { maxLength: 12 }), (tags) => {
        const out = normalizeTags(tags);
        expect(new Set(out).size).toBe(out.length);
        for (const t of out) expect(t).toBe(t.trim());
        expect(out.every((t) => t.length > 0)).toBe(true);
        expect(normalizeTags(out)).toEqual(out);
      }),
    );
  });

  it('needs a disposition only where the queue says so, and only one of every queue or of the chat’s queue', () => {
    const queue = { id: 'q1', dispositionRequired: true };
    expect(checkDisposition(queue, undefined, undefined)).toEqual({ ok: false, code: 'disposition_required' });
    expect(checkDisposition({ id: 'q1' }, undefined, undefined)).toEqual({ ok: true });
    expect(checkDisposition(queue, 'x', undefined)).toEqual({ ok: false, code: 'unknown_disposition' });
    expect(checkDisposition(queue, 'other', d('other', 'q2'))).toEqual({ ok: false, code: 'unknown_disposition' });
    expect(checkDisposition(queue, 'mine', d('mine', 'q1'))).toMatchObject({ ok: true, disposition: { id: 'mine' } });
    expect(checkDisposition(undefined, 'all', d('all', null))).toMatchObject({ ok: true, disposition: { id: 'all' } });
    expect(dispositionsFor([d('all', null), d('mine', 'q1'), d('other', 'q2')], 'q1').map((x) => x.id)).toEqual(['all', 'mine']);
    expect(dispositionsFor([d('all', null), d('mine', 'q1')], undefined).map((x) => x.id)).toEqual(['all']);
  });

  it("picks quick replies of the chat's queue and language, its base language, else the fallback", () => {
    const all = [r('el-q1', 'el', 'q1'), r('el-q2', 'el', 'q2'), r('en', 'en'), r('pt', 'pt'), r('pt-BR', 'pt-BR')];
    expect(quickRepliesFor(all, { queueId: 'q1', language: 'el' }, 'en').map((x) => x.id)).toEqual(['el-q1']);
    expect(quickRepliesFor(all, { queueId: 'q1', language: 'pt-BR' }, 'en').map((x) => x.id)).toEqual(['pt-BR']);
    expect(quickRepliesFor(all, { queueId: 'q1', language: 'pt-PT' }, 'en').map((x) => x.id)).toEqual(['pt', 'pt-BR']);
    expect(quickRepliesFor(all, { queueId: 'q3', language: 'el' }, 'en').map((x) => x.id)).toEqual(['en']);
    expect(quickRepliesFor(all, { queueId: 'q3', language: null }, 'pt').map((x) => x.id)).toEqual(['pt']);
    expect(quickRepliesFor([], { queueId: null, language: 'ar' }, 'en')).toEqual([]);
  });

  it('fills the two placeholders only, with any text', () => {
    expect(renderQuickReply('Γεια σας {customerFirstName}, είμαι η {agentName} {other} {agentName}', { customerFirstName: 'مريم', agentName: 'Αλίκη 😀' })).toBe(
      'Γεια σας مريم, είμαι η Αλίκη 😀 {other} Αλίκη 😀',
    );
    // a replacement holding `$&` or braces is inserted as written
    expect(renderQuickReply('{agentName}', { customerFirstName: '', agentName: '$& {customerFirstName}' })).toBe('$& {customerFirstName}');
    expect(firstNameOf('  Ελένη Παπαδοπούλου ')).toBe('Ελένη');
    expect(firstNameOf('👨‍👩‍👧 Family')).toBe('👨‍👩‍👧');
  });
});
