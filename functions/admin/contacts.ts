import * as z from 'zod';
import { NotFound } from '../domain/errors';
import { chatSchema } from './chats';
import { listAnswer, listOf, pageQuery, pageRequest } from './pagination';
import { idSchema, route } from './route-table';
import { chatView, type Contact, contactSchema as domainContact } from '../domain/model';

/** A contact as the management API shows it. */
export const contactSchema = domainContact.pick({ id: true, name: true, email: true, phone: true, createdAt: true });

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
      const page = await deps.admin.contacts(pageRequest(query));
      return listAnswer(page.items, page);
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
