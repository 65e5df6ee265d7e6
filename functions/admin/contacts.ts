import * as z from 'zod';
import { NotFound } from '../shared/errors';
import { chatSchema } from './chats';
import { indexKeys } from '../adapters/dynamodb/keys';
import { decodeNextToken, kindPage, listAnswer, listOf, pageQuery } from './pagination';
import { idSchema, route } from './route-table';
import { type Contact, chatView } from '../domain/model';

export const contactSchema = z.object({ id: z.string(), name: z.string(), email: z.string().optional(), phone: z.string().optional(), createdAt: z.string() });

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
    summary: 'List contacts.',
    query: z.strictObject(pageQuery),
    response: listOf(contactSchema),
    async handle({ query }, deps) {
      const page = await deps.admin.contacts({ limit: query.limit, startKey: decodeNextToken(query.nextToken, kindPage(indexKeys.kind('CONTACT'))) });
      return listAnswer(page.items, page.lastKey);
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
    summary: 'Link a chat, and every later chat of the same customer on that channel, to a contact.',
    params: z.strictObject({ chatId: idSchema }),
    body: z.strictObject({ contactId: idSchema }),
    status: 200,
    response: chatSchema,
    errors: [404],
    async handle({ params, body }, deps) {
      const [chat, contact] = await Promise.all([deps.chats.chat(params.chatId), deps.admin.contact(body.contactId)]);
      if (!chat) throw new NotFound('Chat', params.chatId);
      if (!contact) throw new NotFound('Contact', body.contactId);
      await deps.admin.linkContact(chat, contact.id);
      return { ...chatView(chat), contactId: contact.id };
    },
  }),
];
