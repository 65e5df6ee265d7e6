import * as z from 'zod';
import { NotFound } from '../domain/errors';
import { chatSchema } from './chats';
import { listAnswer, listOf, pageQuery, pageRequest } from './pagination';
import { idSchema, route, type AdminDeps } from './route-table';
import { agentsGroup, supervisorsGroup } from './groups';
import { NotYourChat, supervisorGroups } from '../services/wrap-up';
import type { Page, PageRequest } from '../domain/ports';

/** Contacts read per page of a search: the search walks the list, it has no index of its own. */
const searchedContacts = 1000;

const mayActOnAnyChat = (caller: { groups: string[] }) => caller.groups.some((g) => supervisorGroups.includes(g));

/** Whether a contact matches a search: a word of the name, the email or the phone (digits) starts with it. */
export function contactMatches(contact: Pick<Contact, 'name' | 'email' | 'phone'>, query: string): boolean {
  const q = query.normalize('NFC').toLocaleLowerCase();
  const name = contact.name.normalize('NFC').toLocaleLowerCase();
  if (name.startsWith(q) || name.split(/\s+/u).some((w) => w.startsWith(q))) return true;
  if (contact.email?.toLocaleLowerCase().startsWith(q)) return true;
  const digits = q.replace(/[^0-9]/g, '');
  return digits.length > 0 && /^[+0-9 ()-]+$/.test(q) && (contact.phone ?? '').replace(/[^0-9]/g, '').startsWith(digits);
}

/** One page of a search: walks the contacts list from the token, at most `searchedContacts` read, up to `limit` found. */
async function searchContacts(deps: AdminDeps, query: string, page: PageRequest): Promise<Page<Contact>> {
  const items: Contact[] = [];
  let after = page.after;
  let read = 0;
  do {
    const chunk = await deps.admin.contacts({ limit: Math.min(100, page.limit), ...(after ? { after } : {}) });
    read += chunk.items.length;
    items.push(...chunk.items.filter((c) => contactMatches(c, query)));
    after = chunk.next;
  } while (after && items.length < page.limit && read < searchedContacts);
  return after ? { items, next: after } : { items };
}
import { chatView, type Contact, contactSchema as domainContact } from '../domain/model';

/** A contact as the management API shows it. */
export const contactSchema = z.object(domainContact.shape).pick({ id: true, name: true, email: true, phone: true, createdAt: true });

const contactCreate = z.strictObject({
  name: z.string().trim().min(1).max(200),
  email: z.email().max(320).optional(),
  phone: z
    .string()
    .regex(/^\+?[0-9][0-9 ()-]{2,31}$/, 'Digits, spaces, ( ) - and an optional leading +.')
    .optional(),
});

export const contactRoutes = [
  route({
    method: 'POST',
    path: '/api/contacts',
    tag: 'contacts',
    // agents create one for a customer they serve
    groups: [agentsGroup, supervisorsGroup],
    summary: 'Create a contact record.',
    body: contactCreate,
    response: contactSchema,
    async handle({ body }, deps) {
      const contact: Contact = { id: deps.newId(), ...body, createdAt: deps.clock().toISOString() };
      await deps.admin.createContact(contact);
      return contact;
    },
  }),
  route({
    method: 'GET',
    path: '/api/contacts',
    tag: 'contacts',
    // agents look one up to link a chat to
    groups: [agentsGroup, supervisorsGroup],
    summary: `List contacts, oldest first. With query: those whose name (any word), email or phone starts with it, case-insensitively; a search reads at most ${searchedContacts} contacts per page (nextToken goes on from there), it is not indexed.`,
    query: z.strictObject({ ...pageQuery, query: z.string().trim().min(1).max(200).optional() }),
    response: listOf(contactSchema),
    async handle({ query }, deps) {
      if (query.query === undefined) {
        const page = await deps.admin.contacts(pageRequest(query));
        return listAnswer(page.items, page);
      }
      const found = await searchContacts(deps, query.query, pageRequest(query));
      return listAnswer(found.items, found);
    },
  }),
  route({
    method: 'GET',
    path: '/api/contacts/{contactId}',
    tag: 'contacts',
    summary: 'Read a contact.',
    params: z.strictObject({ contactId: idSchema }),
    response: contactSchema,
    errors: [404],
    async handle({ params }, deps) {
      const contact = await deps.admin.contact(params.contactId);
      if (!contact) throw new NotFound('Contact', params.contactId);
      return contact;
    },
  }),
  route({
    method: 'POST',
    path: '/api/chats/{chatId}/contact',
    tag: 'contacts',
    // agents link the chats assigned to them
    groups: [agentsGroup, supervisorsGroup],
    summary:
      "Link a chat, and every later chat of the same customer on that channel, to a contact (agents: chats assigned to them); the customer's history then spans the contact's channels.",
    params: z.strictObject({ chatId: idSchema }),
    body: z.strictObject({ contactId: idSchema }),
    status: 200,
    response: chatSchema,
    errors: [404, 409],
    async handle({ params, body, caller }, deps) {
      const [chat, contact] = await Promise.all([deps.chats.chat(params.chatId), deps.admin.contact(body.contactId)]);
      if (!chat) throw new NotFound('Chat', params.chatId);
      if (!mayActOnAnyChat(caller) && !(chat.state === 'assigned' && chat.agentId === caller.sub)) throw new NotYourChat('You can only link chats assigned to you.');
      if (!contact) throw new NotFound('Contact', body.contactId);
      await deps.admin.linkContact(chat, contact.id);
      return { ...chatView(chat), contactId: contact.id };
    },
  }),
];
